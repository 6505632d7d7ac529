"""Runs where Python runs (issue 25, point 5): nothing POSIX-only is needed at import, and the
locks take Windows' own call (`msvcrt.locking`) where there is no `fcntl`.

A process here cannot be Windows; it can be a Python without `fcntl` that has an `msvcrt`: a
`sitecustomize` on its path makes `import fcntl` fail and gives it a stand-in `msvcrt` whose
`locking` keeps its byte locks in the process (enough for one process's locks; a real one is
the system's). The modules of the standard library that take an importable `msvcrt` to mean
Windows (`subprocess`) are loaded before it. The same `PYTHONPATH` reaches the processes the
demo starts.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from reconciler.apply import lock as state_lock
from reconciler.errors import StateError
from reconciler.sandbox import datafiles, objects
from reconciler.sandbox.errors import SandboxError

SITECUSTOMIZE = """
import importlib.abc, os, sys, types
# These take an importable msvcrt to mean Windows: loaded before the stand-in is there.
import getpass, subprocess  # noqa: F401

class _NoFcntl(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "fcntl":
            raise ImportError("No module named 'fcntl' (simulated: not POSIX)")
        return None

sys.meta_path.insert(0, _NoFcntl())
sys.modules.pop("fcntl", None)

msvcrt = types.ModuleType("msvcrt")
msvcrt.LK_UNLCK, msvcrt.LK_LOCK, msvcrt.LK_NBLCK = 0, 1, 2
_held = {}

def locking(fd, mode, nbytes):
    info = os.fstat(fd)
    key = (info.st_dev, info.st_ino, os.lseek(fd, 0, os.SEEK_CUR))
    if mode == msvcrt.LK_UNLCK:
        _held.pop(key, None)
        return
    if _held.get(key, fd) != fd:
        raise PermissionError(13, "Permission denied")
    _held[key] = fd

msvcrt.locking = locking
sys.modules["msvcrt"] = msvcrt
"""


def without_fcntl(tmp_path: Path) -> dict[str, str]:
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SB_") and k != "CI"}
    env["PYTHONPATH"] = os.pathsep.join([str(site), *filter(None, [env.get("PYTHONPATH")])])
    return env


def test_every_command_imports_on_a_python_without_fcntl(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "import reconciler.cli, reconciler.sandbox.server, reconciler.apply.lock\n"
        "reconciler.cli.build_parser()\n"  # imports every command's module
        "assert 'fcntl' not in sys.modules, 'fcntl was imported'\n"
        "print('ok')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=without_fcntl(tmp_path),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0 and result.stdout == "ok\n", result.stderr


@pytest.mark.slow
def test_the_demo_runs_on_a_python_without_fcntl(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    env = without_fcntl(tmp_path)
    env["TMPDIR"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "reconciler", "demo"],
        cwd=work,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Every step behaved as expected." in result.stdout
    assert "fcntl" not in result.stderr


class FakeMsvcrt:
    """Windows' byte locks, kept in this test: one holder per (file, offset)."""

    LK_UNLCK, LK_LOCK, LK_NBLCK = 0, 1, 2

    def __init__(self) -> None:
        self.held: dict[tuple[int, int, int], int] = {}

    def locking(self, fd: int, mode: int, nbytes: int) -> None:
        info = os.fstat(fd)
        key = (info.st_dev, info.st_ino, os.lseek(fd, 0, os.SEEK_CUR))
        if mode == self.LK_UNLCK:
            self.held.pop(key, None)
        elif self.held.setdefault(key, fd) != fd:
            raise PermissionError(13, "Permission denied")


@pytest.fixture
def windows_locks(monkeypatch: pytest.MonkeyPatch) -> FakeMsvcrt:
    fake = FakeMsvcrt()
    for module in (state_lock, datafiles):
        monkeypatch.setattr(module, "fcntl", None)
        monkeypatch.setattr(module, "msvcrt", fake)
    return fake


def test_with_msvcrt_one_apply_at_a_time_names_the_holder_and_frees_on_release(
    windows_locks: FakeMsvcrt, tmp_path: Path
) -> None:
    first = state_lock.StateLock(tmp_path)
    first.acquire()
    # The locked byte is past the holder's note, which the refused run can still read.
    held = list(windows_locks.held)
    assert held and all(offset == state_lock.LOCKED_BYTE for _, _, offset in held)
    with pytest.raises(StateError, match=rf"another apply \(pid {os.getpid()} on "):
        state_lock.StateLock(tmp_path).acquire()
    first.release()
    assert windows_locks.held == {}
    with state_lock.StateLock(tmp_path):
        pass


def test_without_any_file_lock_the_apply_says_so(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(state_lock, "fcntl", None)
    monkeypatch.setattr(state_lock, "msvcrt", None)
    with pytest.raises(StateError, match="cannot lock: this system offers no file lock"):
        state_lock.StateLock(tmp_path).acquire()


def test_with_msvcrt_one_sandbox_per_data_folder(
    windows_locks: FakeMsvcrt, make_sandbox: Any, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    running = make_sandbox(data_dir=data)
    with pytest.raises(SandboxError, match="another sandbox is using this data folder"):
        make_sandbox(data_dir=data)
    running.stop()
    assert windows_locks.held == {}


@pytest.fixture
def no_nofollow(monkeypatch: pytest.MonkeyPatch) -> None:
    """The sandbox's files as on Windows: no O_NOFOLLOW, nothing opened by directory
    descriptor; links are found by `lstat` instead."""
    monkeypatch.setattr(datafiles, "NOFOLLOW", 0)
    monkeypatch.setattr(objects, "_BY_DESCRIPTOR", False)


SYMLINKS = pytest.mark.skipif(
    sys.platform == "win32", reason="a symlink needs a privilege on Windows"
)


@SYMLINKS
def test_without_nofollow_a_link_in_place_of_a_data_file_is_refused(
    no_nofollow: None, tmp_path: Path
) -> None:
    target = tmp_path / "elsewhere"
    target.write_text("not the sandbox's")
    link = tmp_path / "sandbox.lock"
    link.symlink_to(target)
    with pytest.raises(SandboxError, match="is a symbolic link"):
        datafiles.open_regular(link, os.O_RDWR | os.O_CREAT)
    fd = datafiles.open_regular(tmp_path / "own.lock", os.O_RDWR | os.O_CREAT)
    os.close(fd)
    assert target.read_text() == "not the sandbox's"


@SYMLINKS
def test_without_nofollow_objects_are_written_and_links_under_objects_are_not_followed(
    no_nofollow: None, make_sandbox: Any, tmp_path: Path
) -> None:
    sandbox = make_sandbox()
    store = objects.ObjectStore(sandbox.data_dir, sandbox._store)
    store.write("bucket", "", "a/b.txt", 1234)
    written = store.path("bucket", "", "a/b.txt")
    assert stat.S_ISREG(written.lstat().st_mode) and written.stat().st_size == 1234
    assert store.get("bucket", "", "a/b.txt") is not None

    outside = tmp_path / "outside"
    outside.write_text("keep")
    planted = store.path("bucket", "", "c.txt")
    planted.parent.mkdir(exist_ok=True)
    planted.symlink_to(outside)
    with pytest.raises(OSError, match="symbolic link"):
        store.write("bucket", "", "c.txt", 10)
    assert outside.read_text() == "keep"

    shard = store.path("bucket", "", "d.txt").parent
    if not shard.exists():
        shard.symlink_to(tmp_path, target_is_directory=True)
        with pytest.raises(OSError, match="not a real folder"):
            store.write("bucket", "", "d.txt", 10)


@SYMLINKS
def test_without_nofollow_a_file_swapped_while_opened_is_refused(
    no_nofollow: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The link check before the open cannot see a swap after it: the open file and what the
    path names then must be the same file."""
    own, other = tmp_path / "own.lock", tmp_path / "other"
    own.write_text("")
    other.write_text("")
    assert datafiles._same_file(own, own.stat())
    assert not datafiles._same_file(own, other.stat())
    assert not datafiles._same_file(tmp_path / "gone", own.stat())
    monkeypatch.setattr(datafiles, "_same_file", lambda path, opened: False)
    with pytest.raises(SandboxError, match="changed while it was opened"):
        datafiles.open_regular(own, os.O_RDWR)


def test_a_sandbox_without_any_file_lock_refuses_to_start(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(datafiles, "fcntl", None)
    monkeypatch.setattr(datafiles, "msvcrt", None)
    fd = datafiles.open_regular(tmp_path / "sandbox.lock", os.O_RDWR | os.O_CREAT)
    try:
        with pytest.raises(OSError, match="no file lock"):
            datafiles.lock_descriptor(fd)
    finally:
        os.close(fd)


@SYMLINKS
def test_without_directory_descriptors_an_object_behind_a_linked_folder_is_not_read(
    no_nofollow: None, make_sandbox: Any, tmp_path: Path
) -> None:
    sandbox = make_sandbox()
    store = objects.ObjectStore(sandbox.data_dir, sandbox._store)
    store.write("bucket", "", "e.txt", 5)
    found = store.path("bucket", "", "e.txt")
    elsewhere = tmp_path / "elsewhere"
    found.parent.rename(elsewhere)
    found.parent.symlink_to(elsewhere, target_is_directory=True)
    assert store.get("bucket", "", "e.txt") is None
