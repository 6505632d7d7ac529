"""Sending the ready items in bulk create calls, up to `limit` calls in flight, and taking
their answers.

A call holds at most 100 items of one mode. A partial call is sent only when no more items of
its mode can become ready (none waits at the move gate for a move, no chunk of a saved plan is
still being read for either), or when flushing at the end: N items of a mode take
ceil(N/100) calls. After each call, if a call's worth of jobs is due to be polled,
they are polled, so the first jobs are confirmed while the last are still being sent.

With a limit above 1, calls are made by workers (an `Executor`): a worker only makes the call
and journals its answer (`submit.send`). The `submit` record is written before a call is handed
over, and every answer is handled on the engine's thread, which alone touches the queues, the
watched jobs and progress. With a limit of 1, calls are made on the engine's thread, one after
another. An answer lost after the request was written goes to `LostAnswers`; a call that
failed before it was written created nothing, and its items fail with that reason.

What each answer (and each poll made between calls) decides is handed to the engine's
`record` as soon as it is known, not at the end of a round of calls: the engine records it,
puts what is sent again back in the queues (a flush sends it too) and updates the progress.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent import futures
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any

from reconciler.api.resources import Export, ItemError
from reconciler.apply.answers import Accepted, read_answers
from reconciler.apply.context import RunContext
from reconciler.apply.lost_answers import LostAnswers
from reconciler.apply.outcome import Decisions, ItemOutcome, Reason, Result, Verdict
from reconciler.apply.submit import announce, send
from reconciler.errors import TransportError
from reconciler.limits import BULK_LIMIT
from reconciler.manifest.models import Mode

Answers = list[Export | ItemError]


@dataclass(frozen=True, slots=True)
class _Call:
    """A create call handed to a worker: its items, and when it was sent (engine clock)."""

    batch: list[ItemOutcome]
    sent: float


class CreateCalls:
    def __init__(
        self,
        run: RunContext,
        lost: LostAnswers,
        *,
        limit: int,
        more_coming: Callable[[], bool] = lambda: False,
    ) -> None:
        """`more_coming()`: items may still join the queues (an intake is still reading), so
        a partial call waits for them."""
        self._run = run
        self._lost = lost
        self._limit = limit
        self._more_coming = more_coming
        self._workers: futures.Executor | None = None  # None: calls on the engine's thread
        self._in_flight: dict[futures.Future[Answers], _Call] = {}  # in the order sent

    @contextmanager
    def workers(self, make: Callable[[int], futures.Executor]) -> Iterator[None]:
        """The workers that make the calls while in this context, `make(limit)` (none with a
        limit of 1). On the way out, even on an error, calls still in flight are waited for:
        their answers are journaled before the caller closes the journal."""
        if self._limit == 1:
            yield
            return
        self._workers = make(self._limit)
        try:
            yield
        finally:
            self._workers.shutdown(wait=True)
            self._workers = None

    def __bool__(self) -> bool:
        """True while a call is in flight."""
        return bool(self._in_flight)

    def items_unanswered(self) -> int:
        return sum(len(call.batch) for call in self._in_flight.values())

    def submit_ready(self, *, flush: bool = False) -> None:
        """Send what fills calls (and what cannot wait for more), keeping at most `limit`
        calls out; with `flush`, send everything and take every answer."""
        ready = self._run.queues.ready
        while True:
            for mode in (Mode.COPY, Mode.MOVE):
                queue = ready[mode]
                while len(queue) >= BULK_LIMIT or (queue and not self._more_may_come(mode, flush)):
                    if len(self._in_flight) >= self._limit:
                        self.take_answers()
                        continue  # an answer may have put items back in the queue
                    batch = [queue.popleft() for _ in range(min(BULK_LIMIT, len(queue)))]
                    self._submit(batch, mode)
                    if self._run.watch.poller.due_count() >= BULK_LIMIT:
                        self._run.record(self._run.watch.poll_once())
            if not (flush and self._in_flight):
                return
            self.take_answers(every=True)

    def wait_for_answer(self, seconds: float, *, also: Sequence[futures.Future[Any]] = ()) -> None:
        """Wait up to `seconds` for the first answer of a call in flight, and take it; or
        until one of `also` (other work the caller waits on) is done."""
        done, _ = futures.wait(
            [*self._in_flight, *also], seconds, return_when=futures.FIRST_COMPLETED
        )
        if any(future in self._in_flight for future in done):
            self.take_answers()

    def take_answers(self, *, every: bool = False) -> None:
        """Handle the answers of calls in flight, in the order sent: at least one (all of them
        with `every`), waiting for them as long as it takes."""
        until = futures.ALL_COMPLETED if every else futures.FIRST_COMPLETED
        done, _ = futures.wait(self._in_flight, return_when=until)
        for future in [f for f in self._in_flight if f in done]:
            self._answered(self._in_flight.pop(future), future.result)

    def _more_may_come(self, mode: Mode, flush: bool) -> bool:
        if flush:
            return False
        return self._more_coming() or (mode is Mode.MOVE and self._run.queues.moves_waiting())

    def _submit(self, batch: list[ItemOutcome], mode: Mode) -> None:
        for o in batch:
            o.attempts += 1
        sent = self._run.clock()
        announced = announce(self._run.journal, [o.item for o in batch], mode)
        call = _Call(batch, sent)
        if self._workers is None:
            self._answered(call, partial(send, self._run.api, self._run.journal, announced))
        else:
            future = self._workers.submit(send, self._run.api, self._run.journal, announced)
            self._in_flight[future] = call

    def _answered(self, call: _Call, result: Callable[[], Answers]) -> None:
        """Apply one call's answers (`result()` returns them, or raises as the call did)."""
        self._run.record(self._read(call, result))

    def _read(self, call: _Call, result: Callable[[], Answers]) -> Decisions:
        try:
            answers = result()
        except TransportError as exc:
            if exc.sent:
                return self._lost.recover(call.batch, sent=call.sent)
            # It failed before the request was written (after the transport's own retries):
            # nothing was created.
            why = f"not sent ({exc}); nothing was created: run again"
            return Decisions(
                verdicts=[Verdict(o, Result.FAILED, Reason.NOT_SENT, why) for o in call.batch]
            )
        decided = Decisions()
        readings = read_answers(call.batch, answers, taken=self._run.watch.has)
        for o, reading in zip(call.batch, readings, strict=True):
            if isinstance(reading, Accepted):
                self._run.watch.track(o, reading.job.id)
                o.job_state = reading.job.state
            else:
                decided.verdicts.append(reading.verdict)
        return decided
