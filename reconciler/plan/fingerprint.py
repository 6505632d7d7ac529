"""Fingerprints of the live state an item was planned against, and the job indexes behind them.

A fingerprint is a short sha256 over exactly what the planner's decision for one item depends
on: the file's storage (type, alias volume and location), size and modified_on, and where it
is (its folder's id and its name: a file renamed or moved since the plan is no longer the one
the reviewer saw at that path, and `apply --plan` reads files by id only); whether the
destination holds an object and of what size, when the decision depends on it
(`depends_on_destination`, which also tells the live reader which destinations to read); and
the ids of the active jobs for the file or for the destination. The apply engine recomputes it
with `item_fingerprint` from the state it reads just before submitting, and skips the item as
stale when the two differ. A job moving from PENDING to RUNNING does not change a fingerprint:
it does not change the decision.

"Not read" and "read and absent" are both fingerprinted as absent: a destination that apply
finds occupied where the plan saw nothing is then reported as stale, which is what matters.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from hashlib import sha256

from reconciler.core.live import LiveFile, LiveJob, LiveState
from reconciler.manifest.models import Mode

FINGERPRINT_LENGTH = 16


@dataclass(frozen=True, slots=True)
class JobIndex:
    """The active jobs of a live state, by file and by destination."""

    by_file: Mapping[str, tuple[LiveJob, ...]]
    by_destination: Mapping[tuple[str, str], tuple[LiveJob, ...]]

    @classmethod
    def of(cls, live: LiveState) -> JobIndex:
        by_file: defaultdict[str, list[LiveJob]] = defaultdict(list)
        by_destination: defaultdict[tuple[str, str], list[LiveJob]] = defaultdict(list)
        for job in live.active_jobs:
            if job.is_active:
                by_file[job.file_id].append(job)
                by_destination[(job.volume, job.location)].append(job)
        return cls(
            by_file={k: tuple(sorted(v, key=_job_id)) for k, v in by_file.items()},
            by_destination={k: tuple(sorted(v, key=_job_id)) for k, v in by_destination.items()},
        )


def _job_id(job: LiveJob) -> str:
    return job.id


def depends_on_destination(mode: Mode, file: LiveFile | None) -> bool:
    """Whether the decision for exporting `file` (None: no file resolved, so the item is
    blocked) can depend on what its destination holds. Folders and public files are blocked
    whatever is there. An alias cannot be exported again, but a copy of it is in sync when its
    destination holds an object of the file's size (a file declared for copy and move is an
    alias after apply), so only a move of an alias does not depend on it."""
    if file is None or file.is_folder or file.is_public:
        return False
    return not (file.storage_type == "VOLUME" and mode is Mode.MOVE)


def fingerprint(
    live: LiveState,
    jobs: JobIndex,
    file: LiveFile | None,
    volume: str,
    location: str,
    mode: Mode,
) -> str:
    """The fingerprint of one (file, destination) in `live`."""
    obj = live.objects.get((volume, location)) if depends_on_destination(mode, file) else None
    text = (
        "file:absent"
        if file is None
        else f"file:{file.id}:{file.storage_type}:{file.alias_volume}:{file.alias_location}"
        f":{file.size}:{file.modified_on}:{file.parent}:{file.name}"
    ) + (
        f"\ndest:{volume}:{location}\nobject:absent"
        if obj is None
        else f"\ndest:{volume}:{location}\nobject:{obj.size}"
    )
    on_destination = jobs.by_destination.get((volume, location))
    on_file = jobs.by_file.get(file.id) if file is not None else None
    if on_destination or on_file:
        ids = {j.id for j in on_destination or ()} | {j.id for j in on_file or ()}
        text += "\njobs:" + ",".join(sorted(ids))
    return sha256(text.encode()).hexdigest()[:FINGERPRINT_LENGTH]


def find_file(
    live: LiveState, file_id: str | None, project: str, path: str | None
) -> LiveFile | None:
    """The file an item was planned for, looked up by ID first, else by its path."""
    if file_id is not None:
        found = live.files_by_id.get(file_id)
        if found is not None:
            return found
    files = live.projects.get(project)
    if files is not None and path is not None:
        candidate = files.by_path.get(path)
        if candidate is not None and (file_id is None or candidate.id == file_id):
            return candidate
    return None


def item_fingerprint(
    live: LiveState,
    *,
    file_id: str | None,
    project: str,
    path: str | None,
    volume: str,
    location: str,
    mode: Mode,
    jobs: JobIndex | None = None,
) -> str:
    """Recompute a plan item's fingerprint against a fresh live state (for apply)."""
    index = jobs if jobs is not None else JobIndex.of(live)
    file = find_file(live, file_id, project, path)
    return fingerprint(live, index, file, volume, location, mode)
