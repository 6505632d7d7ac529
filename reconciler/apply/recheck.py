"""After a confirmation prompt, right before the first create call: is the plan still true?

A person may leave apply at its prompt for minutes while another apply of the same account
(another state folder: a workstation and CI) submits the same exports. So once the answer is
"yes", apply reads the live state of the plan's items again (their jobs, files and
destinations, with the planner's own reads) and compares each item about to be sent with its
fresh fingerprint. An item whose live state did not change is sent; one that is now in sync
is reported in sync; one with a job running now is watched, not submitted; anything else is
skipped as stale for the next plan to decide. Nothing is ever sent that the fresh read did not
confirm as still to do. The verdicts are returned for the engine to record.
"""

from __future__ import annotations

from collections.abc import Sequence

from reconciler.apply.outcome import ItemOutcome, Reason, Result, Verdict
from reconciler.plan.model import Action, Plan, ReasonCode


def recheck(outcomes: Sequence[ItemOutcome], fresh: Plan) -> list[Verdict]:
    """The verdicts of the outcomes still to be sent whose live state changed; an item whose
    own job runs now is switched to it (the engine watches it instead of submitting)."""
    by_key = {(item.platform, item.key): item for item in fresh.items}
    verdicts: list[Verdict] = []
    for o in outcomes:
        if o.result is not None or not o.item.submits:
            continue
        now = by_key.get((o.item.platform, o.item.key))
        if now is not None and now.fingerprint == o.item.fingerprint and now.submits:
            continue
        if now is None:
            why = "skipped: no longer in the plan when re-read after the prompt"
            verdicts.append(Verdict(o, Result.STALE, Reason.NO_LONGER_PLANNED, why))
        elif now.action is Action.IN_SYNC:
            why = "in sync when re-read after the prompt (another apply?)"
            verdicts.append(Verdict(o, Result.IN_SYNC, Reason.IN_SYNC_AFTER_PROMPT, why))
        elif now.action is Action.IN_FLIGHT and now.reason_code is ReasonCode.JOB_ACTIVE:
            o.item = now  # another apply's job: the engine watches it instead of submitting
        else:
            why = (
                f"skipped: the live state changed while apply waited for confirmation "
                f"(planned {o.item.action}, now {now.action}: {now.reason})"
            )
            verdicts.append(Verdict(o, Result.STALE, Reason.CHANGED_DURING_PROMPT, why))
    return verdicts
