"""Checks across entries and files, on the effective rules: one destination (volume +
location) declared twice, and one file moved twice or declared in two projects.

Only what is knowable offline: files named by ID or by literal path, and locations that need no
project lookup to render. Globs are resolved by the planner, which applies the same rules.

At 1,000,000 rules the tables are what costs: they are keyed by the rules' own strings, nested
by volume and project (no key tuple per rule), and hold a file's one declaration as the rule
itself, a list only for a file declared more than once.
"""

from __future__ import annotations

from collections.abc import Iterable

from reconciler.errors import Diagnostic
from reconciler.manifest.models import ExportRule, Mode, Position
from reconciler.manifest.placeholders import has_placeholders, render_location


def _short(position: Position) -> str:
    return f"{position.file}:{position.line}"


def offline_destination(rule: ExportRule) -> str | None:
    """The location a rule exports to, when it can be known without the project's listing."""
    if not has_placeholders(rule.location):
        return rule.location
    if rule.kind == "path" and "{id}" not in rule.location:
        return render_location(rule.location, path=rule.selector, file_id="")
    return None


def conflict_diagnostics(rules: Iterable[ExportRule]) -> list[Diagnostic]:
    """Each conflict is reported at its second occurrence, naming the first."""
    found: list[Diagnostic] = []
    destinations: dict[str, dict[str, ExportRule]] = {}  # volume -> destination -> first
    by_id: dict[str, ExportRule | list[ExportRule]] = {}  # file ID -> declarations
    by_path: dict[str, dict[str, ExportRule | list[ExportRule]]] = {}  # project -> path -> ...
    for rule in rules:
        destination = offline_destination(rule)
        if destination is not None:
            at_volume = destinations.get(rule.volume)
            if at_volume is None:
                at_volume = destinations[rule.volume] = {}
            first = at_volume.setdefault(destination, rule)
            if first is not rule:
                at = rule.location_at
                found.append(
                    Diagnostic(
                        at.file,
                        at.line,
                        at.column,
                        f"destination {rule.volume}:{destination} is also declared at "
                        f"{_short(first.location_at)}: give each export its own location",
                        "duplicate-destination",
                    )
                )
                continue
        if rule.kind == "file":
            declared = by_id
        elif rule.kind == "path":
            in_project = by_path.get(rule.project)
            if in_project is None:
                in_project = by_path[rule.project] = {}
            declared = in_project
        else:
            continue
        earlier = declared.setdefault(rule.selector, rule)
        if earlier is rule:
            continue
        others = earlier if isinstance(earlier, list) else [earlier]
        for other in others:
            message = _file_conflict(rule, destination, other, offline_destination(other))
            if message:
                at = rule.declared_at
                found.append(Diagnostic(at.file, at.line, at.column, message, "file-conflict"))
                break
        if isinstance(earlier, list):
            earlier.append(rule)
        else:
            declared[rule.selector] = [earlier, rule]
    return found


def _file_conflict(
    rule: ExportRule, destination: str | None, other: ExportRule, other_destination: str | None
) -> str | None:
    subject = f"file {rule.selector}"
    first = _short(other.declared_at)
    if rule.kind == "file" and rule.project != other.project:
        return (
            f"{subject} is declared in project {rule.project} and also declared at {first} "
            f"in project {other.project}: a file belongs to one project; fix the ID or project"
        )
    same_place = (
        destination is not None and destination == other_destination and rule.volume == other.volume
    )
    if rule.mode is Mode.MOVE and other.mode is Mode.MOVE and not same_place:
        return (
            f"{subject} is moved here and also moved at {first}: a file can be moved only "
            "once; make one of them `mode: copy` or remove one"
        )
    return None
