"""API resources to the live model: a file (with the path it was found at), a volume, a job.

Only what the planner decides on is kept, as plain frozen data: metadata values become the
text the API stores, a file's storage becomes PLATFORM or VOLUME (an alias) with the alias's
place, a job's properties become text. The readers convert each answer as it arrives, so the
API's resources for 100,000 files are never all held at once.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from types import MappingProxyType

from reconciler.api.resources import Export, File, Volume
from reconciler.core.live import LiveFile, LiveJob, LiveVolume
from reconciler.manifest.effective import metadata_text


def live_file(file: File, path: str) -> LiveFile:
    """`file` as the planner sees it; `path` is where it was found in its project ("" when
    unknown, the name when the path was not needed).

    A plan may hold 1,000,000 files, and most of what they say repeats: their project, their
    folder, where they are hosted, no metadata. Those values are kept once and shared."""
    storage = file.storage
    is_alias = storage.type.upper() == "VOLUME"
    hosted = tuple(storage.hosted_on_locations)
    return LiveFile(
        id=file.id,
        project=sys.intern(file.project) if file.project else "",
        path=path,
        name=file.name,
        is_folder=file.is_folder,
        size=file.size,
        storage_type="VOLUME" if is_alias else "PLATFORM",
        hosted_on_locations=_HOSTED.setdefault(hosted, hosted),
        alias_volume=storage.volume if is_alias else None,
        alias_location=storage.location if is_alias else None,
        metadata={key: metadata_text(value) for key, value in file.metadata.items()}
        if file.metadata
        else _NO_METADATA,
        tags=tuple(file.tags),
        modified_on=file.modified_on,
        parent=sys.intern(file.parent) if file.parent else None,
    )


# The distinct hosting locations seen (a handful); one empty metadata for files without any.
_HOSTED: dict[tuple[str, ...], tuple[str, ...]] = {}
_NO_METADATA: Mapping[str, str] = MappingProxyType({})


def live_volume(volume: Volume) -> LiveVolume:
    return LiveVolume(
        id=volume.id,
        access_mode=volume.access_mode,
        active=volume.active,
        service_type=volume.service.type,
        bucket=volume.service.bucket,
        prefix=volume.service.prefix or "",
    )


def live_job(export: Export) -> LiveJob:
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
