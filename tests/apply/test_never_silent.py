"""Output that never looks stuck (issue 25, point 3), measured on a real apply against the
sandbox: on a terminal (a pty) the elapsed time moves every second while a job runs and nothing
else changes; in CI (stderr a pipe, CI=true) no silence reaches 15 s, through jobs of a minute
and a wait for the rate limit; writing a saved plan is said while it lasts.

The measures are of the output itself (which seconds the bar showed, how long the log was
silent), never of how fast anything ran.
"""

from __future__ import annotations

import itertools
import os
import pty
import re
import select
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from reconciler.commands import plan as plan_command
from reconciler.usecases import plan as planning

from .helpers import MOVES, run_cli, seed, write_manifest

ELAPSED = re.compile(r"(\d+):(\d\d) elapsed")


def _env(sandbox: Any, tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SB_") and k != "CI"}
    return env | {
        "SB_API_ENDPOINT": sandbox.url,
        "SB_AUTH_TOKEN": sandbox.token,
        "SB_CREDENTIALS_FILE": str(tmp_path / "none"),
        **extra,
    }


def _apply_argv(tmp_path: Path, manifest: Path) -> list[str]:
    state = str(tmp_path / "state")
    return [
        sys.executable,
        "-m",
        "reconciler",
        "apply",
        "--yes",
        "--state-dir",
        state,
        str(manifest),
    ]


def _read_pty(fd: int, process: subprocess.Popen[bytes], limit: float) -> bytes:
    output = bytearray()
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # the other end is closed: the process has ended
                break
            if not chunk:
                break
            output.extend(chunk)
        elif process.poll() is not None:
            break
    return bytes(output)


@pytest.mark.parametrize(
    "job_seconds", [6.0, pytest.param(60.0, marks=pytest.mark.slow)], ids=["6s", "60s"]
)
def test_on_a_terminal_the_elapsed_time_moves_every_second_while_a_job_runs(
    make_sandbox: Any, tmp_path: Path, job_seconds: float
) -> None:
    sandbox = make_sandbox(seed=seed({"moves": 3}), job_pace=job_seconds)
    manifest = write_manifest(tmp_path / "manifests", [MOVES])
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        _apply_argv(tmp_path, manifest),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=terminal,
        env=_env(sandbox, tmp_path),
    )
    os.close(terminal)
    try:
        output = _read_pty(controller, process, job_seconds + 120)
        code = process.wait(timeout=60)
    finally:
        process.kill()
        process.wait(timeout=10)
        os.close(controller)

    text = output.decode(errors="replace")
    assert code == 0, text
    frames = text.split("\x1b[2K")[1:]
    shown = [int(m[1]) * 60 + int(m[2]) for f in frames if (m := ELAPSED.search(f))]
    # Every second of the run was shown, in order: no second skipped, none frozen.
    assert shown == sorted(shown) and shown[-1] >= job_seconds - 1, shown
    assert set(range(shown[0], shown[-1] + 1)) <= set(shown), shown
    # About two frames a second, each with the spinner turned.
    assert len(frames) >= 1.5 * shown[-1], len(frames)
    spinners = [f[0] for f in frames if f[:1] in "|/-\\"]
    assert len(set(spinners)) == 4


@pytest.mark.slow
def test_in_ci_no_silence_reaches_15_seconds_through_minute_long_jobs_and_a_rate_limit_wait(
    make_sandbox: Any, tmp_path: Path
) -> None:
    # A budget of 12 requests a 40 s window: the reading and the create call spend most of
    # it, and the polls of the minute-long jobs wait for the window's reset.
    sandbox = make_sandbox(seed=seed({"moves": 3}), job_pace=60.0, rate_limit=12, rate_window=40.0)
    manifest = write_manifest(tmp_path / "manifests", [MOVES])
    started = time.monotonic()
    process = subprocess.Popen(
        _apply_argv(tmp_path, manifest),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=_env(sandbox, tmp_path, CI="true"),
    )
    lines: list[tuple[float, str]] = []

    def read() -> None:
        assert process.stderr is not None
        for raw in process.stderr:
            lines.append((time.monotonic(), raw.decode(errors="replace").rstrip("\n")))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    code = process.wait(timeout=400)
    ended = time.monotonic()
    reader.join(timeout=10)
    assert process.stderr is not None
    process.stderr.close()

    text = "\n".join(line for _, line in lines)
    assert code == 0, text
    stamps = [started, *(at for at, _ in lines), ended]
    silences = [later - earlier for earlier, later in itertools.pairwise(stamps)]
    print(f"longest silence {max(silences):.1f}s over {ended - started:.0f}s, {len(lines)} lines")
    assert ended - started >= 60  # the jobs did take a minute
    assert max(silences) < 15, text
    assert any("waiting for the rate limit (" in line for _, line in lines), text
    assert any(line.endswith("waiting for 3 export jobs") for _, line in lines), text


def test_writing_a_saved_plan_is_said_while_it_lasts(
    lab: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Writing a plan of a million items takes over a minute: here a plan whose writing is
    slowed down, named on stderr while it lasts."""
    _, _, manifest = lab({"moves": 3}, [MOVES])
    write_plan = plan_command.write_plan

    def slow(plan: Any, out: Any) -> None:
        time.sleep(1.6)
        write_plan(plan, out)

    monkeypatch.setattr(plan_command, "write_plan", slow)

    ran = run_cli(capsys, "plan", str(manifest), "--out", "plan.json")

    assert ran.code == 0, ran.err
    assert re.search(r"^writing plan\.json and \S+\.csv\.\.\.$", ran.err, re.M), ran.err
    assert Path("plan.json").exists()


def test_the_planning_after_the_reading_is_said_while_it_lasts(
    lab: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Planning a million files takes about 20 s after the reading's last line."""
    _, _, manifest = lab({"moves": 3}, [MOVES])
    combine = planning.combine

    def slow(*args: Any) -> Any:
        time.sleep(1.6)
        return combine(*args)

    monkeypatch.setattr(planning, "combine", slow)

    ran = run_cli(capsys, "plan", str(manifest))
    assert ran.code == 0, ran.err
    assert "planning the exports...\n" in ran.err

    ran = run_cli(capsys, "apply", "--yes", "--state-dir", "state", str(manifest))
    assert ran.code == 0, ran.err
    assert "planning the exports...\n" in ran.err
