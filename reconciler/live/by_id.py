"""Files named by ID: read by bulk get, 100 per call, and their paths when a location needs them.

The file resource carries its `parent`, not its path. A path is resolved (walking up the
parent folders, level by level, by bulk get: `Paths`) only for files whose rule renders
`{path}` or `{parent}`: every other placeholder needs the name only, so for most manifests this
costs nothing. A path that cannot be resolved to the project root is "" (unknown). The file
search (`search.py`) resolves the paths of what it finds the same way, from a folder it knows.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import NamedTuple

from reconciler.api.client import ApiClient
from reconciler.api.resources import File, ItemError, Project
from reconciler.core.live import LiveFile
from reconciler.live.convert import live_file
from reconciler.manifest.models import ExportRule
from reconciler.manifest.placeholders import uses_path

_MAX_FOLDER_DEPTH = 1000  # a parent chain longer than this is a loop in a broken answer


class Link(NamedTuple):
    """What resolving a file's path needs to know of it, or of a folder above it."""

    id: str
    name: str
    parent: str | None
    project: str

    @classmethod
    def of(cls, file: File) -> Link:
        return cls(file.id, file.name, file.parent, file.project or "")


def files_by_id(
    client: ApiClient, rules: Sequence[ExportRule], project: Callable[[str], Project | None]
) -> dict[str, LiveFile | None]:
    """The files `rules` name by ID (None: not found or out of reach); `project` reads a
    project (once: the caller caches it), for the root folder a path stops at."""
    ids = list(dict.fromkeys(r.selector for r in rules if r.kind == "file"))
    wanting_path = {r.selector for r in rules if r.kind == "file" and uses_path(r.location)}
    # Each answer becomes a LiveFile as it arrives: the API's resources for 100,000 files are
    # never all held at once. Missing files come first, as they always have.
    missing: dict[str, LiveFile | None] = {}
    found: dict[str, LiveFile] = {}
    links: list[Link] = []
    for file_id, entry in zip(ids, client.iter_bulk_get_files(ids), strict=True):
        if isinstance(entry, ItemError):
            missing[file_id] = None
            continue
        found[file_id] = live_file(entry, entry.name)
        if file_id in wanting_path:
            links.append(Link.of(entry))
    for file_id, path in Paths(client, project).of(links).items():
        found[file_id] = dataclasses.replace(found[file_id], path=path)
    return {**missing, **found}


class Paths:
    """Paths of files from their parent folders, read by bulk get level by level."""

    def __init__(self, client: ApiClient, project: Callable[[str], Project | None]) -> None:
        self.client = client
        self.project = project
        self._root_folders: dict[str, set[str]] = {}

    def _roots(self, project_id: str) -> set[str]:
        """The ids a root-level file names as its parent: the project's root folder."""
        if project_id not in self._root_folders:
            roots = {project_id}
            project = self.project(project_id) if project_id else None
            if project is not None and project.root_folder:
                roots.add(project.root_folder)
            elif project is not None:
                first = next(iter(self.client.list_files(project=project_id)), None)
                if first is not None and first.parent:
                    roots.add(first.parent)
            self._root_folders[project_id] = roots
        return self._root_folders[project_id]

    def of(self, files: list[Link], known: Mapping[str, str] | None = None) -> dict[str, str]:
        """The path of each of `files`, by file id. `known`: folders whose path is known
        already (by id): a walk up stops there, as at the project root."""
        known = known or {}
        folders: dict[str, Link | None] = {}
        roots = {f.id: self._roots(f.project) for f in files}

        def unknown(parents: Iterable[tuple[str | None, set[str]]]) -> list[str]:
            return list(
                dict.fromkeys(
                    p
                    for p, r in parents
                    if p and p not in r and p not in folders and p not in known
                )
            )

        pending = unknown((f.parent, roots[f.id]) for f in files)
        for _ in range(_MAX_FOLDER_DEPTH):
            if not pending:
                break
            for folder_id, entry in zip(
                pending, self.client.iter_bulk_get_files(pending), strict=True
            ):
                folders[folder_id] = None if isinstance(entry, ItemError) else Link.of(entry)
            all_roots = {root for file_roots in roots.values() for root in file_roots}
            pending = unknown(
                (folder.parent, all_roots) for folder in folders.values() if folder is not None
            )
        paths: dict[str, str] = {}
        for file in files:
            parts = [file.name]
            parent = file.parent
            complete = True
            for _ in range(_MAX_FOLDER_DEPTH):
                if not parent or parent in roots[file.id]:
                    break
                if parent in known:
                    parts.extend([known[parent]] if known[parent] else [])
                    break
                folder = folders.get(parent)
                if folder is None or (folder.project and folder.project != file.project):
                    complete = False  # unreadable, or a folder of another project: no path
                    break
                parts.append(folder.name)
                parent = folder.parent
            paths[file.id] = "/".join(reversed(parts)) if complete else ""
        return paths
