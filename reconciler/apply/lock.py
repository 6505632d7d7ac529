"""The state folder's lock: one apply at a time per state folder on one machine.

The lock is a file created exclusively (`O_EXCL`) holding the owner's pid and host. A lock
whose pid is dead on this host is stale (the owner was killed) and is taken over; a lock held
by a live process is refused with its pid, so the user knows whom to wait for. Across machines
the platform's job list keeps a concurrent apply from duplicating exports; this lock only keeps
two local runs from interleaving one journal.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
from pathlib import Path
from types import TracebackType

from reconciler.errors import StateError

LOCK_NAME = "apply.lock"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, owned by someone else
    return True


class StateLock:
    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / LOCK_NAME
        self._held = False

    def acquire(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StateError(f"{self.path.parent}: cannot create: {exc.strerror}") from exc
        body = json.dumps({"pid": os.getpid(), "host": socket.gethostname()})
        # Two attempts: the second after removing a stale lock.
        for _ in range(2):
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                self._take_over_if_stale()
                continue
            except OSError as exc:
                raise StateError(f"{self.path}: cannot create the lock: {exc.strerror}") from exc
            with os.fdopen(fd, "w") as handle:
                handle.write(body)
            self._held = True
            return
        raise StateError(f"{self.path}: another apply took the lock first; try again")

    def _take_over_if_stale(self) -> None:
        try:
            holder = json.loads(self.path.read_text(encoding="utf-8"))
            pid, host = int(holder["pid"]), str(holder.get("host", ""))
        except FileNotFoundError:
            return  # released meanwhile
        except (OSError, ValueError, KeyError, TypeError):
            # Half-written by an owner killed between create and write: nobody holds it.
            pid, host = 0, socket.gethostname()
        if host != socket.gethostname():
            raise StateError(
                f"{self.path}: held by pid {pid} on {host}; "
                "wait for it, or remove the file if that run is gone"
            )
        if pid and _pid_alive(pid):
            raise StateError(
                f"{self.path}: another apply (pid {pid}) is running with this state folder; "
                "wait for it to finish, or use another --state-dir"
            )
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    def release(self) -> None:
        if not self._held:
            return
        self._held = False
        try:
            holder = json.loads(self.path.read_text(encoding="utf-8"))
            if int(holder["pid"]) == os.getpid():
                self.path.unlink()
        except (OSError, ValueError, KeyError, TypeError):
            pass

    def __enter__(self) -> StateLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
