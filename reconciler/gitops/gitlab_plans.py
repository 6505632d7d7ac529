"""The GitLab adapter of the reviewed-plan search (`reviewed.PlanHost`).

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
4. the merge request's changed paths (`GET .../merge_requests/:iid/diffs`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.gitops.gitlab import GitLabApi, project_path
from reconciler.gitops.reviewed import PLAN_ARTIFACT, Candidate, Change, Nothing, ReviewError

_MERGE_REFS = ("/merge", "/train")
# Pipelines that may still change: their plans are not looked at, and they do not block.
_UNFINISHED = frozenset(
    {"created", "waiting_for_resource", "preparing", "pending", "running", "scheduled"}
)
WAY_OUT = "run the manual plan-current job on the default branch, review it, then apply-current"


@dataclass(frozen=True, slots=True)
class Where:
    """The pipeline variables the search needs, and the paths a merge request may change."""

    project: str  # CI_PROJECT_ID
    sha: str  # CI_COMMIT_SHA
    branch: str  # CI_DEFAULT_BRANCH
    plan_job: str  # the plan job of this matrix entry, e.g. "plan: [aws-us, lab/p, manifests]"
    reviewable: tuple[str, ...] = ("manifests",)


@dataclass(frozen=True, slots=True)
class _Pipeline:
    id: int
    sha: str
    ref: str
    status: str


class GitLabPlans:
    way_out = WAY_OUT

    def __init__(self, api: GitLabApi, where: Where) -> None:
        self.api = api
        self.where = where
        self.project = project_path(where.project)

    def merged_change(self) -> Change | Nothing:
        where = self.where
        what = f"commit {where.sha[:12]}"
        path = f"{self.project}/repository/commits/{where.sha}/merge_requests"
        merged = [
            mr
            for mr in self.api.pages(path, what=what)
            if isinstance(mr, dict) and mr.get("state") == "merged"
            if mr.get("target_branch") == where.branch
        ]
        if not merged:
            return Nothing(
                f"no merged merge request brought commit {where.sha[:12]} to {where.branch}: "
                "nothing was reviewed, nothing is applied"
            )
        mr = _the_merge_request(merged, where.sha)
        iid = int(mr["iid"])
        return Change(iid, str(mr.get("sha") or ""), f"merge request !{iid}")

    def final_plans(self, change: Change) -> list[Candidate] | Nothing:
        iid, plan_job = change.number, self.where.plan_job
        pipelines = self._final_pipelines(change)
        jobs = [(p, job) for p in pipelines for job in self._plan_jobs(p)]
        if not jobs:
            numbers = ", ".join(str(p.id) for p in pipelines)
            return Nothing(
                f"merge request !{iid} changed no manifest of this entry (its pipelines "
                f"{numbers} have no job {plan_job!r}): nothing to apply"
            )
        done = [(p, job) for p, job in jobs if job.get("status") == "success"]
        if not done:
            p, job = max(jobs, key=lambda pj: int(pj[1]["id"]))
            raise ReviewError(
                f"merge request !{iid}: the plan job {plan_job!r} of pipeline {p.id} "
                f"ended {job.get('status')!r}, so no plan was reviewed; nothing was applied; "
                f"{WAY_OUT}"
            )
        return [
            Candidate(
                pipeline=p.id,
                ref=p.ref,
                job=int(job["id"]),
                sha=p.sha,
                made_by=f"job {int(job['id'])}",
                subject=f"job {int(job['id'])} ({plan_job})",
            )
            for p, job in done
        ]

    def changed_paths(self, change: Change) -> Iterator[str]:
        path = f"{self.project}/merge_requests/{change.number}/diffs"
        for diff in self.api.pages(path, what=change.name):
            if isinstance(diff, Mapping):
                yield from (str(p) for p in (diff.get("old_path"), diff.get("new_path")) if p)

    def plan_json(self, change: Change, candidate: Candidate) -> bytes | None:
        return self.api.download(
            f"{self.project}/jobs/{candidate.job}/artifacts/{PLAN_ARTIFACT}",
            what=f"{change.name}: {candidate.subject}",
        )

    def _final_pipelines(self, change: Change) -> list[_Pipeline]:
        """Every finished merge request pipeline for the head; at least one successful."""
        iid, head = change.number, change.head
        # The list also holds branch pipelines of the source branch; only the merge request's
        # own pipelines (refs/merge-requests/IID/head, /merge, /train) run its plan jobs.
        own_ref = f"refs/merge-requests/{iid}/"
        found = [
            _Pipeline(int(p["id"]), str(p.get("sha") or ""), str(p["ref"]), str(p.get("status")))
            for p in self.api.pages(
                f"{self.project}/merge_requests/{iid}/pipelines", what=change.name
            )
            if isinstance(p, dict) and str(p.get("ref", "")).startswith(own_ref)
            if p.get("status") not in _UNFINISHED
        ]
        final = [p for p in found if p.sha == head or self._merges(p, head)]
        if not any(p.status == "success" for p in final):
            raise ReviewError(
                f"merge request !{iid}: no successful pipeline for its final head {head[:12]}, "
                f"so what was merged was never planned and reviewed; nothing was applied; "
                f"{WAY_OUT}"
            )
        return sorted(final, key=lambda p: p.id)

    def _merges(self, pipeline: _Pipeline, head: str) -> bool:
        """A merged-results or merge-train pipeline runs on a merge of the head into the
        target."""
        if not pipeline.ref.endswith(_MERGE_REFS) or not head:
            return False
        commit = self.api.json(
            "GET",
            f"{self.project}/repository/commits/{pipeline.sha}",
            what=f"pipeline {pipeline.id}",
        )
        return isinstance(commit, dict) and head in (commit.get("parent_ids") or [])

    def _plan_jobs(self, pipeline: _Pipeline) -> list[dict[str, Any]]:
        """Every attempt of the plan job in `pipeline`: a retry leaves the earlier attempt,
        which reviewers may have read, listed only with `include_retried`."""
        return [
            job
            for job in self.api.pages(
                f"{self.project}/pipelines/{pipeline.id}/jobs",
                what=f"pipeline {pipeline.id}",
                params={"include_retried": "true"},
            )
            if isinstance(job, dict) and job.get("name") == self.where.plan_job
        ]


def _the_merge_request(merged: list[dict[str, Any]], sha: str) -> dict[str, Any]:
    exact = [
        mr
        for mr in merged
        if sha in (mr.get("merge_commit_sha"), mr.get("squash_commit_sha"), mr.get("sha"))
    ]
    return max(exact or merged, key=lambda mr: (str(mr.get("merged_at") or ""), int(mr["iid"])))
