"""`reconciler validate [PATH...]`: load and check manifests offline; exit 0 when valid.

The summary (or, with `--format json|codequality`, the report) goes to stdout; diagnostics in
text form go to stderr through the top-level handler. A report is always a valid one: when the
manifests cannot be read at all (no `manifests/`), it is `[]` and the error goes to stderr, so
GitLab's report parser never sees an empty file. `--format github` writes the diagnostics (and
warnings) to stdout as GitHub Actions annotations (workflow commands), then the text summary.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from reconciler.commands import options
from reconciler.errors import Diagnostic, ManifestError, ReconcilerError
from reconciler.manifest.load import DEFAULT_PATH, load_manifests
from reconciler.manifest.report import code_quality_json, diagnostics_json, github_annotations

FORMATS = ("text", "json", "codequality", "github")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "validate",
        help="check manifests offline (no network); exit 0 when valid",
        description="Check manifests offline: syntax, types, and every rule of the manifest "
        "language, across files. Exit 0 when valid, 1 otherwise.",
    )
    options.add_manifest_paths(parser)
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default="text",
        help="text (default), json (a list of diagnostics), codequality (GitLab report), or "
        "github (GitHub Actions annotations at FILE:LINE)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    paths = args.paths or [DEFAULT_PATH]
    try:
        loaded = load_manifests(paths)
    except ManifestError as exc:
        if args.format == "github":
            print(github_annotations(exc.diagnostics))
        if args.format in ("text", "github"):
            raise
        render = diagnostics_json if args.format == "json" else code_quality_json
        print(render(exc.diagnostics))
        count = len(exc.diagnostics)
        print(f"error: {count} problem{'s' if count != 1 else ''} found", file=sys.stderr)
        return 1
    except ReconcilerError:
        if args.format in ("json", "codequality"):
            print("[]")
        raise
    if args.format == "github" and loaded.warnings:
        found = [Diagnostic(w.file, w.line, w.column, w.message) for w in loaded.warnings]
        print(github_annotations(found, level="warning"))
    for warning in loaded.warnings:
        print(
            f"{warning.file}:{warning.line}:{warning.column}: warning: {warning.message}",
            file=sys.stderr,
        )
    if args.format in ("text", "github"):
        count = len(loaded.manifests)
        exports = len(loaded.rules)
        print(
            f"{count} manifest{'s' if count != 1 else ''}, "
            f"{exports} export{'s' if exports != 1 else ''}: valid"
        )
    else:
        print("[]")
    return 0
