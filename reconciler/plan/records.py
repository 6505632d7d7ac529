"""The JSON shapes of a saved plan, for pydantic: what `io.py` writes and validates, and what
`schemas/plan.schema.json` describes.

A plan in memory is `model.Plan`; its items point at shared `ExportSettings` objects, which
JSON cannot do, so an item is written as an `ItemRecord` that names its settings by their
index in the plan's `settings`. Every other part of a plan is written as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from pydantic import ConfigDict, Field

from reconciler.plan.model import (
    Action,
    ActionTotal,
    ApplyEstimate,
    BlockedReason,
    Count,
    DeclarationSummary,
    ExportSettings,
    Guards,
    Introduced,
    Plan,
    PlanItem,
    PlatformTarget,
    ReasonCode,
    RiskList,
    UnmanagedAlias,
)

_FORBID = ConfigDict(extra="forbid")


@dataclass(frozen=True, slots=True)
class ItemRecord:
    """A plan item as saved: `settings` is the index of its entry in the plan's `settings`.
    The last three fields are written only when set."""

    __pydantic_config__ = _FORBID

    action: Action
    file_id: str | None
    path: str | None
    size: Count | None
    location: str
    settings: Count
    declared_at: tuple[str, ...]
    # Left to right: the default ("smart") union tries both enums for every item, which was
    # 7 of the 16 microseconds an item takes to read (7 s of a 1,000,000-item apply's start).
    reason_code: Annotated[ReasonCode | BlockedReason, Field(union_mode="left_to_right")]
    reason: str
    fingerprint: str
    job_id: str | None = None
    job_differences: tuple[str, ...] = ()
    last_failure: str | None = None
    introduced: Introduced | None = None


@dataclass(frozen=True, slots=True)
class PlanRecord:
    """A whole saved plan, fields in the order they are written (the review first)."""

    __pydantic_config__ = _FORBID

    format_version: int
    tool_version: str
    platforms: tuple[PlatformTarget, ...]
    manifests_commit: str | None
    manifests_digest: str
    projects: tuple[str, ...]
    planned_at: str | None
    guards: Guards
    summary: tuple[ActionTotal, ...]
    destructive_count: Count
    apply_estimate: ApplyEstimate
    declarations: tuple[DeclarationSummary, ...]
    risks: tuple[RiskList, ...]
    settings: tuple[ExportSettings, ...]
    items: tuple[ItemRecord, ...]
    unmanaged_aliases: tuple[UnmanagedAlias, ...]
    digest: str


# The fields written one entry per line, in `PlanRecord`'s order.
LIST_FIELDS = frozenset({"declarations", "risks", "settings", "items", "unmanaged_aliases"})


def item_record(item: PlanItem, settings_index: int) -> ItemRecord:
    return ItemRecord(
        action=item.action,
        file_id=item.file_id,
        path=item.path,
        size=item.size,
        location=item.location,
        settings=settings_index,
        declared_at=item.declared_at,
        reason_code=item.reason_code,
        reason=item.reason,
        fingerprint=item.fingerprint,
        job_id=item.job_id,
        job_differences=item.job_differences,
        last_failure=item.last_failure,
        introduced=item.introduced,
    )


def plan_item(record: ItemRecord, settings: ExportSettings) -> PlanItem:
    return PlanItem(
        action=record.action,
        reason_code=record.reason_code,
        reason=record.reason,
        file_id=record.file_id,
        path=record.path,
        size=record.size,
        location=record.location,
        settings=settings,
        declared_at=record.declared_at,
        fingerprint=record.fingerprint,
        job_id=record.job_id,
        job_differences=record.job_differences,
        last_failure=record.last_failure,
        introduced=record.introduced,
    )


def plan_of(record: PlanRecord, items: tuple[PlanItem, ...]) -> Plan:
    """The plan a record describes, with its items already made from the item records."""
    return Plan(
        format_version=record.format_version,
        tool_version=record.tool_version,
        platforms=record.platforms,
        manifests_commit=record.manifests_commit,
        manifests_digest=record.manifests_digest,
        projects=record.projects,
        planned_at=record.planned_at,
        guards=record.guards,
        summary=record.summary,
        destructive_count=record.destructive_count,
        apply_estimate=record.apply_estimate,
        declarations=record.declarations,
        risks=record.risks,
        settings=record.settings,
        items=items,
        unmanaged_aliases=record.unmanaged_aliases,
        digest=record.digest,
    )
