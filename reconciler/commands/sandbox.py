"""`reconciler sandbox`: serve a local Seven Bridges API sandbox on loopback until interrupted.

Once listening it prints `export SB_API_ENDPOINT=...` and `export SB_AUTH_TOKEN=...` on stdout
(so `eval "$(reconciler sandbox ...)"`-style wrappers and every client find it); logs go to
stderr. The fault flags set the same settings as `POST /_sandbox/config`.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import shlex
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from reconciler.api.trust import is_loopback
from reconciler.commands.options import duration
from reconciler.errors import ConfigError
from reconciler.sandbox.errors import SandboxError
from reconciler.sandbox.faults import Settings
from reconciler.sandbox.server import start

DEFAULT_DATA = ".sandbox"
DEFAULTS = Settings()


def _seconds(value: float) -> str:
    return f"{value:g}s"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "sandbox",
        help="serve a local Seven Bridges API sandbox on loopback",
        description="Serve a local, faithful Seven Bridges API v2 sandbox. With no --seed and "
        "an empty data folder it loads the bundled demo seed.",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: %(default)s)"
    )
    parser.add_argument(
        "--port", type=int, default=0, help="port (default: %(default)s, any free port)"
    )
    parser.add_argument(
        "--data",
        type=Path,
        default=Path(DEFAULT_DATA),
        metavar="DIR",
        help="state folder (default: %(default)s)",
    )
    parser.add_argument(
        "--seed",
        type=Path,
        metavar="FILE",
        help="seed file (YAML) for an empty data folder (default: the bundled demo seed)",
    )
    parser.add_argument("--reset", action="store_true", help="drop existing state first")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every request")
    faults = parser.add_argument_group(
        "faults and pacing (also at /_sandbox/config)",
        "A DURATION is a number with a unit, 200ms, 0.2s, 5m or 1h; a bare number is seconds.",
    )
    faults.add_argument(
        "--job-pace",
        type=duration,
        metavar="DURATION",
        help=f"from a job's creation to its end (default: {_seconds(DEFAULTS.job_pace)})",
    )
    faults.add_argument(
        "--latency",
        type=duration,
        metavar="DURATION",
        help="added to every API request, e.g. 200ms; a bare number is seconds "
        f"(default: {_seconds(DEFAULTS.latency)})",
    )
    faults.add_argument(
        "--search-lag",
        type=duration,
        metavar="DURATION",
        help="files added to the running sandbox are missing from POST /v2/files/search for "
        f"this long, as from a lagging index (default: {_seconds(DEFAULTS.search_lag)})",
    )
    faults.add_argument(
        "--read-error-rate",
        type=float,
        metavar="SHARE",
        help=f"share of reads answered 500, 0 to 1 (default: {DEFAULTS.read_error_rate:g})",
    )
    faults.add_argument(
        "--write-error-rate",
        type=float,
        metavar="SHARE",
        help=f"share of writes answered 500, 0 to 1 (default: {DEFAULTS.write_error_rate:g})",
    )
    faults.add_argument(
        "--maintenance", action="store_true", default=None, help="answer 503 (default: off)"
    )
    faults.add_argument(
        "--lose-responses",
        type=int,
        metavar="N",
        help="drop the response of the next N bulk creates after committing them "
        f"(default: {DEFAULTS.lose_responses})",
    )
    faults.add_argument(
        "--fail-file",
        action="append",
        dest="fail_files",
        metavar="FILE_ID",
        help="jobs of this file fail after acceptance (repeatable; default: none)",
    )
    faults.add_argument(
        "--rate-limit",
        type=int,
        metavar="N",
        help=f"requests per window per token (default: {DEFAULTS.rate_limit})",
    )
    faults.add_argument(
        "--rate-window",
        type=duration,
        metavar="DURATION",
        help=f"the rate limit's window (default: {_seconds(DEFAULTS.rate_window)})",
    )
    faults.add_argument(
        "--random-seed",
        type=int,
        metavar="N",
        help="make injected faults deterministic (default: a random seed)",
    )
    parser.set_defaults(func=run)


# Every setting has its flag, of the same name (`fail_files`: `--fail-file`, repeatable).
SETTINGS = tuple(f.name for f in dataclasses.fields(Settings))


def settings_from(args: argparse.Namespace) -> dict[str, Any]:
    """The fault and pacing settings the flags set; the others keep the sandbox's defaults."""
    return {name: getattr(args, name) for name in SETTINGS if getattr(args, name) is not None}


def run(args: argparse.Namespace) -> int:
    # The sandbox logs on its own logger, apart from the client side's (configured by cli.py),
    # to the stderr of this command; the logger is put back as it was when the command ends, so
    # a handler never outlives the stream it writes to (an in-process caller's stderr).
    log_handler = logging.StreamHandler(sys.stderr)
    log_handler.setFormatter(logging.Formatter("%(asctime)s sandbox %(levelname)s %(message)s"))
    sandbox_log = logging.getLogger("reconciler.sandbox")
    was = (sandbox_log.handlers[:], sandbox_log.level, sandbox_log.propagate)
    sandbox_log.handlers[:] = [log_handler]
    sandbox_log.setLevel(logging.DEBUG if args.verbose else logging.INFO)
    sandbox_log.propagate = False
    try:
        return _serve(args)
    finally:
        sandbox_log.handlers[:], level, sandbox_log.propagate = was
        sandbox_log.setLevel(level)


def _serve(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    if not is_loopback(args.host):
        print(
            f"warning: --host {args.host} is not a loopback address: the sandbox is then "
            "reachable from the network, and its printed token is no secret",
            file=sys.stderr,
            flush=True,
        )
    try:
        sandbox = start(
            args.data, seed=args.seed, reset=args.reset, host=args.host, port=args.port, **settings
        )
    except SandboxError as exc:
        raise ConfigError(str(exc)) from exc
    stopping = threading.Event()
    previous = {
        signum: signal.signal(signum, lambda *_: stopping.set())
        for signum in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        print(f"export SB_API_ENDPOINT={shlex.quote(sandbox.url)}", flush=True)
        print(f"export SB_AUTH_TOKEN={shlex.quote(sandbox.token)}", flush=True)
        stopping.wait()
    finally:
        sandbox.stop()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 0
