"""`reconciler plan` as a user meets issue 13: look-alike destinations warn on stderr (and the
plan goes on, against the sandbox on a real port); nothing listening on the endpoint fails
within seconds, saying so while it retries and ending with a hint (a real process)."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from reconciler import cli
from tests.reliability.secret import SECRET_TOKEN

SEED: dict[str, Any] = {
    "tokens": [{"token": SECRET_TOKEN, "username": "lab"}],
    "projects": [{"id": "lab/p", "location": "aws:us-east-1"}],
    "volumes": [
        {"id": "lab/out", "location": "aws:us-east-1", "service": {"type": "s3", "bucket": "b"}}
    ],
    "files": [{"project": "lab/p", "path": "a.dat", "size": 10}],
}


def manifest(folder: Path, *locations: str) -> Path:
    exports = [{"path": "a.dat", "location": loc, "mode": "copy"} for loc in locations]
    body = {"version": 1, "project": "lab/p", "defaults": {"volume": "lab/out"}, "exports": exports}
    path = folder / "m.yaml"
    path.write_text(json.dumps(body, indent=2, ensure_ascii=False), encoding="utf-8")
    return path


def test_plan_warns_about_look_alike_destinations_and_plans_both(
    make_sandbox: Any, tmp_path: Path, monkeypatch: Any, capsys: Any
) -> None:
    sandbox = make_sandbox(seed=SEED)
    monkeypatch.setenv("SB_API_ENDPOINT", sandbox.url)
    monkeypatch.setenv("SB_AUTH_TOKEN", SECRET_TOKEN)
    monkeypatch.setenv("SB_CREDENTIALS_FILE", str(tmp_path / "none"))
    path = manifest(tmp_path, "out/a.dat", "out/\u0430.dat")  # the second a is Cyrillic

    code = cli.main(["plan", "--detailed-exitcode", str(path)])

    out, err = capsys.readouterr()
    assert code == 2, err
    [warning] = [line for line in err.splitlines() if line.startswith("warning:")]
    assert f"{path}:" in warning and "look-alike" in warning
    assert "2 to copy" in out


def test_apply_warns_about_look_alike_destinations_as_plan_does(
    make_sandbox: Any, tmp_path: Path, monkeypatch: Any, capsys: Any
) -> None:
    sandbox = make_sandbox(seed=SEED)
    monkeypatch.setenv("SB_API_ENDPOINT", sandbox.url)
    monkeypatch.setenv("SB_AUTH_TOKEN", SECRET_TOKEN)
    monkeypatch.setenv("SB_CREDENTIALS_FILE", str(tmp_path / "none"))
    path = manifest(tmp_path, "out/a.dat", "out/\u0430.dat")
    state = str(tmp_path / "state")

    code = cli.main(["apply", "--yes", "--state-dir", state, str(path)])

    _, err = capsys.readouterr()
    assert code == 0, err
    [warning] = [line for line in err.splitlines() if line.startswith("warning:")]
    assert f"{path}:" in warning and "look-alike" in warning


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
def test_nothing_listening_fails_within_seconds_with_a_hint(tmp_path: Path) -> None:
    path = manifest(tmp_path, "out/a.dat")
    env = {
        **os.environ,
        "SB_API_ENDPOINT": f"http://127.0.0.1:{free_port()}/v2",
        "SB_AUTH_TOKEN": SECRET_TOKEN,
        "SB_CREDENTIALS_FILE": str(tmp_path / "none"),
    }
    started = time.monotonic()

    ran = subprocess.run(
        [sys.executable, "-m", "reconciler", "plan", str(path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    took = time.monotonic() - started
    lines = ran.stderr.splitlines()
    assert ran.returncode == 1, ran.stderr
    # Retries announce when they give up: within seconds, not the minutes a hanging API
    # is given. The wall-clock bound is loose so that a loaded machine cannot fail it.
    giving_up = [int(m) for m in re.findall(r"giving up in (\d+)s", ran.stderr)]
    assert giving_up and max(giving_up) <= 12, ran.stderr
    assert took < 60, f"{took:.1f} s"
    assert any("retrying in" in line for line in lines[:-1]), ran.stderr
    assert lines[-1].startswith("error: ") and "Connection refused" in lines[-1]
    assert "running" in lines[-1] and "SB_API_ENDPOINT" in lines[-1]
