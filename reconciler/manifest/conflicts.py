"""Checks across entries and files, on the effective rules: one destination (volume +
location) declared twice, and one file moved twice or declared in two projects.

Only what is knowable offline: files named by ID or by literal path, and locations that need no
project lookup to render. Globs are resolved by the planner, which applies the same rules.
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


def _file_key(rule: ExportRule) -> tuple[str, ...] | None:
    if rule.kind == "file":
        return ("file", rule.selector)
    if rule.kind == "path":
        return ("path", rule.project, rule.selector)
    return None


def conflict_diagnostics(rules: Iterable[ExportRule]) -> list[Diagnostic]:
    """Each conflict is reported at its second occurrence, naming the first."""
    found: list[Diagnostic] = []
    destinations: dict[tuple[str, str], ExportRule] = {}
    declared: dict[tuple[str, ...], list[tuple[ExportRule, str | None]]] = {}
    for rule in rules:
        destination = offline_destination(rule)
        if destination is not None:
            first = destinations.setdefault((rule.volume, destination), rule)
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
        key = _file_key(rule)
        if key is None:
            continue
        earlier = declared.setdefault(key, [])
        for other, other_destination in earlier:
            message = _file_conflict(rule, destination, other, other_destination)
            if message:
                at = rule.declared_at
                found.append(Diagnostic(at.file, at.line, at.column, message, "file-conflict"))
                break
        earlier.append((rule, destination))
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
