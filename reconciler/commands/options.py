"""Command-line options that several commands share, defined once so they read the same."""

from __future__ import annotations

import argparse
import os

from reconciler.api.trust import TRUSTED_ENDPOINTS_VARIABLE as TRUSTED_VARIABLE
from reconciler.manifest.load import DEFAULT_PATH
from reconciler.pipeline import PIN_VARIABLE


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
    to (see `api/trust.py` and `pipeline.check_pin`)."""
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
    return args.platform or os.environ.get(PIN_VARIABLE) or None
