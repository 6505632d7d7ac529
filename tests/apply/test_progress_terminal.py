"""The progress bar as a user sees it on a terminal (issue 13, point 6): against the sandbox on
a real port, the bar shows the elapsed time and an ETA learned from the jobs' real durations,
the final state once; Ctrl-C (a real SIGINT to a real process whose stderr is a pty) ends the
bar's line and says how many jobs go on running on the platform."""

from __future__ import annotations

import io
import json
import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from reconciler.api.client import ApiClient
from reconciler.api.config import ApiConfig
from reconciler.api.trust import platform_key
from reconciler.apply.settings import EngineSettings
from reconciler.manifest.load import load_manifests
from reconciler.usecases.apply import ApplyOptions, apply
from reconciler.usecases.plan import Connection

from .conftest import FAST_POLLS
from .helpers import MOVES, seed, write_manifest

BAR = re.compile(
    r"\[[#.]{24}\] (\d+)/(\d+) done, (\d+) in flight, (\d+) failed, "
    r"(\d+:\d\d) elapsed, ETA (--:--|\d+:\d\d)"
)


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def seconds(text: str) -> int:
    minutes, secs = text.split(":")
    return int(minutes) * 60 + int(secs)


@pytest.mark.slow
def test_the_bar_shows_elapsed_time_and_an_eta_learned_from_the_jobs(
    make_sandbox: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.delenv("CI", raising=False)
    # Each file copied, then moved once its copy is done: the moves are sent only after the
    # first jobs have finished, so the ETA has something to learn from and something to wait.
    job_pace = 3.0
    sandbox = make_sandbox(seed=seed({"moves": 100}), job_pace=job_pace)
    copies = {**MOVES, "location": "c/{name}", "mode": "copy"}
    manifest = write_manifest(tmp_path / "m", [copies, MOVES])
    manifests = load_manifests([str(manifest)], root=tmp_path)
    terminal = FakeTerminal()
    settings = EngineSettings(wait_timeout=120, schedule=FAST_POLLS, creates_in_flight=1)

    with ApiClient(ApiConfig(endpoint=sandbox.url, token=sandbox.token)) as client:
        applied = apply(
            manifests,
            [Connection(platform_key(None), manifests, client)],
            ApplyOptions(state_dir=tmp_path / "state", engine=settings),
            confirm=lambda plan, outcomes: True,
            stderr=terminal,
        )

    assert applied.exit_code == 0
    frames = terminal.getvalue().split("\r\x1b[2K")[1:]
    bars = [BAR.search(frame) for frame in frames]
    assert all(bars), frames
    parsed = [m.groups() for m in bars if m]
    # Nothing is guessed before a job has finished...
    before = [p for p in parsed if int(p[0]) == 0]
    assert before and all(p[5] == "--:--" for p in before)
    # ...then the ETA comes from how long the jobs took (about job_pace each, polls included).
    learned = [seconds(p[5]) for p in parsed if 0 < int(p[0]) < 200 and p[5] != "--:--"]
    assert learned and max(learned) <= 4 * job_pace
    # When the copies are done, the moves still take about a job's time.
    assert max(learned) >= job_pace - 1
    # The elapsed time grows to the run's length, and the final state is drawn once.
    assert seconds(parsed[-1][4]) >= job_pace
    assert terminal.getvalue().count("200/200 done") == 1
    assert terminal.getvalue().endswith("ETA 0:00\n")


def _read_available(fd: int, into: bytearray, until: float) -> None:
    while time.monotonic() < until:
        ready, _, _ = select.select([fd], [], [], 0.05)
        if not ready:
            return
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # the other end is closed
            return
        if not chunk:
            return
        into.extend(chunk)


def _interruptible() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_starts_a_new_line_and_counts_the_jobs_still_running(
    make_sandbox: Any, tmp_path: Path
) -> None:
    sandbox = make_sandbox(seed=seed({"moves": 30}), job_pace=300.0)
    manifest = write_manifest(tmp_path / "manifests", [MOVES])
    state = tmp_path / "state"
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("CI", "SB_API_ENDPOINT", "SB_AUTH_TOKEN")
    }
    env |= {
        "SB_API_ENDPOINT": sandbox.url,
        "SB_AUTH_TOKEN": sandbox.token,
        "SB_CREDENTIALS_FILE": str(tmp_path / "none"),
    }
    controller, terminal = pty.openpty()
    output = bytearray()
    argv = ["apply", "--yes", "--state-dir", str(state), str(manifest)]
    process = subprocess.Popen(
        [sys.executable, "-m", "reconciler", *argv],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=terminal,
        env=env,
        # A job a non-interactive shell started in the background inherits SIGINT ignored,
        # and Python then leaves it ignored: the apply under test would never see the ^C.
        preexec_fn=_interruptible,
    )
    os.close(terminal)
    try:
        journal = state / "journal.jsonl"
        deadline = time.monotonic() + 60
        while b"30 in flight" not in output:
            assert time.monotonic() < deadline, output.decode(errors="replace")
            assert process.poll() is None, output.decode(errors="replace")
            _read_available(controller, output, time.monotonic() + 0.2)
        assert "submitted" in journal.read_text()

        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=30)
        _read_available(controller, output, time.monotonic() + 2)
    finally:
        process.kill()
        process.wait(timeout=10)
        os.close(controller)

    text = output.decode(errors="replace").replace("\r\n", "\n")
    assert code == 130, text
    bar_line, _, after = text.rpartition("\x1b[2K")[2].partition("\n")
    assert BAR.search(bar_line), text
    assert after.startswith(
        "interrupted: 30 export jobs still running on the platform; they go on without "
        "reconciler, and the next apply picks them up\n"
    ), text
    assert len(json.loads(journal.read_text().splitlines()[-1])) > 0
