"""The plans a reviewed plan was agreed from, as `gitlab-reviewed-plan --sources` (and
`github-reviewed-plan --sources`) writes them
and `apply --reviewed-sources` reads them: the merge request and its final head, every plan
taken into account (pipeline, ref, job, plan digest), the digest of the plan they agreed on,
and the exports that not every plan showed (not reviewed: never sent).

Read strictly (a file of another plan, or one that is not ours, is refused in one line), and
kept whole in apply's receipt.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler.errors import PlanFileError

_SHOWN = 20
_FETCH = (
    "fetch both files again with `reconciler gitlab-reviewed-plan` (or `github-reviewed-plan`) "
    "`--out FILE --sources FILE`"
)


@dataclass(frozen=True, slots=True)
class ReviewedSources:
    record: dict[str, Any]

    @property
    def plans(self) -> list[dict[str, Any]]:
        return list(self.record["plans"])

    @property
    def not_reviewed(self) -> list[dict[str, Any]]:
        return list(self.record["not_reviewed"])

    def lines(self) -> list[str]:
        """The report's lines: every plan taken into account, and what was left out."""
        change = self.record.get("change") or f"merge request !{self.record['merge_request']}"
        lines = [f"Reviewed in {change}, shown in every one of these plans:"]
        lines += [f"  {p.get('label') or _gitlab_label(p)}, plan {p['digest']}" for p in self.plans]
        if self.not_reviewed:
            lines.append(
                f"{len(self.not_reviewed)} not-reviewed: not in every one of them, not sent "
                "(listed in the receipt)"
            )
            for o in self.not_reviewed[:_SHOWN]:
                lines.append(
                    f"  {o.get('path') or o.get('file')} ({o.get('file')}) -> "
                    f"{o.get('volume')}:{o.get('location')} ({o.get('action')})"
                )
            if len(self.not_reviewed) > _SHOWN:
                lines.append(f"  ... and {len(self.not_reviewed) - _SHOWN} more in the receipt")
        return lines


def _gitlab_label(plan: dict[str, Any]) -> str:
    return f"pipeline {plan['pipeline']} ({plan['ref']}), job {plan['job']}"


def read_sources(path: str, *, plan_digest: str) -> ReviewedSources:
    """The sources file at `path`, which must be of the plan whose digest is `plan_digest`."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise PlanFileError(f"{path}: cannot read: {exc.strerror}; {_FETCH}") from None
    except (UnicodeDecodeError, ValueError):
        raise PlanFileError(f"{path}: not JSON; {_FETCH}") from None
    problem = _problem(data)
    if problem:
        raise PlanFileError(f"{path}: not a reviewed plan's sources ({problem}); {_FETCH}")
    if data["plan_digest"] != plan_digest:
        raise PlanFileError(
            f"{path}: the sources of plan {str(data['plan_digest'])[:12]}, not of the reviewed "
            f"plan {plan_digest[:12]}; {_FETCH}"
        )
    return ReviewedSources(data)


def _problem(data: Any) -> str | None:
    if not isinstance(data, dict):
        return "not an object"
    for name, kind in (
        ("merge_request", int),
        ("head", str),
        ("plans", list),
        ("plan_digest", str),
        ("not_reviewed", list),
    ):
        if not isinstance(data.get(name), kind):
            return f"{name}: missing or not a {kind.__name__}"
    if not data["plans"]:
        return "plans: empty"
    for n, plan in enumerate(data["plans"]):
        if not isinstance(plan, dict) or not all(
            isinstance(plan.get(k), t)
            for k, t in (("pipeline", int), ("ref", str), ("job", int), ("digest", str))
        ):
            return f"plans[{n}]: needs pipeline, ref, job and digest"
    if not all(isinstance(o, dict) for o in data["not_reviewed"]):
        return "not_reviewed: entries must be objects"
    return None
