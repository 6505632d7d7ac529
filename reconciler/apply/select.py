"""What an apply of an approved plan may do with each of its items.

A saved plan is the reviewer's approval. It is refused as a whole when it was made from other
manifests or when any of its platforms was planned against another API endpoint than the one
this run would use for it (`check_saved`). Otherwise apply reads the plan's items again and
decides each on what it read (`plan/replan.py`); `judge_saved` sends only the saved plan's
exports whose fingerprint (the live state they were planned against) still matches: an
export whose world changed is skipped as stale, and an export the saved plan did not send is
never sent (not approved). Items now in sync or in flight are reported or watched as they are.

A reviewed plan (`apply --reviewed`: the plan a merge request showed, applied after the merge)
is looser about the world and strict about the exports: the manifests may have moved on (other
merges) and the planning account may not see the applying account's jobs, so neither the
manifests' digest nor the fingerprints are compared. `judge_reviewed` sends an export only
while the manifests still declare it as reviewed and it is the same export now: file, volume,
location, action, mode, overwrite and properties; anything else is not reviewed. The plan
must be of the same projects, platforms and endpoint, or it is refused as a whole
(`check_reviewed`). Files that appeared since the review are not looked for: the next merge
request's plan or the drift job shows them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from reconciler.apply.outcome import Reason, Result
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


@dataclass(frozen=True, slots=True)
class Judged:
    """What an apply of an approved plan does with one item decided again: act on it (send
    it, watch its job, report it in sync or blocked), or give it `result` now, for `reason`."""

    result: Result | None = None
    reason: Reason | None = None
    error: str | None = None


ACT = Judged()


def judge_saved(saved: PlanItem, fresh: PlanItem) -> Judged:
    """A saved plan's item against the same item decided on the live state now: what is in
    sync or in flight now is reported or watched as it is; an export whose live state changed
    since the plan is stale; an export the saved plan did not send is not approved."""
    if fresh.action in (Action.IN_SYNC, Action.IN_FLIGHT):
        return ACT  # nothing to send either way: report or watch what is there now
    if saved.submits and saved.fingerprint != fresh.fingerprint:
        return Judged(
            Result.STALE,
            Reason.CHANGED_SINCE_PLAN,
            f"skipped: the live state changed since the plan (planned {saved.action}, "
            f"now {fresh.action}: {fresh.reason})",
        )
    if fresh.submits and not saved.submits:
        return Judged(
            Result.NOT_APPROVED,
            Reason.NOT_IN_SAVED_PLAN,
            f"not in the saved plan's exports (it was {saved.action} there)",
        )
    return ACT


_FETCH = (
    "apply the plan reviewed for this commit (`reconciler gitlab-reviewed-plan` in GitLab, "
    "`github-reviewed-plan` in GitHub Actions), "
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


_NOT_REVIEWED = (
    "not in the reviewed plan (no reviewer saw this export); the next merge request's plan "
    "or the drift job shows it"
)


def judge_reviewed(
    reviewed: PlanItem, fresh: PlanItem | None, *, declared_otherwise: bool = False
) -> Judged:
    """A reviewed plan's item against the same item decided on the live state now (None: the
    manifests no longer declare it as reviewed; `declared_otherwise`: they declare the same
    file and destination with another mode, overwrite or properties): only the very export
    the reviewer saw is sent."""
    if fresh is None and declared_otherwise:
        return Judged(
            Result.NOT_REVIEWED,
            Reason.DECLARED_OTHERWISE,
            "not in the reviewed plan: the manifests now declare this export with another "
            "mode, overwrite or properties, which no reviewer saw; the next merge request's "
            "plan or the drift job shows it",
        )
    if fresh is None:
        return Judged(
            Result.STALE,
            Reason.NO_LONGER_DECLARED,
            "skipped: the manifests no longer declare this export "
            f"({reviewed.mode} to {reviewed.settings.volume}:{reviewed.location})",
        )
    if fresh.submits and _export(fresh) != _export(reviewed):
        return Judged(
            Result.NOT_REVIEWED,
            Reason.NOT_IN_REVIEWED_PLAN,
            _NOT_REVIEWED + f" (it would be a {fresh.action} now)",
        )
    return ACT
