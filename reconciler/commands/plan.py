"""`reconciler plan` (placeholder until its issue lands)."""

from __future__ import annotations

import argparse
from typing import Any

from reconciler.errors import ConfigError


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("plan", help="(not yet available)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    raise ConfigError("'reconciler plan' is not available yet")
