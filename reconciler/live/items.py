"""What applying a saved or reviewed plan reads: its items, and nothing else.

`apply --plan` and `apply --reviewed` may send only the exports a reviewer saw, so finding
files again (listing folders, searching) would cost requests and could add nothing to send.
For the items it acts on, apply reads:
1. the active jobs, once, before any file (`jobs.py` says why this order);
2. the volumes, once each;
3. a chunk of items at a time: their files by bulk get (100 per call), then the destinations
   whose decision depends on what is there (`destinations.KnownFolders`: each folder listed
   at most once in the whole reading).
Each chunk gives a `LiveState` for the planner's rules to decide those items on again
(`plan/replan.py`). At most 3 x ceil(N/100) + a few requests for N items to move, with the
creates and the polls.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from reconciler.api.client import ApiClient
from reconciler.api.resources import ItemError
from reconciler.core.live import LiveFile, LiveJob, LiveObject, LiveState, LiveVolume
from reconciler.live.convert import live_file, live_volume
from reconciler.live.destinations import KnownFolders
from reconciler.live.jobs import active_jobs
from reconciler.plan.fingerprint import JobIndex, depends_on_destination
from reconciler.plan.model import PlanItem


class ItemReader:
    """Reads a plan's items a chunk at a time, for one platform (one client)."""

    def __init__(
        self,
        client: ApiClient,
        volumes: Iterable[str],
        *,
        failed_jobs: Mapping[str, LiveJob] | None = None,
    ) -> None:
        self._client = client
        self._volume_ids = list(dict.fromkeys(volumes))
        self._failed_jobs = dict(failed_jobs or {})
        self._folders = KnownFolders(client)
        self._base: LiveState | None = None
        self.jobs = JobIndex({}, {})

    def start(self) -> None:
        """Steps 1 and 2: the active jobs, then the volumes. Call before the first chunk."""
        jobs = active_jobs(self._client)
        volumes: dict[str, LiveVolume | None] = {}
        for volume_id in self._volume_ids:
            volume = self._client.get_volume(volume_id)
            volumes[volume_id] = None if volume is None else live_volume(volume)
        self._base = LiveState(volumes=volumes, active_jobs=jobs, failed_jobs=self._failed_jobs)
        self.jobs = JobIndex.of(self._base)

    def read(self, items: Sequence[PlanItem]) -> LiveState:
        """Step 3 for `items`: their files and the destinations their decisions depend on."""
        if self._base is None:
            self.start()
        assert self._base is not None
        ids = list(dict.fromkeys(item.file_id for item in items if item.file_id is not None))
        files: dict[str, LiveFile | None] = {}
        for file_id, entry in zip(ids, self._client.iter_bulk_get_files(ids), strict=True):
            files[file_id] = None if isinstance(entry, ItemError) else live_file(entry, entry.name)
        wanted: dict[str, list[str]] = {}
        for item in items:
            file = files.get(item.file_id or "")
            volume = item.settings.volume
            if self._base.volumes.get(volume) is not None and depends_on_destination(
                item.mode, file
            ):
                wanted.setdefault(volume, []).append(item.location)
        objects: dict[tuple[str, str], LiveObject | None] = {}
        for volume, locations in wanted.items():
            objects.update(self._folders.check(volume, locations))
        return LiveState(
            files_by_id=files,
            volumes=self._base.volumes,
            objects=objects,
            active_jobs=self._base.active_jobs,
            failed_jobs=self._base.failed_jobs,
        )
