"""One apply from connected clients (one per platform) to a receipt: lock the state folder,
read the journal, plan against the live state of every platform, limit to what is approved (a
saved plan) or reviewed (a reviewed plan), enforce the guards on the whole, confirm once,
re-read the items after a prompt, run an engine per platform side by side (each with its own
client, rate budget and journal run), write one receipt. The lock is held from before the plan
to after the receipt. The command module
(`commands/apply.py`) owns arguments and terminals; this module owns the order of things.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from reconciler import __version__
from reconciler.api.client import ApiClient
from reconciler.api.trust import platform_key
from reconciler.apply import guards, receipt
from reconciler.apply.engine import Engine, EngineSettings
from reconciler.apply.journal import Journal, read_history
from reconciler.apply.lock import StateLock
from reconciler.apply.outcome import CONVERGED, ItemOutcome
from reconciler.apply.progress import Progress, is_interactive
from reconciler.apply.recheck import recheck
from reconciler.apply.select import check_reviewed, check_saved
from reconciler.errors import ConfigError, GuardError
from reconciler.manifest.models import ManifestSet
from reconciler.plan.model import PENDING_ACTIONS, Plan
from reconciler.plan.planner import guards_of
from reconciler.plan.resolve import Declarations
from reconciler.usecases.approved import ApprovedRun, approved_run
from reconciler.usecases.plan import Connection, by_platform, plan_platforms, side_by_side

DEFAULT_STATE_DIR = ".reconciler"
EXIT_CONVERGED = 0
EXIT_NOT_CONVERGED = 1


@dataclass(frozen=True, slots=True)
class ApplyOptions:
    state_dir: Path = Path(DEFAULT_STATE_DIR)
    limits: guards.Limits = field(default_factory=lambda: guards.Limits(None, None))
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


def apply(
    manifests: ManifestSet,
    client: ApiClient | Sequence[Connection],
    options: ApplyOptions,
    *,
    confirm: Confirm,
    stderr: TextIO,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Applied:
    """Apply `manifests` through `client` (one platform) or one connection per platform
    (`usecases.plan.connect`): one plan, one confirmation, then an engine per platform, side by
    side, each with its own client, journal run and history."""
    connections = _connections(manifests, client)
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
                manifests, connections, failed_jobs=lambda p: histories[p].failed_jobs()
            )
            outcomes = [ItemOutcome(item) for item in plan.items]
            to_send = [o.item for o in outcomes if o.item.submits]
            plan_guards = plan.guards
        limits = guards.Limits(
            guards.smallest(options.limits.max_moves, plan_guards.max_moves, plan.guards.max_moves),
            guards.smallest(options.limits.max_bytes, plan_guards.max_bytes, plan.guards.max_bytes),
        )
        guards.check(to_send, limits)
        if approved is None and to_send:
            if not confirm(plan, outcomes):
                raise GuardError("apply cancelled; nothing was applied")
            if options.recheck_after_confirm:
                recheck(
                    outcomes,
                    plan_platforms(
                        manifests, connections, failed_jobs=lambda p: histories[p].failed_jobs()
                    ),
                )
        run_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ-") + secrets.token_hex(3)
        several = len(connections) > 1
        cancel = threading.Event()
        pause = _cancellable(sleep, cancel) if several else sleep

        def run_platform(index: int, connection: Connection) -> None:
            approved_share = runs.get(connection.platform)
            if approved_share is not None:
                ready, intake = approved_share.settled, approved_share.intake
                mine = approved_share.outcomes
            else:
                ready = mine = [o for o in outcomes if o.item.platform == connection.platform]
                intake = None
            busy = any(
                o.result is None and (o.item.submits or o.item.action in PENDING_ACTIONS)
                for o in mine
            )
            # Each platform is its own run in the journal, so batch ids never collide.
            with Journal(
                options.state_dir, f"{run_id}-{index + 1}" if several else run_id
            ) as journal:
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
                )
                engine = Engine(
                    connection.client,
                    journal,
                    clock=clock,
                    sleep=pause,
                    progress=progress if busy else None,
                    settings=options.engine,
                )
                engine.run(ready, histories[connection.platform], intake=intake)
                journal.write("end", exit_code=_exit_code(mine))

        numbered: list[tuple[int, Connection]] = list(enumerate(connections))
        side_by_side(numbered, lambda task: run_platform(task[0], task[1]), cancel=cancel)
        exit_code = _exit_code(outcomes)
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
        )
        if options.reviewed_sources and options.reviewed_sources.get("not_reviewed"):
            exit_code = EXIT_NOT_CONVERGED  # exports not every plan showed were not sent
        path = receipt.write(options.state_dir, outcomes, info, exit_code=exit_code)
    return Applied(plan, outcomes, path, exit_code)


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


def _exit_code(outcomes: Sequence[ItemOutcome]) -> int:
    converged = all(o.result in CONVERGED for o in outcomes)
    return EXIT_CONVERGED if converged else EXIT_NOT_CONVERGED


def _connections(
    manifests: ManifestSet, client: ApiClient | Sequence[Connection]
) -> list[Connection]:
    # A sequence means connections; anything else is one client (a wrapper of one included).
    if isinstance(client, Sequence):
        return list(client)
    shares = by_platform(manifests)
    if len(shares) > 1:
        raise ConfigError(
            f"one client cannot apply several platforms ({', '.join(shares)}); "
            "connect with usecases.plan.connect"
        )
    platform = next(iter(shares), platform_key(None))
    return [Connection(platform, manifests, client)]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
