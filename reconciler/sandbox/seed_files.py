"""Seeding the file tree: folders from the paths, files with stable ids, aliases with objects.

A path ending in `/` (or `type: folder`) is an empty folder. Ids that a seed leaves out are
derived from the project and the path, so the same seed always yields the same ids. Every row
stores its path in the project and when it was added (`added_at`: 0 for a seed, which is the
world as it was before the search index looked; the clock's time for a file added to a running
sandbox, which a lagging index has not seen yet).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import Any

from .errors import SeedError
from .ids import FILE_ID, derived_id
from .objects import ObjectStore, key_problem
from .store import encode

SEED_TIME = "2024-01-15T09:30:00Z"
_COLUMNS = (
    "id, project, parent, name, type, size, created_on, modified_on, metadata, tags, storage,"
    " path, added_at"
)


# The largest object S3 stores (5 TiB): a seed's size is the size of a sparse file the sandbox
# writes, so a larger one is refused here rather than by the file system.
MAX_SIZE = 5 * 2**40


def size_of(entry: Mapping[str, Any], where: str) -> int:
    """The entry's `size` in bytes (0 when absent), from 0 to MAX_SIZE."""
    size = entry.get("size", 0)
    if isinstance(size, bool) or not isinstance(size, int) or not 0 <= size <= MAX_SIZE:
        shown = repr(size) if len(repr(size)) <= 40 else repr(size)[:37] + "..."
        raise SeedError(
            f"seed: {where}: size {shown} must be a whole number of bytes from 0 to "
            f"{MAX_SIZE} (5 TiB, the largest object S3 stores)"
        )
    return size


def require(entry: Mapping[str, Any], where: str, key: str) -> Any:
    if entry.get(key) in (None, ""):
        raise SeedError(f"seed: {where}: missing {key}")
    return entry[key]


def seed_files(
    conn: sqlite3.Connection,
    objects: ObjectStore,
    entries: list[Mapping[str, Any]],
    locations: Mapping[str, str],
    volumes: Mapping[str, Mapping[str, str]],
    added_at: float = 0.0,
) -> None:
    folders: set[str] = set()
    for index, entry in enumerate(entries):
        where = f"files[{index}]"
        project = str(require(entry, where, "project"))
        if project not in locations:
            raise SeedError(f"seed: {where}: unknown project {project!r}")
        path = str(require(entry, where, "path"))
        is_folder = entry.get("type") == "folder" or path.endswith("/")
        parts = [part for part in path.split("/") if part]
        if not parts or any(part in (".", "..") for part in parts):
            raise SeedError(f"seed: {where}: path {path!r} is not a file path")
        created = str(entry.get("created_on", SEED_TIME))
        parent = derived_id(project, "root")
        depth = len(parts) if is_folder else len(parts) - 1
        for level in range(depth):
            folder_path = "/".join(parts[: level + 1])
            folder_id = derived_id(project, "folder", folder_path)
            if folder_id not in folders:
                folders.add(folder_id)
                conn.execute(  # a folder may exist already (add_file on a running sandbox)
                    f"INSERT OR IGNORE INTO files ({_COLUMNS}) "
                    "VALUES (?, ?, ?, ?, 'folder', NULL, ?, ?, '{}', '[]', NULL, ?, ?)",
                    (
                        folder_id,
                        project,
                        parent,
                        parts[level],
                        created,
                        created,
                        folder_path,
                        added_at,
                    ),
                )
            parent = folder_id
        if is_folder:
            continue
        file_id = str(entry.get("id") or derived_id(project, "file", path))
        if not FILE_ID.match(file_id):
            raise SeedError(f"seed: {where}: id {file_id!r} is not 24 lowercase hex digits")
        storage = dict(
            entry.get("storage")
            or {"type": "PLATFORM", "hosted_on_locations": [locations[project]]}
        )
        if storage.get("type") == "VOLUME":
            volume = volumes.get(str(storage.get("volume")))
            if volume is None or key_problem(volume["prefix"], storage.get("location")):
                raise SeedError(f"seed: {where}: an alias needs a known volume and a location")
            if not objects.occupied(volume["bucket"], volume["prefix"], storage["location"]):
                objects.write(
                    volume["bucket"], volume["prefix"], storage["location"], size_of(entry, where)
                )
        conn.execute(
            f"INSERT INTO files ({_COLUMNS}) VALUES (?, ?, ?, ?, 'file', ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                file_id,
                project,
                parent,
                parts[-1],
                size_of(entry, where),
                created,
                str(entry.get("modified_on", created)),
                encode(dict(entry.get("metadata") or {})),
                encode(list(entry.get("tags") or [])),
                encode(storage),
                "/".join(parts),
                added_at,
            ),
        )


def add_file(
    conn: sqlite3.Connection, objects: ObjectStore, entry: Mapping[str, Any], added_at: float
) -> str:
    """One more project file in a seeded store, as a seed `files` entry describes it (on the
    platform; folders made as needed), added at `added_at` (Unix seconds). Returns its id;
    refuses a path or id that exists."""
    project = str(require(entry, "file", "project"))
    row = conn.execute("SELECT location FROM projects WHERE id = ?", (project,)).fetchone()
    if row is None:
        raise SeedError(f"file: unknown project {project!r}")
    path = str(require(entry, "file", "path"))
    parts = [part for part in path.split("/") if part]
    if entry.get("type") == "folder" or path.endswith("/") or not parts:
        raise SeedError(f"file: path {path!r} is not a file path")
    parent = (
        derived_id(project, "folder", "/".join(parts[:-1]))
        if len(parts) > 1
        else derived_id(project, "root")
    )
    file_id = str(entry.get("id") or derived_id(project, "file", path))
    taken = conn.execute(
        "SELECT 1 FROM files WHERE id = ? OR (parent = ? AND name = ?)",
        (file_id, parent, parts[-1]),
    ).fetchone()
    if taken is not None:
        raise SeedError(f"file: {project}/{path} (or id {file_id}) exists already")
    seed_files(conn, objects, [{**entry, "id": file_id}], {project: str(row[0])}, {}, added_at)
    return file_id
