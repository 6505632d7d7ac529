"""Find the plan reviewers saw for the commit a default-branch pipeline applies.

The commit on the default branch is never matched to a plan by its SHA (squash and merge
commits have new ones). Instead:

1. the merged merge request that brought the commit: `GET
   /projects/:id/repository/commits/:sha/merge_requests`, merged into the default branch;
   one whose merge, squash or head commit is this very commit wins over one that merely
   contains it (fast-forward merges leave the head; merge and squash commits are recorded);
2. that merge request's newest successful merge request pipeline (not a branch pipeline of
   its source branch, which runs no plan job) for its final head (`sha` of the merge request):
   a pipeline of that commit, or a merged-results or merge-train pipeline whose commit has it
   as a parent;
3. in that pipeline, the plan job of the same matrix entry, and its `plan.json` artifact.

Outcomes: a `Reviewed` plan; `Nothing` to apply (no merged merge request brought the commit:
a direct push; or the merge request's pipeline has no plan job: it changed no manifest); or a
`ReviewError` (fail closed): a merge request without a successful pipeline for its final
head, a plan job that did not succeed, a missing artifact, a plan of another pipeline.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.errors import PlanFileError, ReconcilerError
from reconciler.gitops.gitlab import GitLabApi, project_path
from reconciler.plan.io import load_plan
from reconciler.plan.model import Plan

PLAN_ARTIFACT = "plan.json"
_MERGE_REFS = ("/merge", "/train")
_WAY_OUT = "run the manual plan-current job on the default branch, review it, then apply-current"


class ReviewError(ReconcilerError):
    """The reviewed plan cannot be found or does not belong: nothing may be applied."""


@dataclass(frozen=True, slots=True)
class Where:
    """The pipeline variables the search needs."""

    project: str  # CI_PROJECT_ID
    sha: str  # CI_COMMIT_SHA
    branch: str  # CI_DEFAULT_BRANCH
    plan_job: str  # the plan job of this matrix entry, e.g. "plan: [aws-us, lab/p, manifests]"


@dataclass(frozen=True, slots=True)
class Reviewed:
    merge_request: int
    pipeline: int
    job: int
    text: str
    plan: Plan

    def describe(self) -> str:
        return (
            f"the plan reviewed in merge request !{self.merge_request} "
            f"(pipeline {self.pipeline}, job {self.job})"
        )


@dataclass(frozen=True, slots=True)
class Nothing:
    reason: str


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
    pipeline, pipeline_sha = _final_pipeline(api, project, iid, head)
    jobs = [
        job
        for job in api.pages(f"{project}/pipelines/{pipeline}/jobs", what=f"pipeline {pipeline}")
        if isinstance(job, dict) and job.get("name") == where.plan_job
    ]
    if not jobs:
        return Nothing(
            f"merge request !{iid} changed no manifest of this entry (its pipeline {pipeline} "
            f"has no job {where.plan_job!r}): nothing to apply"
        )
    job = max(jobs, key=lambda j: int(j["id"]))
    if job.get("status") != "success":
        raise ReviewError(
            f"merge request !{iid}: the plan job {where.plan_job!r} of pipeline {pipeline} "
            f"ended {job.get('status')!r}, so no plan was reviewed; nothing was applied; "
            f"{_WAY_OUT}"
        )
    found = _artifact(api, project, iid, pipeline, int(job["id"]), where)
    planned_at = found.plan.manifests_commit
    if planned_at is not None and planned_at != pipeline_sha:
        raise ReviewError(
            f"merge request !{iid}: the plan of job {found.job} was made at commit "
            f"{planned_at[:12]}, not at its pipeline's commit {pipeline_sha[:12]}; nothing was "
            f"applied; {_WAY_OUT}"
        )
    return found


def _the_merge_request(merged: list[dict[str, Any]], sha: str) -> dict[str, Any]:
    exact = [
        mr
        for mr in merged
        if sha in (mr.get("merge_commit_sha"), mr.get("squash_commit_sha"), mr.get("sha"))
    ]
    return max(exact or merged, key=lambda mr: (str(mr.get("merged_at") or ""), int(mr["iid"])))


def _final_pipeline(api: GitLabApi, project: str, iid: int, head: str) -> tuple[int, str]:
    what = f"merge request !{iid}"
    # The list also holds branch pipelines of the source branch; only the merge request's own
    # pipelines (refs/merge-requests/IID/head, /merge, /train) run its plan jobs.
    own_ref = f"refs/merge-requests/{iid}/"
    pipelines = [
        p
        for p in api.pages(f"{project}/merge_requests/{iid}/pipelines", what=what)
        if isinstance(p, dict) and str(p.get("ref", "")).startswith(own_ref)
    ]
    for pipeline in sorted(pipelines, key=lambda p: -int(p["id"])):
        if pipeline.get("status") != "success":
            continue
        if pipeline.get("sha") == head or _merges(api, project, pipeline, head):
            return int(pipeline["id"]), str(pipeline.get("sha"))
    raise ReviewError(
        f"merge request !{iid}: no successful pipeline for its final head {head[:12]}, so "
        f"what was merged was never planned and reviewed; nothing was applied; {_WAY_OUT}"
    )


def _merges(api: GitLabApi, project: str, pipeline: Mapping[str, Any], head: str) -> bool:
    """A merged-results or merge-train pipeline runs on a merge of the head into the target."""
    if not str(pipeline.get("ref", "")).endswith(_MERGE_REFS) or not head:
        return False
    commit = api.json(
        "GET", f"{project}/repository/commits/{pipeline['sha']}", what=f"pipeline {pipeline['id']}"
    )
    return isinstance(commit, dict) and head in (commit.get("parent_ids") or [])


def _artifact(
    api: GitLabApi, project: str, iid: int, pipeline: int, job: int, where: Where
) -> Reviewed:
    subject = f"merge request !{iid}: job {job} ({where.plan_job})"
    data = api.download(f"{project}/jobs/{job}/artifacts/{PLAN_ARTIFACT}", what=subject)
    if data is None:
        raise ReviewError(
            f"{subject}: no {PLAN_ARTIFACT} artifact (expired or never written); nothing was "
            f"applied; {_WAY_OUT}"
        )
    try:
        text = data.decode("utf-8")
        plan = load_plan(text)
    except (UnicodeDecodeError, PlanFileError) as exc:
        raise ReviewError(
            f"{subject}: {PLAN_ARTIFACT} is not a usable plan ({exc}); nothing was applied; "
            f"{_WAY_OUT}"
        ) from None
    return Reviewed(iid, pipeline, job, text, plan)
