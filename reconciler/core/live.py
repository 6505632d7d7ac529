"""The live model: the live state the planner needs, as plain frozen data.

The reader (`live/read.py`) fills it from the API; the planner (`plan/`) reads it and does no
I/O. Tests build it by hand. Anything the planner may ask about but that was not read is absent
from the maps, and "read and not there" is stored explicitly (None), so the two are never
confused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

PUBLIC_FILE_METADATA_KEY = "sbg_public_files_category"
ACTIVE_JOB_STATES = ("PENDING", "RUNNING")


@dataclass(frozen=True, slots=True)
class LiveFile:
    """A project file or folder as the API shows it."""

    id: str
    project: str
    path: str  # inside the project, e.g. "results/s1/out.bam"; "" only if unknown
    name: str
    is_folder: bool = False
    size: int | None = None
    storage_type: Literal["PLATFORM", "VOLUME"] = "PLATFORM"
    hosted_on_locations: tuple[str, ...] = ()  # e.g. ("aws:us-east-1",)
    alias_volume: str | None = None  # set when storage_type is VOLUME
    alias_location: str | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    modified_on: str | None = None
    parent: str | None = None  # the folder's id, as the API gives it

    @property
    def is_alias(self) -> bool:
        return self.storage_type == "VOLUME"

    @property
    def is_public(self) -> bool:
        return PUBLIC_FILE_METADATA_KEY in self.metadata


@dataclass(frozen=True, slots=True)
class LiveVolume:
    id: str
    access_mode: str  # "RW" | "RO"
    active: bool
    service_type: str  # "s3" | "gcs" | ...
    bucket: str = ""
    prefix: str = ""


@dataclass(frozen=True, slots=True)
class LiveObject:
    volume: str
    location: str
    size: int | None


@dataclass(frozen=True, slots=True)
class LiveJob:
    """An export job (any state) that concerns a declared file or destination."""

    id: str
    state: str  # PENDING | RUNNING | COMPLETED | FAILED
    file_id: str
    volume: str
    location: str
    overwrite: bool = False
    properties: Mapping[str, str | None] = field(default_factory=dict)
    error: str | None = None  # the API's message, for FAILED jobs

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE_JOB_STATES


@dataclass(frozen=True, slots=True)
class ProjectFiles:
    """What was read of one project's tree."""

    project: str
    found: bool  # False: the project does not exist or is out of the caller's reach
    by_path: Mapping[str, LiveFile] = field(default_factory=dict)  # files and folders read


@dataclass(frozen=True, slots=True)
class LiveState:
    projects: Mapping[str, ProjectFiles] = field(default_factory=dict)
    # Files read by ID. None: the API said not found / out of reach.
    files_by_id: Mapping[str, LiveFile | None] = field(default_factory=dict)
    # Volumes by id. None: not found.
    volumes: Mapping[str, LiveVolume | None] = field(default_factory=dict)
    # Destinations checked: (volume, location) -> object, or None when nothing is there.
    objects: Mapping[tuple[str, str], LiveObject | None] = field(default_factory=dict)
    # PENDING and RUNNING jobs, on every volume.
    active_jobs: tuple[LiveJob, ...] = ()
    # The latest FAILED job per file, when an earlier apply's journal knows it.
    failed_jobs: Mapping[str, LiveJob] = field(default_factory=dict)
    # Aliases on managed volumes that no manifest declares (only with --unmanaged).
    unmanaged_aliases: tuple[LiveFile, ...] = ()
