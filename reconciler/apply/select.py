"""What one apply may do: the fresh plan, limited by a saved plan when one is given.

A saved plan is the reviewer's approval. It is refused as a whole when it was made from other
manifests or when any of its platforms was planned against another API endpoint than the one
this run would use for it. Otherwise apply re-plans against the live state and
sends only the saved plan's exports whose fingerprint (the live state they were planned
against) still matches; an export whose world changed is skipped as stale, and an export the
saved plan did not contain is never sent (not approved). Items the fresh plan finds in sync,
blocked or in flight are reported as they are now.
"""

from __future__ import annotations

from collections.abc import Mapping

from reconciler.apply.outcome import ItemOutcome, Result
from reconciler.errors import PlanFileError
from reconciler.plan.model import Action, Plan

_REPLAN = "run `reconciler plan --out FILE` again and review the new plan"


def check_saved(
    saved: Plan, *, origin: str, manifests_digest: str, endpoints: Mapping[str, str]
) -> None:
    """`endpoints`: the endpoint this run uses for each platform."""
    if saved.manifests_digest != manifests_digest:
        raise PlanFileError(
            f"{origin}: the manifests changed since this plan was made "
            f"(plan {saved.manifests_digest[:19]}, now {manifests_digest[:19]}); {_REPLAN}"
        )
    planned = {p.platform: p.endpoint for p in saved.platforms}
    for platform, endpoint in endpoints.items():
        if platform not in planned:
            raise PlanFileError(
                f"{origin}: the plan has no platform {platform} (it has "
                f"{', '.join(planned) or 'none'}); {_REPLAN}"
            )
        was = planned[platform]
        if was is not None and was.rstrip("/") != endpoint.rstrip("/"):
            raise PlanFileError(
                f"{origin}: the plan was made against {was} for {platform}, not {endpoint}; "
                f"{_REPLAN}"
            )


def select(fresh: Plan, saved: Plan | None) -> list[ItemOutcome]:
    """One outcome per item; those this apply must not act on already carry their result."""
    outcomes = [ItemOutcome(item) for item in fresh.items]
    if saved is None:
        return outcomes
    approved = {(item.platform, item.key): item for item in saved.items}
    for o in outcomes:
        item = o.item
        was = approved.pop((item.platform, item.key), None)
        if item.action in (Action.IN_SYNC, Action.IN_FLIGHT):
            continue  # nothing to send either way: report or watch what is there now
        if was is not None and was.submits and was.fingerprint != item.fingerprint:
            o.finish(
                Result.STALE,
                f"skipped: the live state changed since the plan (planned {was.action}, "
                f"now {item.action}: {item.reason})",
            )
        elif item.submits and (was is None or not was.submits):
            planned = f"it was {was.action} there" if was is not None else "it was not in it"
            o.finish(Result.NOT_APPROVED, f"not in the saved plan's exports ({planned})")
    # Approved exports that the fresh plan no longer has at all (a file that is gone).
    for was in approved.values():
        if was.submits:
            outcomes.append(
                ItemOutcome(
                    was,
                    Result.STALE,
                    error="skipped: no longer in the plan (the live state changed)",
                )
            )
    return outcomes
