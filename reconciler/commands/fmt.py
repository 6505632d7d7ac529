"""`reconciler fmt [--check] [PATH...]`: rewrite manifests in the canonical layout.

Manifests are validated first: with any problem nothing is written and the problems are
reported. `--check` writes nothing and exits 1 naming the files that would change.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from reconciler.commands import options
from reconciler.manifest.fmt import format_text
from reconciler.manifest.load import DEFAULT_PATH, load_manifests


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "fmt",
        help="rewrite manifests in the canonical layout (comments kept)",
        description="Rewrite manifests in the canonical layout: 2-space indent, keys in the "
        "order of the reference, block style; comments are kept.",
    )
    options.add_manifest_paths(parser)
    parser.add_argument(
        "--check", action="store_true", help="change nothing; exit 1 if any file would change"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    loaded = load_manifests(args.paths or [DEFAULT_PATH])
    changed = []
    for manifest in loaded.manifests:
        path = Path(manifest.path)
        text = path.read_text(encoding="utf-8-sig")
        formatted = format_text(text)
        if formatted == text:
            continue
        changed.append(path)
        if not args.check:
            path.write_text(formatted, encoding="utf-8")
    for path in changed:
        print(path)
    if args.check and changed:
        count = len(changed)
        print(
            f"error: {count} manifest{'s' if count != 1 else ''} not formatted: "
            "run `reconciler fmt`",
            file=sys.stderr,
        )
        return 1
    return 0
