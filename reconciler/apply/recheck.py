"""After a confirmation prompt, right before the first create call: is the plan still true?

A person may leave apply at its prompt for minutes while another apply of the same account
(another state folder: a workstation and CI) submits the same exports. So once the answer is
"yes", apply reads the live state of the plan's items again (their jobs, files and
destinations, with the planner's own reads) and compares each item about to be sent with its
fresh fingerprint. An item whose live state did not change is sent; one that is now in sync
is reported in sync; one with a job running now is watched, not submitted; anything else is
skipped as stale for the next plan to decide. Nothing is ever sent that the fresh read did not
confirm as still to do.
"""

from __future__ import annotations

from collections.abc import Sequence

from reconciler.apply.outcome import ItemOutcome, Result
from reconciler.plan.model import Action, Plan, ReasonCode


def recheck(outcomes: Sequence[ItemOutcome], fresh: Plan) -> None:
    """Settle every outcome still to be sent whose live state changed."""
    by_key = {(item.platform, item.key): item for item in fresh.items}
    for o in outcomes:
        if o.result is not None or not o.item.submits:
            continue
        now = by_key.get((o.item.platform, o.item.key))
        if now is not None and now.fingerprint == o.item.fingerprint and now.submits:
            continue
        if now is None:
            o.finish(Result.STALE, "skipped: no longer in the plan when re-read after the prompt")
        elif now.action is Action.IN_SYNC:
            o.finish(Result.IN_SYNC, "in sync when re-read after the prompt (another apply?)")
        elif now.action is Action.IN_FLIGHT and now.reason_code is ReasonCode.JOB_ACTIVE:
            o.item = now  # another apply's job: the engine watches it instead of submitting
        else:
            o.finish(
                Result.STALE,
                f"skipped: the live state changed while apply waited for confirmation "
                f"(planned {o.item.action}, now {now.action}: {now.reason})",
            )
