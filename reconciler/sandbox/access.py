"""Who can reach what: a user reaches the projects and volumes they own or are members of, the
files of those projects, and the exports they created."""

from __future__ import annotations

from typing import Literal

from .store import Row, Store

# The tables whose rows are shared: an `owner/name` id and a list of members.
SharedTable = Literal["projects", "volumes"]


def reaches(username: str, owned_id: str, members: list[str]) -> bool:
    return owned_id.split("/")[0] == username or username in members


def shared_row(store: Store, table: SharedTable, username: str, row_id: str) -> Row | None:
    row = store.read_one(f"SELECT * FROM {table} WHERE id = ?", (row_id,))
    if row is None or not reaches(username, row["id"], row["members"]):
        return None
    return row


def reachable_rows(store: Store, table: SharedTable, username: str) -> list[Row]:
    return [
        row
        for row in store.read(f"SELECT * FROM {table} ORDER BY id")
        if reaches(username, row["id"], row["members"])
    ]


def project_for(store: Store, username: str, project_id: str) -> Row | None:
    return shared_row(store, "projects", username, project_id)


def volume_for(store: Store, username: str, volume_id: str) -> Row | None:
    return shared_row(store, "volumes", username, volume_id)


def file_for(store: Store, username: str, file_id: str) -> Row | None:
    """The file or folder, if it exists in a project the user reaches."""
    found = store.read_one("SELECT * FROM files WHERE id = ?", (file_id,))
    if found is None or project_for(store, username, found["project"]) is None:
        return None
    return found


def export_for(store: Store, username: str, export_id: str) -> Row | None:
    """The export job, if the user created it (jobs are never shared)."""
    return store.read_one("SELECT * FROM exports WHERE id = ? AND owner = ?", (export_id, username))
