"""What one apply may do: the fresh plan, limited by a saved plan or a reviewed plan.

A saved plan is the reviewer's approval. It is refused as a whole when it was made from other
manifests or when any of its platforms was planned against another API endpoint than the one
this run would use for it. Otherwise apply re-plans against the live state and
sends only the saved plan's exports whose fingerprint (the live state they were planned
against) still matches; an export whose world changed is skipped as stale, and an export the
saved plan did not contain is never sent (not approved). Items the fresh plan finds in sync,
blocked or in flight are reported as they are now.

A reviewed plan (`apply --reviewed`: the plan a merge request showed, applied after the merge)
is looser about the world and strict about the exports: the manifests may have moved on (other
merges) and the planning account may not see the applying account's jobs, so neither the
manifests' digest nor the fingerprints are compared. An export is sent only when an item of
the reviewed plan is the same export: file, volume, location, action, mode, overwrite and
properties. Everything else the fresh plan would send is reported as not reviewed. The plan
must be of the same projects, platforms and endpoint, or it is refused as a whole.
"""

from __future__ import annotations

from collections.abc import Mapping

from reconciler.apply.outcome import ItemOutcome, Result
from reconciler.errors import PlanFileError
from reconciler.manifest.models import ManifestSet
from reconciler.plan.model import Action, Plan, PlanItem

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


_FETCH = (
    "apply the plan reviewed for this commit (`reconciler gitlab-reviewed-plan` in GitLab), "
    "or plan and apply the current state with `plan --out FILE` and `apply --plan FILE`"
)


def check_reviewed(
    reviewed: Plan, *, origin: str, manifests: ManifestSet, endpoints: Mapping[str, str]
) -> None:
    """Refuse a reviewed plan of another endpoint, project or platform (one line each).
    `endpoints`: the endpoint this run uses for each platform."""
    planned = {p.platform: p.endpoint for p in reviewed.platforms}
    if set(planned) != set(endpoints):
        raise PlanFileError(
            f"{origin}: platform check: the reviewed plan is for "
            f"{', '.join(sorted(planned)) or 'no platform'}, these manifests for "
            f"{', '.join(sorted(endpoints)) or 'no platform'}; {_FETCH}"
        )
    for platform, endpoint in endpoints.items():
        was = planned[platform]
        if was is None or was.rstrip("/") != endpoint.rstrip("/"):
            raise PlanFileError(
                f"{origin}: endpoint check: the reviewed plan was made against "
                f"{was or 'no endpoint'} for {platform}, this apply talks to {endpoint}; {_FETCH}"
            )
    projects = {m.header.project for m in manifests.manifests}
    if other := sorted(set(reviewed.projects) - projects):
        raise PlanFileError(
            f"{origin}: project check: the reviewed plan is of {', '.join(other)}, which these "
            f"manifests do not declare ({', '.join(sorted(projects)) or 'none'}); {_FETCH}"
        )


def _export(item: PlanItem) -> tuple[object, ...]:
    """What makes two items the same export, whatever live state each was planned against."""
    return (
        item.platform,
        item.source.file_id,
        item.destination.volume,
        item.destination.location,
        item.action,
        item.mode,
        item.overwrite,
        item.properties,
    )


def select_reviewed(fresh: Plan, reviewed: Plan) -> list[ItemOutcome]:
    """One outcome per item of the fresh plan; an export no reviewer saw is not sent."""
    seen = {_export(item) for item in reviewed.items if item.submits}
    outcomes = [ItemOutcome(item) for item in fresh.items]
    for o in outcomes:
        if o.item.submits and _export(o.item) not in seen:
            o.finish(
                Result.NOT_REVIEWED,
                "not in the reviewed plan (no reviewer saw this export); the next merge "
                "request's plan or the drift job shows it",
            )
    return outcomes
