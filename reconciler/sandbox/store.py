"""The sandbox's state: one sqlite3 database in the data folder.

WAL journaling with `synchronous=NORMAL` keeps every committed transaction across a restart or
a SIGKILL of the process. One connection guarded by one lock serialises readers and writers, so
concurrent request threads and the job runner never see a half-applied change.

A file row keeps its `path` in the project (`results/b01/x.bam`; a folder's without a trailing
`/`), written whenever the row is, so that everything below a folder is one index range (the
search). A data folder written before a column existed gets it when opened: the column is
added and, for `path`, filled by walking the tree once.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .errors import SandboxError

DB_NAME = "sandbox.db"
# The database and the files SQLite keeps beside it.
DB_FILES = (DB_NAME, f"{DB_NAME}-wal", f"{DB_NAME}-shm", f"{DB_NAME}-journal")
CACHE_KIB = 64 * 1024

Row = dict[str, Any]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (
    token TEXT PRIMARY KEY, username TEXT NOT NULL, position INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS users (
    username TEXT PRIMARY KEY, email TEXT NOT NULL, first_name TEXT NOT NULL,
    last_name TEXT NOT NULL, advance_access INTEGER NOT NULL DEFAULT 1);
CREATE TABLE IF NOT EXISTS projects (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, location TEXT NOT NULL,
    root_folder TEXT NOT NULL, members TEXT NOT NULL, created_on TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (
    id TEXT PRIMARY KEY, project TEXT NOT NULL, parent TEXT NOT NULL, name TEXT NOT NULL,
    type TEXT NOT NULL, size INTEGER, created_on TEXT NOT NULL, modified_on TEXT NOT NULL,
    metadata TEXT NOT NULL, tags TEXT NOT NULL, storage TEXT, path TEXT NOT NULL,
    added_at REAL NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS files_by_parent ON files (parent, name, id);
CREATE TABLE IF NOT EXISTS volumes (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, description TEXT NOT NULL,
    access_mode TEXT NOT NULL, active INTEGER NOT NULL, location TEXT NOT NULL,
    service TEXT NOT NULL, members TEXT NOT NULL, created_on TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS exports (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, owner TEXT NOT NULL,
    file_id TEXT NOT NULL, volume TEXT NOT NULL, location TEXT NOT NULL,
    overwrite INTEGER NOT NULL, copy_only INTEGER NOT NULL, properties TEXT NOT NULL,
    state TEXT NOT NULL, created_at REAL NOT NULL, run_at REAL NOT NULL, done_at REAL NOT NULL,
    started_on TEXT, finished_on TEXT, result TEXT, error TEXT, doomed INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS exports_by_state ON exports (state, run_at, done_at);
CREATE INDEX IF NOT EXISTS exports_by_volume ON exports (owner, volume, state);
CREATE TABLE IF NOT EXISTS objects (
    bucket TEXT NOT NULL, key TEXT NOT NULL, PRIMARY KEY (bucket, key)) WITHOUT ROWID;
"""
# Columns younger than the first data folders: (table, column, declaration for ADD COLUMN).
_ADDED_COLUMNS = (
    ("files", "path", "TEXT NOT NULL DEFAULT ''"),
    ("files", "added_at", "REAL NOT NULL DEFAULT 0"),  # 0: seeded, there before the search
    ("users", "advance_access", "INTEGER NOT NULL DEFAULT 1"),
)
# Every file's path from its project's root folder down, for a data folder that had none.
_FILL_PATHS = """
WITH RECURSIVE tree (id, path) AS (
    SELECT files.id, files.name FROM files JOIN projects
        ON files.project = projects.id AND files.parent = projects.root_folder
    UNION ALL
    SELECT files.id, tree.path || '/' || files.name FROM files JOIN tree ON files.parent = tree.id)
UPDATE files SET path = tree.path FROM tree WHERE files.id = tree.id
"""
# Created after the columns they index exist (a migrated data folder gets them then).
_SEARCH_INDEXES = (
    "CREATE INDEX IF NOT EXISTS files_by_path ON files (project, path)",
    "CREATE INDEX IF NOT EXISTS files_by_project ON files (project, id, path)",
)
# Data folders seeded before objects were indexed by key keep them as a tree of paths that
# this sandbox no longer reads; they are refused rather than shown empty.
OBJECTS_LAYOUT = "2"

# Columns holding JSON text, decoded on the way out.
_JSON_COLUMNS = frozenset(
    {"members", "metadata", "tags", "storage", "service", "properties", "result", "error"}
)


def decode(row: sqlite3.Row) -> Row:
    out: Row = {}
    for key in row.keys():  # noqa: SIM118 - iterating a Row yields its values
        value = row[key]
        out[key] = json.loads(value) if key in _JSON_COLUMNS and value is not None else value
    return out


def encode(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


class Store:
    """The database connection and the two ways to use it: `read` and `transaction`."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / DB_NAME
        self._lock = threading.RLock()
        # SQLite opens its files itself: the server checked them (`datafiles.check_folder`).
        try:
            self._conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            raise SandboxError(f"{self.path}: cannot open the database: {exc}") from None
        try:
            self._conn.row_factory = sqlite3.Row
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            # 64 MiB of pages instead of SQLite's 2 MiB: a search page over a million files
            # reads rows scattered by id, which otherwise cost a system call each (21 ms a
            # page, not 3).
            self._conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
            self._conn.executescript(_SCHEMA)
            self._migrate()
        except sqlite3.Error as exc:
            self._conn.close()
            raise SandboxError(
                f"{self.path}: not a sandbox database ({exc}); remove it, or add --reset"
            ) from None

    def _migrate(self) -> None:
        with self.transaction() as conn:
            for table, column, declaration in _ADDED_COLUMNS:
                if column not in {info[1] for info in conn.execute(f"PRAGMA table_info({table})")}:
                    conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")
                    if column == "path":
                        conn.execute(_FILL_PATHS)
            for index in _SEARCH_INDEXES:
                conn.execute(index)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def read(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        with self._lock:
            return [decode(row) for row in self._conn.execute(sql, params)]

    def read_one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        rows = self.read(sql, params)
        return rows[0] if rows else None

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        with self._lock:
            found = self._conn.execute(sql, params).fetchone()
            return None if found is None else found[0]

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        """One write: part of the transaction in progress on this thread, else committed."""
        with self._lock:
            self._conn.execute(sql, params)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic write; everything inside commits together or not at all."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    # -- state as a whole -------------------------------------------------------------------

    def is_seeded(self) -> bool:
        return self.scalar("SELECT value FROM meta WHERE key = 'seeded'") is not None

    def objects_layout(self) -> str | None:
        layout = self.scalar("SELECT value FROM meta WHERE key = 'objects_layout'")
        return None if layout is None else str(layout)

    def first_token(self) -> str | None:
        token = self.scalar("SELECT token FROM tokens ORDER BY position LIMIT 1")
        return None if token is None else str(token)

    def username_for(self, token: str) -> str | None:
        username = self.scalar("SELECT username FROM tokens WHERE token = ?", (token,))
        return None if username is None else str(username)
