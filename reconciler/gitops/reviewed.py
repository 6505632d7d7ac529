"""Find the plan reviewers saw for the commit a default-branch pipeline applies.

The commit on the default branch is never matched to a plan by its SHA (squash and merge
commits have new ones). Instead:

1. the merged merge request that brought the commit: `GET
   /projects/:id/repository/commits/:sha/merge_requests`, merged into the default branch;
   one whose merge, squash or head commit is this very commit wins over one that merely
   contains it (fast-forward merges leave the head; merge and squash commits are recorded);
2. every merge request pipeline (not a branch pipeline of its source branch, which runs no
   plan job) for its final head (`sha` of the merge request): a pipeline of that commit, or a
   merged-results or merge-train pipeline whose commit has it as a parent; re-runs included;
   at least one must have succeeded. A pipeline still running is not looked at;
3. in each, every attempt of the plan job of this matrix entry (retried jobs included); the
   successful ones are the plans, each with its `plan.json` artifact;
4. the merge request's changed paths (`GET .../merge_requests/:iid/diffs`): all of them must
   lie in the reviewable paths (the manifests), because a merge request that changes the
   pipeline or the tool also chose the job that made its plan.

The reviewed plan is what every one of those plans agrees on (`agreed.py`): reviewers approved
while some existed and others did not yet, so an export shown by only some of them (a file
that appeared before a merge train or a retry planned again) is not reviewed.

Outcomes: a `Reviewed` plan; `Nothing` to apply (no merged merge request brought the commit:
a direct push; or the merge request's pipelines have no plan job: it changed no manifest); or
a `ReviewError` (fail closed): no successful pipeline for the final head, no plan job that
succeeded, a missing artifact, a plan of another pipeline, a changed path outside the
reviewable ones.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reconciler.errors import PlanFileError, ReconcilerError
from reconciler.gitops.agreed import Agreement, LeftOut, Source, agree
from reconciler.gitops.gitlab import GitLabApi, project_path
from reconciler.plan.io import load_plan
from reconciler.plan.model import Plan

PLAN_ARTIFACT = "plan.json"
_MERGE_REFS = ("/merge", "/train")
# Pipelines that may still change: their plans are not looked at, and they do not block.
_UNFINISHED = frozenset(
    {"created", "waiting_for_resource", "preparing", "pending", "running", "scheduled"}
)
_WAY_OUT = "run the manual plan-current job on the default branch, review it, then apply-current"


class ReviewError(ReconcilerError):
    """The reviewed plan cannot be found or does not belong: nothing may be applied."""


@dataclass(frozen=True, slots=True)
class Where:
    """The pipeline variables the search needs, and the paths a merge request may change."""

    project: str  # CI_PROJECT_ID
    sha: str  # CI_COMMIT_SHA
    branch: str  # CI_DEFAULT_BRANCH
    plan_job: str  # the plan job of this matrix entry, e.g. "plan: [aws-us, lab/p, manifests]"
    reviewable: tuple[str, ...] = ("manifests",)


@dataclass(frozen=True, slots=True)
class Reviewed:
    merge_request: int
    head: str
    sources: tuple[Source, ...]  # every plan taken into account, oldest first
    plan: Plan  # what all of them agree on
    left_out: tuple[LeftOut, ...]

    def describe(self) -> str:
        plans = "; ".join(str(s) for s in self.sources)
        mr = self.merge_request
        return f"the plan reviewed in merge request !{mr}, shown in every plan: {plans}"

    def record(self) -> dict[str, object]:
        """What `apply --reviewed-sources` keeps in its receipt."""
        return {
            "merge_request": self.merge_request,
            "head": self.head,
            "plans": [s.record() for s in self.sources],
            "plan_digest": self.plan.digest,
            "not_reviewed": [o.record() for o in self.left_out],
        }


@dataclass(frozen=True, slots=True)
class Nothing:
    reason: str


@dataclass(frozen=True, slots=True)
class _Pipeline:
    id: int
    sha: str
    ref: str
    status: str


def find_reviewed(api: GitLabApi, where: Where) -> Reviewed | Nothing:
    project = project_path(where.project)
    what = f"commit {where.sha[:12]}"
    mrs = list(api.pages(f"{project}/repository/commits/{where.sha}/merge_requests", what=what))
    merged = [
        mr
        for mr in mrs
        if isinstance(mr, dict) and mr.get("state") == "merged"
        if mr.get("target_branch") == where.branch
    ]
    if not merged:
        return Nothing(
            f"no merged merge request brought commit {where.sha[:12]} to {where.branch}: "
            "nothing was reviewed, nothing is applied"
        )
    mr = _the_merge_request(merged, where.sha)
    iid, head = int(mr["iid"]), str(mr.get("sha") or "")
    pipelines = _final_pipelines(api, project, iid, head)
    jobs = [(p, job) for p in pipelines for job in _plan_jobs(api, project, p, where.plan_job)]
    if not jobs:
        numbers = ", ".join(str(p.id) for p in pipelines)
        return Nothing(
            f"merge request !{iid} changed no manifest of this entry (its pipelines {numbers} "
            f"have no job {where.plan_job!r}): nothing to apply"
        )
    done = [(p, job) for p, job in jobs if job.get("status") == "success"]
    if not done:
        p, job = max(jobs, key=lambda pj: int(pj[1]["id"]))
        raise ReviewError(
            f"merge request !{iid}: the plan job {where.plan_job!r} of pipeline {p.id} "
            f"ended {job.get('status')!r}, so no plan was reviewed; nothing was applied; "
            f"{_WAY_OUT}"
        )
    _check_changed_paths(api, project, iid, where.reviewable)
    plans = [_plan(api, project, iid, p, job, where) for p, job in done]
    plans.sort(key=lambda sp: sp[0].job)
    agreement: Agreement = agree(plans)
    return Reviewed(iid, head, tuple(s for s, _ in plans), agreement.plan, agreement.left_out)


def _the_merge_request(merged: list[dict[str, Any]], sha: str) -> dict[str, Any]:
    exact = [
        mr
        for mr in merged
        if sha in (mr.get("merge_commit_sha"), mr.get("squash_commit_sha"), mr.get("sha"))
    ]
    return max(exact or merged, key=lambda mr: (str(mr.get("merged_at") or ""), int(mr["iid"])))


def _final_pipelines(api: GitLabApi, project: str, iid: int, head: str) -> list[_Pipeline]:
    """Every finished merge request pipeline for `head`; at least one of them successful."""
    what = f"merge request !{iid}"
    # The list also holds branch pipelines of the source branch; only the merge request's own
    # pipelines (refs/merge-requests/IID/head, /merge, /train) run its plan jobs.
    own_ref = f"refs/merge-requests/{iid}/"
    found = [
        _Pipeline(int(p["id"]), str(p.get("sha") or ""), str(p["ref"]), str(p.get("status")))
        for p in api.pages(f"{project}/merge_requests/{iid}/pipelines", what=what)
        if isinstance(p, dict) and str(p.get("ref", "")).startswith(own_ref)
        if p.get("status") not in _UNFINISHED
    ]
    final = [p for p in found if p.sha == head or _merges(api, project, p, head)]
    if not any(p.status == "success" for p in final):
        raise ReviewError(
            f"merge request !{iid}: no successful pipeline for its final head {head[:12]}, so "
            f"what was merged was never planned and reviewed; nothing was applied; {_WAY_OUT}"
        )
    return sorted(final, key=lambda p: p.id)


def _merges(api: GitLabApi, project: str, pipeline: _Pipeline, head: str) -> bool:
    """A merged-results or merge-train pipeline runs on a merge of the head into the target."""
    if not pipeline.ref.endswith(_MERGE_REFS) or not head:
        return False
    commit = api.json(
        "GET", f"{project}/repository/commits/{pipeline.sha}", what=f"pipeline {pipeline.id}"
    )
    return isinstance(commit, dict) and head in (commit.get("parent_ids") or [])


def _plan_jobs(
    api: GitLabApi, project: str, pipeline: _Pipeline, name: str
) -> list[dict[str, Any]]:
    """Every attempt of the plan job in `pipeline`: a retry leaves the earlier attempt, which
    reviewers may have read, listed only with `include_retried`."""
    return [
        job
        for job in api.pages(
            f"{project}/pipelines/{pipeline.id}/jobs",
            what=f"pipeline {pipeline.id}",
            params={"include_retried": "true"},
        )
        if isinstance(job, dict) and job.get("name") == name
    ]


def reviewable(path: str, roots: Sequence[str]) -> bool:
    """Whether `path` is one of `roots` or lies under one of them (folders or files)."""
    for root in roots:
        root = root.strip("/")
        if root in ("", ".") or path == root or path.startswith(root + "/"):
            return True
    return False


def _check_changed_paths(api: GitLabApi, project: str, iid: int, roots: Sequence[str]) -> None:
    what = f"merge request !{iid}"
    changed: set[str] = set()
    for diff in api.pages(f"{project}/merge_requests/{iid}/diffs", what=what):
        if isinstance(diff, Mapping):
            changed.update(str(p) for p in (diff.get("old_path"), diff.get("new_path")) if p)
    outside = sorted(p for p in changed if not reviewable(p, roots))
    if outside:
        more = f" and {len(outside) - 10} more" if len(outside) > 10 else ""
        shown = ", ".join(outside[:10]) + more
        raise ReviewError(
            f"merge request !{iid} changed {shown}, outside the reviewable paths "
            f"({', '.join(roots)}): such a change also chose the job that made its plan, so "
            f"that plan is not taken as reviewed; nothing was applied; {_WAY_OUT} (or widen "
            "the reviewable paths when those files cannot change what is planned)"
        )


def _plan(
    api: GitLabApi,
    project: str,
    iid: int,
    pipeline: _Pipeline,
    job: Mapping[str, Any],
    where: Where,
) -> tuple[Source, Plan]:
    job_id = int(job["id"])
    subject = f"merge request !{iid}: job {job_id} ({where.plan_job})"
    data = api.download(f"{project}/jobs/{job_id}/artifacts/{PLAN_ARTIFACT}", what=subject)
    if data is None:
        raise ReviewError(
            f"{subject}: no {PLAN_ARTIFACT} artifact (expired or never written); nothing was "
            f"applied; {_WAY_OUT}"
        )
    try:
        plan = load_plan(data.decode("utf-8"))
    except (UnicodeDecodeError, PlanFileError) as exc:
        raise ReviewError(
            f"{subject}: {PLAN_ARTIFACT} is not a usable plan ({exc}); nothing was applied; "
            f"{_WAY_OUT}"
        ) from None
    planned_at = plan.manifests_commit
    if planned_at is not None and planned_at != pipeline.sha:
        raise ReviewError(
            f"merge request !{iid}: the plan of job {job_id} was made at commit "
            f"{planned_at[:12]}, not at its pipeline's commit {pipeline.sha[:12]}; nothing was "
            f"applied; {_WAY_OUT}"
        )
    return Source(pipeline.id, pipeline.ref, job_id, plan.digest), plan
