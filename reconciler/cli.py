"""The command line: parse arguments, dispatch to one module per subcommand, and own the single
top-level error handler and its exit codes:

    0    success (for `plan`, no change pending; for `apply`, converged)
    1    an error we expect and explain in one line (a manifest, the endpoint, a guard, the
         run's time limit...), a plan with blocked items, or an apply that did not converge
    2    a usage error (argparse); `plan --detailed-exitcode` with changes pending
    3    an internal error: a bug; one line names a redacted traceback file (`-v` prints it)
    130  interrupted (Ctrl-C)
    143  terminated (SIGTERM, what a CI runner sends a job it stops): stopped as Ctrl-C would

Results go to stdout; diagnostics and progress go to stderr, in every command. `main` takes
the runtime (`commands/runtime.py`: clock, sleep, engine settings, retry policy, environment,
the prompt) and hands it to the command as `args.runtime`.
"""

from __future__ import annotations

import argparse
import difflib
import importlib
import sys
from argparse import Namespace
from collections.abc import Callable, Sequence

from reconciler import __version__
from reconciler.commands import crash, time_limit
from reconciler.commands.runtime import Runtime
from reconciler.errors import ManifestError, ReconcilerError
from reconciler.redact import configure_logging, redact

# One module per subcommand under reconciler/commands/, each with `register(subparsers)`.
COMMANDS = (
    "validate",
    "fmt",
    "schema",
    "plan",
    "show",
    "apply",
    "sandbox",
    "demo",
    "history",
    "gitlab_note",
    "gitlab_reviewed_plan",
    "gitlab_report",
    "github_comment",
    "github_reviewed_plan",
    "github_drift_issue",
    "import_",
    "init",
)

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_INTERNAL = 3  # a bug: distinct from 1, so a pipeline can tell "fix the input" from "report it"
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143  # 128 + SIGTERM, as a shell reports it
VERBOSE = "debug logs on stderr (secrets redacted)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="reconciler",
        description="Declare in git which Seven Bridges project files live at which volume "
        "locations; plan and apply the bulk exports that make it so.",
    )
    parser.add_argument("--version", action="version", version=f"reconciler {__version__}")
    # Before the command as well as after it: `reconciler -v plan` and `reconciler plan -v`.
    parser.add_argument("-v", "--verbose", action="store_true", dest="verbose_first", help=VERBOSE)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        module = importlib.import_module(f"reconciler.commands.{name}")
        module.register(subparsers)
    for command_parser in subparsers.choices.values():
        if "--verbose" in command_parser._option_string_actions:
            continue  # the command defines its own (the sandbox: log every request)
        command_parser.add_argument("-v", "--verbose", action="store_true", help=VERBOSE)
    return parser


def parse_arguments(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> Namespace:
    """Parse, with a command's own usage on its usage errors (argparse leaves options a command
    does not know to the top level, which would print the top-level usage)."""
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        command_parser = _command_parsers(parser)[args.command]
        command_parser.error(_unrecognized(command_parser, unknown))
    args.verbose = args.verbose or args.verbose_first
    return args


def _command_parsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def _unrecognized(command_parser: argparse.ArgumentParser, unknown: Sequence[str]) -> str:
    message = f"unrecognized arguments: {' '.join(unknown)}"
    options = list(command_parser._option_string_actions)
    guesses = [
        guess
        for given in unknown
        if given.startswith("--")
        for guess in difflib.get_close_matches(given.partition("=")[0], options, n=1)
    ]
    return message + (f" (did you mean {' or '.join(guesses)}?)" if guesses else "")


def main(argv: Sequence[str] | None = None, *, runtime: Runtime | None = None) -> int:
    args = parse_arguments(build_parser(), argv)
    args.runtime = runtime or Runtime()
    args.argv = list(sys.argv[1:] if argv is None else argv)
    configure_logging(verbose=args.verbose)
    return dispatch(args.func, args)


def dispatch(command: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """Run one command under the single top-level handler, within its time limit."""
    limit = None
    if hasattr(args, "time_limit"):
        environ = args.runtime.environ if isinstance(args.runtime, Runtime) else {}
        limit = time_limit.chosen(args.time_limit, environ)
    stop = None
    try:
        with time_limit.watched(limit) as stop:
            return int(command(args))
    except ManifestError as exc:
        for diagnostic in exc.diagnostics:
            print(redact(str(diagnostic)), file=sys.stderr)
        count = len(exc.diagnostics)
        print(f"error: {count} problem{'s' if count != 1 else ''} found", file=sys.stderr)
        return EXIT_ERROR
    except ReconcilerError as exc:
        print(f"error: {redact(str(exc))}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        reason = stop.reason if stop is not None else None
        if reason == "time limit" and limit is not None:
            print(f"error: stopped at the run's time limit, {limit.describe()}", file=sys.stderr)
            return EXIT_ERROR
        if reason == "terminated":
            print("terminated (SIGTERM): stopped as Ctrl-C would", file=sys.stderr)
            return EXIT_TERMINATED
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_ERROR
    except Exception as exc:
        return _internal_error(exc, args)


def _internal_error(exc: Exception, args: argparse.Namespace) -> int:
    """A bug: one line with the report's path (and, with -v, the redacted traceback)."""
    if getattr(args, "verbose", False):
        print(crash.traceback_text(exc), end="", file=sys.stderr)
    name = type(exc).__name__
    try:
        where = f"details in {crash.write_report(exc, getattr(args, 'argv', crash.arguments()))}"
    except OSError as error:  # a full disk or no temporary folder: the line still goes out
        where = f"no traceback file ({error.strerror or type(error).__name__})"
    print(
        f"internal error (a bug in reconciler {__version__}, please report it): "
        f"{name}: {redact(' '.join(str(exc).split()))}; {where}",
        file=sys.stderr,
    )
    return EXIT_INTERNAL
