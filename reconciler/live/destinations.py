"""The destinations the desired items need checked, and the checks: is an object there, of
what size.

Which: the destination of every resolved item whose decision can depend on what it holds
(`plan.fingerprint.depends_on_destination`, the planner's own rule: any file but a folder or a
public file; for an alias only its copies), on a volume that exists; an item whose location
needs a path that could not be resolved is not checked. The locations are those the planner
decides on: they come rendered from the `Resolution`, not rendered again here.

How: by listing the destinations' common folder where that covers several at once, by object
info where a folder holds one or two, and not at all below a folder the volume does not have.
The checks are a walk (`tree.walk`): each deeper listing goes out as soon as the one above it
says it is needed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from functools import partial

from reconciler.api.client import ApiClient
from reconciler.core.live import LiveObject, LiveVolume
from reconciler.live.tree import Node
from reconciler.manifest.placeholders import uses_path
from reconciler.plan.fingerprint import depends_on_destination
from reconciler.plan.resolve import Resolution

# Up to this many destinations under one folder are checked one by one (object info);
# more are cheaper to check with one listing.
OBJECT_INFO_MAX = 2

Checked = tuple[tuple[str, str], LiveObject | None]  # (volume, location), what is there
Check = Checked | Node[Checked]


def needed(
    resolution: Resolution, volumes: Mapping[str, LiveVolume | None]
) -> dict[str, list[str]]:
    """The locations to check on each volume, sorted, volumes in the order items name them."""
    wanted: dict[str, set[str]] = defaultdict(set)
    for item in resolution.items:
        file, location, rule = item.file, item.location, item.rule
        if file is None or location is None or volumes.get(rule.volume) is None:
            continue
        if depends_on_destination(rule.mode, file) and (file.path or not uses_path(rule.location)):
            wanted[rule.volume].add(location)
    return {volume: sorted(locations) for volume, locations in wanted.items()}


def check(client: ApiClient, volume_id: str, locations: list[str]) -> list[Check]:
    """The walk (for `tree.walk`) that checks `locations` on the volume; its values are each
    location with the object there (None: nothing)."""

    def by_object_info(location: str) -> list[Check]:
        obj = client.get_volume_object(volume_id, location)
        size = obj.metadata.size if obj is not None else None
        return [
            (
                (volume_id, location),
                LiveObject(volume_id, location, size) if obj is not None else None,
            )
        ]

    def visit(locs: list[str]) -> list[Check]:
        if len(locs) <= OBJECT_INFO_MAX:
            return [Node(partial(by_object_info, location)) for location in locs]
        return [Node(partial(by_listing, locs))]

    def by_listing(locs: list[str]) -> list[Check]:
        # List the deepest folder that holds all of them: listing the levels above it would
        # only say that it exists.
        folder = _common_folder(locs)
        listing = client.list_volume_objects(volume_id, folder + "/" if folder else "")
        sizes = {o.location: o.metadata.size for o in listing.objects}
        present = {p.rstrip("/") for p in listing.prefixes}
        out: list[Check] = []
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


def _folder(location: str) -> str:
    return location.rpartition("/")[0]


def _common_folder(locations: list[str]) -> str:
    split = [_folder(loc).split("/") for loc in locations]
    common: list[str] = []
    for parts in zip(*split, strict=False):
        if any(part != parts[0] for part in parts):
            break
        common.append(parts[0])
    return "/".join(common)


class KnownFolders:
    """What is at destinations, for a reading made a chunk at a time (`items.ItemReader`):
    each destination is looked up from the volume's root down, and every folder listed is
    kept, so a folder is listed at most once in the whole reading and none below a folder the
    volume does not have. An empty volume costs one listing for 1,000,000 destinations.

    The destinations of a saved plan are distinct, so what this run's own exports write never
    changes what a later chunk looks up; another writer's objects are seen as they were when
    the folder was listed, as with any reading."""

    def __init__(self, client: ApiClient) -> None:
        self._client = client
        # (volume, folder ending in "/" or "") -> (object sizes by location, subfolders)
        self._folders: dict[tuple[str, str], tuple[dict[str, int | None], frozenset[str]]] = {}

    def check(self, volume_id: str, locations: list[str]) -> list[Checked]:
        """Each location with the object there (None: nothing)."""
        return [
            ((volume_id, location), self._object(volume_id, location)) for location in locations
        ]

    def _object(self, volume_id: str, location: str) -> LiveObject | None:
        folder = ""
        for part in location.split("/")[:-1]:
            _, subfolders = self._listing(volume_id, folder)
            below = f"{folder}{part}/"
            if below not in subfolders:
                return None  # the volume has no such folder: nothing below it exists
            folder = below
        sizes, _ = self._listing(volume_id, folder)
        if location not in sizes:
            return None
        return LiveObject(volume_id, location, sizes[location])

    def _listing(self, volume_id: str, folder: str) -> tuple[dict[str, int | None], frozenset[str]]:
        key = (volume_id, folder)
        known = self._folders.get(key)
        if known is None:
            listing = self._client.list_volume_objects(volume_id, folder)
            known = self._folders[key] = (
                {o.location: o.metadata.size for o in listing.objects},
                frozenset(p if p.endswith("/") else p + "/" for p in listing.prefixes),
            )
        return known
