"""The GitHub adapter of the reviewed-plan search (`reviewed.PlanHost`).

1. the merged pull request that brought the commit: `GET /repos/{o}/{r}/commits/{sha}/pulls`,
   merged into the default branch; one whose merge commit or head is this very commit wins
   over one that merely contains it;
2. the pull request's workflow runs of this workflow for its final head (`GET
   .../actions/runs?head_sha=HEAD&event=pull_request`, finished ones of its branch in this
   repository; at least one successful; none while another pull request of that branch
   targets another base, `GET .../pulls?head=OWNER:BRANCH&state=all`), and in each every
   attempt of the plan job of this matrix entry (`GET .../actions/runs/{id}/jobs?filter=all`:
   a re-run keeps its earlier attempts, which reviewers may have read). Each successful
   attempt left the artifact `<prefix>-<attempt>` (`GET .../runs/{id}/artifacts`); its zip
   holds `plan.json`. A successful plan whose artifact is missing or expired fails closed:
   dropping a plan could approve what only a later plan showed;
3. the pull request's changed files (`GET .../pulls/{n}/files`; GitHub lists at most 3,000,
   so a pull request with that many cannot be checked and fails closed). One that changed
   nothing under this entry's manifests folder has nothing to apply for it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from reconciler.gitops.github import GitHubApi, Gone, file_in_zip
from reconciler.gitops.reviewed import (
    PLAN_ARTIFACT,
    Candidate,
    Change,
    Nothing,
    ReviewError,
    reviewable,
)

WAY_OUT = (
    "run the workflow by hand (workflow_dispatch) with action plan-current, review its plan, "
    "then run it with action apply-current and that run's id"
)
MAX_LISTED_FILES = 3_000


@dataclass(frozen=True, slots=True)
class Where:
    repository: str  # GITHUB_REPOSITORY
    sha: str  # GITHUB_SHA
    branch: str  # the default branch
    workflow: str  # the workflow file of the runs that plan, e.g. .github/workflows/reconciler.yml
    plan_job: str  # the plan job of this matrix entry, e.g. "plan (aws-us, lab/p)"
    artifact: str  # the prefix of its artifacts: <prefix>-<attempt>
    reviewable: tuple[str, ...] = ("manifests",)
    manifests: str | None = None  # this entry's folder: a change outside it is not its business


def artifact_name(prefix: str, attempt: int | str) -> str:
    return f"{prefix}-{attempt}"


def is_plan_job(name: str, plan_job: str) -> bool:
    """A called workflow's job is listed as "<caller job> / <job>"."""
    return name == plan_job or name.endswith(f" / {plan_job}")


class GitHubPlans:
    way_out = WAY_OUT

    def __init__(self, api: GitHubApi, where: Where) -> None:
        self.api = api
        self.where = where
        self.repo = f"repos/{where.repository}"
        self._head_ref = ""
        self._changed: list[str] | None = None

    def merged_change(self) -> Change | Nothing:
        where = self.where
        pulls = [
            pr
            for pr in self.api.pages(
                f"{self.repo}/commits/{where.sha}/pulls", what=f"commit {where.sha[:12]}"
            )
            if isinstance(pr, dict) and pr.get("merged_at")
            if _get(pr, "base", "ref") == where.branch
        ]
        if not pulls:
            return Nothing(
                f"no merged pull request brought commit {where.sha[:12]} to {where.branch}: "
                "nothing was reviewed, nothing is applied"
            )
        exact = [
            pr for pr in pulls if where.sha in (pr.get("merge_commit_sha"), _get(pr, "head", "sha"))
        ]
        pr = max(exact or pulls, key=lambda p: (str(p.get("merged_at")), int(p["number"])))
        number = int(pr["number"])
        self._head_ref = str(_get(pr, "head", "ref") or "")
        return Change(number, str(_get(pr, "head", "sha") or ""), f"pull request #{number}")

    def final_plans(self, change: Change) -> list[Candidate] | Nothing:
        where = self.where
        # Every pull request is planned (a workflow cannot skip a job by the paths changed
        # without losing its required check): one that changed none of this entry's
        # manifests (a README edit) has nothing for this entry to apply.
        if where.manifests and not any(
            reviewable(path, (where.manifests,)) for path in self.changed_paths(change)
        ):
            return Nothing(
                f"{change.name} changed nothing under {where.manifests}: nothing to apply"
            )
        runs = self._final_runs(change)
        jobs = [
            (run, job)
            for run in runs
            for job in self.api.pages(
                f"{self.repo}/actions/runs/{run['id']}/jobs",
                what=f"{change.name}: run {run['id']}",
                params={"filter": "all"},
                key="jobs",
            )
            if isinstance(job, dict) and is_plan_job(str(job.get("name", "")), where.plan_job)
            if job.get("conclusion") != "skipped"
        ]
        if not jobs:
            numbers = ", ".join(str(run["id"]) for run in runs)
            return Nothing(
                f"{change.name} changed no manifest of this entry (its runs {numbers} have no "
                f"job {where.plan_job!r}): nothing to apply"
            )
        # A job a re-run did not run again is listed again under the new attempt with its id.
        jobs = list({int(job["id"]): (run, job) for run, job in reversed(jobs)}.values())
        done = [(run, job) for run, job in jobs if job.get("conclusion") == "success"]
        if not done:
            run, job = max(jobs, key=lambda rj: int(rj[1]["id"]))
            raise ReviewError(
                f"{change.name}: the plan job {where.plan_job!r} of run {run['id']} ended "
                f"{job.get('conclusion') or job.get('status')!r}, so no plan was reviewed; "
                f"nothing was applied; {WAY_OUT}"
            )
        artifacts = {int(run["id"]): self._artifacts(change, run) for run, _ in done}
        candidates = []
        for run, job in done:
            run_id, attempt = int(run["id"]), int(job.get("run_attempt") or 1)
            name = artifact_name(where.artifact, attempt)
            made_by = f"run {run_id} attempt {attempt}"
            artifact = artifacts[run_id].get(name)
            if artifact is None or artifact.get("expired"):
                state = "expired" if artifact else "missing"
                raise ReviewError(
                    f"{change.name}: the artifact {name} of {made_by}, a successful plan, is "
                    f"{state}; without every plan nothing counts as reviewed; nothing was "
                    f"applied; {WAY_OUT}"
                )
            candidates.append(
                Candidate(
                    pipeline=run_id,
                    ref=f"attempt {attempt}",
                    job=int(artifact["id"]),
                    sha=str(run.get("head_sha") or ""),
                    made_by=made_by,
                    subject=f"{made_by}, artifact {name}",
                    run_word="run",
                    words=("run", "artifact"),
                    handle=int(artifact["id"]),
                )
            )
        return candidates

    def changed_paths(self, change: Change) -> list[str]:
        if self._changed is None:
            self._changed = list(self._list_changed_paths(change))
        return self._changed

    def _list_changed_paths(self, change: Change) -> Iterator[str]:
        count = 0
        for entry in self.api.pages(f"{self.repo}/pulls/{change.number}/files", what=change.name):
            if isinstance(entry, dict):
                count += 1
                yield from (
                    str(p) for p in (entry.get("previous_filename"), entry.get("filename")) if p
                )
        if count >= MAX_LISTED_FILES:
            raise ReviewError(
                f"{change.name} changed {count:,} files or more, more than GitHub lists, so "
                f"the changed paths cannot be checked; nothing was applied; {WAY_OUT}"
            )

    def plan_json(self, change: Change, candidate: Candidate) -> bytes | None:
        what = f"{change.name}: {candidate.subject}"
        try:
            data = self.api.download(
                f"{self.repo}/actions/artifacts/{candidate.handle}/zip", what=what
            )
        except Gone:
            return None
        return file_in_zip(data, PLAN_ARTIFACT, what=what)

    def _final_runs(self, change: Change) -> list[dict[str, Any]]:
        """The finished pull_request runs of this workflow for the final head, from this
        repository's branch of the pull request; at least one of them successful."""
        self._check_no_other_base(change)
        found = [
            run
            for run in self.api.pages(
                f"{self.repo}/actions/runs",
                what=change.name,
                params={"head_sha": change.head, "event": "pull_request"},
                key="workflow_runs",
            )
            if isinstance(run, dict) and run.get("head_sha") == change.head
            if run.get("event") == "pull_request"
            if str(run.get("path") or "").partition("@")[0] == self.where.workflow
            if run.get("status") == "completed"
            if run.get("head_branch") == self._head_ref
            if _get(run, "head_repository", "full_name") == self.where.repository
        ]
        if not any(run.get("conclusion") == "success" for run in found):
            raise ReviewError(
                f"{change.name}: no successful run of {self.where.workflow} for its final head "
                f"{change.head[:12]}, so what was merged was never planned and reviewed; "
                f"nothing was applied; {WAY_OUT}"
            )
        return sorted(found, key=lambda run: int(run["id"]))

    def _check_no_other_base(self, change: Change) -> None:
        """A run does not say which pull request it ran for (`pull_requests` lists open ones
        only), and a pull request's run takes its workflow from its base branch: a pull
        request of the same branch into another base, whose workflow a writer changed, would
        make runs that look like this one's. Then no run can be trusted: fail closed."""
        owner = self.where.repository.split("/")[0]
        others = [
            pr
            for pr in self.api.pages(
                f"{self.repo}/pulls",
                what=change.name,
                params={"head": f"{owner}:{self._head_ref}", "state": "all"},
            )
            if isinstance(pr, dict) and pr.get("number") != change.number
            if _get(pr, "base", "ref") != self.where.branch
        ]
        if others:
            numbers = ", ".join(f"#{pr.get('number')}" for pr in others)
            raise ReviewError(
                f"{change.name}: its branch {self._head_ref} is also the head of pull request "
                f"{numbers} into another branch, whose runs cannot be told apart from this "
                f"one's; nothing was applied; {WAY_OUT}"
            )

    def _artifacts(self, change: Change, run: dict[str, Any]) -> dict[str, dict[str, Any]]:
        listed = self.api.pages(
            f"{self.repo}/actions/runs/{run['id']}/artifacts",
            what=f"{change.name}: run {run['id']}",
            key="artifacts",
        )
        return {str(a.get("name")): a for a in listed if isinstance(a, dict)}


def _get(data: dict[str, Any], *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)  # type: ignore[assignment]
    return data
