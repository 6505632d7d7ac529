"""The files of a data folder, kept inside it: every file the sandbox opens there (the lock, the
database and its journals, the request log, `objects/`) must be what it claims, a regular file
(a real directory for `objects/`), never a link to somewhere else, a FIFO or a device.

`check_folder` refuses anything else at start, with one line naming the file; `open_regular`
opens a file without following a link (O_NOFOLLOW) and without blocking on a FIFO, and refuses
what is not a regular file, so a link planted after start is not followed either. Where the
system has no O_NOFOLLOW (Windows), the path is refused when `lstat` finds a link there, and
the file opened when it is not the one `lstat` saw. SQLite opens its files itself: those are
checked with `lstat` at start. `lock_descriptor` locks an open file for the process's life
(`fcntl.flock`, or Windows' `msvcrt.locking`), as the client's state lock does: the sandbox
shares no code with the client.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterable
from pathlib import Path

from .errors import SandboxError

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]
try:
    import msvcrt
except ImportError:  # everywhere else
    msvcrt = None  # type: ignore[assignment]

# Flags of POSIX systems; 0 where the system has none (Windows), which the checks make up for.
NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
NONBLOCK = getattr(os, "O_NONBLOCK", 0)
CLOEXEC = getattr(os, "O_CLOEXEC", 0)
LOCKED_BYTE = 1 << 20  # msvcrt locks bytes: one far past anything written

_KINDS = (
    (stat.S_ISLNK, "a symbolic link"),
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a device"),
    (stat.S_ISBLK, "a device"),
)
_HINT = "the sandbox keeps its data in regular files of its own; remove it, or use another --data"


def kind(mode: int) -> str:
    for test, name in _KINDS:
        if test(mode):
            return name
    return "not a regular file"


def check_folder(data_dir: Path, files: Iterable[str], folders: Iterable[str]) -> None:
    """Refuse a data folder where one of `files` exists and is no regular file, or one of
    `folders` exists and is no real directory."""
    for name, wanted in [(f, stat.S_ISREG) for f in files] + [(d, stat.S_ISDIR) for d in folders]:
        path = data_dir / name
        try:
            mode = path.lstat().st_mode
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise SandboxError(f"{path}: cannot be checked: {exc.strerror}") from None
        if not wanted(mode):
            raise SandboxError(f"{path}: is {kind(mode)}; {_HINT}")


def open_regular(path: Path, flags: int, mode: int = 0o644) -> int:
    """A descriptor of the regular file `path`, never through a link; SandboxError otherwise."""
    try:
        if not NOFOLLOW and path.is_symlink():
            raise SandboxError(f"{path}: is a symbolic link; {_HINT}")
        fd = os.open(path, flags | NOFOLLOW | NONBLOCK | CLOEXEC, mode)
    except OSError as exc:
        seen = _lstat_mode(path)
        if seen is not None and not stat.S_ISREG(seen):
            raise SandboxError(f"{path}: is {kind(seen)}; {_HINT}") from None
        raise SandboxError(f"{path}: cannot be opened: {exc.strerror}") from None
    found = os.fstat(fd)
    if not stat.S_ISREG(found.st_mode):
        os.close(fd)
        raise SandboxError(f"{path}: is {kind(found.st_mode)}; {_HINT}")
    if not NOFOLLOW and not _same_file(path, found):
        os.close(fd)
        raise SandboxError(f"{path}: changed while it was opened; {_HINT}")
    if NONBLOCK:
        os.set_blocking(fd, True)
    return fd


def _same_file(path: Path, opened: os.stat_result) -> bool:
    """Whether `path`, not followed, is the file that was opened (no link put there since)."""
    try:
        seen = path.lstat()
    except OSError:
        return False
    return stat.S_ISREG(seen.st_mode) and (seen.st_dev, seen.st_ino) == (
        opened.st_dev,
        opened.st_ino,
    )


def lock_descriptor(fd: int) -> None:
    """Lock the open file `fd` for this process until it is closed; OSError when another
    process holds it, or the system cannot lock files."""
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return
    if msvcrt is None:
        raise OSError(0, "this system offers no file lock (neither flock nor msvcrt.locking)")
    os.lseek(fd, LOCKED_BYTE, os.SEEK_SET)
    try:
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
    finally:
        os.lseek(fd, 0, os.SEEK_SET)


def unlock_descriptor(fd: int) -> None:
    """Before `fd` is closed: Windows drops a closed file's byte locks only "in time", and a
    sandbox started again at once on the same folder must find it free (flock: nothing to
    do, closing drops it)."""
    if fcntl is None and msvcrt is not None:
        with contextlib.suppress(OSError):
            os.lseek(fd, LOCKED_BYTE, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)


def _lstat_mode(path: Path) -> int | None:
    with contextlib.suppress(OSError):
        return path.lstat().st_mode
    return None
