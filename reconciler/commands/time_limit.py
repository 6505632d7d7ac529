"""The whole run's time limit, and a stop asked by the system (SIGTERM), as Ctrl-C stops a run.

Every wait inside a run has its own bound, but waits add up: a plan that reads a million files
under the rate limit, or an apply whose jobs run for hours, may outlast the CI job around it,
which is then killed and writes no report. `--time-limit` bounds the whole run: when it passes,
the main thread is interrupted exactly as Ctrl-C would (an apply stops sending, says which jobs
go on without it, and the next apply picks them up) and the run ends with one line, exit 1.

Without the flag the limit is a day, or, in a GitLab job, the job's own timeout
(`CI_JOB_TIMEOUT`, seconds) less a margin, so that the run stops itself and reports before the
runner kills it. A runner that stops a job sends SIGTERM first: it is taken as Ctrl-C too.
Each of the three also tells the other threads to stop (`core/stopping.py`), so that the run
ends after the calls in flight, not after their retries and waits.
"""

from __future__ import annotations

import _thread
import contextlib
import signal
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from types import FrameType

from reconciler.core import stopping

DEFAULT_SECONDS = 24 * 3600.0
CI_JOB_TIMEOUT_VARIABLE = "CI_JOB_TIMEOUT"
# Time left after the limit for the interrupted run to report before the runner kills the job.
CI_MARGIN_SECONDS = 120.0


@dataclass(frozen=True, slots=True)
class Limit:
    seconds: float
    origin: str  # how it was chosen, said when it is reached

    def describe(self) -> str:
        return f"{clock_text(self.seconds)} ({self.origin})"


def clock_text(seconds: float) -> str:
    whole = round(seconds)
    if whole < 60:
        return f"{seconds:g}s"
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m" + (f"{secs:02d}s" if secs else "")
    return f"{minutes}m{secs:02d}s"


def chosen(given: float | None, environ: Mapping[str, str]) -> Limit | None:
    """The run's limit: `--time-limit` (`options.add_time_limit`), else the CI job's timeout
    less the margin, else a day. None: no limit (`--time-limit 0`)."""
    if given is not None:
        return Limit(given, "--time-limit") if given > 0 else None
    job = _seconds(environ.get(CI_JOB_TIMEOUT_VARIABLE))
    if job is not None and job > 2 * CI_MARGIN_SECONDS:
        return Limit(
            job - CI_MARGIN_SECONDS,
            f"the CI job's timeout less {clock_text(CI_MARGIN_SECONDS)}; --time-limit sets it",
        )
    return Limit(DEFAULT_SECONDS, "the default; --time-limit sets it")


def _seconds(text: str | None) -> float | None:
    try:
        return float(text) if text else None
    except ValueError:
        return None


class Stop:
    """Why a run was interrupted other than by Ctrl-C: None, "time limit" or "terminated"."""

    def __init__(self, interrupt_main: Callable[[], None]) -> None:
        self.reason: str | None = None
        self._interrupt_main = interrupt_main
        self._lock = threading.Lock()
        self._armed = True

    def interrupt(self, reason: str) -> None:
        """Interrupt the main thread once, unless the run is already over."""
        with self._lock:
            if not self._armed or self.reason is not None:
                return
            self.reason = reason
            stopping.request()
            self._interrupt_main()

    def disarm(self) -> None:
        with self._lock:
            self._armed = False


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    stopping.request()
    raise KeyboardInterrupt


@contextlib.contextmanager
def watched(limit: Limit | None) -> Iterator[Stop]:
    """Run the body under `limit`, with SIGTERM taken as Ctrl-C. Only a run in the main thread
    is watched (signal handlers are the main thread's): a run driven from another thread, as by
    a test, keeps the process's handlers and has no limit."""
    if threading.current_thread() is not threading.main_thread():
        yield Stop(lambda: None)
        return
    main = threading.main_thread().ident
    # The limit is a real signal sent to the main thread, so that a wait blocked in a system
    # call wakes up (a simulated one, `_thread.interrupt_main`, is seen only once the wait ends
    # by itself); its own signal, as SIGINT may be ignored by a job started in the background.
    if hasattr(signal, "pthread_kill") and hasattr(signal, "SIGALRM") and main is not None:
        wake_signal = signal.SIGALRM
        stop = Stop(lambda: signal.pthread_kill(main, wake_signal))
        previous_wake = signal.signal(wake_signal, _raise_interrupt)
    else:  # Windows: no signals between threads; the simulated Ctrl-C is the only way in
        wake_signal = None
        stop = Stop(_thread.interrupt_main)
        previous_wake = None

    def terminated(signum: int, frame: FrameType | None) -> None:
        stop.reason = stop.reason or "terminated"
        stopping.request()
        raise KeyboardInterrupt

    stopping.clear()
    previous_term = signal.signal(signal.SIGTERM, terminated)
    # Ctrl-C as Python takes it, and the worker threads told to stop; left alone when ignored
    # (a job started in the background) or handled by someone else.
    previous_int = signal.getsignal(signal.SIGINT)
    if previous_int is signal.default_int_handler:
        signal.signal(signal.SIGINT, _raise_interrupt)
    timer = None
    if limit is not None:
        timer = threading.Timer(limit.seconds, stop.interrupt, args=("time limit",))
        timer.daemon = True
        timer.start()
    try:
        yield stop
    finally:
        stop.disarm()
        if timer is not None:
            timer.cancel()
        signal.signal(signal.SIGTERM, previous_term)
        if previous_int is signal.default_int_handler:
            signal.signal(signal.SIGINT, previous_int)
        # `stopping` stays set: worker threads may outlive the main thread's unwinding (the
        # interpreter joins them at exit), and must not start retrying once it has returned.
        if wake_signal is not None:
            signal.signal(wake_signal, previous_wake)
