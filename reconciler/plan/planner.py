"""`build_plan`: desired state (the manifests) x live state -> Plan. Pure: no I/O, no clock,
no logging; everything from the outside comes in through `PlanContext`.

The steps: resolve every rule (`resolve.py`; the live reader has usually done it already and
passes its `Resolution` in, so the manifests are interpreted once per plan); merge the
declarations that resolve to the same file and destination with the same settings (their
`declared_at` then lists each); block what declares one destination for two files or with
two different settings, and a file moved to two destinations; decide every other item
(`decide.py`); block the move of a file whose copy is blocked (moving first would make that
copy impossible forever); order copies of a file before its move; add up the summary and the
apply estimate; seal with the digest.
"""

from __future__ import annotations

import dataclasses
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from reconciler.core.live import LiveState
from reconciler.core.platforms import DEFAULT_PLATFORM
from reconciler.limits import BULK_LIMIT
from reconciler.manifest.models import ExportRule, ManifestSet, Mode
from reconciler.plan.decide import Decider, Decision
from reconciler.plan.fingerprint import JobIndex, fingerprint
from reconciler.plan.io import plan_digest
from reconciler.plan.model import (
    FORMAT_VERSION,
    PENDING_ACTIONS,
    SUBMITTING_ACTIONS,
    Action,
    ActionTotal,
    ApplyEstimate,
    BlockedReason,
    ExportSettings,
    Guards,
    Plan,
    PlanItem,
    PlatformTarget,
    UnmanagedAlias,
)
from reconciler.plan.resolve import Desired, Resolution, Unresolved, resolve_all
from reconciler.plan.review import declaration_rows, risk_lists

# Bulk export get calls per batch of 100 jobs while apply waits for them: the engine first
# looks at a job when this run's jobs are typically done (apply/poll.py), so one look is the
# rule; the benchmarks measure about 1.0 per batch.
POLL_ROUNDS = 1
RATE_LIMIT_REQUESTS = 1000
RATE_LIMIT_WINDOW_SECONDS = 300


@dataclass(frozen=True, slots=True)
class PlanContext:
    """What the pure planner needs from the outside world."""

    tool_version: str
    endpoint: str | None = None
    manifests_commit: str | None = None
    planned_at: str | None = None  # an ISO timestamp taken by the caller, if wanted
    platform: str = DEFAULT_PLATFORM  # what the manifests' `platform` names (trust.platform_key)


def build_plan(
    manifests: ManifestSet,
    live: LiveState,
    *,
    context: PlanContext,
    resolution: Resolution | None = None,
) -> Plan:
    """The plan that converges `live` towards `manifests` (see the module docstring).
    `resolution`: `manifests.rules` already resolved against `live` (the live reader's);
    resolved here when not given."""
    if resolution is None:
        resolution = resolve_all(manifests.rules, live)
    jobs = JobIndex.of(live)
    # The declarations of each (file, destination), in declaration order.
    groups: dict[_Key, list[Desired]] = {}
    for found in resolution.items:
        if isinstance(found, Unresolved):
            continue
        key = (found.file.id, found.rule.volume, found.location)
        group = groups.get(key)
        if group is None:
            groups[key] = [found]
        else:
            group.append(found)

    conflicts = _conflicts(groups)
    decider = Decider(live, jobs)
    shared = _Shared(context.platform, decider)
    # One item per unresolved rule and per (file, destination), at its first declaration;
    # each group is let go once its item exists (a plan of 1,000,000 items holds less).
    items: list[PlanItem] = []
    for found in resolution.items:
        if isinstance(found, Unresolved):
            items.append(_unresolved_item(found, live, jobs, shared))
            continue
        key = (found.file.id, found.rule.volume, found.location)
        group = groups.pop(key, None)
        if group is not None:
            items.append(_item(group, conflicts.get(key), decider, shared))
    items = _order_copies_first(_block_moves_of_blocked_copies(items))
    rules = manifests.rules
    plan = Plan(
        format_version=FORMAT_VERSION,
        tool_version=context.tool_version,
        platforms=(PlatformTarget(context.platform, context.endpoint),),
        manifests_commit=context.manifests_commit,
        manifests_digest=manifests.digest,
        projects=tuple(sorted({m.header.project for m in manifests.manifests})),
        planned_at=context.planned_at,
        guards=guards_of(manifests),
        summary=summarize(items),
        destructive_count=sum(1 for i in items if i.destructive),
        apply_estimate=estimate_apply(items),
        declarations=declaration_rows(
            rules, items, platform=context.platform, at=shared.at, settings=shared.of
        ),
        risks=risk_lists(items),
        settings=shared.settings(),
        items=tuple(items),
        unmanaged_aliases=_unmanaged(live, context.platform),
        digest="",
    )
    return dataclasses.replace(plan, digest=plan_digest(plan))


_Key = tuple[str, str, str]  # file id, volume, location
_MOVE, _COPY = Mode.MOVE, Mode.COPY  # bound once: enum attribute access is a descriptor call


class _Shared:
    """What many items of one plan share, made once: each rule's `FILE:LINE:COL` text and
    each distinct `ExportSettings` (a plan of 1,000,000 items from one glob holds one)."""

    def __init__(self, platform: str, decider: Decider) -> None:
        self.platform = platform
        self._decider = decider
        self._at: dict[int, str] = {}  # id(rule) -> its declared_at text
        # (project, volume, mode, overwrite, id(properties)) -> settings: a rule's settings
        # found without hashing its properties' values (a plan of 1,000,000 entries).
        self._by_key: dict[tuple[str, str, Mode, bool, int], ExportSettings] = {}
        self._distinct: dict[ExportSettings, ExportSettings] = {}

    def at(self, rule: ExportRule) -> str:
        found = self._at.get(id(rule))
        if found is None:
            found = self._at[id(rule)] = str(rule.declared_at)
        return found

    def of(self, rule: ExportRule) -> ExportSettings:
        key = (rule.project, rule.volume, rule.mode, rule.overwrite, id(rule.properties))
        found = self._by_key.get(key)
        if found is None:
            made = ExportSettings(
                platform=self.platform,
                project=rule.project,
                volume=rule.volume,
                mode=rule.mode,
                overwrite=rule.overwrite,
                properties=rule.properties,
                object_uri_prefix=self._decider.object_uri(rule.volume, ""),
            )
            found = self._by_key[key] = self._distinct.setdefault(made, made)
        return found

    def settings(self) -> tuple[ExportSettings, ...]:
        return tuple(self._distinct)


def _conflicts(groups: dict[_Key, list[Desired]]) -> dict[_Key, tuple[BlockedReason, str]]:
    """Two files (or two settings) for one destination; one file moved to two places."""
    found: dict[_Key, tuple[BlockedReason, str]] = {}
    first_at: dict[tuple[str, str], _Key] = {}
    sharing: defaultdict[tuple[str, str], list[_Key]] = defaultdict(list)
    first_move: dict[str, _Key] = {}
    moved: defaultdict[str, list[_Key]] = defaultdict(list)
    for key, desired in groups.items():
        file_id, volume, location = key
        dest = (volume, location)
        seen = first_at.setdefault(dest, key)
        if seen != key:
            if not sharing[dest]:
                sharing[dest].append(seen)
            sharing[dest].append(key)
        if (
            desired[0].rule.mode is _MOVE
            if len(desired) == 1
            else any(d.rule.mode is _MOVE for d in desired)
        ):
            other = first_move.setdefault(file_id, key)
            if other != key:
                if not moved[file_id]:
                    moved[file_id].append(other)
                moved[file_id].append(key)
        if len(desired) > 1:
            settings = {(d.rule.mode, d.rule.overwrite, d.rule.properties) for d in desired}
            if len(settings) > 1:
                found[key] = (
                    BlockedReason.DUPLICATE_DESTINATION,
                    "declared twice with different mode, overwrite or properties at "
                    + ", ".join(str(d.rule.declared_at) for d in desired),
                )
    for (volume, location), keys in sharing.items():
        for key in keys:
            others = [
                f"{groups[k][0].file.path or k[0]} ({groups[k][0].rule.declared_at})"
                for k in keys
                if k != key
            ]
            found[key] = (
                BlockedReason.DUPLICATE_DESTINATION,
                f"{volume}:{location} is also the destination of " + ", ".join(others),
            )
    for keys in moved.values():
        for key in keys:
            others = [f"{k[1]}:{k[2]}" for k in keys if k != key]
            found[key] = (
                BlockedReason.MOVED_TWICE,
                "the file is also moved to " + ", ".join(others) + "; a file moves once",
            )
    return found


def _item(
    desired: list[Desired],
    conflict: tuple[BlockedReason, str] | None,
    decider: Decider,
    shared: _Shared,
) -> PlanItem:
    live, jobs = decider.live, decider.jobs
    first = desired[0]
    rule, file, location = first.rule, first.file, first.location
    volume = rule.volume
    if conflict is not None:
        decision = Decision(Action.BLOCKED, conflict[0], conflict[1])
    else:
        decision = decider.decide(
            file, volume, location, rule.mode, rule.overwrite, rule.properties
        )
    action, code, reason, job_id, differences, failure = decision
    return PlanItem(
        action=action,
        reason_code=code,
        reason=reason,
        file_id=file.id,
        path=file.path or None,
        size=file.size,
        location=location,
        settings=shared.of(rule),
        declared_at=(shared.at(rule),)
        if len(desired) == 1
        else tuple(shared.at(d.rule) for d in desired),
        fingerprint=fingerprint(live, jobs, file, volume, location, rule.mode),
        job_id=job_id,
        job_differences=differences,
        last_failure=failure,
    )


def _unresolved_item(
    slot: Unresolved, live: LiveState, jobs: JobIndex, shared: _Shared
) -> PlanItem:
    rule, file = slot.rule, slot.file
    file_id = file.id if file is not None else (rule.selector if rule.kind == "file" else None)
    path = file.path if file is not None else (rule.selector if rule.kind == "path" else None)
    location = slot.location if slot.location is not None else rule.location
    return PlanItem(
        action=Action.BLOCKED,
        reason_code=slot.reason,
        reason=slot.sentence,
        file_id=file_id,
        path=path or None,
        size=file.size if file else None,
        location=location,
        settings=shared.of(rule),
        declared_at=(shared.at(rule),),
        fingerprint=fingerprint(live, jobs, file, rule.volume, location, rule.mode),
    )


def _block_moves_of_blocked_copies(items: list[PlanItem]) -> list[PlanItem]:
    """A move that would submit while a copy of the same file is blocked: moving first would
    make the copy impossible (an alias can never be exported), so the move waits too."""
    blocked_copies: dict[str, PlanItem] = {}
    for item in items:
        if item.mode is _COPY and item.action is Action.BLOCKED and item.source.file_id:
            blocked_copies.setdefault(item.source.file_id, item)
    if not blocked_copies:
        return items
    result = []
    for item in items:
        copy = blocked_copies.get(item.source.file_id or "")
        if copy is not None and item.mode is _MOVE and item.action in SUBMITTING_ACTIONS:
            dest = f"{copy.destination.volume}:{copy.destination.location}"
            item = dataclasses.replace(
                item,
                action=Action.BLOCKED,
                reason_code=BlockedReason.COPY_BLOCKED,
                reason=f"the copy to {dest} is blocked ({copy.reason}); moving first would "
                "make that copy impossible",
            )
        result.append(item)
    return result


def _order_copies_first(items: list[PlanItem]) -> list[PlanItem]:
    """Declaration order, except that a move comes after every copy of the same file."""
    last_copy: dict[str | None, int] = {
        item.source.file_id: index
        for index, item in enumerate(items)
        if item.mode is _COPY and item.source.file_id is not None
    }
    late = [
        index
        for index, item in enumerate(items)
        if item.mode is _MOVE and last_copy.get(item.source.file_id, -1) > index
    ]
    if not late:
        return items
    deferred: defaultdict[int, list[PlanItem]] = defaultdict(list)
    for index in late:
        deferred[last_copy[items[index].source.file_id]].append(items[index])
    skipped = set(late)
    ordered: list[PlanItem] = []
    for index, item in enumerate(items):
        if index not in skipped:
            ordered.append(item)
        ordered.extend(deferred.pop(index, ()))
    return ordered


def summarize(items: Iterable[PlanItem]) -> tuple[ActionTotal, ...]:
    """Count and known bytes per action, every action listed (zero included)."""
    counts = dict.fromkeys(Action, 0)
    sizes = dict.fromkeys(Action, 0)
    for item in items:
        counts[item.action] += 1
        sizes[item.action] += item.source.size or 0
    return tuple(ActionTotal(a, counts[a], sizes[a]) for a in Action)


# Listings of the active jobs apply makes before it reads any file (PENDING, then RUNNING).
JOB_LISTINGS = 2

ESTIMATE_FORMULA = (
    f"read = {JOB_LISTINGS} job listings + 1 per volume + ceil(files/{BULK_LIMIT}) over the "
    "items to submit and in flight (bulk file get) + 1 destination listing per volume (each "
    "destination folder that already holds objects adds one); "
    f"create = ceil(copies/{BULK_LIMIT}) + ceil(moves/{BULK_LIMIT}) over the items to submit; "
    f"polls = ceil(copy jobs/{BULK_LIMIT}) + ceil(move jobs/{BULK_LIMIT}) over the items to "
    "submit and in flight (a job is first looked at when this run's jobs are typically done; "
    "jobs of very different lengths take more looks); "
    f"rate-limit wait = {RATE_LIMIT_WINDOW_SECONDS} s x floor((calls - 1) / "
    f"{RATE_LIMIT_REQUESTS}); job run time not included"
)


def estimate_apply(items: Iterable[PlanItem]) -> ApplyEstimate:
    """API calls `apply --plan` will make and the least time the rate limit adds (see the
    formula)."""
    submit = {Mode.COPY: 0, Mode.MOVE: 0}
    watch = {Mode.COPY: 0, Mode.MOVE: 0}
    read_files = 0
    volumes: set[str] = set()
    for item in items:
        action = item.action
        if action in SUBMITTING_ACTIONS:
            submit[item.mode] += 1
        if action in PENDING_ACTIONS:
            watch[item.mode] += 1
            volumes.add(item.settings.volume)
            read_files += item.file_id is not None
    reads = (
        JOB_LISTINGS + 2 * len(volumes) + math.ceil(read_files / BULK_LIMIT) if read_files else 0
    )
    creates = sum(math.ceil(n / BULK_LIMIT) for n in submit.values())
    polls = POLL_ROUNDS * sum(math.ceil(n / BULK_LIMIT) for n in watch.values())
    total = reads + creates + polls
    wait = RATE_LIMIT_WINDOW_SECONDS * ((total - 1) // RATE_LIMIT_REQUESTS) if total else 0
    return ApplyEstimate(reads, creates, polls, total, wait, ESTIMATE_FORMULA)


def combine(plans: Sequence[Plan], manifests: ManifestSet) -> Plan:
    """One plan of several platforms' plans (each made by `build_plan` from its share of
    `manifests`): their items, rows and aliases in order, the summary, risks, guards and
    estimate of the whole, sealed anew. Each platform is applied within its own rate budget,
    side by side, so the estimated wait is the longest of theirs."""
    if len(plans) == 1 and plans[0].manifests_digest == manifests.digest:
        return plans[0]
    items = tuple(item for plan in plans for item in plan.items)
    estimates = [plan.apply_estimate for plan in plans]
    first = plans[0]
    plan = Plan(
        format_version=FORMAT_VERSION,
        tool_version=first.tool_version,
        platforms=tuple(target for plan in plans for target in plan.platforms),
        manifests_commit=first.manifests_commit,
        manifests_digest=manifests.digest,
        projects=tuple(sorted({project for plan in plans for project in plan.projects})),
        planned_at=min((p.planned_at for p in plans if p.planned_at), default=None),
        guards=guards_of(manifests),
        summary=summarize(items),
        destructive_count=sum(plan.destructive_count for plan in plans),
        apply_estimate=ApplyEstimate(
            read_calls=sum(e.read_calls for e in estimates),
            create_calls=sum(e.create_calls for e in estimates),
            poll_calls=sum(e.poll_calls for e in estimates),
            total_calls=sum(e.total_calls for e in estimates),
            rate_limit_seconds=max((e.rate_limit_seconds for e in estimates), default=0),
            formula=ESTIMATE_FORMULA + COMBINED_FORMULA,
        ),
        declarations=tuple(row for plan in plans for row in plan.declarations),
        risks=risk_lists(items),
        settings=tuple(dict.fromkeys(s for plan in plans for s in plan.settings)),
        items=items,
        unmanaged_aliases=tuple(a for plan in plans for a in plan.unmanaged_aliases),
        digest="",
    )
    return dataclasses.replace(plan, digest=plan_digest(plan))


COMBINED_FORMULA = (
    "; per platform, added up over the platforms; each platform has its own rate limit and "
    "they are applied side by side, so the wait is the longest of theirs"
)


def guards_of(manifests: ManifestSet) -> Guards:
    """The smallest `guards` of the manifests."""
    moves = [
        m.header.guards.max_moves
        for m in manifests.manifests
        if m.header.guards and m.header.guards.max_moves is not None
    ]
    sizes = [
        m.header.guards.max_bytes
        for m in manifests.manifests
        if m.header.guards and m.header.guards.max_bytes is not None
    ]
    return Guards(
        max_moves=min(moves) if moves else None,
        max_bytes=min(sizes) if sizes else None,
    )


def _unmanaged(live: LiveState, platform: str) -> tuple[UnmanagedAlias, ...]:
    return tuple(
        UnmanagedAlias(
            f.id, f.project, f.path, f.alias_volume or "", f.alias_location or "", f.size, platform
        )
        for f in sorted(live.unmanaged_aliases, key=lambda f: (f.project, f.path, f.id))
    )
