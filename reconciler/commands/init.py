"""`reconciler init [--dir DIR] [--ci gitlab|github|none]`: write a new manifests repository (a
first manifest, the CI file, the pre-commit configuration, a .gitignore and a README), refusing
to overwrite anything."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

from reconciler import __version__
from reconciler.core.platforms import PLATFORMS
from reconciler.errors import ConfigError
from reconciler.scaffold import CI_CHOICES, DEFAULT_SOURCE, Choices, scaffold

# owner/name as the manifest language takes it (the schema's pattern; `validate` checks it too).
_ID = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "init",
        help="write a new manifests repository in the current folder",
        description="Write a new manifests repository: a commented first manifest, the CI "
        "file, the pre-commit configuration, a .gitignore and a README with the variables to "
        "set. Nothing is overwritten: if any of the files exists, nothing is written.",
    )
    parser.add_argument(
        "--dir", type=Path, default=Path("."), help="write there (default: the current folder)"
    )
    parser.add_argument(
        "--ci",
        choices=CI_CHOICES,
        default="gitlab",
        help="the pipeline: the GitLab component (default), the GitHub workflow, or none",
    )
    parser.add_argument(
        "--project",
        default="my-lab/my-project",
        metavar="OWNER/PROJECT",
        help="the project the first manifest exports from (default: my-lab/my-project)",
    )
    parser.add_argument(
        "--volume",
        default="my-lab/my-volume",
        metavar="OWNER/VOLUME",
        help="the volume it exports to (default: my-lab/my-volume)",
    )
    parser.add_argument(
        "--platform", choices=tuple(PLATFORMS), default="aws-us", help="default: aws-us"
    )
    parser.add_argument(
        "--source",
        default=DEFAULT_SOURCE,
        metavar="URL",
        help="the git URL your organisation installs reconciler from (in the CI file and the "
        f"pre-commit configuration; default: {DEFAULT_SOURCE})",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    for option, value in (("--project", args.project), ("--volume", args.volume)):
        if not _ID.match(value):
            raise ConfigError(f"{option} {value!r}: expected OWNER/NAME, e.g. my-lab/rna-seq")
    choices = Choices(
        ci=args.ci,
        project=args.project,
        volume=args.volume,
        platform=args.platform,
        source=args.source,
        version=f"v{__version__}",
    )
    root: Path = args.dir
    if root.exists() and not root.is_dir():
        raise ConfigError(f"{root}: not a folder")
    files = scaffold(choices)
    present = [path for path in files if (root / path).exists() or (root / path).is_symlink()]
    if present:
        raise ConfigError(
            f"{root / present[0]}: already exists; reconciler init writes only new files, and "
            f"wrote nothing ({len(present)} of its {len(files)} files are there already)"
        )
    written: list[Path] = []
    try:
        for relative, text in files.items():
            target = root / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open("x", encoding="utf-8") as out:  # never over a file that appeared
                out.write(text)
            written.append(target)
    except OSError as exc:
        for target in written:  # nothing half-written
            target.unlink(missing_ok=True)
        raise ConfigError(f"{exc.filename}: cannot write: {exc.strerror}") from None
    for target in written:
        print(f"wrote {target}")
    print(
        f"next: edit {root / 'manifests/first-export.yaml'}, run `reconciler validate`, and set "
        f"the variables listed in {root / 'README.md'}",
        file=sys.stderr,
    )
    return 0
