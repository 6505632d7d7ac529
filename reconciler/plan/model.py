"""The plan as plain data: what apply will do, item by item, and why.

A plan is built by `planner.build_plan` (pure), saved and loaded by `io.py`, rendered by the
`render_*` modules and executed by the apply engine, which reads nothing but the plan. Every
item carries everything a bulk export create call needs (source file, destination, and
through its shared `ExportSettings` the volume, mode, overwrite and properties) plus a
fingerprint of the live state it was planned against, so apply can skip an item whose world
has changed since the review.

The models are frozen stdlib dataclasses with slots: a plan may hold 1,000,000 items, and
pydantic (through `TypeAdapter`) is used only at the edges, to dump, load and describe them as
JSON (`io.py` gives items their own JSON shape, `records.ItemRecord`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated

from pydantic import ConfigDict, Field

from reconciler.limits import MAX_COUNT as MAX_COUNT

# The properties are the manifest's merged ones, one model (and one JSON shape) for both.
from reconciler.manifest.models import ExportProperties as ExportProperties

# The guards are the manifests' own type: a plan holds the smallest of its manifests'.
from reconciler.manifest.models import Guards as Guards
from reconciler.manifest.models import Mode

# 2: items and unmanaged aliases name their platform; `platforms` replaces `endpoint`;
# properties carry aws_storage_class.
# 3: the review first (summary, declarations, risks); items point at shared `settings`;
# what an item can derive (key, destructive, object URI) is not stored; one item per line.
FORMAT_VERSION = 3

# Foreign or hand-extended plans must not load silently: unknown keys are refused.
_FORBID = ConfigDict(extra="forbid")
# Sizes, counts and limits, as a saved plan is read: none is negative or beyond a 64-bit
# integer (what a file size, the platform and a receipt can hold); an edit out of range is
# refused with the field's name before the digest is compared.
Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]


class Action(StrEnum):
    MOVE = "move"  # an export without copy_only: the platform copy is deleted when it completes
    COPY = "copy"  # an export with copy_only: the project file stays on the platform
    REPLACE = "replace"  # an export (move or copy, see `mode`) that overwrites an object
    IN_SYNC = "in-sync"
    IN_FLIGHT = "in-flight"
    BLOCKED = "blocked"


# Actions that submit an export job when applied.
SUBMITTING_ACTIONS = frozenset({Action.MOVE, Action.COPY, Action.REPLACE})
# Actions that mean "not converged yet" for exit codes.
PENDING_ACTIONS = SUBMITTING_ACTIONS | {Action.IN_FLIGHT}


class Introduced(StrEnum):
    """Against the merge base of the change under review (`plan --base`, in a merge request
    CI_MERGE_REQUEST_DIFF_BASE_SHA): whether the change declares an item. None on an item:
    the plan was not compared with a base."""

    HERE = "here"  # a declaration the change adds or changes
    EARLIER = "earlier"  # declared so before the change: if it is sent, it is pending from earlier


class ReasonCode(StrEnum):
    """Why an item that is not blocked has its action."""

    DESTINATION_EMPTY = "destination-empty"  # move/copy: nothing at the destination
    RETRY_AFTER_FAILURE = "retry-after-failure"  # move/copy/replace: the last job FAILED
    OVERWRITE_OBJECT = "overwrite-object"  # replace: an object is there and overwrite is true
    ALIAS_AT_DESTINATION = "alias-at-destination"  # in-sync (move)
    OBJECT_SAME_SIZE = "object-same-size"  # in-sync (copy)
    JOB_ACTIVE = "job-active"  # in-flight: a PENDING/RUNNING job for this destination
    WAITING_FOR_OTHER_JOB = "waiting-for-other-job"  # in-flight: a move waits for another job


class BlockedReason(StrEnum):
    """Why an item cannot converge; each names something a person must change."""

    NOT_FOUND = "not-found"
    PROJECT_NOT_FOUND = "project-not-found"
    NOT_IN_PROJECT = "not-in-project"
    FOLDER = "folder"
    PUBLIC_FILE = "public-file"
    ALIAS_ELSEWHERE = "alias-elsewhere"
    VOLUME_MISSING = "volume-missing"
    VOLUME_READ_ONLY = "volume-read-only"
    VOLUME_INACTIVE = "volume-inactive"
    VOLUME_GCS = "volume-gcs"
    CLOUD_MISMATCH = "cloud-mismatch"
    DESTINATION_EXISTS = "destination-exists"
    GLOB_EMPTY = "glob-empty"
    DUPLICATE_DESTINATION = "duplicate-destination"
    LOCATION_TOO_LONG = "location-too-long"
    MOVED_TWICE = "moved-twice"
    COPY_BLOCKED = "copy-blocked"  # a move whose copy cannot be made: moving would forbid it


@dataclass(frozen=True, slots=True)
class Source:
    """The project file an item exports; `file_id` is None only when no file was resolved
    (a glob that matched nothing, a path or project that does not exist)."""

    file_id: str | None
    project: str
    path: str | None
    size: Count | None


@dataclass(frozen=True, slots=True)
class Destination:
    """Where the object goes: `location` is relative to the volume (its prefix is invisible).
    For items without a file, `location` is the unrendered template."""

    volume: str
    location: str


@dataclass(frozen=True, slots=True)
class ExportSettings:
    """How the items of one or more declarations are exported: the platform and project they
    are planned in, the volume, mode, overwrite and properties of the create call, and the
    start of the object URIs on that volume (`None`: the volume was not found, or its cloud
    shows no URI). A plan holds each distinct one once (`Plan.settings`) and its items point
    at them: 1,000,000 items share a handful."""

    __pydantic_config__ = _FORBID

    platform: str
    project: str
    volume: str
    mode: Mode
    overwrite: bool
    properties: ExportProperties
    object_uri_prefix: str | None


# A move deletes the platform copy; a replace overwrites an object.
DESTRUCTIVE_ACTIONS = frozenset({Action.MOVE, Action.REPLACE})


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanItem:
    """One (file, destination) and the single action planned for it.

    `settings` says where and how it is exported (shared with the other items of its
    declarations); `location` is rendered (for an item without a file, the template).
    `declared_at` lists every `FILE:LINE:COL` that declares this item (more than one when two
    entries resolve to the same file and destination with the same settings). `job_id`, on an
    in-flight item, is the item's own job when `reason_code` is `job-active`, and the job it
    waits for (another file's job at this destination, or this file's job elsewhere) when it
    is `waiting-for-other-job`: that job finishing does not converge the item, a new plan
    picks it up. `job_differences` lists where the item's own job differs from the manifest
    (`overwrite`, `properties.KEY`). `last_failure` quotes the FAILED job this item retries.
    `fingerprint` summarises the live state the item was planned against (`fingerprint.py`);
    blocked items are never submitted. `introduced` says whether the change under review
    declares the item (`Introduced`; None: not compared with a base).

    What is derived is not stored (a plan may hold 1,000,000 items): `key` identifies the
    item across plan, journal and receipt and is unique within its platform; `destructive` is
    true for a move (the platform copy is deleted) and a replace (an object is overwritten).
    """

    action: Action
    reason_code: ReasonCode | BlockedReason
    reason: str
    file_id: str | None
    path: str | None
    size: Count | None
    location: str
    settings: ExportSettings
    declared_at: tuple[str, ...]
    fingerprint: str
    job_id: str | None = None
    job_differences: tuple[str, ...] = ()
    last_failure: str | None = None
    introduced: Introduced | None = None

    @property
    def key(self) -> str:
        return f"{self.file_id or self.declared_at[0]}>{self.settings.volume}:{self.location}"

    @property
    def source(self) -> Source:
        return Source(self.file_id, self.settings.project, self.path, self.size)

    @property
    def destination(self) -> Destination:
        return Destination(self.settings.volume, self.location)

    @property
    def mode(self) -> Mode:
        return self.settings.mode

    @property
    def overwrite(self) -> bool:
        return self.settings.overwrite

    @property
    def properties(self) -> ExportProperties:
        return self.settings.properties

    @property
    def platform(self) -> str:
        """The entry of `Plan.platforms` (and so the endpoint) the item is planned against."""
        return self.settings.platform

    @property
    def destructive(self) -> bool:
        return self.action in DESTRUCTIVE_ACTIONS

    @property
    def object_uri(self) -> str | None:
        prefix = self.settings.object_uri_prefix
        return None if prefix is None or self.file_id is None else prefix + self.location

    @property
    def submits(self) -> bool:
        return self.action in SUBMITTING_ACTIONS


@dataclass(frozen=True, slots=True)
class UnmanagedAlias:
    """An alias on a managed volume that no manifest declares: shown, never acted on."""

    __pydantic_config__ = _FORBID

    file_id: str
    project: str
    path: str
    volume: str
    location: str
    size: Count | None
    platform: str


@dataclass(frozen=True, slots=True)
class PlatformTarget:
    """One platform of a plan: its name (a short name, or the URL a manifest gave) and the
    endpoint it was planned against (None only for plans made without one, in tests)."""

    __pydantic_config__ = _FORBID

    platform: str
    endpoint: str | None


@dataclass(frozen=True, slots=True)
class ActionTotal:
    __pydantic_config__ = _FORBID

    action: Action
    count: Count
    bytes: Count  # sum of the known source sizes


@dataclass(frozen=True, slots=True)
class ApplyEstimate:
    """What applying the plan costs in API calls, and the least time the rate limit imposes.

    `read_calls` is what `apply --plan` reads before and while it sends (the active jobs, the
    volumes, the items' files in bulk, their destinations); `formula` states how the numbers
    were computed, for the reviewer.
    """

    __pydantic_config__ = _FORBID

    read_calls: Count
    create_calls: Count
    poll_calls: Count
    total_calls: Count
    rate_limit_seconds: Count
    formula: str


@dataclass(frozen=True, slots=True)
class DeclarationSummary:
    """One row of the review: what one declaration selects and what the plan does with it.

    A glob is always a row of its own. Entries by file ID or by path of one manifest with the
    same volume, mode and settings make one row when there are many of them (a generated list
    of 100,000 IDs is one row, `declared_at` then spans their lines: `FILE:FIRST-LAST`).
    `selector` reads as the manifest says it (`glob results/**/*.bam`, `path a/b.txt`, `file
    5abc...`, or `1,000 file IDs` for a row of many); `location` is the destination pattern
    (the rows of many entries with different patterns say `(one per entry)`). `totals` lists
    the actions its items have, in the order of `Action`; an item declared by two entries
    counts in both rows."""

    __pydantic_config__ = _FORBID

    declared_at: str
    entries: Count
    selector: str
    platform: str
    project: str
    volume: str
    location: str
    mode: Mode
    overwrite: bool
    storage_class: str | None  # the S3 storage class its exports declare, if any
    totals: tuple[ActionTotal, ...]


@dataclass(frozen=True, slots=True)
class RiskEntry:
    """One item of a risk list, as a reviewer reads it."""

    __pydantic_config__ = _FORBID

    platform: str
    project: str
    source: str  # the path in the project, else the file ID
    destination: str  # volume:location
    size: Count | None
    mode: Mode  # a replace moves or copies; a blocked item would have
    storage_class: str | None
    reason_code: ReasonCode | BlockedReason
    reason: str
    declared_at: str  # the first declaration of the item


@dataclass(frozen=True, slots=True)
class RiskList:
    """The items of one risky action (replace, move, blocked): how many, how many bytes, and
    the first of them in plan order (`RISK_LIST_LIMIT`); the rest are counted."""

    __pydantic_config__ = _FORBID

    action: Action
    count: Count
    bytes: Count
    shown: tuple[RiskEntry, ...]

    @property
    def more(self) -> int:
        return self.count - len(self.shown)


# The actions a reviewer must look at first, in the order the review lists them.
RISK_ACTIONS = (Action.REPLACE, Action.MOVE, Action.BLOCKED)
RISK_LIST_LIMIT = 25


@dataclass(frozen=True, slots=True)
class Plan:
    """A whole plan, for one or more platforms and projects: `platforms` lists each platform
    once, and every item names its own (through its settings). `projects` are those of the
    manifests it was made from (sorted): a reviewed plan applied with `apply --reviewed` must
    be of the same projects, platforms and endpoints as the manifests it is applied with.

    It leads with what a reviewer reads first, in every rendering: `summary` (totals by
    action), `destructive_count`, `apply_estimate`, `declarations` (a row per declaration) and
    `risks` (the capped lists of replaces, moves and blocked items); then `settings` (each
    distinct export settings once) and every item. `digest` covers the canonical JSON of every
    other field (see `io.py`)."""

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
    items: tuple[PlanItem, ...]
    unmanaged_aliases: tuple[UnmanagedAlias, ...]
    digest: str

    def count(self, action: Action) -> int:
        return next((t.count for t in self.summary if t.action == action), 0)

    @property
    def has_blocked(self) -> bool:
        return self.count(Action.BLOCKED) > 0

    @property
    def has_pending(self) -> bool:
        return any(self.count(action) for action in PENDING_ACTIONS)
