"""Volume objects: an index of keys in the state database, and one real sparse file per object.

A key is the volume's prefix plus the location, as S3 stores it: up to 1,024 UTF-8 bytes, any
segment length, any Unicode. File names never come from a key: an object lives at
`<data>/objects/<2 hex>/<sha256 of bucket and key>`, so no key can reach outside the folder or
run into a file-name limit. Every file is opened relative to a directory descriptor with
`O_NOFOLLOW`, so a symlink planted under `objects/` is never followed: writing through it
fails, and reading treats it as no object. Where the system opens nothing relative to a
directory descriptor (Windows), every level is checked with `lstat` instead, and the object's
file with `datafiles.open_regular`. `os.ftruncate` gives an object its declared size without
using disk.

Listings follow S3 with `/` as the delimiter: keys directly under the queried prefix are items,
deeper levels are prefixes, in key order (the UTF-8 byte order, which is code point order).
Locations are relative to the volume; the volume's prefix is added here and shown nowhere else.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .datafiles import CLOEXEC, NOFOLLOW, open_regular
from .errors import SandboxError
from .store import Store

OBJECTS_DIR = "objects"
MAX_KEY_BYTES = 1024
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_DIR_FLAGS = os.O_RDONLY | _DIRECTORY | NOFOLLOW | CLOEXEC
_FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | NOFOLLOW | CLOEXEC
# Opening relative to a directory descriptor, without following links: POSIX systems.
_BY_DESCRIPTOR = bool(_DIRECTORY and NOFOLLOW) and os.open in os.supports_dir_fd


@dataclass(frozen=True)
class StoredObject:
    location: str
    size: int
    mtime: float


@dataclass(frozen=True)
class Listing:
    items: list[StoredObject]
    prefixes: list[str]
    last_key: str | None  # set when more entries follow


def location_problem(location: object) -> str | None:
    """Why `location` cannot name an object, or None when it can."""
    if not isinstance(location, str) or not location:
        return "location must be a non-empty string"
    if location.startswith("/") or location.endswith("/") or "\0" in location:
        return f"location {location!r} must be a relative key that does not end with '/'"
    if any(part in ("", ".", "..") for part in location.split("/")):
        return f"location {location!r} has an empty, '.' or '..' segment"
    try:
        location.encode()
    except UnicodeEncodeError:
        return f"location {location!r} is not valid Unicode"
    return None


def prefix_problem(prefix: object) -> str | None:
    """Why a volume prefix cannot hold objects (absolute, or a '..' segment), or None."""
    if not isinstance(prefix, str):
        return "prefix must be a string"
    if prefix.startswith("/") or ".." in prefix.split("/") or "\0" in prefix:
        return f"prefix {prefix!r} must be relative, without '..' segments"
    return None


def object_key(prefix: str, location: str) -> str:
    """The full key: the volume's prefix (with its trailing `/`) plus the location."""
    return (prefix if not prefix or prefix.endswith("/") else prefix + "/") + location


def key_problem(prefix: str, location: object) -> str | None:
    """Why `location` on a volume with `prefix` is not a key the API accepts, or None."""
    if problem := location_problem(location):
        return problem
    assert isinstance(location, str)
    size = len(object_key(prefix, location).encode())
    if size > MAX_KEY_BYTES:
        return (
            f"location {location[:40]!r}...: the key with the volume's prefix is {size} bytes,"
            f" over {MAX_KEY_BYTES}"
        )
    return None


def _after_prefix(prefix: str) -> str:
    """The least string above every key that starts with `prefix` (which ends with '/')."""
    return prefix[:-1] + chr(ord("/") + 1)


class ObjectStore:
    """Reads and writes the objects of every volume (by bucket and prefix)."""

    def __init__(self, data_dir: Path, store: Store) -> None:
        self.data_dir = data_dir
        self.root = data_dir / OBJECTS_DIR
        self._store = store

    @staticmethod
    def _name(bucket: str, key: str) -> tuple[str, str]:
        digest = hashlib.sha256(f"{bucket}\0{key}".encode()).hexdigest()
        return digest[:2], digest

    def path(self, bucket: str, prefix: str, location: str) -> Path:
        """Where the object's file is (or would be); for inspection, never opened by path."""
        shard, name = self._name(bucket, object_key(prefix, location))
        return self.root / shard / name

    @contextlib.contextmanager
    def _shard(self, shard: str, create: bool) -> Iterator[int | None]:
        """A descriptor of `objects/<shard>`, every level opened without following a symlink
        (None when it does not exist and `create` is false)."""
        opened: list[int] = []
        try:
            parent = os.open(self.data_dir, _DIR_FLAGS & ~os.O_NOFOLLOW)
            opened.append(parent)
            for name in (OBJECTS_DIR, shard):
                try:
                    parent = os.open(name, _DIR_FLAGS, dir_fd=parent)
                except FileNotFoundError:
                    if not create:
                        yield None
                        return
                    with contextlib.suppress(FileExistsError):
                        os.mkdir(name, 0o755, dir_fd=parent)
                    parent = os.open(name, _DIR_FLAGS, dir_fd=parent)
                opened.append(parent)
            yield parent
        finally:
            for fd in reversed(opened):
                os.close(fd)

    def write(self, bucket: str, prefix: str, location: str, size: int) -> None:
        """Write (or replace) the object; OSError when its file cannot be written safely."""
        key = object_key(prefix, location)
        shard, name = self._name(bucket, key)
        if not _BY_DESCRIPTOR:
            fd = self._open_by_path(shard, name)
            try:
                os.ftruncate(fd, size)
            finally:
                os.close(fd)
        else:
            with self._shard(shard, create=True) as folder:
                fd = os.open(name, _FILE_FLAGS, 0o644, dir_fd=folder)
                try:
                    os.ftruncate(fd, size)
                finally:
                    os.close(fd)
        self._store.execute(
            "INSERT OR IGNORE INTO objects (bucket, key) VALUES (?, ?)", (bucket, key)
        )

    def _open_by_path(self, shard: str, name: str) -> int:
        """The object's file, opened for writing where no directory descriptor can be used:
        each folder on the way a real one (made if missing), the file a regular one."""
        folder = self.data_dir
        for part in (OBJECTS_DIR, shard):
            folder = folder / part
            with contextlib.suppress(FileExistsError):
                folder.mkdir(0o755)
            if not stat.S_ISDIR(folder.lstat().st_mode):
                raise OSError(f"{folder}: not a real folder")
        try:
            return open_regular(folder / name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        except SandboxError as exc:
            raise OSError(str(exc)) from None

    def _stat_by_path(self, shard: str, name: str) -> os.stat_result:
        folder = self.data_dir
        for part in (OBJECTS_DIR, shard):
            folder = folder / part
            if not stat.S_ISDIR(folder.lstat().st_mode):
                raise OSError(f"{folder}: not a real folder")
        return (folder / name).lstat()

    def _stat(self, bucket: str, key: str) -> os.stat_result | None:
        shard, name = self._name(bucket, key)
        if not _BY_DESCRIPTOR:
            try:
                found = self._stat_by_path(shard, name)
            except OSError:
                return None
            return found if stat.S_ISREG(found.st_mode) else None
        try:
            with self._shard(shard, create=False) as folder:
                if folder is None:
                    return None
                found = os.stat(name, dir_fd=folder, follow_symlinks=False)
        except OSError:
            return None
        return found if stat.S_ISREG(found.st_mode) else None

    def _object(self, bucket: str, key: str, location: str) -> StoredObject | None:
        found = self._stat(bucket, key)
        if found is None:
            return None
        return StoredObject(location, found.st_size, found.st_mtime)

    def get(self, bucket: str, prefix: str, location: str) -> StoredObject | None:
        key = object_key(prefix, location)
        if not self._indexed(bucket, key):
            return None
        return self._object(bucket, key, location)

    def occupied(self, bucket: str, prefix: str, location: str) -> bool:
        """True when an object already sits at `location`."""
        return self.get(bucket, prefix, location) is not None

    def _indexed(self, bucket: str, key: str) -> bool:
        return bool(
            self._store.scalar("SELECT 1 FROM objects WHERE bucket = ? AND key = ?", (bucket, key))
        )

    def _next_key(self, bucket: str, bound: str, inclusive: bool) -> str | None:
        found = self._store.scalar(
            f"SELECT key FROM objects WHERE bucket = ? AND key {'>=' if inclusive else '>'} ?"
            " ORDER BY key LIMIT 1",
            (bucket, bound),
        )
        return None if found is None else str(found)

    def list(
        self, bucket: str, prefix: str, query_prefix: str, limit: int, after: str | None
    ) -> Listing:
        """Entries directly under `query_prefix`, in key order, after the key `after` (a
        location, or a prefix ending in '/' whose whole level is then skipped)."""
        base = object_key(prefix, "")
        lead = base + query_prefix
        bound, inclusive = lead, True
        if after is not None and base + after >= lead:
            full = base + after
            bound, inclusive = (_after_prefix(full), True) if full.endswith("/") else (full, False)
        entries: list[str] = []  # locations, and prefixes ending in '/'
        while len(entries) <= limit:
            key = self._next_key(bucket, bound, inclusive)
            if key is None or not key.startswith(lead):
                break
            slash = key.find("/", len(lead))
            if slash < 0:
                entries.append(key[len(base) :])
                bound, inclusive = key, False
            else:
                level = key[: slash + 1]
                entries.append(level[len(base) :])
                bound, inclusive = _after_prefix(level), True
        page = entries[:limit]
        items: list[StoredObject] = []
        prefixes: list[str] = []
        for entry in page:
            if entry.endswith("/"):
                prefixes.append(entry)
            elif found := self._object(bucket, base + entry, entry):
                items.append(found)
        last_key = page[-1] if len(entries) > limit else None
        return Listing(items, prefixes, last_key)
