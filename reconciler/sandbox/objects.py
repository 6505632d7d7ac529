"""Volume objects as real files under `<data>/objects/<bucket>/<prefix><location>`.

Objects are sparse: `os.truncate` gives them their declared size without using disk. A listing
walks one directory, with `/` as the delimiter: files are items, directories are prefixes.
Locations are relative to the volume; the volume's prefix is added here and shown nowhere else.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

OBJECTS_DIR = "objects"


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
    return None


def _base(prefix: str) -> str:
    return prefix if not prefix or prefix.endswith("/") else prefix + "/"


class ObjectStore:
    """Reads and writes the objects of every volume (by bucket and prefix)."""

    def __init__(self, data_dir: Path) -> None:
        self.root = data_dir / OBJECTS_DIR

    def path(self, bucket: str, prefix: str, location: str) -> Path:
        return self.root / bucket / (_base(prefix) + location)

    def write(self, bucket: str, prefix: str, location: str, size: int) -> Path:
        path = self.path(bucket, prefix, location)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb"):
            pass
        os.truncate(path, size)
        return path

    def get(self, bucket: str, prefix: str, location: str) -> StoredObject | None:
        path = self.path(bucket, prefix, location)
        if not path.is_file():
            return None
        stat = path.stat()
        return StoredObject(location, stat.st_size, stat.st_mtime)

    def occupied(self, bucket: str, prefix: str, location: str) -> bool:
        """True when an object, or a deeper level of objects, already sits at `location`."""
        return self.path(bucket, prefix, location).exists()

    def blocked_by_object(self, bucket: str, prefix: str, location: str) -> str | None:
        """An existing object that is a parent 'directory' of `location`, if any."""
        parts = location.split("/")[:-1]
        for depth in range(1, len(parts) + 1):
            candidate = "/".join(parts[:depth])
            if self.path(bucket, prefix, candidate).is_file():
                return candidate
        return None

    def list(
        self, bucket: str, prefix: str, query_prefix: str, limit: int, after: str | None
    ) -> Listing:
        """Entries directly under `query_prefix`, in key order, after the key `after`."""
        directory, _, start = query_prefix.rpartition("/")
        folder = self.root / bucket / (_base(prefix) + directory)
        lead = directory + "/" if directory else ""
        entries: list[tuple[str, os.DirEntry[str]]] = []
        if folder.is_dir():
            with os.scandir(folder) as scan:
                for entry in scan:
                    if not entry.name.startswith(start):
                        continue
                    key = lead + entry.name + ("/" if entry.is_dir() else "")
                    if after is None or key > after:
                        entries.append((key, entry))
        entries.sort(key=lambda pair: pair[0])
        page = entries[:limit]
        items: list[StoredObject] = []
        prefixes: list[str] = []
        for key, entry in page:
            if key.endswith("/"):
                prefixes.append(key)
            else:
                stat = entry.stat()
                items.append(StoredObject(key, stat.st_size, stat.st_mtime))
        last_key = page[-1][0] if len(entries) > limit else None
        return Listing(items, prefixes, last_key)
