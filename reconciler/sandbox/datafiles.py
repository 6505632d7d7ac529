"""The files of a data folder, kept inside it: every file the sandbox opens there (the lock, the
database and its journals, the request log, `objects/`) must be what it claims, a regular file
(a real directory for `objects/`), never a link to somewhere else, a FIFO or a device.

`check_folder` refuses anything else at start, with one line naming the file; `open_regular`
opens a file without following a link (O_NOFOLLOW) and without blocking on a FIFO, and refuses
what is not a regular file, so a link planted after start is not followed either. SQLite opens
its files itself: those are checked with `lstat` at start.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterable
from pathlib import Path

from .errors import SandboxError

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
        fd = os.open(path, flags | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, mode)
    except OSError as exc:
        found = _lstat_mode(path)
        if found is not None and not stat.S_ISREG(found):
            raise SandboxError(f"{path}: is {kind(found)}; {_HINT}") from None
        raise SandboxError(f"{path}: cannot be opened: {exc.strerror}") from None
    found_mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(found_mode):
        os.close(fd)
        raise SandboxError(f"{path}: is {kind(found_mode)}; {_HINT}")
    os.set_blocking(fd, True)
    return fd


def _lstat_mode(path: Path) -> int | None:
    with contextlib.suppress(OSError):
        return path.lstat().st_mode
    return None
