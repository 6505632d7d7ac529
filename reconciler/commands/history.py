"""`reconciler history [DESTINATION | FILE-ID | PATH]`: who declared which export, and when,
read from the git history of the manifests (newest first)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from reconciler.errors import ConfigError
from reconciler.gitops.history import Event, History, read_history

_ACTIONS = {
    "added": "added",
    "changed": "changed",
    "moved": "moved",
    "removed": "removed",
    "present": "present*",
}


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "history",
        help="show every commit that added, changed or removed a declaration",
        description="Read the git history of the manifests and list, for each matching "
        "export, every commit that added, changed or removed its declaration, newest first.",
    )
    parser.add_argument(
        "query",
        nargs="?",
        metavar="DESTINATION | FILE-ID | PATH",
        help="owner/volume:location, a 24-hex file ID, or a path inside the project "
        "(all declarations when omitted)",
    )
    parser.add_argument(
        "--manifests", default="manifests", metavar="DIR", help="default: manifests"
    )
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    folder = Path(args.manifests)
    if not folder.exists():
        raise ConfigError(f"{folder}: no such folder (pass --manifests DIR)")
    history = read_history(folder, args.query)
    if history.shallow:
        oldest = history.oldest_commit
        since = f" before {oldest.date[:10]} ({oldest.sha[:8]})" if oldest else ""
        print(
            f"warning: this is a shallow clone: history{since} is missing, so the oldest "
            "entries may not be when a declaration was added; run `git fetch --unshallow` "
            '(in GitLab CI set the variable GIT_DEPTH: "0")',
            file=sys.stderr,
        )
    if args.format == "json":
        print(json.dumps([_as_json(event) for event in history.events], indent=2))
    else:
        print(render_text(history, args.query))
    return 0


def render_text(history: History, query: str | None) -> str:
    if not history.events:
        subject = f"matching {query!r} " if query else ""
        return f"No declaration {subject}in the history of the manifests."
    # One block per export source (project and selector), ordered by its latest event.
    groups: dict[tuple[str, str, str], list[Event]] = {}
    for event in history.events:
        groups.setdefault(event.key.source, []).append(event)
    blocks = []
    for (project, kind, selector), events in groups.items():
        lines = [f"{kind} {selector}" + (f" (project {project})" if project else "")]
        for event in events:
            commit = event.commit
            mr = f" [{event.merge_request}]" if event.merge_request else ""
            lines.append(
                f"  {commit.date}  {_ACTIONS[event.action]:<8} {commit.sha[:10]}  "
                f"{commit.author_name} <{commit.author_email}>  {commit.subject}{mr}"
            )
            lines += [f"      {detail}" for detail in event.details()]
        blocks.append("\n".join(lines))
    if any(event.action == "present" for event in history.events):
        blocks.append(
            "* already declared in the oldest commit of this shallow clone: "
            "when it was added is not in the history here"
        )
    return "\n\n".join(blocks)


def _as_json(event: Event) -> dict[str, Any]:
    commit = event.commit

    def declaration(side: Any) -> dict[str, Any] | None:
        if side is None:
            return None
        return {
            "project": side.key.project,
            "selector": {side.key.kind: side.key.selector},
            "volume": side.key.volume,
            "location": side.key.location,
            "manifest": side.manifest,
            "settings": dict(side.settings),
        }

    return {
        "action": event.action,
        "commit": commit.sha,
        "author": {"name": commit.author_name, "email": commit.author_email},
        "date": commit.date,
        "subject": commit.subject,
        "merge_request": event.merge_request,
        "before": declaration(event.before),
        "after": declaration(event.after),
    }
