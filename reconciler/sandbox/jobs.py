"""The background job runner: PENDING -> RUNNING -> COMPLETED | FAILED, on each job's deadlines.

Deadlines are stored with the job, so after a restart (clean or SIGKILL) the runner simply
carries on: overdue jobs finish on its first pass. A finished job writes its object (a sparse
file); a move also turns the project file into an alias of that object.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable

from . import errors
from .errors import ApiFailure, unexpected
from .faults import Faults
from .ids import iso
from .objects import ObjectStore
from .store import Row, Store, decode, encode

log = logging.getLogger(__name__)

IDLE_WAIT = 1.0  # seconds between passes when no job is due sooner


def _fail(conn: sqlite3.Connection, job: Row, failure: ApiFailure, now: float) -> None:
    conn.execute(
        "UPDATE exports SET state = 'FAILED', finished_on = ?, error = ? WHERE id = ?",
        (iso(now), encode(failure.body()), job["id"]),
    )


def _finish(
    conn: sqlite3.Connection, objects: ObjectStore, faults: Faults, job: Row, now: float
) -> None:
    if job["doomed"] or job["file_id"] in faults.settings.fail_files:
        _fail(conn, job, unexpected(f"export of file {job['file_id']} failed"), now)
        return
    found = conn.execute("SELECT * FROM files WHERE id = ?", (job["file_id"],)).fetchone()
    volume = conn.execute("SELECT * FROM volumes WHERE id = ?", (job["volume"],)).fetchone()
    file = decode(found) if found is not None else None
    if file is None or volume is None or file["storage"]["type"] != "PLATFORM":
        # Another job moved the file (or it went away) while this one was in flight.
        message = f"file {job['file_id']} is no longer on the platform"
        _fail(conn, job, ApiFailure(409, errors.NOT_EXPORTABLE, message), now)
        return
    service = decode(volume)["service"]
    try:
        objects.write(service["bucket"], service.get("prefix", ""), job["location"], file["size"])
    except OSError as exc:
        message = f"{job['volume']}:{job['location']}: cannot write the object ({exc.strerror})"
        _fail(conn, job, unexpected(message), now)
        return
    if not job["copy_only"]:
        file["storage"] = {"type": "VOLUME", "volume": job["volume"], "location": job["location"]}
        file["modified_on"] = iso(now)
        conn.execute(
            "UPDATE files SET storage = ?, modified_on = ? WHERE id = ?",
            (encode(file["storage"]), file["modified_on"], file["id"]),
        )
    conn.execute(
        "UPDATE exports SET state = 'COMPLETED', finished_on = ?, result = ? WHERE id = ?",
        (iso(now), encode(file), job["id"]),
    )


def advance(store: Store, objects: ObjectStore, faults: Faults, now: float) -> int:
    """Move every due job one or two steps; return how many changed."""
    changed = 0
    with store.transaction() as conn:
        due = conn.execute(
            "SELECT * FROM exports WHERE (state = 'PENDING' AND run_at <= ?)"
            " OR (state = 'RUNNING' AND done_at <= ?) ORDER BY seq",
            (now, now),
        ).fetchall()
        for row in due:
            job = decode(row)
            if job["state"] == "PENDING":
                conn.execute(
                    "UPDATE exports SET state = 'RUNNING', started_on = ? WHERE id = ?",
                    (iso(now), job["id"]),
                )
            if job["done_at"] <= now:
                _finish(conn, objects, faults, job, now)
            changed += 1
    return changed


def next_deadline(store: Store) -> float | None:
    value = store.scalar(
        "SELECT MIN(CASE state WHEN 'PENDING' THEN run_at ELSE done_at END) FROM exports"
        " WHERE state IN ('PENDING', 'RUNNING')"
    )
    return None if value is None else float(value)


class JobRunner:
    """A daemon thread that wakes at the next deadline, or when `wake()` says jobs were added."""

    def __init__(
        self,
        store: Store,
        objects: ObjectStore,
        faults: Faults,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store, self._objects, self._faults, self._clock = store, objects, faults, clock
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sandbox-jobs", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                advance(self._store, self._objects, self._faults, self._clock())
                deadline = next_deadline(self._store)
            except Exception:  # keep the runner alive; the next pass retries
                log.exception("job runner pass failed")
                deadline = None
            wait = IDLE_WAIT if deadline is None else deadline - self._clock()
            self._wake.wait(timeout=min(max(wait, 0.0), IDLE_WAIT))
            self._wake.clear()
