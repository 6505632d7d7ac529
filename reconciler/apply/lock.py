"""The state folder's lock: one apply at a time per state folder, held for the whole apply.

The lock is an operating system lock on `apply.lock` in the state folder: `fcntl.flock`
(exclusive, non-blocking) where there is one, else Windows' `msvcrt.locking` (non-blocking, on
one byte far past the holder's note, which a locked byte would hide from the refused run). The
system grants it to exactly one open file at a time and drops it when its holder exits,
however it exits (`kill -9` included), so there is no stale lock to take over and no window
between creating the file and claiming it. The file itself stays; the holder writes its pid
and host into it after taking the lock, only to name itself to a run that is refused. Neither
call reaches across machines (nor, reliably, across NFS): there the platform's job list and
CI's `resource_group` keep two applies apart.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
from pathlib import Path

from reconciler.errors import StateError

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]
try:
    import msvcrt
except ImportError:  # everywhere else
    msvcrt = None  # type: ignore[assignment]

LOCK_NAME = "apply.lock"
LOCKED_BYTE = 1 << 20  # msvcrt locks bytes: one far past the holder's note


class StateLock:
    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / LOCK_NAME
        self._fd: int | None = None

    def acquire(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_BINARY", 0), 0o600)
        except (FileExistsError, NotADirectoryError):
            # mkdir's "File exists": the state folder, or a folder above it, is a file.
            raise StateError(
                f"{self.path.parent}: the state folder (--state-dir) is not a folder: a file "
                "is in its way; name a folder, or move that file"
            ) from None
        except OSError as exc:
            raise StateError(f"{self.path}: cannot open the lock: {exc.strerror}") from exc
        try:
            lock_descriptor(fd)
        except BlockingIOError:
            holder = _holder(fd)
            os.close(fd)
            raise StateError(
                f"{self.path}: another apply{holder} is running with this state folder; "
                "wait for it to finish, or use another --state-dir"
            ) from None
        except OSError as exc:
            os.close(fd)
            raise StateError(f"{self.path}: cannot lock: {exc.strerror}") from exc
        body = json.dumps({"pid": os.getpid(), "host": socket.gethostname()}).encode()
        try:
            os.ftruncate(fd, 0)
            os.lseek(fd, 0, os.SEEK_SET)
            os.write(fd, body)
        except OSError:
            pass  # the name of the holder is a courtesy; the flock is the lock
        self._fd = fd

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            if fcntl is None and msvcrt is not None:
                # Windows drops a closed file's byte locks only "in time": the next apply,
                # right after this one, must find it free.
                with contextlib.suppress(OSError):
                    os.lseek(fd, LOCKED_BYTE, os.SEEK_SET)
                    msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
            os.close(fd)  # closing the only descriptor drops the flock

    def __enter__(self) -> StateLock:
        self.acquire()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.release()


def lock_descriptor(fd: int) -> None:
    """Lock the open file `fd` for this process until it is closed; BlockingIOError when
    another holds it, OSError when the system cannot lock it."""
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return
    if msvcrt is None:
        raise OSError(0, "this system offers no file lock (neither flock nor msvcrt.locking)")
    os.lseek(fd, LOCKED_BYTE, os.SEEK_SET)
    try:
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
    except PermissionError:  # EACCES: another process holds the byte
        raise BlockingIOError from None
    finally:
        os.lseek(fd, 0, os.SEEK_SET)


def _holder(fd: int) -> str:
    """` (pid N on HOST)` from the lock file, or nothing when it is not readable yet."""
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        data = json.loads(os.read(fd, 4096) or b"null")
        return f" (pid {int(data['pid'])} on {data['host']})"
    except (OSError, ValueError, KeyError, TypeError):
        return ""
