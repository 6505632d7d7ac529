"""`reconciler schema` (placeholder until its issue lands)."""

from __future__ import annotations

import argparse
from typing import Any

from reconciler.errors import ConfigError


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("schema", help="(not yet available)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    raise ConfigError("'reconciler schema' is not available yet")
