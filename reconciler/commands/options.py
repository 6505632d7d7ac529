"""Command-line options that several commands share, defined once so they read the same."""

from __future__ import annotations

import argparse
import dataclasses
import re
import sys
from collections.abc import Callable

from reconciler.api.config import DEFAULT_MAINTENANCE_WAIT, ConnectOptions
from reconciler.api.trust import TRUSTED_ENDPOINTS_VARIABLE as TRUSTED_VARIABLE
from reconciler.apply.progress import is_interactive
from reconciler.commands import runtime as runtimes
from reconciler.commands import time_limit
from reconciler.live.progress import ReadWatch
from reconciler.manifest.load import DEFAULT_PATH
from reconciler.manifest.models import DISCOVERIES, ManifestSet
from reconciler.redact import redact
from reconciler.usecases import plan as planning
from reconciler.usecases.plan import PIN_VARIABLE

_DURATION = re.compile(r"(?P<number>\d+(?:\.\d*)?|\.\d+)\s*(?P<unit>ms|s|m|min|h)?")
_SECONDS_PER = {"ms": 0.001, "s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0}


def add_manifest_paths(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths", nargs="*", metavar="PATH", help=f"manifests or folders (default: {DEFAULT_PATH}/)"
    )


def add_target(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--target",
        action="append",
        default=[],
        metavar="FILE|LABEL",
        help="only these manifests (a file, or a label they declare); repeatable",
    )


def add_connection(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--profile", help="credentials profile in ~/.sevenbridges/credentials (or SB_PROFILE)"
    )
    parser.add_argument(
        "--ca-bundle", metavar="FILE", help="CA certificates to trust (a private TLS CA)"
    )


def add_platforms(parser: argparse.ArgumentParser) -> None:
    """The endpoints a run trusts besides the operator's pairs, and the platform it is pinned
    to (see `api/trust.py` and `check_pin` in `usecases/plan.py`)."""
    parser.add_argument(
        "--trust-endpoint",
        action="append",
        default=[],
        metavar="URL",
        help="trust this endpoint URL when a manifest names it as its platform (with "
        f"SB_AUTH_TOKEN or the chosen profile's token); repeatable; also {TRUSTED_VARIABLE}",
    )
    parser.add_argument(
        "--platform",
        metavar="PLATFORM",
        help="pin the run to this platform (a short name or URL): a manifest for another "
        f"fails before any connection (or {PIN_VARIABLE})",
    )


def pin(args: argparse.Namespace) -> str | None:
    """The pinned platform: `--platform`, else `RECONCILER_PLATFORM`."""
    return args.platform or runtimes.of(args).environ.get(PIN_VARIABLE) or None


def duration(text: str) -> float:
    """A duration flag's value in seconds: `200ms`, `0.2s`, `5m`, `1h`; a bare number is seconds."""
    match = _DURATION.fullmatch(text.strip())
    if match is None:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a duration: give seconds (0.2) or a number with a unit "
            "(200ms, 0.2s, 5m, 1h)"
        )
    return float(match["number"]) * _SECONDS_PER[match["unit"] or "s"]


def add_time_limit(parser: argparse.ArgumentParser) -> None:
    margin = time_limit.clock_text(time_limit.CI_MARGIN_SECONDS)
    parser.add_argument(
        "--time-limit",
        type=duration,
        metavar="DURATION",
        help="stop the whole run after this long, as Ctrl-C would (e.g. 90m, 2h; 0: no limit; "
        f"default: a day, or in GitLab CI the job's timeout less {margin})",
    )


def add_discovery(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--discovery",
        choices=DISCOVERIES,
        help="how every glob's files are found, whatever the manifests say: list (folder by "
        "folder, one request a folder; the manifests' default) or search (the platform's "
        "file search: about two requests per 100 files; may miss a file uploaded moments ago)",
    )


def warn(message: str) -> None:
    """A warning on stderr, secrets redacted."""
    print(f"warning: {redact(message)}", file=sys.stderr)


def load(args: argparse.Namespace, *, rules: bool = True) -> ManifestSet:
    """The manifests of `args` (paths, `--target`), their warnings (look-alike destinations)
    shown: `plan` and `apply` alike, so an apply without a plan warns as its plan would.
    `rules=False`: the digest and headers only, for `apply --plan`."""
    manifests = planning.load(args.paths, target=args.target, rules=rules)
    for warning in manifests.warnings:
        warn(str(warning))
    return manifests


def connect(
    manifests: ManifestSet,
    args: argparse.Namespace,
    *,
    warn: Callable[[str], None] = warn,
    maintenance_wait: float = DEFAULT_MAINTENANCE_WAIT,
) -> planning.Connections:
    """A client per platform of `manifests`, as the connection options of `args` and the
    runtime (timeouts, retry policy, environment) say."""
    runtime = runtimes.of(args)
    chosen = ConnectOptions(
        profile=args.profile,
        ca_bundle=args.ca_bundle,
        trusted=args.trust_endpoint,
        env=runtime.environ,
        connect_timeout=runtime.connect_timeout,
        read_timeout=runtime.read_timeout,
        maintenance_wait=maintenance_wait,
    )
    connections = planning.connect(manifests, chosen, pin=pin(args), warn=warn, retry=runtime.retry)
    several = len(connections) > 1

    def watch(platform: str) -> Callable[[], ReadWatch]:
        # Two redrawn lines cannot share one terminal line: side by side, each writes lines.
        return lambda: ReadWatch(
            sys.stderr,
            warn=warn,
            interactive=is_interactive(sys.stderr) and not several,
            label=platform if several else "",
        )

    return planning.Connections(
        dataclasses.replace(c, discovery=args.discovery, watch=watch(c.platform))
        for c in connections
    )
