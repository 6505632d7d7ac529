"""`reconciler import --project P --volume V`: write a manifest that declares the aliases a
project already has on a volume, so a team can adopt what it exported by hand."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from reconciler.api.client import ApiClient
from reconciler.api.config import ConnectOptions, resolve_config
from reconciler.commands import options
from reconciler.core.platforms import PLATFORMS
from reconciler.errors import ConfigError
from reconciler.gitops.adopt import find_aliases, render_manifest


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "import",
        help="write a manifest declaring the aliases that already exist on a volume",
        description="Find the files of a project whose bytes already live on a volume "
        "(aliases, from earlier exports) and write a commented manifest that declares them, "
        "so that planning it right after shows everything in sync.",
    )
    parser.add_argument("--project", required=True, metavar="OWNER/PROJECT")
    parser.add_argument("--volume", required=True, metavar="OWNER/VOLUME")
    parser.add_argument("--out", metavar="FILE", help="write here (refuses to overwrite)")
    parser.add_argument(
        "--by",
        choices=("file", "path"),
        default="file",
        help="declare each file by ID (default: pinned, survives renames) or by path",
    )
    parser.add_argument(
        "--platform",
        choices=tuple(PLATFORMS),
        help="the platform, written into the manifest and used for the endpoint and token",
    )
    options.add_connection(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    out = Path(args.out) if args.out else None
    if out is not None and out.exists():
        raise ConfigError(f"{out}: already exists; choose another --out or remove it")
    chosen = ConnectOptions(profile=args.profile, ca_bundle=args.ca_bundle)
    config = resolve_config(args.platform, chosen)
    with ApiClient(config) as client:
        aliases = find_aliases(client, project=args.project, volume=args.volume)
    text = render_manifest(
        aliases, project=args.project, volume=args.volume, platform=args.platform, by=args.by
    )
    if out is None:
        print(text, end="")
    else:
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"{out}: cannot write: {exc.strerror}") from None
    count = len(aliases)
    print(
        f"{args.project}: {count} alias{'es' if count != 1 else ''} on {args.volume}"
        + (f" declared in {out}" if out else ""),
        file=sys.stderr,
    )
    return 0
