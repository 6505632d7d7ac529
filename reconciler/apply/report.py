"""The per-item report on stdout: `subject action result` lines, problems first.

Text lists the problems first (failed, unknown, blocked, ...), then the destructive exports that
completed (moves and replaces: what cannot be undone), each group up to a long screenful, the
rest counted per volume; then the rest (completed copies, items in sync): listed when few,
else counted per destination folder; each problem ends with its reason code. The receipt holds
every item, and JSON prints every item (the same records as the receipt, with `reason`).
Lines fit 100 columns (`reconciler.wrap`): an item wraps before its destination, never inside
it.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from reconciler.apply.outcome import ItemOutcome, Result
from reconciler.apply.receipt import item_record
from reconciler.plan.render_common import folder_groups, folder_label, human_bytes, plural
from reconciler.redact import redact
from reconciler.wrap import fit, fit_text

# Problems first: they are what the reader must act on.
RESULT_ORDER = (
    Result.FAILED,
    Result.UNKNOWN,
    Result.BLOCKED,
    Result.STALE,
    Result.NOT_APPROVED,
    Result.NOT_REVIEWED,
    Result.HELD,
    Result.RUNNING,
    Result.COMPLETED,
    Result.IN_SYNC,
)
PROBLEM_LINES = 50
DESTRUCTIVE_LINES = 200
# The rest: a group of more items than this is counted per destination folder ...
OK_LINES = 20
# ... in at most this many folder lines.
FOLDER_LINES = 20
PROBLEMS = RESULT_ORDER[: RESULT_ORDER.index(Result.COMPLETED)]


def summary_counts(outcomes: Sequence[ItemOutcome]) -> dict[str, int]:
    counts = Counter(o.result for o in outcomes)
    return {str(result): counts[result] for result in RESULT_ORDER if counts[result]}


def _pieces(outcome: ItemOutcome, *, with_platform: bool) -> list[str]:
    """`[platform:] file ID (project/path)`, `-> volume:location`, the action, the result, the
    job, the error, `[reason code]` (of a problem): the pieces a report line wraps between."""
    item = outcome.item
    source = item.source
    where = f"{source.project}/{source.path}" if source.path else source.project
    pieces = [f"{item.platform}:"] if with_platform else []
    pieces += [f"file {source.file_id}", f"({where})"] if source.file_id else [where]
    pieces.append(f"-> {item.destination.volume}:{item.destination.location}")
    action, result = str(item.action), str(outcome.result)
    pieces.append(action if result == action else f"{action} {result}")
    if outcome.job_id:
        pieces.append(f"(job {outcome.job_id})")
    if outcome.error:
        pieces[-1] += ":"
        pieces += outcome.error.split()
    if outcome.reason and not outcome.converged:
        # What to act on says why as a code too; a completed line stays two lines long.
        pieces.append(f"[{outcome.reason}]")
    return pieces


def render_text(outcomes: Sequence[ItemOutcome], *, receipt: Path | None) -> str:
    counts = summary_counts(outcomes)
    head = [f"{n} {name}," for name, n in counts.items()] or ["nothing to apply,"]
    head[-1] = head[-1].rstrip(",")
    lines = fit(["Apply:", *head, *([f"(receipt: {receipt})"] if receipt else [])])
    # Several platforms: each line says which (their file ids and volumes may look alike).
    several = len({o.item.platform for o in outcomes}) > 1
    for result in PROBLEMS:
        group = [o for o in outcomes if o.result is result]
        lines += _listed(f"{result} ({len(group)}):", group, PROBLEM_LINES, str(result), several)
    completed = [o for o in outcomes if o.result is Result.COMPLETED]
    destructive = [o for o in completed if o.item.destructive]
    title = f"completed, destructive ({len(destructive)}):"
    lines += _listed(title, destructive, DESTRUCTIVE_LINES, "destructive", several)
    for label, group in (
        ("completed", [o for o in completed if not o.item.destructive]),
        (str(Result.IN_SYNC), [o for o in outcomes if o.result is Result.IN_SYNC]),
    ):
        if len(group) <= OK_LINES:
            lines += _listed(f"{label} ({len(group)}):", group, OK_LINES, label, several)
        else:
            lines += _by_folder(f"{label} ({len(group)}), by destination folder:", group)
    return redact("\n".join(lines)) + "\n"


def _listed(
    title: str, group: Sequence[ItemOutcome], limit: int, what: str, with_platform: bool
) -> list[str]:
    """Each item of `group` up to `limit`, the rest counted per volume."""
    if not group:
        return []
    lines = [title]
    for outcome in group[:limit]:
        pieces = _pieces(outcome, with_platform=with_platform)
        lines += fit(pieces, indent="  ", hanging="      ")
    rest = group[limit:]
    if rest:
        volumes = Counter(o.item.destination.volume for o in rest)
        where = ", ".join(f"{n} to {volume}" for volume, n in volumes.most_common())
        lines += fit_text(f"  ... and {len(rest)} more {what} ({where}); all are in the receipt")
    return lines


def _by_folder(title: str, group: Sequence[ItemOutcome]) -> list[str]:
    folders = folder_groups([o.item for o in group])
    lines = [title]
    for folder in folders[:FOLDER_LINES]:
        count = plural(folder.count, "file")
        size = human_bytes(folder.bytes)
        lines += fit([f"{count:>11} {size:>9} ", folder_label(folder)], indent="  ")
    rest = folders[FOLDER_LINES:]
    if rest:
        count = plural(sum(f.count for f in rest), "file")
        size = human_bytes(sum(f.bytes for f in rest))
        lines.append(f"  {count:>11} {size:>9}  in {len(rest)} more folders (all in the receipt)")
    return lines


def render_json(outcomes: Sequence[ItemOutcome], *, receipt: Path | None, exit_code: int) -> str:
    body = {
        "summary": summary_counts(outcomes),
        "exit_code": exit_code,
        "receipt": str(receipt) if receipt else None,
        "items": [item_record(o) for o in outcomes],
    }
    return redact(json.dumps(body, indent=2)) + "\n"
