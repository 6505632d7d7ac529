"""The action for one (file, destination): exactly one, with a reason code and a sentence.

The checks run in this order, and the first that applies wins:

1. the file cannot be exported at all: a folder, a public file;
2. a PENDING or RUNNING job for this file and destination: in-flight (the fields in which the
   job differs from the manifest are listed);
3. already converged: for a move, the file is an alias at this volume and location; for a
   copy, the destination holds an object of the file's size (even when the file has since
   been moved elsewhere, which is how a file declared for copy and move stays in sync after
   apply) or the file is an alias right there. `overwrite: true` never turns an in-sync item
   into an export, so a second plan after a full apply is empty;
4. the file is an alias elsewhere (it can never be exported again);
5. the volume: missing, GCS, read-only, inactive; then the object key (prefix + location)
   longer than 1024 bytes;
6. another job that could race this item: any active job writing to this destination for
   another file, or, for a move, an active job of this file to another destination (a move
   deletes the platform copy the other job reads). The item waits as in-flight and is planned
   again once that job has finished. Copies do not wait for jobs elsewhere: they change
   nothing on the platform;
7. the file lives only in another cloud than the volume's (`s3` is aws, `gcs` is gcp);
8. the destination holds an object: replace with `overwrite: true`, else blocked;
9. otherwise the export is submitted; when the last job for this destination FAILED, the item
   is simply planned again and the failure is quoted.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from reconciler.clouds import CLOUDS, cloud_of
from reconciler.core.live import LiveFile, LiveJob, LiveState, LiveVolume
from reconciler.manifest.models import Mode
from reconciler.plan.fingerprint import JobIndex
from reconciler.plan.model import Action, BlockedReason, ExportProperties, ReasonCode

MAX_OBJECT_KEY_BYTES = 1024


class Decision(NamedTuple):
    """A NamedTuple rather than a frozen dataclass: one is made per item, and it is faster."""

    action: Action
    code: ReasonCode | BlockedReason
    reason: str
    job_id: str | None = None
    job_differences: tuple[str, ...] = ()
    last_failure: str | None = None


def object_key(volume: LiveVolume, location: str) -> str:
    """The key written in the bucket: the volume's prefix, then the location."""
    prefix = volume.prefix
    if not prefix:
        return location
    return prefix + location if prefix.endswith("/") else f"{prefix}/{location}"


def object_uri(volume: LiveVolume | None, location: str) -> str | None:
    cloud = cloud_of(volume.service_type) if volume is not None else None
    if volume is None or cloud is None or cloud.uri_scheme is None or not volume.bucket:
        return None
    return f"{cloud.uri_scheme}://{volume.bucket}/{object_key(volume, location)}"


def _blocked(code: BlockedReason, reason: str) -> Decision:
    return Decision(Action.BLOCKED, code, reason)


def volume_problem(volume_id: str, volume: LiveVolume | None) -> Decision | None:
    """Why nothing can be exported to this volume, if anything."""
    if volume is None:
        return _blocked(
            BlockedReason.VOLUME_MISSING, f"volume {volume_id} not found or out of reach"
        )
    cloud = cloud_of(volume.service_type)
    if cloud is not None and not cloud.exportable:
        return _blocked(
            BlockedReason.VOLUME_GCS,
            f"volume {volume_id} is on {cloud.label}: exports are not supported",
        )
    if volume.access_mode != "RW":
        return _blocked(BlockedReason.VOLUME_READ_ONLY, f"volume {volume_id} is read-only")
    if not volume.active:
        return _blocked(BlockedReason.VOLUME_INACTIVE, f"volume {volume_id} is inactive")
    return None


# Enum members bound once: attribute access on an enum class costs a descriptor call, and
# `decide` runs once per item.
_MOVE, _COPY = Mode.MOVE, Mode.COPY
_IN_SYNC, _IN_FLIGHT, _REPLACE = Action.IN_SYNC, Action.IN_FLIGHT, Action.REPLACE
_EXPORT_ACTION = {Mode.MOVE: Action.MOVE, Mode.COPY: Action.COPY}
_EMPTY = ReasonCode.DESTINATION_EMPTY
# One shared sentence: the destination is on the item already, and 100,000 copies of it
# would only make the saved plan longer.
_EMPTY_SENTENCE = "nothing at the destination yet"


class Decider:
    """`decide` for one live state, with what does not depend on the item computed once
    (per volume, per set of hosting locations)."""

    def __init__(self, live: LiveState, jobs: JobIndex) -> None:
        self.live = live
        self.jobs = jobs
        self._volume_problems: dict[str, Decision | None] = {}
        self._cloud_ok: dict[tuple[str, tuple[str, ...]], bool] = {}
        self._uri_bases: dict[str, str | None] = {}

    def object_uri(self, volume_id: str, location: str) -> str | None:
        """`object_uri`, with the part that depends on the volume computed once."""
        if volume_id not in self._uri_bases:
            self._uri_bases[volume_id] = object_uri(self.live.volumes.get(volume_id), "")
        base = self._uri_bases[volume_id]
        return None if base is None else base + location

    def decide(
        self,
        file: LiveFile,
        volume_id: str,
        location: str,
        mode: Mode,
        overwrite: bool,
        properties: ExportProperties,
    ) -> Decision:
        """The one action for exporting `file` to `volume_id:location` (module docstring)."""
        live = self.live
        if file.is_folder:
            return _blocked(BlockedReason.FOLDER, f"{file.path or file.id} is a folder")
        if file.is_public:
            return _blocked(BlockedReason.PUBLIC_FILE, f"{file.path or file.id} is a public file")

        dest_key = (volume_id, location)
        dest_jobs = self.jobs.by_destination.get(dest_key, ())
        if dest_jobs:
            own = next((j for j in dest_jobs if j.file_id == file.id), None)
            if own is not None:
                return _in_flight(own, overwrite, properties, len(dest_jobs))

        obj = live.objects.get(dest_key)
        is_alias = file.storage_type == "VOLUME"
        if is_alias and file.alias_volume == volume_id and file.alias_location == location:
            return Decision(
                _IN_SYNC,
                ReasonCode.ALIAS_AT_DESTINATION,
                f"already an alias at {volume_id}:{location}",
            )
        if mode is _COPY and obj is not None and file.size is not None and obj.size == file.size:
            return Decision(
                _IN_SYNC,
                ReasonCode.OBJECT_SAME_SIZE,
                f"{volume_id}:{location} already holds an object of the file's size "
                f"({file.size} bytes)",
            )
        if is_alias:
            return _blocked(
                BlockedReason.ALIAS_ELSEWHERE,
                f"already an alias at {file.alias_volume}:{file.alias_location}",
            )

        volume = live.volumes.get(volume_id)
        if volume_id in self._volume_problems:
            problem = self._volume_problems[volume_id]
        else:
            problem = self._volume_problems[volume_id] = volume_problem(volume_id, volume)
        if problem is not None:
            return problem
        assert volume is not None  # volume_problem blocks a missing volume
        # UTF-8 takes at most 4 bytes a character: encode only keys that could be too long.
        if 4 * (len(volume.prefix) + 1 + len(location)) > MAX_OBJECT_KEY_BYTES:
            key_bytes = len(object_key(volume, location).encode())
            if key_bytes > MAX_OBJECT_KEY_BYTES:
                return _blocked(
                    BlockedReason.LOCATION_TOO_LONG,
                    f"object key with the volume prefix is {key_bytes} bytes "
                    f"(at most {MAX_OBJECT_KEY_BYTES})",
                )

        if dest_jobs:
            other = next((j for j in dest_jobs if j.file_id != file.id), None)
            if other is not None:
                return Decision(
                    _IN_FLIGHT,
                    ReasonCode.WAITING_FOR_OTHER_JOB,
                    f"job {other.id} ({other.state}) of file {other.file_id} is writing to "
                    f"{volume_id}:{location}; planned again once it has finished",
                    job_id=other.id,
                )
        if mode is _MOVE:
            elsewhere = self.jobs.by_file.get(file.id)
            if elsewhere:
                job = elsewhere[0]
                return Decision(
                    _IN_FLIGHT,
                    ReasonCode.WAITING_FOR_OTHER_JOB,
                    f"job {job.id} ({job.state}) is exporting this file to "
                    f"{job.volume}:{job.location}; the move is planned again once it has finished",
                    job_id=job.id,
                )

        hosted = file.hosted_on_locations
        if hosted:
            cloud_key = (volume.service_type, hosted)
            ok = self._cloud_ok.get(cloud_key)
            if ok is None:
                ok = self._cloud_ok[cloud_key] = _same_cloud(volume.service_type, hosted)
            if not ok:
                return _blocked(
                    BlockedReason.CLOUD_MISMATCH,
                    f"the file is hosted only in {', '.join(hosted)}; volume {volume_id} is in "
                    f"{CLOUDS[volume.service_type].hosted_as}",
                )

        failed = live.failed_jobs.get(file.id) if live.failed_jobs else None
        if failed is not None and (failed.volume != volume_id or failed.location != location):
            failed = None
        failure = (failed.error or "no message") if failed is not None else None

        if obj is not None:
            if not overwrite:
                size = f" of {obj.size} bytes" if obj.size is not None else ""
                return _blocked(
                    BlockedReason.DESTINATION_EXISTS,
                    f"{volume_id}:{location} already holds an object{size} and overwrite is false",
                )
            retry = f"; last job {failed.id} FAILED: {failure}" if failed is not None else ""
            return Decision(
                _REPLACE,
                ReasonCode.RETRY_AFTER_FAILURE if failed else ReasonCode.OVERWRITE_OBJECT,
                f"{volume_id}:{location} holds an object ({obj.size} bytes) that "
                f"overwrite: true replaces{retry}",
                last_failure=failure,
            )
        if failed is not None:
            return Decision(
                _EXPORT_ACTION[mode],
                ReasonCode.RETRY_AFTER_FAILURE,
                f"planned again: last job {failed.id} FAILED: {failure}",
                last_failure=failure,
            )
        return Decision(_EXPORT_ACTION[mode], _EMPTY, _EMPTY_SENTENCE)


def _same_cloud(service_type: str, hosted: tuple[str, ...]) -> bool:
    """False only when the volume's cloud is known and the file is hosted in none of it."""
    cloud = cloud_of(service_type)
    return cloud is None or any(h.split(":", 1)[0] == cloud.hosted_as for h in hosted)


def _in_flight(
    job: LiveJob, overwrite: bool, properties: ExportProperties, jobs_here: int
) -> Decision:
    wanted = properties.as_dict()
    differences: tuple[str, ...] = ()
    # A plain comparison first: deepdiff is far too slow to run on every item.
    if job.overwrite != overwrite or _ran(job, wanted) != wanted:
        differences = job_differences(job, overwrite, wanted)
    others = f" (and {jobs_here - 1} more jobs here)" if jobs_here > 1 else ""
    differs = f"; differs from the manifest in {', '.join(differences)}" if differences else ""
    return Decision(
        Action.IN_FLIGHT,
        ReasonCode.JOB_ACTIVE,
        f"job {job.id} is {job.state}{others}{differs}",
        job_id=job.id,
        job_differences=differences,
    )


def _ran(job: LiveJob, wanted: dict[str, str | None]) -> dict[str, str | None]:
    """The job's properties as the manifest can compare them: a storage class the manifest
    does not declare is the volume's default, whatever it is, and no difference."""
    ran = dict(job.properties)
    if "aws_storage_class" not in wanted:
        ran.pop("aws_storage_class", None)
    return ran


def job_differences(
    job: LiveJob, overwrite: bool, wanted: dict[str, str | None]
) -> tuple[str, ...]:
    """`field: job X, manifest Y` for every field where the job differs from the manifest."""
    ran: dict[str, Any] = {"overwrite": job.overwrite, "properties": _ran(job, wanted)}
    declared: dict[str, Any] = {"overwrite": overwrite, "properties": wanted}
    # Imported here: it is needed only when a job differs, and importing it costs ~0.1 s at
    # every start of plan and apply.
    from deepdiff import DeepDiff

    tree = DeepDiff(ran, declared, view="tree")
    found = []
    for levels in tree.values():
        for level in levels:
            path = ".".join(str(p) for p in level.path(output_format="list"))
            found.append(f"{path}: job {_show(level.t1)}, manifest {_show(level.t2)}")
    return tuple(sorted(found))


def _show(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return repr(value)
    return "absent"  # deepdiff's marker for a key on one side only
