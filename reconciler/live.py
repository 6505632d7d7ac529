"""Reads the live state the planner needs, and nothing more, in as few calls as possible.

- each project once (found or not) and each volume once;
- files declared by ID through bulk file get, 100 per call;
- files declared by path or glob by listing only the folders the patterns can reach: from the
  project root down the fixed folder names (with a `name=` filter, one call per level), then
  the glob's static prefix fully, and below it only folders whose names the next pattern
  segment can match, as deep as the pattern reaches (`**`: everything below);
- PENDING and RUNNING export jobs (on every volume: a move waits for a job reading its file);
- for every destination whose content the planner's decision depends on (any file but a
  folder or a public file; for an alias only its copies, which an object of its size at the
  destination keeps in sync), whether an object is there and its size: by listing the
  destinations' common folder where that covers several at once, by object info where a
  folder holds one or two, and not at all below a folder the volume does not have.

Reads that do not depend on each other go at once, from a few threads of a pool that `collect`
owns (`READ_WORKERS`): the projects and volumes; files by ID next to
the project folders; the folders of one walk, each listed as soon as its parent's listing says
it is needed; the destination checks. The answers are put together in the order a one-by-one
reading would give, so the state is the same whichever read finishes first.

Everything read lands in a frozen `LiveState`; "read and absent" is stored as None.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Generic, NamedTuple, TypeVar

from wcmatch import fnmatch as _fnmatch

from reconciler.api.client import MAX_NAMES_PER_QUERY, ApiClient
from reconciler.api.resources import Export, File, ItemError, Project
from reconciler.manifest.globs import compile_glob, static_prefix
from reconciler.manifest.models import ExportRule, Mode
from reconciler.manifest.placeholders import render_location
from reconciler.state import (
    ACTIVE_JOB_STATES,
    LiveFile,
    LiveJob,
    LiveObject,
    LiveState,
    LiveVolume,
    ProjectFiles,
)

_SEGMENT_FLAGS = _fnmatch.DOTMATCH | _fnmatch.CASE
# Up to this many destinations under one folder are checked one by one (object info);
# more are cheaper to check with one listing.
OBJECT_INFO_MAX = 2
_MAX_FOLDER_DEPTH = 1000  # a parent chain longer than this is a loop in a broken answer
# Reads in flight at once besides the bulk gets (which have the client's own workers): at
# ~100 ms per call, a walk of a few hundred folders takes seconds one by one.
READ_WORKERS = 8

_T = TypeVar("_T")


def collect(
    client: ApiClient,
    rules: Sequence[ExportRule],
    *,
    unmanaged: bool = False,
    workers: int = READ_WORKERS,
) -> LiveState:
    """The live state for `rules` (see the module docstring for what is read and how)."""
    with _read_pool(workers) as pool:
        return _collect(client, rules, unmanaged=unmanaged, pool=pool)


@contextmanager
def _read_pool(workers: int) -> Iterator[ThreadPoolExecutor]:
    # Only this module's calling thread submits to the pool and waits on it; a task never
    # waits on another task of the pool (bulk gets wait on the client's own workers), so a
    # full pool cannot deadlock.
    pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="reconciler-live")
    try:
        yield pool
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def _collect(
    client: ApiClient, rules: Sequence[ExportRule], *, unmanaged: bool, pool: ThreadPoolExecutor
) -> LiveState:
    reader = _Reader(client)
    project_ids = _unique(rule.project for rule in rules)
    volume_ids = _unique(rule.volume for rule in rules)
    # Both maps send all their calls at once; reading their answers waits for them.
    project_reads = pool.map(reader.project, project_ids)
    volume_reads = pool.map(partial(_live_volume, client), volume_ids)
    projects = dict(zip(project_ids, project_reads, strict=True))
    volumes = dict(zip(volume_ids, volume_reads, strict=True))

    # Active jobs are listed BEFORE files and objects, PENDING before RUNNING: a job that
    # finishes while we read is then either listed, or its effect (an alias, an object) is
    # already visible in the reads that follow. The other order can miss both and plan the
    # same export again, which a re-run on another machine would submit twice. They are listed
    # on every volume, not only the declared ones: a move must wait for a job that reads its
    # file for a volume no manifest names (the move would delete what that job reads).
    jobs = _active_jobs(client)

    # Files by ID are read beside the folder walks; their bulk gets go out from the client's
    # own workers.
    by_id = pool.submit(reader.files_by_id, rules)
    walks = {
        project_id: reader.project_tree(
            project_id, [r for r in rules if r.project == project_id], everything=unmanaged
        )
        for project_id, project in projects.items()
        if project is not None
    }
    _walk(pool, [node for parts in walks.values() for node in _nodes(parts)])
    trees = {
        project_id: ProjectFiles(
            project=project_id, found=True, by_path=dict(_flatten(walks[project_id]))
        )
        if project_id in walks
        else ProjectFiles(project=project_id, found=False)
        for project_id in projects
    }
    files_by_id = by_id.result()

    matched = _matched_files(rules, files_by_id, trees)
    destinations: dict[str, set[str]] = defaultdict(set)
    for rule, file in matched:
        if volumes.get(rule.volume) is None or not _decided_by_destination(rule, file):
            continue
        if file.path or not _uses_path(rule.location):
            destinations[rule.volume].add(
                render_location(rule.location, path=file.path or file.name, file_id=file.id)
            )
    checks = [
        part
        for volume_id, locations in destinations.items()
        for part in _check_destinations(client, volume_id, sorted(locations))
    ]
    _walk(pool, list(_nodes(checks)))
    objects = dict(_flatten(checks))

    aliases: tuple[LiveFile, ...] = ()
    if unmanaged:
        declared = {file.id for _, file in matched}
        managed = {v for v, volume in volumes.items() if volume is not None}
        aliases = tuple(
            file
            for tree in trees.values()
            for file in tree.by_path.values()
            if file.is_alias and file.alias_volume in managed and file.id not in declared
        )
    return LiveState(
        projects=trees,
        files_by_id=files_by_id,
        volumes=volumes,
        objects=objects,
        active_jobs=tuple(jobs),
        unmanaged_aliases=aliases,
    )


# ---- conversions ---------------------------------------------------------------------------


def live_file(file: File, path: str) -> LiveFile:
    storage = file.storage
    is_alias = storage.type.upper() == "VOLUME"
    return LiveFile(
        id=file.id,
        project=file.project or "",
        path=path,
        name=file.name,
        is_folder=file.is_folder,
        size=file.size,
        storage_type="VOLUME" if is_alias else "PLATFORM",
        hosted_on_locations=tuple(storage.hosted_on_locations),
        alias_volume=storage.volume if is_alias else None,
        alias_location=storage.location if is_alias else None,
        metadata={key: _metadata_text(value) for key, value in file.metadata.items()},
        tags=tuple(file.tags),
        modified_on=file.modified_on,
    )


def _metadata_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _live_volume(client: ApiClient, volume_id: str) -> LiveVolume | None:
    volume = client.get_volume(volume_id)
    if volume is None:
        return None
    return LiveVolume(
        id=volume.id,
        access_mode=volume.access_mode,
        active=volume.active,
        service_type=volume.service.type,
        bucket=volume.service.bucket,
        prefix=volume.service.prefix or "",
    )


def _active_jobs(client: ApiClient) -> list[LiveJob]:
    return [
        _live_job(export)
        for state in ACTIVE_JOB_STATES
        for export in client.list_exports(None, state)
    ]


def _live_job(export: Export) -> LiveJob:
    return LiveJob(
        id=export.id,
        state=export.state,
        file_id=export.source.file,
        volume=export.destination.volume,
        location=export.destination.location,
        overwrite=export.overwrite,
        properties={k: None if v is None else str(v) for k, v in export.properties.items()},
        error=export.error.message if export.error else None,
    )


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _uses_path(template: str) -> bool:
    return "{path}" in template or "{parent}" in template


def _decided_by_destination(rule: ExportRule, file: LiveFile) -> bool:
    """Whether the planner's decision for this file at the rule's destination can depend on
    what the destination holds. Folders and public files are blocked whatever is there. An
    alias cannot be exported again, but a copy of it is in sync when its destination holds an
    object of the file's size (a file declared for copy and move is an alias after apply), so
    only a move of an alias needs no check."""
    if file.is_folder or file.is_public:
        return False
    return not (file.is_alias and rule.mode is Mode.MOVE)


def _matched_files(
    rules: Sequence[ExportRule],
    files_by_id: dict[str, LiveFile | None],
    trees: dict[str, ProjectFiles],
) -> list[tuple[ExportRule, LiveFile]]:
    """Each rule with each file it selects (globs: by path only; `where` is the planner's)."""
    out: list[tuple[ExportRule, LiveFile]] = []
    for rule in rules:
        by_path = trees[rule.project].by_path if rule.project in trees else {}
        if rule.kind == "file":
            found = files_by_id.get(rule.selector)
            if found is not None:
                out.append((rule, found))
        elif rule.kind == "path":
            found = by_path.get(rule.selector)
            if found is not None:
                out.append((rule, found))
        else:
            matches = compile_glob(rule.selector, rule.exclude)
            out.extend((rule, f) for p, f in by_path.items() if not f.is_folder and matches(p))
    return out


# ---- reads that lead to more reads ---------------------------------------------------------


class _Node(Generic[_T]):
    """One read of a walk; its answer is a list of values and of further reads (nodes), in the
    order a one-by-one walk would meet them."""

    __slots__ = ("parts", "read")

    def __init__(self, read: Callable[[], list[_T | _Node[_T]]]) -> None:
        self.read = read
        self.parts: list[_T | _Node[_T]] = []


def _nodes(parts: Iterable[_T | _Node[_T]]) -> Iterator[_Node[_T]]:
    return (part for part in parts if isinstance(part, _Node))


def _walk(pool: ThreadPoolExecutor, nodes: list[_Node[_T]]) -> None:
    """Read `nodes` and every node their answers name, each as soon as it is known, at most
    as many at once as the pool has threads. The first read that fails raises, and the reads
    not yet started are dropped."""
    running: dict[Future[list[_T | _Node[_T]]], _Node[_T]] = {}
    try:
        running.update({pool.submit(node.read): node for node in nodes})
        while running:
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                node = running.pop(future)
                node.parts = future.result()
                running.update({pool.submit(child.read): child for child in _nodes(node.parts)})
    finally:
        for future in running:
            future.cancel()


def _flatten(parts: list[_T | _Node[_T]]) -> Iterator[_T]:
    """The values of a walk `_walk` has read, depth first (no recursion: folders nest deep)."""
    stack = [iter(parts)]
    while stack:
        for part in stack[-1]:
            if isinstance(part, _Node):
                stack.append(iter(part.parts))
                break
            yield part
        else:
            stack.pop()


_Tree = tuple[str, LiveFile] | _Node[tuple[str, LiveFile]]
_Check = (
    tuple[tuple[str, str], LiveObject | None] | _Node[tuple[tuple[str, str], LiveObject | None]]
)


# ---- files ---------------------------------------------------------------------------------


class _Link(NamedTuple):
    """What resolving a file's path needs to know of it, or of a folder above it."""

    id: str
    name: str
    parent: str | None
    project: str

    @classmethod
    def of(cls, file: File) -> _Link:
        return cls(file.id, file.name, file.parent, file.project or "")


@dataclass
class _Need:
    """What one folder of a project must be listed for."""

    names: set[str] = field(default_factory=set)  # children wanted by exact name
    children: dict[str, _Need] = field(default_factory=dict)  # folders to descend into
    patterns: list[tuple[str, ...]] = field(default_factory=list)  # glob rests: list fully

    def child(self, name: str) -> _Need:
        self.names.add(name)
        return self.children.setdefault(name, _Need())


class _Reader:
    def __init__(self, client: ApiClient) -> None:
        self.client = client
        self._projects: dict[str, Project | None] = {}
        self._root_folders: dict[str, set[str]] = {}

    def project(self, project_id: str) -> Project | None:
        if project_id not in self._projects:
            self._projects[project_id] = self.client.get_project(project_id)
        return self._projects[project_id]

    def files_by_id(self, rules: Sequence[ExportRule]) -> dict[str, LiveFile | None]:
        """Files declared by ID, by bulk get. Their paths are resolved (walking up the parent
        folders, level by level, by bulk get) only for files whose rule renders `{path}` or
        `{parent}`: the file resource carries `parent`, not a path, and every other
        placeholder needs the name only, so for most manifests this costs nothing."""
        ids = _unique(r.selector for r in rules if r.kind == "file")
        wanting_path = {r.selector for r in rules if r.kind == "file" and _uses_path(r.location)}
        # Each answer becomes a LiveFile as it arrives: the API's resources for 100,000 files
        # are never all held at once. Missing files come first, as they always have.
        missing: dict[str, LiveFile | None] = {}
        found: dict[str, LiveFile] = {}
        links: list[_Link] = []
        for file_id, entry in zip(ids, self.client.iter_bulk_get_files(ids), strict=True):
            if isinstance(entry, ItemError):
                missing[file_id] = None
                continue
            found[file_id] = live_file(entry, entry.name)
            if file_id in wanting_path:
                links.append(_Link.of(entry))
        for file_id, path in self._paths(links).items():
            found[file_id] = dataclasses.replace(found[file_id], path=path)
        return {**missing, **found}

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

    def _paths(self, files: list[_Link]) -> dict[str, str]:
        folders: dict[str, _Link | None] = {}
        roots = {f.id: self._roots(f.project) for f in files}

        def unknown(parents: Iterable[tuple[str | None, set[str]]]) -> list[str]:
            return _unique(p for p, r in parents if p and p not in r and p not in folders)

        pending = unknown((f.parent, roots[f.id]) for f in files)
        for _ in range(_MAX_FOLDER_DEPTH):
            if not pending:
                break
            for folder_id, entry in zip(
                pending, self.client.iter_bulk_get_files(pending), strict=True
            ):
                folders[folder_id] = None if isinstance(entry, ItemError) else _Link.of(entry)
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
                folder = folders.get(parent)
                if folder is None:
                    complete = False
                    break
                parts.append(folder.name)
                parent = folder.parent
            paths[file.id] = "/".join(reversed(parts)) if complete else ""
        return paths

    def project_tree(
        self, project_id: str, rules: Sequence[ExportRule], *, everything: bool
    ) -> list[_Tree]:
        """The walk (for `_walk`) that lists the project folders `rules` can reach; its values
        are the files and folders found, with their paths."""
        root = _Need()
        if everything:
            root.patterns.append(("**", "*"))
        for rule in rules:
            if rule.kind == "path":
                parts = rule.selector.strip("/").split("/")
                node = root
                for part in parts[:-1]:
                    node = node.child(part)
                node.names.add(parts[-1])
            elif rule.kind == "glob":
                prefix = static_prefix(rule.selector)
                node = root
                for part in prefix.split("/") if prefix else ():
                    node = node.child(part)
                # What is left below the prefix, one pattern per level; `_descend` follows it
                # down only into folders it can match, so the walk goes no deeper than
                # `levels_below_prefix` (unbounded below a `**`).
                rest = tuple(rule.selector.split("/")[len(prefix.split("/")) if prefix else 0 :])
                node.patterns.append(rest)
        return self._visit(project_id, None, "", root)

    def _visit(self, project_id: str, folder_id: str | None, path: str, need: _Need) -> list[_Tree]:
        full = bool(need.patterns) or len(need.names) > MAX_NAMES_PER_QUERY
        names = () if full else sorted(need.names)
        if not full and not names:
            return []
        return [_Node(partial(self._list, project_id, folder_id, path, need, names))]

    def _list(
        self, project_id: str, folder_id: str | None, path: str, need: _Need, names: Sequence[str]
    ) -> list[_Tree]:
        if folder_id is None:
            listed = self.client.list_files(project=project_id, names=names)
        else:
            listed = self.client.list_files(parent=folder_id, names=names)
        out: list[_Tree] = []
        for item in listed:
            child_path = f"{path}/{item.name}" if path else item.name
            out.append((child_path, live_file(item, child_path)))
            if not item.is_folder:
                continue
            below = _Need()
            if item.name in need.children:
                wanted = need.children[item.name]
                below.names |= wanted.names
                below.children.update(wanted.children)
                below.patterns.extend(wanted.patterns)
            below.patterns.extend(_descend(need.patterns, item.name))
            if below.names or below.patterns:
                out.extend(self._visit(project_id, item.id, child_path, below))
        return out


def _descend(patterns: list[tuple[str, ...]], folder: str) -> list[tuple[str, ...]]:
    """The pattern rests that apply inside `folder` (a child of where `patterns` apply)."""
    out: list[tuple[str, ...]] = []
    for rest in patterns:
        if "**" in rest[0]:
            out.append(rest)  # `**` may swallow this folder and any below it (even at the end)
        elif len(rest) < 2:
            continue  # only the file name is left: nothing below can match
        elif _fnmatch.fnmatch(folder, rest[0], flags=_SEGMENT_FLAGS):
            out.append(rest[1:])
    return _unique_patterns(out)


def _unique_patterns(patterns: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    return list(dict.fromkeys(patterns))


# ---- destinations --------------------------------------------------------------------------


def _folder(location: str) -> str:
    return location.rpartition("/")[0]


def _check_destinations(client: ApiClient, volume_id: str, locations: list[str]) -> list[_Check]:
    """The walk (for `_walk`) that checks `locations` on the volume; its values are each
    location with the object there (None: nothing)."""

    def by_object_info(location: str) -> list[_Check]:
        obj = client.get_volume_object(volume_id, location)
        size = obj.metadata.size if obj is not None else None
        return [
            (
                (volume_id, location),
                LiveObject(volume_id, location, size) if obj is not None else None,
            )
        ]

    def visit(locs: list[str]) -> list[_Check]:
        if len(locs) <= OBJECT_INFO_MAX:
            return [_Node(partial(by_object_info, location)) for location in locs]
        return [_Node(partial(by_listing, locs))]

    def by_listing(locs: list[str]) -> list[_Check]:
        # List the deepest folder that holds all of them: listing the levels above it would
        # only say that it exists.
        folder = _common_folder(locs)
        listing = client.list_volume_objects(volume_id, folder + "/" if folder else "")
        sizes = {o.location: o.metadata.size for o in listing.objects}
        present = {p.rstrip("/") for p in listing.prefixes}
        out: list[_Check] = []
        deeper: dict[str, list[str]] = defaultdict(list)
        for location in locs:
            if _folder(location) == folder:
                there = location in sizes
                out.append(
                    ((volume_id, location), LiveObject(volume_id, location, sizes[location]))
                    if there
                    else ((volume_id, location), None)
                )
            else:
                rest = location[len(folder) + 1 :] if folder else location
                sub = f"{folder}/{rest.split('/')[0]}" if folder else rest.split("/")[0]
                deeper[sub].append(location)
        for sub, sub_locs in deeper.items():
            if sub in present:
                out.extend(visit(sub_locs))
            else:
                # The volume has no such folder: nothing below it exists.
                out.extend(((volume_id, loc), None) for loc in sub_locs)
        return out

    return visit(locations)


def _common_folder(locations: list[str]) -> str:
    split = [_folder(loc).split("/") for loc in locations]
    common: list[str] = []
    for parts in zip(*split, strict=False):
        if any(part != parts[0] for part in parts):
            break
        common.append(parts[0])
    return "/".join(common)
