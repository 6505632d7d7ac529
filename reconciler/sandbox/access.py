"""Who can reach what: a user reaches the projects and volumes they own or are members of."""

from __future__ import annotations

from .store import Row, Store


def reaches(username: str, owned_id: str, members: list[str]) -> bool:
    return owned_id.split("/")[0] == username or username in members


def project_for(store: Store, username: str, project_id: str) -> Row | None:
    project = store.read_one("SELECT * FROM projects WHERE id = ?", (project_id,))
    if project is None or not reaches(username, project["id"], project["members"]):
        return None
    return project


def volume_for(store: Store, username: str, volume_id: str) -> Row | None:
    volume = store.read_one("SELECT * FROM volumes WHERE id = ?", (volume_id,))
    if volume is None or not reaches(username, volume["id"], volume["members"]):
        return None
    return volume


def file_for(store: Store, username: str, file_id: str) -> Row | None:
    """The file or folder, if it exists in a project the user reaches."""
    found = store.read_one("SELECT * FROM files WHERE id = ?", (file_id,))
    if found is None or project_for(store, username, found["project"]) is None:
        return None
    return found


def reachable_projects(store: Store, username: str) -> list[Row]:
    return [
        project
        for project in store.read("SELECT * FROM projects ORDER BY id")
        if reaches(username, project["id"], project["members"])
    ]


def reachable_volumes(store: Store, username: str) -> list[Row]:
    return [
        volume
        for volume in store.read("SELECT * FROM volumes ORDER BY id")
        if reaches(username, volume["id"], volume["members"])
    ]
