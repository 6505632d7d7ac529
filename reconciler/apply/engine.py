"""The apply engine: submit the plan's exports in bulk, wait for them, confirm the results.

One run, verb by verb, each in its own module:
- `classify`: settle what needs no job, watch the jobs already running;
- `resume`: pick up what an earlier run's journal knows, before anything is sent;
- `creates`: send the ready items in bulk create calls (at most 100 items of one mode per call;
  up to `EngineSettings.creates_in_flight` calls in flight) and take their answers, which
  `answers` reads (an ambiguous answer leaves its items unknown, with the reason);
- `lost_answers`: a call that ended without an answer is resolved by re-reading the platform,
  and what it does not show is sent again only once the call can no longer take effect;
- `watch`: poll the jobs (interleaved with submission) and turn final jobs into verdicts;
- `closing_read`: re-read, at the end, what finished jobs left unknown;
- `queues` and `gate`: the queues of items ready to send, and the move gate (a move goes only
  once every copy of its file has completed, and is held when one did not);
- `ledger`: every result, recorded from the verdicts the parts return, and the counts;
- `tally`: the counts and the time left, for progress;
- `intake`: with a saved plan, its items arrive while the run goes on, read a chunk at a
  time ahead of the engine; each chunk joins the run as above (classified, resumed, queued).

Each part returns what it decided (`outcome.Decisions`: verdicts, items to send again, copies
done), as the move gate returns a `Release`; this module alone records it, in the ledger, and
updates the progress. It assembles the parts (the lost answers and the create calls share the
run's API, journal, queues, watch, clock and this recorder as one `context.RunContext`) and is
the loop that ties them together until every item has a result or `--wait-timeout` is reached:
then jobs still running are reported running, lost answers not resolved unknown, and moves
still waiting for a copy held. Per-item errors are recorded against their item and everything
else goes on.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from concurrent import futures
from contextlib import contextmanager
from dataclasses import dataclass

from reconciler.apply.classify import classify, expects_job
from reconciler.apply.closing_read import closing_read
from reconciler.apply.context import RunContext
from reconciler.apply.creates import CreateCalls
from reconciler.apply.intake import Arrival, Intake
from reconciler.apply.journal import Journal, JournalHistory
from reconciler.apply.ledger import Ledger
from reconciler.apply.lost_answers import LostAnswers
from reconciler.apply.outcome import Decisions, ItemOutcome, Reason, Result, Verdict
from reconciler.apply.poll import Poller
from reconciler.apply.ports import ExportsApi
from reconciler.apply.progress import Progress
from reconciler.apply.resume import resume
from reconciler.apply.settings import MAX_SUBMIT_ATTEMPTS, EngineSettings
from reconciler.apply.tally import Tally
from reconciler.apply.watch import JobWatch
from reconciler.manifest.models import Mode


def thread_workers(count: int) -> futures.Executor:
    return futures.ThreadPoolExecutor(max_workers=count, thread_name_prefix="reconciler-create")


def reader_thread() -> futures.Executor:
    """The one worker that reads an intake's chunks, in order."""
    return futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="reconciler-intake")


@dataclass(frozen=True, slots=True)
class _Run:
    """The parts of one run, sharing its ledger."""

    ledger: Ledger
    watch: JobWatch
    lost: LostAnswers
    calls: CreateCalls
    tally: Tally


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
        workers: Callable[[int], futures.Executor] = thread_workers,
        reader: Callable[[], futures.Executor] = reader_thread,
    ) -> None:
        """`workers(n)` makes the executor of create calls when more than one may be in
        flight, `reader()` the one that reads an intake's chunks (tests may pass executors
        that run each call at once)."""
        self._api = api
        self._journal = journal
        self._clock = clock
        self._sleep = sleep
        self._wall_clock = wall_clock
        self._progress = progress
        self._settings = settings or EngineSettings()
        self._make_workers = workers
        self._make_reader = reader

    def run(
        self,
        outcomes: Sequence[ItemOutcome],
        history: JournalHistory | None = None,
        *,
        intake: Intake | None = None,
        decided: Sequence[Verdict] = (),
    ) -> None:
        """Drive every outcome without a result to one, and those `intake` delivers as they
        arrive; returns when all have one. `decided`: verdicts reached before the run (the
        re-read after a prompt), recorded first."""
        everyone = [*outcomes, *intake.pending] if intake is not None else outcomes
        run = self._assemble(everyone, more_coming=lambda: bool(intake))
        with run.calls.workers(self._make_workers), self._reading(intake):
            try:
                run.ledger.record(decided)
                if intake is not None:
                    # A move must not go before a copy of its file that has not arrived yet.
                    for o in intake.pending:
                        if expects_job(o) and o.item.mode is Mode.COPY:
                            run.ledger.queues.expect_copy(o)
                self._admit(run, [o for o in outcomes if o.result is None], history)
                self._until_done_or_deadline(run, history, intake)
                # Moves released by the last polls but waiting to fill a call: send them now,
                # and take every answer still outstanding.
                run.calls.submit_ready(flush=True)
                if intake is not None:
                    self._admit_arrivals(run, intake.abandon(), history)
                self._settle(run, everyone)
            except KeyboardInterrupt:
                run.tally.interrupted(unanswered=run.calls.items_unanswered())
                raise

    @contextmanager
    def _reading(self, intake: Intake | None) -> Iterator[None]:
        if intake is None:
            yield
            return
        reader = self._make_reader()
        intake.start(reader)
        try:
            yield
        finally:
            reader.shutdown(wait=True, cancel_futures=True)

    def _admit(
        self, run: _Run, outcomes: Sequence[ItemOutcome], history: JournalHistory | None
    ) -> None:
        """Outcomes that join the run: settled, watched, or resumed and queued to be sent."""
        found = classify(outcomes)
        for o in found.copies:
            run.ledger.queues.expect_copy(o)
        run.ledger.record(found.verdicts)
        for o, job_id in found.watch:
            run.watch.track(o, job_id)
        decided = Decisions(send=found.send)
        if history is not None and found.send:
            decided = resume(
                history,
                found.send,
                api=self._api,
                watch=run.watch,
                lost=run.lost,
                clock=self._clock,
                wall_clock=self._wall_clock,
            )
        self._record(run, decided, show=False)

    def _admit_arrivals(
        self, run: _Run, arrivals: Sequence[Arrival], history: JournalHistory | None
    ) -> None:
        if not arrivals:
            return
        arrived: list[ItemOutcome] = []
        for arrival in arrivals:
            o = arrival.outcome
            if arrival.item is not None:
                o.item = arrival.item
                arrived.append(o)
            else:
                run.ledger.record([arrival.verdict()])
        self._admit(run, arrived, history)
        run.tally.show()

    def _record(self, run: _Run, decided: Decisions, *, show: bool = True) -> None:
        """Record what a part decided: the verdicts, the copies done (their moves may go),
        the items to send (again); then the progress."""
        ledger = run.ledger
        ledger.record(decided.verdicts)
        for o in decided.copies_done:
            ledger.copy_done(o)
        ledger.queue(decided.send)
        if show:
            run.tally.show()

    def _assemble(self, outcomes: Sequence[ItemOutcome], more_coming: Callable[[], bool]) -> _Run:
        settings, clock = self._settings, self._clock
        ledger = Ledger(outcomes)
        poller = Poller(self._api, clock, settings.schedule)
        tally = Tally(self._progress, ledger, poller, clock=clock)
        watch = JobWatch(poller, self._journal)
        run: _Run | None = None

        def record(decided: Decisions) -> None:
            assert run is not None  # parts record only once the run is assembled
            self._record(run, decided)

        context = RunContext(self._api, self._journal, ledger.queues, watch, clock, record)
        lost = LostAnswers(
            context,
            grace=settings.uncertain_grace,
            margin=settings.uncertain_margin,
            max_attempts=MAX_SUBMIT_ATTEMPTS,
        )
        calls = CreateCalls(
            context, lost, limit=settings.creates_in_flight, more_coming=more_coming
        )
        run = _Run(ledger, watch, lost, calls, tally)
        return run

    def _until_done_or_deadline(
        self, run: _Run, history: JournalHistory | None, intake: Intake | None
    ) -> None:
        """Take arriving items, send, poll and re-read lost answers, each when due, waiting
        in between, until nothing is left to wait for or the deadline has come."""
        calls, watch, lost = run.calls, run.watch, run.lost
        deadline = self._clock() + self._settings.wait_timeout
        while True:
            if intake is not None:
                self._admit_arrivals(run, intake.take(), history)
            self._record(run, lost.recheck_due(), show=False)
            calls.submit_ready()
            if not watch and not calls and not lost and not intake:
                return
            now = self._clock()
            if now >= deadline:
                return
            next_poll = watch.poller.next_due()
            dues = [due for due in (lost.next_due(), next_poll) if due is not None]
            wake = min([*dues, deadline])
            if wake > now:
                reads = intake.reading() if intake is not None else []
                if calls or reads:
                    calls.wait_for_answer(wake - now, also=reads)
                else:
                    self._sleep(wake - now)
                continue
            if next_poll is not None and next_poll <= now:
                self._record(run, watch.poll_once())

    def _settle(self, run: _Run, outcomes: Sequence[ItemOutcome]) -> None:
        """The end of a run: the closing read of what finished jobs left unknown, then every
        item still open gets its result at the deadline."""
        ledger = run.ledger
        ledger.record(closing_read(self._api, run.watch.take_unconfirmed()))
        timeout = self._settings.wait_timeout
        ledger.record(run.watch.still_running_at(timeout))
        ledger.record(run.lost.give_up(timeout))
        ledger.hold_waiting_moves()
        lost = "the engine lost track of this item"
        # Never expected; a report must still say something.
        ledger.record(
            Verdict(o, Result.UNKNOWN, Reason.LOST_TRACK, lost)
            for o in outcomes
            if o.result is None
        )
        run.tally.show(final=True)
