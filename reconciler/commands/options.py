"""Command-line options that several commands share, defined once so they read the same."""

from __future__ import annotations

import argparse

from reconciler.manifest.load import DEFAULT_PATH


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
