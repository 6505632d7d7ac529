"""Find the plan reviewers saw for the commit a default-branch pipeline applies: one use case,
whatever hosts the change (GitLab: `gitlab_plans.py`; GitHub: `github_plans.py`).

The commit on the default branch is never matched to a plan by its SHA (squash and merge
commits have new ones). Instead a host adapter (`PlanHost`) answers four questions, and this
module decides:

1. the merged change (merge request, pull request) that brought the commit; none: `Nothing`
   (a direct push: nothing was reviewed, nothing is applied);
2. every successful plan of this matrix entry for the change's final head, every attempt
   included (a retried job, a re-run, merged-results and merge-train pipelines): reviewers
   may have read any of them. None at all: `Nothing` (the change touched no manifest of this
   entry); some, but none successful, or none for the final head: a `ReviewError`;
3. the change's changed paths: all of them must lie in the reviewable paths (the manifests),
   because a change that edits the pipeline or the tool also chose the job that made its plan;
4. each plan's `plan.json`: missing or expired, not a plan, or made at another commit than
   its run's: a `ReviewError`.

The reviewed plan is what every one of those plans agrees on (`agreed.py`): reviewers approved
while some existed and others did not yet, so an export shown by only some of them (a file
that appeared before a later plan) is not reviewed.

Every `ReviewError` means fail closed: nothing is applied, one line says why and names the way
out (the host's manual plan-current / apply-current pair).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from reconciler.errors import PlanFileError, ReconcilerError
from reconciler.gitops.agreed import Agreement, LeftOut, Source, agree
from reconciler.plan.io import load_plan
from reconciler.plan.model import Plan

PLAN_ARTIFACT = "plan.json"


class ReviewError(ReconcilerError):
    """The reviewed plan cannot be found or does not belong: nothing may be applied."""


@dataclass(frozen=True, slots=True)
class Change:
    """The merged change that brought the commit: its number, its final head, and how it is
    named to people ("merge request !3", "pull request #3") and in the sources file."""

    number: int
    head: str
    name: str


@dataclass(frozen=True, slots=True)
class Candidate:
    """One successful plan of the final head, before its plan.json is read."""

    pipeline: int  # the pipeline, or the workflow run
    ref: str  # the pipeline's ref, or the run's attempt
    job: int  # the job, or the artifact
    sha: str  # the commit its pipeline or run planned
    made_by: str  # "job 130", "run 55 attempt 2"
    subject: str  # what error lines lead with, after the change's name
    run_word: str = "pipeline"  # "its pipeline's commit", "its run's commit"
    words: tuple[str, str] = ("pipeline", "job")
    handle: object = None  # what the host needs to fetch the artifact


@dataclass(frozen=True, slots=True)
class Nothing:
    reason: str


class PlanHost(Protocol):
    """The port: what a code host tells about a merged change and its plans."""

    way_out: str  # the jobs that plan and apply the current state, named for this host

    def merged_change(self) -> Change | Nothing: ...

    def final_plans(self, change: Change) -> list[Candidate] | Nothing: ...

    def changed_paths(self, change: Change) -> Iterable[str]: ...

    def plan_json(self, change: Change, candidate: Candidate) -> bytes | None: ...


@dataclass(frozen=True, slots=True)
class Reviewed:
    change: Change
    sources: tuple[Source, ...]  # every plan taken into account, oldest first
    plan: Plan  # what all of them agree on
    left_out: tuple[LeftOut, ...]

    @property
    def merge_request(self) -> int:
        return self.change.number

    @property
    def head(self) -> str:
        return self.change.head

    def describe(self) -> str:
        plans = "; ".join(str(s) for s in self.sources)
        return f"the plan reviewed in {self.change.name}, shown in every plan: {plans}"

    def record(self) -> dict[str, object]:
        """What `apply --reviewed-sources` keeps in its receipt."""
        record: dict[str, object] = {
            "merge_request": self.change.number,
            "head": self.change.head,
            "plans": [s.record() for s in self.sources],
            "plan_digest": self.plan.digest,
            "not_reviewed": [o.record() for o in self.left_out],
        }
        if not self.change.name.startswith("merge request"):
            record["change"] = self.change.name
        return record


def find_reviewed(host: PlanHost, reviewable: Sequence[str]) -> Reviewed | Nothing:
    change = host.merged_change()
    if isinstance(change, Nothing):
        return change
    found = host.final_plans(change)
    if isinstance(found, Nothing):
        return found
    check_changed_paths(change, host.changed_paths(change), reviewable, host.way_out)
    plans = [_plan(host, change, candidate) for candidate in found]
    plans.sort(key=lambda sp: sp[0].job)  # jobs and artifacts are numbered as they are made
    agreement: Agreement = agree(plans)
    return Reviewed(change, tuple(s for s, _ in plans), agreement.plan, agreement.left_out)


def reviewable(path: str, roots: Sequence[str]) -> bool:
    """Whether `path` is one of `roots` or lies under one of them (folders or files)."""
    for root in roots:
        root = root.strip("/")
        if root in ("", ".") or path == root or path.startswith(root + "/"):
            return True
    return False


def check_changed_paths(
    change: Change, changed: Iterable[str], roots: Sequence[str], way_out: str
) -> None:
    outside = sorted({p for p in changed if not reviewable(p, roots)})
    if outside:
        more = f" and {len(outside) - 10} more" if len(outside) > 10 else ""
        shown = ", ".join(outside[:10]) + more
        raise ReviewError(
            f"{change.name} changed {shown}, outside the reviewable paths "
            f"({', '.join(roots)}): such a change also chose the job that made its plan, so "
            f"that plan is not taken as reviewed; nothing was applied; {way_out} (or widen "
            "the reviewable paths when those files cannot change what is planned)"
        )


def _plan(host: PlanHost, change: Change, candidate: Candidate) -> tuple[Source, Plan]:
    subject = f"{change.name}: {candidate.subject}"
    data = host.plan_json(change, candidate)
    if data is None:
        raise ReviewError(
            f"{subject}: no {PLAN_ARTIFACT} artifact (expired or never written); nothing was "
            f"applied; {host.way_out}"
        )
    try:
        plan = load_plan(data.decode("utf-8"))
    except (UnicodeDecodeError, PlanFileError) as exc:
        raise ReviewError(
            f"{subject}: {PLAN_ARTIFACT} is not a usable plan ({exc}); nothing was applied; "
            f"{host.way_out}"
        ) from None
    planned_at = plan.manifests_commit
    if planned_at is not None and planned_at != candidate.sha:
        raise ReviewError(
            f"{change.name}: the plan of {candidate.made_by} was made at commit "
            f"{planned_at[:12]}, not at its {candidate.run_word}'s commit {candidate.sha[:12]}; "
            f"nothing was applied; {host.way_out}"
        )
    source = Source(candidate.pipeline, candidate.ref, candidate.job, plan.digest, candidate.words)
    return source, plan
