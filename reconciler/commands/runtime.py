"""The runtime: what a run takes from the world beyond its arguments, passed in at one seam.

`cli.main(argv, runtime=...)` hands one `Runtime` to the command it runs (as `args.runtime`):
the clock and sleep the engine waits with, the engine's settings (`--wait-timeout` replaces
their wait), the retry policy of every client, the network timeouts, the environment the
connections and the receipt read, and how a person is asked to confirm. The defaults are the
real ones; a test builds a runtime instead of patching module globals.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TextIO

from reconciler.api.config import DEFAULT_CONNECT_TIMEOUT, DEFAULT_READ_TIMEOUT
from reconciler.api.retry import RetryPolicy
from reconciler.apply.settings import EngineSettings


def ask_terminal(out: TextIO) -> bool:
    """The confirmation prompt: only 'yes' on standard input confirms."""
    out.write("Apply these exports? Only 'yes' will be accepted: ")
    out.flush()
    try:
        answer = sys.stdin.readline()
    except (OSError, ValueError):
        return False
    return answer.strip() == "yes"


@dataclass(frozen=True, slots=True)
class Runtime:
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    engine: EngineSettings = field(default_factory=EngineSettings)
    # None: each client's default policy; else this one, with the run's maintenance wait.
    retry: RetryPolicy | None = None
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    read_timeout: float = DEFAULT_READ_TIMEOUT
    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)
    ask: Callable[[TextIO], bool] = ask_terminal


def of(args: argparse.Namespace) -> Runtime:
    """The runtime `cli.main` gave the command (the default one when it was called otherwise)."""
    runtime = getattr(args, "runtime", None)
    return runtime if isinstance(runtime, Runtime) else Runtime()
