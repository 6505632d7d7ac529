"""One pass through the data: read the files, resolve the manifests once, read what the desired
items need. The planner then decides on the same resolution (`Reading`), with no I/O.

1. Each project once (found or not) and each volume once, side by side.
2. The active jobs (`jobs.py`), BEFORE any file or object: a job finishing between reads is
   then seen either as a job or by its effect, never planned again.
3. The files: those declared by ID (`by_id.py`) beside the walks of the project folders the
   paths and globs can reach (`files.py`), and below the prefixes of the globs discovered by
   the file search, that search (`search.py`). Before the first listing, a watched reading
   says what it will cost (`estimate.py`); while it reads, how far it is (`progress.py`).
4. The manifests resolved against those files (`plan/resolve.py`, pure): every desired item
   with its rendered destination. This is the only place globs are matched and locations
   rendered.
5. The destinations of those items whose decision depends on what is there
   (`destinations.py`).

Reads that do not depend on each other go at once, from a few threads of a pool that `read`
owns (`READ_WORKERS`); the answers are put together in the order a one-by-one reading would
give (`tree.py`), so the state is the same whichever read finishes first. Everything read
lands in a frozen `LiveState`; "read and absent" is stored as None.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial

from reconciler.api.client import ApiClient
from reconciler.api.resources import Project
from reconciler.core.live import LiveFile, LiveState, LiveVolume, ProjectFiles
from reconciler.live import destinations, estimate
from reconciler.live.by_id import files_by_id
from reconciler.live.convert import live_volume
from reconciler.live.files import Need, Tree, needs, project_walk
from reconciler.live.jobs import active_jobs
from reconciler.live.progress import ReadWatch
from reconciler.live.search import FileSearch
from reconciler.live.tree import flatten, nodes, read_pool, walk
from reconciler.manifest.models import Discovery, ExportRule
from reconciler.manifest.placeholders import uses_path
from reconciler.plan.resolve import Resolution, resolve_all

# Reads in flight at once besides the bulk gets (which have the client's own workers): at
# ~100 ms per call, a walk of a few hundred folders takes seconds one by one.
READ_WORKERS = 8


@dataclass(frozen=True, slots=True)
class Reading:
    """What was read, and the manifests resolved against it: `build_plan` takes both."""

    live: LiveState
    resolution: Resolution


def read(
    client: ApiClient,
    rules: Sequence[ExportRule],
    *,
    unmanaged: bool = False,
    workers: int = READ_WORKERS,
    discovery: Discovery | None = None,
    watch: ReadWatch | None = None,
) -> Reading:
    """The live state for `rules` and their resolution (see the module docstring).
    `discovery` overrides every glob's own (`--discovery`); `watch` hears the estimate, the
    progress and the fallbacks (default: a silent one, whose warnings go to the log)."""
    watch = watch or ReadWatch()
    with read_pool(workers) as pool, watch.reading(client):
        files = _read_files(
            client, rules, everything=unmanaged, pool=pool, discovery=discovery, watch=watch
        )
        resolution = resolve_all(rules, files)
        checks = [
            part
            for volume_id, locations in destinations.needed(resolution, files.volumes).items()
            for part in destinations.check(client, volume_id, locations)
        ]
        walk(pool, list(nodes(checks)))
        live = dataclasses.replace(
            files,
            objects=dict(flatten(checks)),
            unmanaged_aliases=_unmanaged_aliases(files, resolution) if unmanaged else (),
        )
    return Reading(live, resolution)


def _read_files(
    client: ApiClient,
    rules: Sequence[ExportRule],
    *,
    everything: bool,
    pool: ThreadPoolExecutor,
    discovery: Discovery | None,
    watch: ReadWatch,
) -> LiveState:
    """Steps 1 to 3: the projects, volumes, active jobs and files; no object yet."""
    projects = _Projects(client)
    project_ids = _unique(rule.project for rule in rules)
    volume_ids = _unique(rule.volume for rule in rules)
    # Both maps send all their calls at once; reading their answers waits for them.
    project_reads = pool.map(projects.get, project_ids)
    volume_reads = pool.map(partial(_volume, client), volume_ids)
    found = dict(zip(project_ids, project_reads, strict=True))
    volumes = dict(zip(volume_ids, volume_reads, strict=True))

    jobs = active_jobs(client)  # before any file or object: see jobs.py

    needs_of = {
        project_id: needs(
            [r for r in rules if r.project == project_id],
            everything=everything,
            discovery=discovery,
        )
        for project_id, project in found.items()
        if project is not None
    }
    searched = [r for r in rules if r.kind == "glob" and (discovery or r.discovery) == "search"]
    search = FileSearch(client, projects.get, watch=watch, globs=searched)
    if watch.speaks:
        _say_cost(client, rules, needs_of, search, watch)
    # Files by ID are read beside the folder walks; their bulk gets go out from the client's
    # own workers.
    by_id = pool.submit(files_by_id, client, rules, projects.get)
    walks: dict[str, list[Tree]] = {
        project_id: project_walk(
            client, project_id, need, search=search.searcher(project_id), watch=watch
        )
        for project_id, need in needs_of.items()
    }
    walk(pool, [node for parts in walks.values() for node in nodes(parts)])
    trees = {
        project_id: ProjectFiles(
            project=project_id, found=True, by_path=dict(flatten(walks[project_id]))
        )
        if project_id in walks
        else ProjectFiles(project=project_id, found=False)
        for project_id in found
    }
    return LiveState(projects=trees, files_by_id=by_id.result(), volumes=volumes, active_jobs=jobs)


def _say_cost(
    client: ApiClient,
    rules: Sequence[ExportRule],
    needs_of: dict[str, Need],
    search: FileSearch,
    watch: ReadWatch,
) -> None:
    """What the files' reading will cost, before its first listing (see `estimate.py`)."""
    ids = {r.selector for r in rules if r.kind == "file"}
    path_ids = {r.selector for r in rules if r.kind == "file" and uses_path(r.location)}
    cost = estimate.cost(needs_of, search, by_id=len(ids), path_ids=len(path_ids))
    watch.expect(cost.folders)
    for line in estimate.lines(cost, estimate.rate_of(client), now=time.time()):
        watch.say(line)
    watch.flush()


def _unmanaged_aliases(files: LiveState, resolution: Resolution) -> tuple[LiveFile, ...]:
    """Aliases on the declared volumes that exist, in the trees read, that no rule names."""
    declared = resolution.declared()
    managed = {v for v, volume in files.volumes.items() if volume is not None}
    return tuple(
        file
        for tree in files.projects.values()
        for file in tree.by_path.values()
        if file.is_alias and file.alias_volume in managed and file.id not in declared
    )


class _Projects:
    """Each project read once: the walks and the paths of files by ID both ask for it."""

    def __init__(self, client: ApiClient) -> None:
        self.client = client
        self._read: dict[str, Project | None] = {}

    def get(self, project_id: str) -> Project | None:
        if project_id not in self._read:
            self._read[project_id] = self.client.get_project(project_id)
        return self._read[project_id]


def _volume(client: ApiClient, volume_id: str) -> LiveVolume | None:
    volume = client.get_volume(volume_id)
    return None if volume is None else live_volume(volume)


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))
