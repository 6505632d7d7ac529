"""The apply engine: submit the plan's exports in bulk, wait for them, confirm the results.

Ordering rules:
- a bulk create call holds at most 100 items of one mode (`copy_only` is per call); items for
  several volumes share calls; a partial call is sent only when no more items of its mode can
  become ready, so N items of a mode take ceil(N/100) calls;
- a move waits until every copy of its file has COMPLETED; when one fails or is still running
  at the deadline, the move is held (moving first would make that copy impossible forever);
- an item with a PENDING or RUNNING job is never submitted: in-flight items are watched, jobs
  the journal knows are looked up by id before anything is sent, and a create call that ended
  without an answer is resolved by re-reading the platform (`recover.py`) at once; what it
  does not show yet is sent again only once the call can no longer take effect, while the
  run goes on (`_Deferred`); a call that failed before it was written created nothing;
- an answer that gives one job to two items, or another file's job, leaves those items
  unknown, with the reason;
- polling is interleaved with submission: as soon as a full call's worth of jobs is due, it is
  polled, so the first jobs are confirmed while the last are still being sent.

Up to `EngineSettings.creates_in_flight` create calls are in flight at once. Worker threads
only make the call and journal its answer (`submit.send`); the `submit` record is written
before a call is handed to a worker, and every answer is handled on the engine's thread, which
alone touches queues, outcomes, the poller and progress. With 1, calls are made on the engine's
thread, one after another.

Per-item errors are recorded against their item and everything else goes on.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterator, Sequence
from concurrent import futures
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial

from reconciler.api.config import DEFAULT_READ_TIMEOUT
from reconciler.api.resources import Export, ItemError
from reconciler.apply.journal import Journal, JournalHistory
from reconciler.apply.outcome import ItemOutcome, Result
from reconciler.apply.poll import BULK_SIZE, FINAL_STATES, Poller, Schedule
from reconciler.apply.ports import ExportsApi
from reconciler.apply.progress import Counts, Progress
from reconciler.apply.recover import Recovery, recover
from reconciler.apply.submit import announce, send, target
from reconciler.apply.verify import check_file, check_job, check_size
from reconciler.errors import ApiError, TransportError
from reconciler.live.model import ACTIVE_JOB_STATES
from reconciler.manifest.models import Mode
from reconciler.plan.model import Action, ReasonCode

DEFAULT_WAIT_TIMEOUT = 3600.0
# Create calls for one item whose answers were lost and after which the platform showed
# nothing: beyond this the item is reported as unknown and left for a re-run.
MAX_SUBMIT_ATTEMPTS = 3
# Create calls in flight at once: each waits mostly on the network, so a few overlap well;
# the rate pacer, shared by every thread, still keeps the whole run within the budget.
CREATES_IN_FLIGHT = 4
UNCERTAIN_MARGIN = 5.0
_PROBLEMS = (Result.FAILED, Result.UNKNOWN, Result.HELD)


@dataclass(frozen=True, slots=True)
class EngineSettings:
    wait_timeout: float = DEFAULT_WAIT_TIMEOUT
    schedule: Schedule = field(default_factory=Schedule)
    # A create call whose answer was lost may still be executing on the server (a timed-out
    # request, a connection a load balancer closed, one sent by a process since killed): the
    # platform is re-read at once, and what it does not show is sent again only once the call
    # can no longer take effect: this long (the client's read timeout) plus the margin after
    # it was sent. Nothing waits meanwhile.
    uncertain_grace: float = DEFAULT_READ_TIMEOUT
    # Beyond the read timeout: the platform may commit a little after the client gave up.
    uncertain_margin: float = UNCERTAIN_MARGIN
    creates_in_flight: int = CREATES_IN_FLIGHT

    def __post_init__(self) -> None:
        if self.creates_in_flight < 1:
            raise ValueError("creates_in_flight must be 1 or more")


Answers = list[Export | ItemError]


@dataclass(frozen=True, slots=True)
class _Call:
    """A create call handed to a worker: its items, and when it was sent (engine clock)."""

    batch: list[ItemOutcome]
    sent: float


@dataclass(frozen=True, slots=True)
class _Deferred:
    """Items of a create call without an answer that the platform did not show yet: they are
    read again, and what is still missing is sent again, only at `due` (engine clock), when
    the call can no longer take effect. Nothing waits for them meanwhile."""

    due: float
    batch: list[ItemOutcome]


class Engine:
    def __init__(
        self,
        api: ExportsApi,
        journal: Journal,
        *,
        clock: Callable[[], float],
        sleep: Callable[[float], None],
        wall_clock: Callable[[], float] = time.time,
        progress: Progress | None = None,
        settings: EngineSettings | None = None,
    ) -> None:
        self._wall_clock = wall_clock
        self._api = api
        self._journal = journal
        self._clock = clock
        self._sleep = sleep
        self._progress = progress
        self._settings = settings or EngineSettings()
        self._poller = Poller(api, clock, self._settings.schedule)
        self._by_job: defaultdict[str, list[ItemOutcome]] = defaultdict(list)
        self._ready: dict[Mode, deque[ItemOutcome]] = {Mode.COPY: deque(), Mode.MOVE: deque()}
        self._gated: dict[str, list[ItemOutcome]] = {}  # file id -> moves waiting for copies
        self._open_copies: Counter[str] = Counter()
        self._failed_copy: dict[str, ItemOutcome] = {}
        self._copies: set[str] = set()  # keys of copies that moves of their file wait for
        self._attempts: Counter[str] = Counter()
        self._unconfirmed: list[ItemOutcome] = []
        self._finished: Counter[Result] = Counter()
        self._total = 0
        self._workers: futures.ThreadPoolExecutor | None = None
        self._in_flight: dict[futures.Future[Answers], _Call] = {}  # in the order sent
        self._deferred: list[_Deferred] = []

    # ---- the run -------------------------------------------------------------------------

    def run(self, outcomes: Sequence[ItemOutcome], history: JournalHistory | None = None) -> None:
        """Drive every outcome without a result to one; returns when all have one."""
        with self._create_workers():
            try:
                self._run(outcomes, history)
            except KeyboardInterrupt:
                if self._progress is not None:
                    self._progress.interrupted(
                        running=len(self._poller),
                        unanswered=sum(len(c.batch) for c in self._in_flight.values()),
                    )
                raise

    @contextmanager
    def _create_workers(self) -> Iterator[None]:
        """The threads that make create calls (none with 1 call in flight). On the way out,
        even on an error, calls still in flight are waited for: their answers are journaled
        before the caller closes the journal."""
        count = self._settings.creates_in_flight
        if count == 1:
            yield
            return
        self._workers = futures.ThreadPoolExecutor(
            max_workers=count, thread_name_prefix="reconciler-create"
        )
        try:
            yield
        finally:
            self._workers.shutdown(wait=True)
            self._workers = None

    def _run(self, outcomes: Sequence[ItemOutcome], history: JournalHistory | None) -> None:
        self._total = len(outcomes)
        self._finished.update(o.result for o in outcomes if o.result is not None)
        to_submit = self._classify([o for o in outcomes if o.result is None])
        if history is not None:
            to_submit = self._resume(history, to_submit)
        self._queue(to_submit)
        deadline = self._clock() + self._settings.wait_timeout
        while True:
            self._recheck_deferred()
            self._submit_ready()
            if not self._poller and not self._in_flight and not self._deferred:
                break
            now = self._clock()
            if now >= deadline:
                break
            dues = [d.due for d in self._deferred]
            next_poll = self._poller.next_due()
            if next_poll is not None:
                dues.append(next_poll)
            wake = min([*dues, deadline])
            if wake > now:
                self._wait(wake - now)
                continue
            if next_poll is not None and next_poll <= now:
                self._poll_once()
        # Moves released by the last polls but waiting to fill a call: send them now, and
        # take every answer still outstanding.
        self._submit_ready(flush=True)
        self._confirm_unknown_results()
        self._finish_at_deadline()
        for o in outcomes:
            if o.result is None:  # never expected; a report must still say something
                self._finish(o, Result.UNKNOWN, "the engine lost track of this item")
        self._show(force=True)

    def _classify(self, outcomes: list[ItemOutcome]) -> list[ItemOutcome]:
        """Finish what needs no job, watch what is in flight; return what is to be sent."""
        for o in outcomes:
            item = o.item
            if item.mode is Mode.COPY and (item.submits or self._watches(o)):
                self._open_copies[item.source.file_id or ""] += 1
                self._copies.add(item.key)
        to_submit = []
        for o in outcomes:
            item = o.item
            if item.action is Action.BLOCKED:
                self._finish(o, Result.BLOCKED, item.reason)
            elif item.action is Action.IN_SYNC:
                self._finish(o, Result.IN_SYNC)
            elif self._watches(o) and item.job_id:
                self._track(o, item.job_id)
            elif item.action is Action.IN_FLIGHT:
                # The planner waits for another job here; the next plan decides this item.
                self._finish(o, Result.HELD, f"{item.reason}; run apply again after it")
            else:
                to_submit.append(o)
        return to_submit

    def _queue(self, outcomes: list[ItemOutcome]) -> None:
        for o in outcomes:
            file_id = o.item.source.file_id or ""
            if o.item.mode is Mode.MOVE and self._open_copies[file_id]:
                self._gated.setdefault(file_id, []).append(o)
            elif o.item.mode is Mode.MOVE and file_id in self._failed_copy:
                self._hold(o, self._failed_copy[file_id])
            else:
                self._ready[o.item.mode].append(o)

    @staticmethod
    def _watches(o: ItemOutcome) -> bool:
        return o.item.action is Action.IN_FLIGHT and o.item.reason_code is ReasonCode.JOB_ACTIVE

    # ---- picking up an earlier run -------------------------------------------------------

    def _resume(self, history: JournalHistory, outcomes: list[ItemOutcome]) -> list[ItemOutcome]:
        """Before sending anything: jobs the journal knows are looked up by id, and items of a
        call whose answer never came are re-read from the platform. Returns what is left."""
        known = {t: job for job, t in history.open_jobs.items()}
        lookups: dict[str, ItemOutcome] = {}
        uncertain: list[ItemOutcome] = []
        left: list[ItemOutcome] = []
        sent_at: dict[str, float] = {}  # item key -> when its call was sent (Unix time)
        for o in outcomes:
            t = target(o.item)
            if t in known:
                lookups[known[t]] = o
            elif t in history.uncertain:
                uncertain.append(o)
                sent_at[o.item.key] = history.uncertain[t]
            else:
                left.append(o)
        ids = list(lookups)
        for start in range(0, len(ids), BULK_SIZE):
            chunk = ids[start : start + BULK_SIZE]
            try:
                answers: list[Export | ItemError] = self._api.bulk_get_exports(chunk)
            except ApiError:
                answers = [ItemError(message="not read")] * len(chunk)
            for job_id, answer in zip(chunk, answers, strict=True):
                o = lookups[job_id]
                if isinstance(answer, Export) and answer.state in ACTIVE_JOB_STATES:
                    self._track(o, job_id)
                    o.job_state = answer.state
                elif isinstance(answer, Export) and answer.state == "COMPLETED":
                    o.job_id = job_id
                    self._on_final(o, answer)
                else:
                    # FAILED or unreadable: the platform's job list decides, as for any item.
                    uncertain.append(o)
        # A call of a killed run may still take effect until its read timeout has passed
        # since it was sent (the journal says when, in Unix time): read the platform now, and
        # send again what it does not show only after that, on this run's clock.
        uncertain_sent: dict[float, list[ItemOutcome]] = {}
        for o in uncertain:
            uncertain_sent.setdefault(sent_at.get(o.item.key, 0.0), []).append(o)
        wall_now, now = self._wall_clock(), self._clock()
        for sent, batch in sorted(uncertain_sent.items()):
            self._recover(batch, sent=now - max(0.0, wall_now - sent), requeue=left)
        return left

    # ---- submitting ----------------------------------------------------------------------

    def _submit_ready(self, *, flush: bool = False) -> None:
        """Send what fills calls (and what cannot wait for more), keeping at most
        `creates_in_flight` calls out; with `flush`, send everything and take every answer."""
        limit = self._settings.creates_in_flight
        while True:
            for mode in (Mode.COPY, Mode.MOVE):
                queue = self._ready[mode]
                while len(queue) >= BULK_SIZE or (queue and not self._more_may_come(mode, flush)):
                    if len(self._in_flight) >= limit:
                        self._take_answers()
                        continue  # an answer may have put items back at the front
                    batch = [queue.popleft() for _ in range(min(BULK_SIZE, len(queue)))]
                    self._submit(batch, mode)
                    if self._poller.due_count() >= BULK_SIZE:
                        self._poll_once()
            if not (flush and self._in_flight):
                return
            self._take_answers(every=True)

    def _more_may_come(self, mode: Mode, flush: bool) -> bool:
        return mode is Mode.MOVE and bool(self._gated) and not flush

    def _submit(self, batch: list[ItemOutcome], mode: Mode) -> None:
        for o in batch:
            self._attempts[o.item.key] += 1
        sent = self._clock()
        announced = announce(self._journal, [o.item for o in batch], mode)
        call = _Call(batch, sent)
        if self._workers is None:
            self._answered(call, partial(send, self._api, self._journal, announced))
        else:
            self._in_flight[self._workers.submit(send, self._api, self._journal, announced)] = call

    def _wait(self, seconds: float) -> None:
        """Sleep, or while calls are in flight, wait as long for the first answer."""
        if not self._in_flight:
            self._sleep(seconds)
            return
        done, _ = futures.wait(self._in_flight, seconds, return_when=futures.FIRST_COMPLETED)
        if done:
            self._take_answers()

    def _take_answers(self, *, every: bool = False) -> None:
        """Handle the answers of calls in flight, in the order sent: at least one (all of them
        with `every`), waiting for them as long as it takes."""
        until = futures.ALL_COMPLETED if every else futures.FIRST_COMPLETED
        done, _ = futures.wait(self._in_flight, return_when=until)
        for future in [f for f in self._in_flight if f in done]:
            self._answered(self._in_flight.pop(future), future.result)

    def _answered(self, call: _Call, result: Callable[[], Answers]) -> None:
        """Apply one call's answers (`result()` returns them, or raises as the call did)."""
        batch = call.batch
        try:
            answers = result()
        except TransportError as exc:
            if exc.sent:
                self._recover(batch, sent=call.sent)
            else:
                # It failed before the request was written (after the transport's own
                # retries): nothing was created.
                for o in batch:
                    self._finish(
                        o, Result.FAILED, f"not sent ({exc}); nothing was created: run again"
                    )
            return
        claimed = Counter(a.id for a in answers if isinstance(a, Export))
        for o, answer in zip(batch, answers, strict=True):
            if isinstance(answer, ItemError):
                self._finish(o, Result.FAILED, f"refused: {answer}")
                continue
            problem = _foreign(o, answer)
            if problem is None and claimed[answer.id] > 1:
                problem = f"the create answer gave job {answer.id} for {claimed[answer.id]} items"
            elif problem is None and self._by_job.get(answer.id):
                problem = f"the create answer gave job {answer.id}, which is another item's"
            if problem is not None:
                self._finish(o, Result.UNKNOWN, f"ambiguous answer: {problem}; {_RERUN}")
                continue
            self._track(o, answer.id)
            o.job_state = answer.state
        self._show()

    def _recover(
        self, batch: list[ItemOutcome], *, sent: float, requeue: list[ItemOutcome] | None = None
    ) -> None:
        """Resolve a batch whose create answer was lost, sent at `sent` (engine clock): read
        the platform at once and adopt every job found; what it does not show is read again
        once the call can no longer take effect (`_Deferred`), and only then sent again (to
        the front of its queue, or onto `requeue` before queueing has started)."""
        due = sent + self._settings.uncertain_grace + self._settings.uncertain_margin
        try:
            found = recover(self._api, [o.item for o in batch])
        except ApiError as exc:
            if self._clock() < due:
                self._deferred.append(_Deferred(due, batch))  # one more try when due
            else:
                self._unreadable(batch, exc)
            return
        missing = self._adopt(batch, found)
        if not missing:
            return
        if self._clock() < due:
            self._deferred.append(_Deferred(due, missing))
            return
        self._send_again(missing, requeue)

    def _recheck_deferred(self) -> None:
        """Read again the deferred items that are due; send again what is still missing."""
        now = self._clock()
        due = [d for d in self._deferred if d.due <= now]
        if not due:
            return
        self._deferred = [d for d in self._deferred if d.due > now]
        for deferred in due:
            batch = [o for o in deferred.batch if o.result is None and o.job_id is None]
            if not batch:
                continue
            try:
                found = recover(self._api, [o.item for o in batch])
            except ApiError as exc:
                self._unreadable(batch, exc)
                continue
            missing = self._adopt(batch, found)
            self._send_again(missing, None)

    def _unreadable(self, batch: list[ItemOutcome], exc: ApiError) -> None:
        for o in batch:
            self._finish(
                o,
                Result.UNKNOWN,
                f"the create call's answer was lost and re-reading failed ({exc}); "
                "a re-run re-reads before submitting",
            )

    def _adopt(self, batch: list[ItemOutcome], found: Recovery) -> list[ItemOutcome]:
        """Take what re-reading found for `batch`; return the items it did not find."""
        by_key = {o.item.key: o for o in batch}
        missing = {item.key for item in found.missing}
        # Only what is settled is journaled as resolved: the items still missing stay
        # uncertain until they are sent again, so a kill meanwhile re-reads them.
        self._journal.write(
            "resolved",
            items=[target(o.item).as_dict() for o in batch if o.item.key not in missing],
            jobs={job: target(by_key[key].item).as_dict() for key, job in found.jobs.items()},
        )
        for o in batch:
            key = o.item.key
            if key in found.jobs:
                self._track(o, found.jobs[key])
            elif key in found.done:
                o.object_size = found.done[key]
                self._finish(o, Result.COMPLETED)
            elif key in found.failed:
                self._finish(o, Result.FAILED, found.failed[key])
        return [by_key[item.key] for item in found.missing]

    def _send_again(self, missing: list[ItemOutcome], requeue: list[ItemOutcome] | None) -> None:
        for o in missing:
            item = o.item
            if self._attempts[item.key] >= MAX_SUBMIT_ATTEMPTS:
                self._finish(
                    o,
                    Result.UNKNOWN,
                    f"{self._attempts[item.key]} create calls went unanswered",
                )
            elif requeue is not None:
                requeue.append(o)
            else:
                self._queue([o])

    # ---- waiting -------------------------------------------------------------------------

    def _track(self, o: ItemOutcome, job_id: str) -> None:
        o.job_id = job_id
        self._by_job[job_id].append(o)
        if job_id not in self._poller:
            self._poller.watch(job_id)

    def _poll_once(self) -> None:
        read, unreadable = self._poller.poll()
        records = []
        for job in read:
            if job.state not in FINAL_STATES:
                for o in self._by_job.get(job.id, []):
                    o.job_state = job.state  # the last state seen, for the receipt
                continue
            records.append({"job": job.id, "state": job.state, "error": _error(job)})
            for o in self._by_job.pop(job.id, []):
                self._on_final(o, job)
        for job_id, message in unreadable:
            records.append({"job": job_id, "state": "UNREADABLE", "error": message})
            for o in self._by_job.pop(job_id, []):
                self._finish(o, Result.UNKNOWN, f"job {job_id} cannot be read: {message}")
        if records:
            self._journal.write("final", jobs=records)
        self._show()

    def _on_final(self, o: ItemOutcome, job: Export) -> None:
        o.job_state = job.state
        problem = _foreign(o, job)
        if problem is not None:
            self._finish(o, Result.UNKNOWN, f"ambiguous answer: {problem}; {_RERUN}")
            return
        if job.state == "FAILED":
            self._finish(o, Result.FAILED, f"job FAILED: {_error(job) or 'no message'}")
            return
        verdict = check_job(o.item, job)
        if verdict.ok is None:
            self._unconfirmed.append(o)  # COMPLETED; the result does not say enough
            self._copy_done(o, ok=True)
        elif verdict.ok:
            o.object_size = verdict.size
            self._finish(o, Result.COMPLETED)
        else:
            self._finish(o, Result.FAILED, f"job COMPLETED but {verdict.problem}")

    def _confirm_unknown_results(self) -> None:
        """Re-read only what finished jobs left unknown: files for moves, objects for copies."""
        pending, self._unconfirmed = self._unconfirmed, []
        moves = [o for o in pending if o.item.mode is Mode.MOVE]
        try:
            ids = sorted({o.item.source.file_id or "" for o in moves})
            files = dict(zip(ids, self._api.bulk_get_files(ids), strict=True)) if ids else {}
            for o in pending:
                if o.item.mode is Mode.MOVE:
                    file = files[o.item.source.file_id or ""]
                    verdict = check_file(o.item, file) if not isinstance(file, ItemError) else None
                else:
                    obj = self._api.get_volume_object(
                        o.item.destination.volume, o.item.destination.location
                    )
                    verdict = check_size(o.item, obj.metadata.size) if obj else None
                if verdict is not None and verdict.ok:
                    o.object_size = verdict.size
                    self._finish(o, Result.COMPLETED)
                else:
                    problem = verdict.problem if verdict else None
                    self._finish(
                        o,
                        Result.FAILED,
                        f"job COMPLETED but {problem or 'the result could not be confirmed'}",
                    )
        except ApiError as exc:
            for o in pending:
                if o.result is None:
                    self._finish(o, Result.UNKNOWN, f"job COMPLETED; confirming failed: {exc}")

    def _finish_at_deadline(self) -> None:
        timeout = self._settings.wait_timeout
        for job_id, outcomes in self._by_job.items():
            for o in outcomes:
                self._finish(
                    o,
                    Result.RUNNING,
                    f"job {job_id} still running after --wait-timeout {timeout:g}s",
                )
        self._by_job.clear()
        for deferred in self._deferred:
            for o in deferred.batch:
                if o.result is None:
                    self._finish(
                        o,
                        Result.UNKNOWN,
                        "the create call's answer was lost and the platform did not show the "
                        f"job before --wait-timeout {timeout:g}s; {_RERUN}",
                    )
        self._deferred.clear()
        for moves in self._gated.values():
            for o in moves:
                self._finish(o, Result.HELD, "a copy of this file was still running")
        self._gated.clear()

    # ---- bookkeeping ---------------------------------------------------------------------

    def _finish(self, o: ItemOutcome, result: Result, error: str | None = None) -> None:
        o.finish(result, error)
        self._finished[result] += 1
        self._copy_done(o, ok=result in (Result.COMPLETED, Result.IN_SYNC))

    def _copy_done(self, o: ItemOutcome, *, ok: bool) -> None:
        """Release the moves of a file once its last copy has completed; hold them when one
        did not (moving first would make that copy impossible forever)."""
        if o.item.key not in self._copies:
            return
        self._copies.discard(o.item.key)
        file_id = o.item.source.file_id or ""
        if not ok:
            self._failed_copy.setdefault(file_id, o)
        self._open_copies[file_id] -= 1
        if self._open_copies[file_id]:
            return
        failed = self._failed_copy.get(file_id)
        for move in self._gated.pop(file_id, []):
            if failed is None:
                self._ready[Mode.MOVE].append(move)
            else:
                self._hold(move, failed)

    def _hold(self, move: ItemOutcome, copy: ItemOutcome) -> None:
        dest = f"{copy.item.destination.volume}:{copy.item.destination.location}"
        self._finish(move, Result.HELD, f"not moved: the copy to {dest} did not complete")

    def _eta(self, done: int) -> float | None:
        """Seconds until the last item is done, from how long this run's jobs took: the job
        submitted last finishes about that long after it was submitted, and items not sent
        yet take about as long again once they are."""
        typical = self._poller.typical_age()
        if typical is None:
            return None
        now = self._clock()
        youngest = self._poller.youngest_since()
        eta = max(0.0, youngest + typical - now) if youngest is not None else 0.0
        waiting = self._total - done - len(self._poller)
        return eta + typical if waiting > 0 else eta

    def _show(self, *, force: bool = False) -> None:
        if self._progress is None:
            return
        done = sum(self._finished.values())
        failed = sum(self._finished[r] for r in _PROBLEMS)
        in_flight = sum(len(v) for v in self._by_job.values()) if force else len(self._poller)
        counts = Counts(done=done, in_flight=in_flight, failed=failed, eta=self._eta(done))
        if force:
            self._progress.finish(counts)
        else:
            self._progress.update(counts)


_RERUN = "a re-run reads the platform before sending anything"


def _foreign(o: ItemOutcome, job: Export) -> str | None:
    """Why `job` cannot be this item's, if it cannot: another file or another destination
    than the item's, or a result that is another file."""
    item = o.item
    wanted = (item.source.file_id, item.destination.volume, item.destination.location)
    got = (job.source.file, job.destination.volume, job.destination.location)
    if got != wanted:
        return f"job {job.id} ({job.state}) exports file {got[0]} to {got[1]}:{got[2]}"
    if job.result is not None and job.result.id and job.result.id != item.source.file_id:
        return f"job {job.id} ({job.state}) has file {job.result.id} as its result"
    return None


def _error(job: Export) -> str | None:
    return str(job.error) if job.error is not None else None
