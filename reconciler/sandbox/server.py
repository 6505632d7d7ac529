"""Starting and stopping a sandbox: `start(data_dir, ...)` returns a running `Sandbox` handle.

The data folder holds everything: `sandbox.db` (state), `objects/` (volume objects as sparse
files), `requests.jsonl` (the request log) and `sandbox.lock` (one sandbox per folder). Each
must be a regular file (a real directory for `objects/`) or absent: a link, a FIFO or a folder
in its place is refused at start (`datafiles.py`), and nothing outside is ever opened. A folder
without state is seeded (the demo seed unless told otherwise); a folder with state resumes it,
and refuses a new seed unless `reset=True`.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

from .app import App
from .datafiles import check_folder, lock_descriptor, open_regular, unlock_descriptor
from .errors import SandboxError, StateExistsError
from .faults import Faults
from .handler import SandboxHTTPServer
from .jobs import JobRunner
from .objects import OBJECTS_DIR, ObjectStore
from .protocol import Services
from .ratelimit import RateLimiter
from .requestlog import LOG_NAME, RequestLog
from .seed import apply_seed, load_seed
from .store import DB_FILES, OBJECTS_LAYOUT, Row, Store

log = logging.getLogger(__name__)

LOCK_NAME = "sandbox.lock"
POLL_INTERVAL = 0.05  # seconds; bounds how long stop() waits for the serving loop
SeedSource = Path | str | Mapping[str, Any] | None


def _lock(data_dir: Path) -> IO[str]:
    fd = open_regular(data_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT)
    handle = os.fdopen(fd, "w")  # held for the server's lifetime; never truncates
    try:
        lock_descriptor(handle.fileno())
    except OSError:
        handle.close()
        raise SandboxError(f"{data_dir}: another sandbox is using this data folder") from None
    return handle


def _reset(data_dir: Path) -> None:
    for name in (*DB_FILES, LOG_NAME):
        (data_dir / name).unlink(missing_ok=True)  # a link goes, never what it points at
    shutil.rmtree(data_dir / OBJECTS_DIR, ignore_errors=True)


def check_data_folder(data_dir: Path) -> None:
    """Refuse, before anything is opened, a data folder whose files are not its own."""
    check_folder(data_dir, (LOCK_NAME, *DB_FILES, LOG_NAME), (OBJECTS_DIR,))


def open_state(
    data_dir: Path, seed: SeedSource, *, reset: bool, use_demo: bool = True
) -> tuple[Store, ObjectStore]:
    """The store and objects of `data_dir`, seeded if it held no state yet."""
    if reset:
        _reset(data_dir)
    store = Store(data_dir)
    objects = ObjectStore(data_dir, store)
    try:
        if store.is_seeded():
            if seed is not None:
                raise StateExistsError(
                    f"{data_dir} already holds sandbox state; drop --seed to resume it,"
                    " or add --reset to start over from the seed"
                )
            if store.objects_layout() != OBJECTS_LAYOUT:
                raise StateExistsError(
                    f"{data_dir} holds state of an older sandbox that stored objects by path;"
                    " add --reset to start over from the seed"
                )
        elif seed is not None or use_demo:
            apply_seed(store, objects, load_seed(seed))
    except BaseException:
        store.close()
        raise
    return store, objects


class Sandbox:
    """A running sandbox: its URL and token, its settings, its state, and `stop()`."""

    def __init__(
        self,
        data_dir: Path,
        store: Store,
        objects: ObjectStore,
        faults: Faults,
        host: str,
        port: int,
        lock: IO[str],
    ) -> None:
        self.data_dir = data_dir
        self.faults = faults
        self._store, self._lock, self._objects = store, lock, objects
        self._requests = RequestLog(data_dir)
        self._jobs = JobRunner(store, objects, faults)
        services = Services(store, objects, faults, "", self._jobs.wake, time.time)
        self._server = SandboxHTTPServer(
            (host, port), App(services, RateLimiter()), faults, self._requests
        )
        self.host, self.port = (
            str(self._server.server_address[0]),
            int(self._server.server_address[1]),
        )
        self.url = f"http://{self.host}:{self.port}/v2"
        self._server.app.services = Services(
            store, objects, faults, self.url, self._jobs.wake, time.time
        )
        self.token = store.first_token() or ""
        self._server.control_token = self.token
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": POLL_INTERVAL},
            name="sandbox-http",
            daemon=True,
        )
        self._stopped = False

    def _start(self) -> None:
        self._jobs.start()
        self._thread.start()

    @property
    def db_path(self) -> Path:
        return self._store.path

    def configure(self, **settings: Any) -> dict[str, Any]:
        """Change settings, exactly as `POST /_sandbox/config` does; returns them all."""
        return self.faults.update(settings).to_dict()

    def settings(self) -> dict[str, Any]:
        return self.faults.settings.to_dict()

    def request_log(self) -> list[dict[str, Any]]:
        return self._requests.entries()

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[Row]:
        """Read the sandbox's state directly (JSON columns decoded), for assertions."""
        return self._store.read(sql, params)

    def file(self, file_id: str) -> Row | None:
        return self._store.read_one("SELECT * FROM files WHERE id = ?", (file_id,))

    def export(self, export_id: str) -> Row | None:
        return self._store.read_one("SELECT * FROM exports WHERE id = ?", (export_id,))

    def object_path(self, volume_id: str, location: str) -> Path:
        """Where the object `volume_id:location` lives (or would live) on disk."""
        volume = self._store.read_one("SELECT service FROM volumes WHERE id = ?", (volume_id,))
        if volume is None:
            raise SandboxError(f"volume {volume_id} not found")
        service = volume["service"]
        return self._objects.path(service["bucket"], service.get("prefix", ""), location)

    def wait_for_jobs(self, timeout: float = 30.0) -> None:
        """Block until no job is PENDING or RUNNING."""
        deadline = time.monotonic() + timeout
        while self._store.scalar(
            "SELECT COUNT(*) FROM exports WHERE state IN ('PENDING', 'RUNNING')"
        ):
            if time.monotonic() > deadline:
                raise SandboxError(f"jobs still running after {timeout}s")
            time.sleep(0.02)

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self._server.shutdown()
        self._server.close_connections()
        self._server.server_close()
        self._thread.join(timeout=10)
        self._jobs.stop()
        self._store.close()
        unlock_descriptor(self._lock.fileno())
        self._lock.close()
        log.info("sandbox on %s stopped", self.url)

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def start(
    data_dir: Path | str,
    *,
    seed: SeedSource = None,
    reset: bool = False,
    host: str = "127.0.0.1",
    port: int = 0,
    **settings: Any,
) -> Sandbox:
    """Open (or seed) the state in `data_dir` and serve it on `host:port` (0: any free port).

    `settings` are the fault and pacing settings of `faults.Settings` (job_pace, latency, ...).
    """
    folder = Path(data_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SandboxError(f"{folder}: cannot be the data folder: {exc.strerror}") from None
    faults = Faults(**settings)
    check_data_folder(folder)
    lock = _lock(folder)
    try:
        store, objects = open_state(folder, seed, reset=reset)
    except BaseException:
        lock.close()
        raise
    try:
        sandbox = Sandbox(folder, store, objects, faults, host, port, lock)
    except OSError as exc:
        store.close()
        lock.close()
        raise SandboxError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    sandbox._start()
    log.info("sandbox listening on %s (data in %s)", sandbox.url, folder)
    return sandbox
