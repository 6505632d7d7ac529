"""The per-item report on stdout: `subject action result` lines, problems first.

Text groups lines by result and shows at most a screenful of each group, the rest collapsed
to counts per volume, so 100,000 items stay readable; the receipt holds every item. JSON
prints every item (the same records as the receipt).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from reconciler.apply.outcome import ItemOutcome, Result, subject
from reconciler.apply.receipt import item_record
from reconciler.redact import redact

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
OK_LINES = 20


def summary_counts(outcomes: Sequence[ItemOutcome]) -> dict[str, int]:
    counts = Counter(o.result for o in outcomes)
    return {str(result): counts[result] for result in RESULT_ORDER if counts[result]}


def line(outcome: ItemOutcome) -> str:
    action, result = str(outcome.item.action), str(outcome.result)
    text = f"{subject(outcome.item)}  {action}" + (f"  {result}" if result != action else "")
    if outcome.job_id:
        text += f" (job {outcome.job_id})"
    if outcome.error:
        text += f": {outcome.error}"
    return text


def render_text(outcomes: Sequence[ItemOutcome], *, receipt: Path | None) -> str:
    counts = summary_counts(outcomes)
    head = ", ".join(f"{n} {name}" for name, n in counts.items()) or "nothing to apply"
    lines = [f"Apply: {head}" + (f" (receipt: {receipt})" if receipt else "")]
    for result in RESULT_ORDER:
        group = [o for o in outcomes if o.result is result]
        if not group:
            continue
        limit = OK_LINES if result in (Result.COMPLETED, Result.IN_SYNC) else PROBLEM_LINES
        lines.append(f"{result} ({len(group)}):")
        lines.extend("  " + line(o) for o in group[:limit])
        rest = group[limit:]
        if rest:
            volumes = Counter(o.item.destination.volume for o in rest)
            where = ", ".join(f"{n} to {volume}" for volume, n in volumes.most_common())
            lines.append(f"  ... and {len(rest)} more {result} ({where}); all are in the receipt")
    return redact("\n".join(lines)) + "\n"


def render_json(outcomes: Sequence[ItemOutcome], *, receipt: Path | None, exit_code: int) -> str:
    body = {
        "summary": summary_counts(outcomes),
        "exit_code": exit_code,
        "receipt": str(receipt) if receipt else None,
        "items": [item_record(o) for o in outcomes],
    }
    return redact(json.dumps(body, indent=2)) + "\n"
