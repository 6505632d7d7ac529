"""Command-line options that several commands share, defined once so they read the same."""

from __future__ import annotations

import argparse
import re

from reconciler.manifest.load import DEFAULT_PATH

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


def duration(text: str) -> float:
    """A duration flag's value in seconds: `200ms`, `0.2s`, `5m`, `1h`; a bare number is seconds."""
    match = _DURATION.fullmatch(text.strip())
    if match is None:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a duration: give seconds (0.2) or a number with a unit "
            "(200ms, 0.2s, 5m, 1h)"
        )
    return float(match["number"]) * _SECONDS_PER[match["unit"] or "s"]
