"""Waiting for the run's jobs: which items each job is for, polling them (`poll.Poller`), and
turning each final job into its items' results.

A COMPLETED job is checked from its own result (`verify.check_job`); what that leaves unknown is
kept for `confirm.py` to re-read in bulk at the end, and a copy so kept already lets the moves
of its file go. A job the API cannot return leaves its items unknown. Final jobs are journaled,
a poll's worth at a time.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from reconciler.api.resources import Export
from reconciler.apply.answers import ambiguous, foreign, job_error
from reconciler.apply.journal import Journal
from reconciler.apply.ledger import Ledger
from reconciler.apply.outcome import ItemOutcome, Result
from reconciler.apply.poll import FINAL_STATES, Poller
from reconciler.apply.verify import check_job


class JobWatch:
    def __init__(
        self, poller: Poller, journal: Journal, ledger: Ledger, *, show: Callable[[], None]
    ) -> None:
        self.poller = poller
        self._journal = journal
        self._ledger = ledger
        self._show = show
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

    def poll_once(self) -> None:
        read, unreadable = self.poller.poll()
        records = []
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
                self.on_final(o, job)
        for job_id, message in unreadable:
            records.append({"job": job_id, "state": "UNREADABLE", "error": message})
            for o in self._items.pop(job_id, []):
                self._ledger.finish(o, Result.UNKNOWN, f"job {job_id} cannot be read: {message}")
        if records:
            self._journal.write("final", jobs=records)
        self._show()

    def on_final(self, o: ItemOutcome, job: Export) -> None:
        o.job_state = job.state
        problem = foreign(o, job)
        if problem is not None:
            self._ledger.finish(o, Result.UNKNOWN, ambiguous(problem))
            return
        if job.state == "FAILED":
            self._ledger.finish(o, Result.FAILED, f"job FAILED: {job_error(job) or 'no message'}")
            return
        verdict = check_job(o.item, job)
        if verdict.ok is None:
            self._unconfirmed.append(o)
            self._ledger.copy_ended(o, ok=True)
        elif verdict.ok:
            o.object_size = verdict.size
            self._ledger.finish(o, Result.COMPLETED)
        else:
            self._ledger.finish(o, Result.FAILED, f"job COMPLETED but {verdict.problem}")

    def take_unconfirmed(self) -> list[ItemOutcome]:
        """The items of COMPLETED jobs whose result did not say enough, for `confirm`."""
        taken, self._unconfirmed = self._unconfirmed, []
        return taken

    def still_running_at(self, wait_timeout: float) -> None:
        """At the deadline: the items of jobs not final yet are reported running."""
        for job_id, outcomes in self._items.items():
            for o in outcomes:
                self._ledger.finish(
                    o,
                    Result.RUNNING,
                    f"job {job_id} still running after --wait-timeout {wait_timeout:g}s",
                )
        self._items.clear()
