"""Waiting for the run's jobs: which items each job is for, polling them (`poll.Poller`), and
turning each final job into its items' verdicts.

A COMPLETED job is checked from its own result (`verify.check_job`); what that leaves unknown is
kept for the closing read (`closing_read.py`) at the end, and a copy so kept already lets the
moves of its file go. A job the API cannot return leaves its items unknown. Final jobs are
journaled, a poll's worth at a time. What a poll decides is returned; the engine records it.
"""

from __future__ import annotations

from collections import defaultdict

from reconciler.api.resources import Export
from reconciler.apply.answers import ambiguous, foreign, job_error
from reconciler.apply.journal import Journal
from reconciler.apply.outcome import Decisions, ItemOutcome, Reason, Result, Verdict
from reconciler.apply.poll import FINAL_STATES, Poller
from reconciler.apply.verify import check_job


class JobWatch:
    def __init__(self, poller: Poller, journal: Journal) -> None:
        self.poller = poller
        self._journal = journal
        self._items: defaultdict[str, list[ItemOutcome]] = defaultdict(list)  # job id -> items
        self._unconfirmed: list[ItemOutcome] = []  # COMPLETED, the result did not say enough

    def __bool__(self) -> bool:
        return bool(self.poller)

    def has(self, job_id: str) -> bool:
        """An item of this run already has `job_id`."""
        return bool(self._items.get(job_id))

    def track(self, o: ItemOutcome, job_id: str) -> None:
        o.job_id = job_id
        self._items[job_id].append(o)
        if job_id not in self.poller:
            self.poller.watch(job_id)

    def poll_once(self) -> Decisions:
        read, unreadable = self.poller.poll()
        records = []
        decided = Decisions()
        for job in read:
            if job.state not in FINAL_STATES:
                for o in self._items.get(job.id, []):
                    o.job_state = job.state  # the last state seen, for the receipt
                continue
            error = job_error(job)
            records.append(
                {"job": job.id, "state": job.state, **({"error": error} if error else {})}
            )
            for o in self._items.pop(job.id, []):
                decided.add(self.on_final(o, job))
        for job_id, message in unreadable:
            records.append({"job": job_id, "state": "UNREADABLE", "error": message})
            for o in self._items.pop(job_id, []):
                why = f"job {job_id} cannot be read: {message}"
                decided.verdicts.append(Verdict(o, Result.UNKNOWN, Reason.JOB_UNREADABLE, why))
        if records:
            self._journal.write("final", jobs=records)
        return decided

    def on_final(self, o: ItemOutcome, job: Export) -> Decisions:
        """What `job`, final, says of its item `o`."""
        o.job_state = job.state
        problem = foreign(o, job)
        if problem is not None:
            return _decided(Verdict(o, Result.UNKNOWN, Reason.AMBIGUOUS_ANSWER, ambiguous(problem)))
        if job.state == "FAILED":
            why = f"job FAILED: {job_error(job) or 'no message'}"
            return _decided(Verdict(o, Result.FAILED, Reason.JOB_FAILED, why))
        check = check_job(o.item, job)
        if check.ok is None:
            self._unconfirmed.append(o)
            return Decisions(copies_done=[o])
        if check.ok:
            return _decided(
                Verdict(o, Result.COMPLETED, Reason.RESULT_CHECKED, object_size=check.size)
            )
        why = f"job COMPLETED but {check.problem}"
        return _decided(Verdict(o, Result.FAILED, Reason.RESULT_MISMATCH, why))

    def take_unconfirmed(self) -> list[ItemOutcome]:
        """The items of COMPLETED jobs whose result did not say enough, for the closing read."""
        taken, self._unconfirmed = self._unconfirmed, []
        return taken

    def still_running_at(self, wait_timeout: float) -> list[Verdict]:
        """At the deadline: the items of jobs not final yet are reported running."""
        verdicts = [
            Verdict(
                o,
                Result.RUNNING,
                Reason.WAIT_TIMEOUT,
                f"job {job_id} still running after --wait-timeout {wait_timeout:g}s",
            )
            for job_id, outcomes in self._items.items()
            for o in outcomes
        ]
        self._items.clear()
        return verdicts


def _decided(verdict: Verdict) -> Decisions:
    return Decisions(verdicts=[verdict])
