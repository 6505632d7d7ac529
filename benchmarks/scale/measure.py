"""One command in a process of its own, measured from outside: wall time, CPU, peak RSS and
every stderr line with the moment it arrived.

Peak RSS and CPU come from `os.wait4` on that one command (`ru_maxrss`), so nothing else the
runner started (the sandbox, the seeding) is counted, and the command needs no change. The
command is started by a small launcher (`LAUNCHER`), not by the runner itself: on Linux a
process's peak RSS starts from the peak of the process it was forked from (exec keeps the
old image's high-water mark), so a command forked straight from a runner that had built a
world of a million files in memory reported the runner's 830 MiB as its own. Through the
launcher the floor is the launcher's own peak, about 14 MiB. stdout
goes to a file; stderr is read line by line as it comes (Python's stderr is line-buffered), so
progress and estimate lines can be timed against the sandbox's request log.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
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


# argv: the usage file, then the command. Writes the command's wait status and rusage as JSON;
# SIGTERM (the runner's timeout) kills the command and still writes them.
LAUNCHER = """
import json, os, signal, subprocess, sys
child = subprocess.Popen(sys.argv[2:])
signal.signal(signal.SIGTERM, lambda *_: child.kill())
while True:
    try:
        _, status, usage = os.wait4(child.pid, 0)
        break
    except InterruptedError:
        continue
cpu = usage.ru_utime + usage.ru_stime
with open(sys.argv[1], "w") as out:
    json.dump({"status": status, "maxrss_kib": usage.ru_maxrss, "cpu": cpu}, out)
"""


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
    usage_file = stderr_log.with_suffix(".usage.json")
    usage_file.unlink(missing_ok=True)
    with stdout.open("wb") as out:
        started = time.time()
        launcher = subprocess.Popen(
            [sys.executable, "-c", LAUNCHER, str(usage_file), *argv],
            cwd=cwd,
            env=dict(env),
            stdout=out,
            stderr=subprocess.PIPE,
        )
        assert launcher.stderr is not None
        reader = threading.Thread(target=_read_lines, args=(launcher.stderr, lines), daemon=True)
        reader.start()
        try:
            launcher.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            launcher.terminate()
            launcher.wait()
        ended = time.time()
        reader.join(timeout=10)
    usage = json.loads(usage_file.read_text(encoding="utf-8"))
    status = usage["status"]
    killed = os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    with stderr_log.open("w", encoding="utf-8") as log:
        for at, line in lines:
            log.write(f"{at - started:9.3f} {line}\n")
    return Measured(
        argv=tuple(argv),
        started=started,
        ended=ended,
        exit_code=None if killed else os.waitstatus_to_exitcode(status),
        cpu=usage["cpu"],
        peak_rss_mib=usage["maxrss_kib"] / 1024,
        stderr=tuple(lines),
    )


def _read_lines(stream: Any, lines: list[tuple[float, str]]) -> None:
    for raw in iter(stream.readline, b""):
        lines.append((time.time(), raw.decode("utf-8", "replace").rstrip("\n")))
