"""One command in a process of its own, measured from outside: wall time, CPU, peak RSS and
every stderr line with the moment it arrived.

Peak RSS and CPU come from `os.wait4` on that one child (`ru_maxrss`), so nothing else the
runner started (the sandbox, the seeding) is counted, and the command needs no change. stdout
goes to a file; stderr is read line by line as it comes (Python's stderr is line-buffered), so
progress and estimate lines can be timed against the sandbox's request log.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Measured:
    argv: tuple[str, ...]
    started: float  # time.time() just before the process was started
    ended: float
    exit_code: int | None  # None: killed at the timeout
    cpu: float  # user + system seconds of the child
    peak_rss_mib: float
    stderr: tuple[tuple[float, str], ...]  # (arrival time, line)

    @property
    def wall(self) -> float:
        return self.ended - self.started

    def max_silence(self) -> float:
        """The longest stretch without a stderr line, from start to exit."""
        moments = [self.started, *(at for at, _ in self.stderr), self.ended]
        return max(b - a for a, b in itertools.pairwise(moments))

    def as_dict(self) -> dict[str, Any]:
        return {
            "exit_code": self.exit_code,
            "wall": round(self.wall, 2),
            "cpu": round(self.cpu, 2),
            "peak_rss_mib": round(self.peak_rss_mib, 1),
            "stderr_lines": len(self.stderr),
            "max_stderr_silence": round(self.max_silence(), 2),
        }


def run(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    stdout: Path,
    stderr_log: Path,
    timeout: float,
) -> Measured:
    """Run `argv` to its end (or kill it at `timeout`); stderr is also written, timestamped,
    to `stderr_log`."""
    lines: list[tuple[float, str]] = []
    with stdout.open("wb") as out:
        started = time.time()
        child = subprocess.Popen(
            list(argv), cwd=cwd, env=dict(env), stdout=out, stderr=subprocess.PIPE
        )
        assert child.stderr is not None
        reader = threading.Thread(target=_read_lines, args=(child.stderr, lines), daemon=True)
        reader.start()
        killer = threading.Timer(timeout, _kill, args=(child.pid,))
        killer.start()
        try:
            _, status, usage = os.wait4(child.pid, 0)
        finally:
            killer.cancel()
        ended = time.time()
        child.returncode = os.waitstatus_to_exitcode(status)  # Popen must not wait again
        reader.join(timeout=10)
    killed = os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    with stderr_log.open("w", encoding="utf-8") as log:
        for at, line in lines:
            log.write(f"{at - started:9.3f} {line}\n")
    return Measured(
        argv=tuple(argv),
        started=started,
        ended=ended,
        exit_code=None if killed else child.returncode,
        cpu=usage.ru_utime + usage.ru_stime,
        peak_rss_mib=usage.ru_maxrss / 1024,
        stderr=tuple(lines),
    )


def _read_lines(stream: Any, lines: list[tuple[float, str]]) -> None:
    for raw in iter(stream.readline, b""):
        lines.append((time.time(), raw.decode("utf-8", "replace").rstrip("\n")))


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
