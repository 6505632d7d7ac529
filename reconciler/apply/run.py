"""One apply from a connected client to a receipt: lock the state folder, read the journal,
plan against the live state, limit to what is approved (a saved plan) or reviewed (a reviewed
plan), enforce the guards, confirm, re-read the items after a prompt, run the engine, write
the receipt. The lock is held from before the plan to after the receipt. The command module
(`commands/apply.py`) owns arguments and terminals; this module owns the order of things.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from reconciler import __version__
from reconciler.api.client import ApiClient
from reconciler.apply import guards, receipt
from reconciler.apply.engine import Engine, EngineSettings
from reconciler.apply.journal import Journal, read_history
from reconciler.apply.lock import StateLock
from reconciler.apply.outcome import CONVERGED, ItemOutcome
from reconciler.apply.progress import Progress, is_interactive
from reconciler.apply.recheck import recheck
from reconciler.apply.select import check_reviewed, check_saved, select, select_reviewed
from reconciler.errors import GuardError
from reconciler.manifest.models import ManifestSet
from reconciler.pipeline import plan_live
from reconciler.plan.model import Plan

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
    client: ApiClient,
    options: ApplyOptions,
    *,
    confirm: Confirm,
    stderr: TextIO,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Applied:
    endpoint = client.transport.config.endpoint
    if options.saved_plan is not None:
        check_saved(
            options.saved_plan,
            origin=options.saved_plan_origin or "plan",
            manifests_digest=manifests.digest,
            endpoint=endpoint,
        )
    if options.reviewed_plan is not None:
        check_reviewed(
            options.reviewed_plan,
            origin=options.reviewed_plan_origin or "reviewed plan",
            manifests=manifests,
            endpoint=endpoint,
        )
    started = _now()
    with StateLock(options.state_dir):
        history = read_history(options.state_dir)
        plan = plan_live(manifests, client, failed_jobs=history.failed_jobs())
        if options.reviewed_plan is not None:
            outcomes = select_reviewed(plan, options.reviewed_plan)
        else:
            outcomes = select(plan, options.saved_plan)
        to_send = [o.item for o in outcomes if o.result is None and o.item.submits]
        limits = guards.Limits(
            guards.smallest(options.limits.max_moves, plan.guards.max_moves),
            guards.smallest(options.limits.max_bytes, plan.guards.max_bytes),
        )
        guards.check(to_send, limits)
        if to_send and not confirm(plan, outcomes):
            raise GuardError("apply cancelled; nothing was applied")
        if to_send and options.recheck_after_confirm:
            recheck(outcomes, plan_live(manifests, client, failed_jobs=history.failed_jobs()))
        run_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ-") + secrets.token_hex(3)
        with Journal(options.state_dir, run_id) as journal:
            journal.write("run", version=__version__, endpoint=endpoint, plan=plan.digest)
            progress = Progress(
                len(outcomes), stream=stderr, clock=clock, interactive=is_interactive(stderr)
            )
            engine = Engine(
                client,
                journal,
                clock=clock,
                sleep=sleep,
                progress=progress if to_send or plan.has_pending else None,
                settings=options.engine,
            )
            engine.run(outcomes, history)
            exit_code = (
                EXIT_CONVERGED
                if all(o.result in CONVERGED for o in outcomes)
                else EXIT_NOT_CONVERGED
            )
            journal.write("end", exit_code=exit_code)
        info = receipt.RunInfo(
            run_id=run_id,
            tool_version=__version__,
            endpoint=endpoint,
            manifests_commit=plan.manifests_commit,
            manifests_digest=manifests.digest,
            plan_digest=plan.digest,
            saved_plan=options.saved_plan_origin or options.reviewed_plan_origin,
            started_at=started,
            finished_at=_now(),
        )
        path = receipt.write(options.state_dir, outcomes, info, exit_code=exit_code)
    return Applied(plan, outcomes, path, exit_code)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
