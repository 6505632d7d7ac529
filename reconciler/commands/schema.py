"""`reconciler schema [--out FILE]`: print or write the manifest JSON schema."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from reconciler.errors import ConfigError
from reconciler.manifest.schema import schema_text


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "schema",
        help="print the manifest JSON schema (for editors)",
        description="Print the JSON schema of manifests, generated from the models; the "
        "repository keeps it in schemas/manifest.schema.json.",
    )
    parser.add_argument("--out", type=Path, help="write to this file instead of stdout")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    text = schema_text()
    if args.out is None:
        sys.stdout.write(text)
        return 0
    try:
        args.out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{args.out}: cannot write the schema: {exc.strerror}") from exc
    print(f"wrote {args.out}", file=sys.stderr)
    return 0
