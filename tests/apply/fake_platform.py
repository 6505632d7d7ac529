"""A fake clock and an in-memory platform behind `apply.ports.ExportsApi`, for driving the apply
engine through its branches deterministically: time passes only when the engine sleeps, and
jobs finish when the fake clock says so.

What each create call does is scripted (`Platform.creates`): answer, lose the answer after
committing the jobs (now or later), lose it without committing, fail before sending, refuse,
or answer with a tampered list. Every call is logged with the fake time it was made at."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Sequence
from concurrent import futures
from dataclasses import dataclass, field
from typing import Any

from reconciler.api.resources import Export, File, ItemError, VolumeObject
from reconciler.errors import ApiError, TransportError
from reconciler.manifest.models import Mode
from reconciler.plan.model import (
    Action,
    BlockedReason,
    ExportProperties,
    ExportSettings,
    PlanItem,
    ReasonCode,
)

VOLUME = "o/vol"
SIZE = 10
JOB_SECONDS = 5.0

Answers = list[Export | ItemError]


class FakeClock:
    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds > 0, "the engine never sleeps for nothing"
        self.slept.append(seconds)
        self.now += seconds


class Synchronous(futures.Executor):
    """Workers that make each call as it is handed over: the threaded path, without threads."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> futures.Future[Any]:
        future: futures.Future[Any] = futures.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:
            future.set_exception(exc)
        return future


def item(
    file: str,
    location: str,
    mode: Mode = Mode.MOVE,
    *,
    action: Action | None = None,
    reason_code: ReasonCode | BlockedReason = ReasonCode.DESTINATION_EMPTY,
    job_id: str | None = None,
) -> PlanItem:
    action = action or (Action.MOVE if mode is Mode.MOVE else Action.COPY)
    return PlanItem(
        action=action,
        reason_code=reason_code,
        reason=f"{action} planned",
        file_id=file,
        path=f"{file}.dat",
        size=SIZE,
        location=location,
        settings=SETTINGS[mode],
        declared_at=("m.yaml:1:1",),
        fingerprint="fp",
        job_id=job_id,
    )


SETTINGS = {
    mode: ExportSettings(
        platform="default",
        project="o/p",
        volume=VOLUME,
        mode=mode,
        overwrite=False,
        properties=ExportProperties(None, None, None, None),
        object_uri_prefix=None,
    )
    for mode in Mode
}


@dataclass
class Job:
    id: str
    file: str
    location: str
    mode: Mode
    visible_from: float  # committed: the platform shows it from then on
    ends_at: float
    fails: bool
    gives_result: bool

    def state(self, now: float) -> str:
        if now < self.ends_at:
            return "RUNNING"
        return "FAILED" if self.fails else "COMPLETED"


@dataclass
class Platform:
    clock: FakeClock
    job_seconds: float = JOB_SECONDS
    creates: deque[str | Callable[[Answers], Answers]] = field(default_factory=deque)
    late_by: float = 2.0  # how long after the call a "lost-late" commit lands
    failing_files: set[str] = field(default_factory=set)
    results_given: bool = True  # COMPLETED jobs carry their result
    reads_fail: bool = False  # list_exports and bulk_get_files raise ApiError
    jobs: dict[str, Job] = field(default_factory=dict)
    log: list[tuple[float, str, int]] = field(default_factory=list)  # (time, call, items)

    def create_times(self) -> list[float]:
        return [at for at, call, _ in self.log if call == "create"]

    def calls(self, name: str) -> int:
        return sum(1 for _, call, _ in self.log if call == name)

    # ---- ExportsApi ----------------------------------------------------------------------

    def bulk_create_exports(self, items: Sequence[dict[str, Any]], *, copy_only: bool) -> Answers:
        now = self.clock()
        self.log.append((now, "create", len(items)))
        how = self.creates.popleft() if self.creates else "answer"
        if how == "unsent":
            raise TransportError("connection refused", sent=False)
        if how == "dropped":
            raise TransportError("read timed out")  # nothing was committed
        if how == "refuse":
            return [ItemError(status=400, message="no")] * len(items)
        visible = now + self.late_by if how == "lost-late" else now
        answers: Answers = []
        for body in items:
            job = Job(
                id=f"job-{len(self.jobs) + 1}",
                file=body["source"]["file"],
                location=body["destination"]["location"],
                mode=Mode.COPY if copy_only else Mode.MOVE,
                visible_from=visible,
                ends_at=visible + self.job_seconds,
                fails=body["source"]["file"] in self.failing_files,
                gives_result=self.results_given,
            )
            self.jobs[job.id] = job
            answers.append(self.export(job, now))
        if how in ("lost", "lost-late"):
            raise TransportError("read timed out")
        return how(answers) if callable(how) else answers

    def bulk_get_exports(self, export_ids: Sequence[str]) -> Answers:
        now = self.clock()
        self.log.append((now, "get_exports", len(export_ids)))
        return [
            self.export(self.jobs[i], now)
            if i in self.jobs and self.jobs[i].visible_from <= now
            else ItemError(status=404, message="not found")
            for i in export_ids
        ]

    def bulk_get_files(self, file_ids: Sequence[str]) -> list[File | ItemError]:
        now = self.clock()
        self.log.append((now, "get_files", len(file_ids)))
        if self.reads_fail:
            raise ApiError("service unavailable", status=503)
        return [self._file(file_id, now) for file_id in file_ids]

    def list_exports(self, volume_id: str | None, state: str) -> Iterable[Export]:
        now = self.clock()
        self.log.append((now, "list_exports", 0))
        if self.reads_fail:
            raise ApiError("service unavailable", status=503)
        return [
            self.export(job, now)
            for job in self.jobs.values()
            if job.visible_from <= now and job.state(now) == state
        ]

    def get_volume_object(self, volume_id: str, location: str) -> VolumeObject | None:
        now = self.clock()
        self.log.append((now, "get_object", 1))
        for job in self.jobs.values():
            if job.location == location and self._done(job, now):
                return VolumeObject(location=location, metadata={"size": SIZE})
        return None

    # ---- the platform's side -------------------------------------------------------------

    def _done(self, job: Job, now: float) -> bool:
        return job.visible_from <= now and job.state(now) == "COMPLETED"

    def _file(self, file_id: str, now: float) -> File:
        for job in self.jobs.values():
            if job.file == file_id and job.mode is Mode.MOVE and self._done(job, now):
                storage = {"type": "VOLUME", "volume": VOLUME, "location": job.location}
                return File(id=file_id, size=SIZE, storage=storage)
        return File(id=file_id, size=SIZE)

    def export(self, job: Job, now: float) -> Export:
        """`job` as the API shows it at `now`."""
        state = job.state(now)
        result = None
        if state == "COMPLETED" and job.gives_result:
            result = self._file(job.file, now)
        return Export(
            id=job.id,
            state=state,
            source={"file": job.file},
            destination={"volume": VOLUME, "location": job.location},
            result=result,
            error={"message": "disk full"} if state == "FAILED" else None,
        )
