"""The user's token through every output path of a real run: validate, plan (`--verbose`,
`--out`), show, apply of the saved plan (journal, receipt), a second plan, failures (a job that
fails, a platform in maintenance, a lost create answer), a token from the credentials file,
and apply in a real process. The secret appears nowhere: not in stdout or stderr, not in any
file written, and the session's secret guard checks all of it again at the end of the run.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from reconciler import cli
from reconciler.sandbox.server import Sandbox

from .secret import SECRET_TOKEN, with_secret_token
from .soak_runner import SOAK
from .test_hostile_api import FAST_RETRY

ROOT = Path(__file__).resolve().parents[2]
OTHER_SECRET = "ci-job-token-4d7e1f0a9b3c"  # any variable named like *TOKEN* is a secret too
# Apply's waits at the sandbox's pace; failures retried with millisecond waits.
FAST = dataclasses.replace(SOAK, retry=FAST_RETRY())


class Run:
    """Runs CLI commands in process and keeps everything they printed."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self.capsys = capsys
        self.printed: list[str] = []

    def __call__(self, *argv: str) -> tuple[int, str, str]:
        code = cli.main(list(argv), runtime=FAST)
        out, err = self.capsys.readouterr()
        self.printed += [out, err]
        return code, out, err


def files_holding(folder: Path, *secrets: str) -> list[Path]:
    found = []
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            data = path.read_bytes()
            if any(s.encode() in data for s in secrets):
                found.append(path)
    return found


@pytest.fixture
def lab(make_sandbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Sandbox, Path]:
    sandbox = make_sandbox(seed=with_secret_token())
    monkeypatch.chdir(tmp_path)
    shutil.copytree(ROOT / "manifests", tmp_path / "manifests")
    monkeypatch.setenv("SB_API_ENDPOINT", sandbox.url)
    monkeypatch.setenv("SB_AUTH_TOKEN", SECRET_TOKEN)
    monkeypatch.setenv("CI_JOB_TOKEN", OTHER_SECRET)
    monkeypatch.setenv("SB_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.delenv("CI", raising=False)
    return sandbox, tmp_path / "manifests"


def test_the_token_is_in_no_output_and_no_file_of_a_whole_run(
    lab: tuple[Sandbox, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox, manifests = lab
    run = Run(capsys)
    state, plan = tmp_path / "state", tmp_path / "plan.json"

    assert run("validate", "--verbose", str(manifests))[0] == 0
    code, out, err = run("plan", "--verbose", "--detailed-exitcode", "--out", str(plan))
    assert code == 2, err
    assert "GET /v2/" in err  # --verbose really logged the calls
    for form in ("text", "json", "markdown"):
        assert run("show", str(plan), "--format", form)[0] == 0
    code, out, err = run("apply", "--verbose", "--plan", str(plan), "--state-dir", str(state))
    assert code == 0, err
    assert run("plan", "--verbose", "--detailed-exitcode")[0] == 0

    # Failures: a job that fails after acceptance, a lost create answer, then maintenance.
    results = manifests / "results.yaml"
    results.write_text(
        results.read_text(encoding="utf-8")
        + "  - file: 65a1f0c0e4b0d1a2b3c4001c\n    location: extra/one.bam.bai\n"
        + "  - file: 65a1f0c0e4b0d1a2b3c4001d\n    location: extra/two.vcf.gz\n",
        encoding="utf-8",
    )
    sandbox.configure(fail_files=["65a1f0c0e4b0d1a2b3c4001c"], lose_responses=1)
    code, out, err = run("apply", "--verbose", "--yes", "--state-dir", str(state))
    assert code == 1, err
    assert "failed" in out
    assert any(entry.get("lost") for entry in sandbox.request_log())
    sandbox.configure(fail_files=[], maintenance=True)
    code, out, err = run("plan", "--verbose")
    assert code == 1 and "platform in maintenance" in err
    sandbox.configure(maintenance=False)

    # A path that holds another secret-named variable's value is redacted in errors too.
    code, _, err = run("validate", str(tmp_path / OTHER_SECRET / "m.yaml"))
    assert code == 1 and "[redacted]" in err

    journal, receipt = state / "journal.jsonl", state / "receipt.json"
    assert journal.stat().st_size > 0 and receipt.stat().st_size > 0 and plan.stat().st_size > 0
    printed = "".join(run.printed)
    assert len(printed) > 2000
    assert SECRET_TOKEN not in printed and OTHER_SECRET not in printed
    assert files_holding(tmp_path, SECRET_TOKEN, OTHER_SECRET) == []


def test_a_token_from_the_credentials_file_is_kept_out_too(
    lab: tuple[Sandbox, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sandbox, _ = lab
    credentials = tmp_path / "secrets" / "credentials"
    credentials.parent.mkdir()
    credentials.write_text(f"[default]\nauth_token = {SECRET_TOKEN}\n", encoding="utf-8")
    credentials.chmod(0o600)
    monkeypatch.delenv("SB_AUTH_TOKEN")
    monkeypatch.setenv("SB_CREDENTIALS_FILE", str(credentials))
    run = Run(capsys)
    try:
        plan = str(tmp_path / "plan.json")
        assert run("plan", "--verbose", "--detailed-exitcode", "--out", plan)[0] == 2
        sandbox.configure(maintenance=True)
        code, _, err = run("plan", "--verbose")
        sandbox.configure(maintenance=False)
    finally:
        credentials.unlink()
    assert code == 1 and "maintenance" in err
    assert SECRET_TOKEN not in "".join(run.printed)
    assert files_holding(tmp_path, SECRET_TOKEN) == []


@pytest.mark.slow
def test_apply_in_a_real_process_prints_no_secret(
    lab: tuple[Sandbox, Path], tmp_path: Path
) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    ran = subprocess.run(
        [sys.executable, "-m", "tests.reliability.soak_runner", "apply", "--verbose", "--yes",
         "--state-dir", str(tmp_path / "state")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr[-2000:]
    assert "POST /v2/bulk/storage/exports/create" in ran.stderr
    assert SECRET_TOKEN not in ran.stdout + ran.stderr
    assert OTHER_SECRET not in ran.stdout + ran.stderr
    assert files_holding(tmp_path, SECRET_TOKEN, OTHER_SECRET) == []
