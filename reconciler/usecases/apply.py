"""One apply from connected clients (one per platform) to a receipt: lock the state folder,
read the journal, plan against the live state of every platform, limit to what is approved (a
saved plan) or reviewed (a reviewed plan), enforce the guards on the whole, confirm once,
re-read the items after a prompt, run an engine per platform side by side (each with its own
client, rate budget and journal run), hand the per-item report over, write one receipt, and
close each platform's journal run with the run's real exit code. The lock is held from before
the plan to after the receipt.

The report goes out before the receipt is written: a receipt that cannot be written (a folder
in its place, a full disk) costs the run its receipt, never the list of what moved; the
journal then records the failure and exit code 1. The command module (`commands/apply.py`)
owns arguments and terminals; this module owns the order of things.
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from reconciler import __version__
from reconciler.apply import guards, receipt
from reconciler.apply.engine import Engine
from reconciler.apply.journal import Journal, read_history
from reconciler.apply.lock import StateLock
from reconciler.apply.outcome import ItemOutcome, Verdict
from reconciler.apply.progress import Progress, is_interactive
from reconciler.apply.recheck import recheck
from reconciler.apply.select import check_reviewed, check_saved
from reconciler.apply.settings import EngineSettings
from reconciler.errors import GuardError
from reconciler.manifest.models import ManifestSet
from reconciler.plan.model import PENDING_ACTIONS, Guards, Plan
from reconciler.plan.planner import guards_of
from reconciler.plan.resolve import Declarations
from reconciler.ticker import working
from reconciler.usecases.approved import ApprovedRun, approved_run
from reconciler.usecases.closing import EXIT_NOT_CONVERGED, close_run, exit_code_of
from reconciler.usecases.plan import Connection, plan_platforms, side_by_side

DEFAULT_STATE_DIR = ".reconciler"


@dataclass(frozen=True, slots=True)
class ApplyOptions:
    state_dir: Path = Path(DEFAULT_STATE_DIR)
    limits: Guards = guards.NONE  # the command line's
    engine: EngineSettings = field(default_factory=EngineSettings)
    saved_plan: Plan | None = None
    saved_plan_origin: str | None = None
    reviewed_plan: Plan | None = None  # apply --reviewed: send only exports it shows
    reviewed_plan_origin: str | None = None
    # The plans the reviewed plan was agreed from (`gitops.sources`), kept in the receipt.
    reviewed_sources: Mapping[str, Any] | None = None
    # The confirmation asks a person, who may take minutes: re-read the items after it.
    recheck_after_confirm: bool = False


@dataclass(frozen=True, slots=True)
class Applied:
    plan: Plan
    outcomes: Sequence[ItemOutcome]
    receipt: Path | None
    exit_code: int


# Called with the plan and what will be sent; False cancels before any write.
Confirm = Callable[[Plan, Sequence[ItemOutcome]], bool]
# Called with what the run did, before the receipt is written (the report reaches its reader
# even when the receipt cannot be written).
Report = Callable[[Applied], None]


def apply(
    manifests: ManifestSet,
    connections: Sequence[Connection],
    options: ApplyOptions,
    *,
    confirm: Confirm,
    stderr: TextIO,
    report: Report = lambda applied: None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    env: Mapping[str, str] = os.environ,
) -> Applied:
    """Apply `manifests` through one connection per platform (`usecases.plan.connect`): one
    plan, one confirmation, then an engine per platform, side by side, each with its own
    client, journal run and history; `report` is handed the result before the receipt is
    written. `env`: the variables the receipt reads (the CI pipeline and user)."""
    endpoints = {c.platform: c.client.transport.config.endpoint for c in connections}
    if options.saved_plan is not None:
        check_saved(
            options.saved_plan,
            origin=options.saved_plan_origin or "plan",
            manifests_digest=manifests.digest,
            endpoints=endpoints,
        )
    if options.reviewed_plan is not None:
        check_reviewed(
            options.reviewed_plan,
            origin=options.reviewed_plan_origin or "reviewed plan",
            manifests=manifests,
            endpoints=endpoints,
        )
    started = _now()
    approved = options.saved_plan or options.reviewed_plan

    def busy(what: str) -> AbstractContextManager[None]:
        return working(what, stream=stderr, interactive=is_interactive(stderr))

    with StateLock(options.state_dir):
        histories = {
            c.platform: read_history(options.state_dir, platform=c.platform) for c in connections
        }
        runs: dict[str, ApprovedRun] = {}
        if approved is not None:
            # The plan is the approval: only its items are read, as the engine goes.
            plan = approved
            declarations = Declarations(manifests.rules) if options.reviewed_plan else None
            runs = {
                c.platform: approved_run(
                    plan,
                    c,
                    declarations=declarations,
                    failed_jobs=histories[c.platform].failed_jobs(),
                )
                for c in connections
            }
            outcomes = [o for run in runs.values() for o in run.outcomes]
            to_send = [item for run in runs.values() for item in run.to_send()]
            plan_guards = guards_of(manifests)
        else:
            plan = plan_platforms(
                manifests,
                connections,
                failed_jobs=lambda p: histories[p].failed_jobs(),
                busy=busy,
            )
            outcomes = [ItemOutcome(item) for item in plan.items]
            to_send = [o.item for o in outcomes if o.item.submits]
            plan_guards = plan.guards
        limits = guards.tightest(options.limits, plan_guards, plan.guards)
        guards.check(to_send, limits)
        decided: list[Verdict] = []
        if approved is None and to_send:
            if not confirm(plan, outcomes):
                raise GuardError("apply cancelled; nothing was applied")
            if options.recheck_after_confirm:
                decided = recheck(
                    outcomes,
                    plan_platforms(
                        manifests,
                        connections,
                        failed_jobs=lambda p: histories[p].failed_jobs(),
                        busy=busy,
                    ),
                )
        settled = {id(v.outcome) for v in decided}
        run_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ-") + secrets.token_hex(3)
        several = len(connections) > 1
        cancel = threading.Event()
        pause = _cancellable(sleep, cancel) if several else sleep
        # Each platform's journal run stays open until the receipt is written, so that its
        # `end` record holds the run's real exit code.
        journals: dict[str, Journal] = {}

        def run_platform(index: int, connection: Connection) -> None:
            approved_share = runs.get(connection.platform)
            if approved_share is not None:
                ready, intake = approved_share.settled, approved_share.intake
                mine = approved_share.outcomes
            else:
                ready = mine = [o for o in outcomes if o.item.platform == connection.platform]
                intake = None
            busy = any(
                o.result is None
                and id(o) not in settled
                and (o.item.submits or o.item.action in PENDING_ACTIONS)
                for o in mine
            )
            # Each platform is its own run in the journal, so batch ids never collide.
            journal = Journal(options.state_dir, f"{run_id}-{index + 1}" if several else run_id)
            journals[connection.platform] = journal
            journal.write(
                "run",
                version=__version__,
                endpoint=endpoints[connection.platform],
                plan=plan.digest,
                platform=connection.platform,
            )
            progress = Progress(
                len(mine),
                stream=stderr,
                clock=clock,
                # Two live bars cannot share one line: side by side, each logs lines.
                interactive=is_interactive(stderr) and not several,
                label=connection.platform if several else "",
            )
            engine = Engine(
                connection.client,
                journal,
                clock=clock,
                sleep=pause,
                progress=progress if busy else None,
                settings=options.engine,
            )
            mine_decided = [v for v in decided if v.outcome.item.platform == connection.platform]
            with _shown(progress if busy else None, connection):
                engine.run(
                    ready, histories[connection.platform], intake=intake, decided=mine_decided
                )

        numbered: list[tuple[int, Connection]] = list(enumerate(connections))
        try:
            side_by_side(numbered, lambda task: run_platform(task[0], task[1]), cancel=cancel)
            exit_code = exit_code_of(outcomes)
            if options.reviewed_sources and options.reviewed_sources.get("not_reviewed"):
                exit_code = EXIT_NOT_CONVERGED  # exports not every plan showed were not sent
            path = options.state_dir / receipt.RECEIPT_NAME
            applied = Applied(plan, outcomes, path, exit_code)
            report(applied)
            info = receipt.RunInfo(
                run_id=run_id,
                tool_version=__version__,
                endpoint=", ".join(f"{p}={e}" for p, e in endpoints.items())
                if several
                else next(iter(endpoints.values())),
                manifests_commit=plan.manifests_commit,
                manifests_digest=manifests.digest,
                plan_digest=plan.digest,
                saved_plan=options.saved_plan_origin or options.reviewed_plan_origin,
                reviewed=options.reviewed_sources,
                started_at=started,
                finished_at=_now(),
                ci=receipt.ci_info(env),
            )
            close_run(applied, options.state_dir, info, journals)
        finally:
            for journal in journals.values():
                journal.close()
    return applied


@contextmanager
def _shown(progress: Progress | None, connection: Connection) -> Iterator[None]:
    """While an engine runs: its progress redrawn on time, and the waits for the rate limit
    of its client told to the progress (counted down there) instead of logged."""
    if progress is None:
        yield
        return
    with progress.ticking(), connection.client.transport.waits_told_to(progress.waiting):
        yield


def _cancellable(
    sleep: Callable[[float], None], cancel: threading.Event
) -> Callable[[float], None]:
    """`sleep` for an engine in a platform's thread: once `cancel` is set (Ctrl-C in the main
    thread), its next pause raises KeyboardInterrupt there, so it stops as it would have on
    the main thread (calls in flight are still journaled)."""

    def pause(seconds: float) -> None:
        if sleep is time.sleep:
            cancel.wait(seconds)
        else:
            sleep(seconds)
        if cancel.is_set():
            raise KeyboardInterrupt

    return pause


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
