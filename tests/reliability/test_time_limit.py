"""The whole run's limit (issue 22, point 3): `--time-limit` ends a run stuck on a server that
never answers with one line and exit 1, and an apply stopped by it leaves its jobs to the next
apply, as Ctrl-C does; SIGTERM, what a CI runner sends before it kills a job, is taken as
Ctrl-C too. Real processes, a silent loopback server, and the sandbox."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from reconciler.commands import time_limit
from tests.apply.helpers import MOVES, seed, write_manifest

from .raw_server import RawServer, silent
from .secret import SECRET_TOKEN
from .test_hostile_servers import MANIFEST


def _interruptible() -> None:
    # A job started in the background by a non-interactive shell inherits SIGINT ignored.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def reconciler(argv: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "reconciler", *argv],
        env={**os.environ, "CI": "true", **env},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_interruptible,
    )


def finish(process: subprocess.Popen[str], within: float) -> tuple[int, str, str]:
    try:
        out, err = process.communicate(timeout=within)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        pytest.fail(f"still running after {within} s; stderr: {err!r}")
    return process.returncode, out, err


@pytest.fixture
def silent_plan(tmp_path: Path) -> Any:
    folder = tmp_path / "manifests"
    folder.mkdir()
    (folder / "m.yaml").write_text(MANIFEST, encoding="utf-8")

    def start(url: str, *extra: str) -> subprocess.Popen[str]:
        env = {
            "SB_API_ENDPOINT": url,
            "SB_AUTH_TOKEN": SECRET_TOKEN,
            "SB_CREDENTIALS_FILE": str(tmp_path / "no-credentials"),
        }
        return reconciler(["plan", *extra, str(folder)], env)

    return start


def test_the_time_limit_ends_a_plan_that_waits_on_a_silent_server(silent_plan: Any) -> None:
    with RawServer(silent) as server:
        code, out, err = finish(silent_plan(server.url, "--time-limit", "2s"), within=40)
    assert code == 1, err
    assert err.splitlines()[-1] == "error: stopped at the run's time limit, 2s (--time-limit)"
    assert "Traceback" not in err and SECRET_TOKEN not in err and out == ""


def test_sigterm_stops_a_plan_as_ctrl_c_would(silent_plan: Any) -> None:
    with RawServer(silent) as server:
        process = silent_plan(server.url)
        deadline = time.monotonic() + 30
        while server.accepted == 0:
            assert time.monotonic() < deadline and process.poll() is None
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        code, _, err = finish(process, within=45)  # after the read in flight (20 s at most)
    assert code == 143, err
    assert err.splitlines()[-1] == "terminated (SIGTERM): stopped as Ctrl-C would"


def test_an_apply_stopped_by_its_time_limit_leaves_its_jobs_to_the_next(
    make_sandbox: Any, tmp_path: Path
) -> None:
    sandbox = make_sandbox(seed=seed({"moves": 30}), job_pace=6.0)
    manifest = write_manifest(tmp_path / "manifests", [MOVES])
    state = tmp_path / "state"
    env = {
        "SB_API_ENDPOINT": sandbox.url,
        "SB_AUTH_TOKEN": sandbox.token,
        "SB_CREDENTIALS_FILE": str(tmp_path / "none"),
    }
    argv = ["apply", "--yes", "--state-dir", str(state), str(manifest)]

    code, _, err = finish(reconciler([*argv, "--time-limit", "3s"], env), within=60)

    assert code == 1, err
    assert "interrupted: " in err and "the next apply picks them up" in err
    assert err.splitlines()[-1] == "error: stopped at the run's time limit, 3s (--time-limit)"
    assert "submitted" in (state / "journal.jsonl").read_text(encoding="utf-8")
    code, out, err = finish(reconciler(argv, env), within=120)
    assert code == 0, err
    assert "30 completed" in out


@pytest.mark.parametrize(
    ("given", "environ", "seconds", "origin"),
    [
        (None, {}, time_limit.DEFAULT_SECONDS, "the default"),
        (None, {"CI_JOB_TIMEOUT": "3600"}, 3480.0, "the CI job's timeout less 2m00s"),
        (None, {"CI_JOB_TIMEOUT": "100"}, time_limit.DEFAULT_SECONDS, "the default"),
        (None, {"CI_JOB_TIMEOUT": "soon"}, time_limit.DEFAULT_SECONDS, "the default"),
        (90.0, {"CI_JOB_TIMEOUT": "3600"}, 90.0, "--time-limit"),
    ],
)
def test_the_limit_is_the_flag_else_the_ci_job_less_a_margin_else_a_day(
    given: float | None, environ: dict[str, str], seconds: float, origin: str
) -> None:
    limit = time_limit.chosen(given, environ)
    assert limit is not None and limit.seconds == seconds and limit.origin.startswith(origin)


def test_a_time_limit_of_zero_is_none() -> None:
    assert time_limit.chosen(0.0, {"CI_JOB_TIMEOUT": "3600"}) is None


@pytest.mark.parametrize(
    ("seconds", "text"), [(2.0, "2s"), (0.5, "0.5s"), (90.0, "1m30s"), (86400.0, "24h00m")]
)
def test_limits_read_as_a_clock(seconds: float, text: str) -> None:
    assert time_limit.clock_text(seconds) == text
