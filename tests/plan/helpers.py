"""Hand-built manifests and live states for the planner tests (no loader, no API)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from reconciler.core.live import (
    LiveFile,
    LiveJob,
    LiveObject,
    LiveState,
    LiveVolume,
    ProjectFiles,
)
from reconciler.core.platforms import DEFAULT_PLATFORM
from reconciler.manifest.models import (
    ExportProperties,
    ExportRule,
    Guards,
    LoadedManifest,
    ManifestHeader,
    ManifestSet,
    Mode,
    Position,
    SelectorKind,
    export_properties,
)
from reconciler.plan.io import plan_digest
from reconciler.plan.model import (
    FORMAT_VERSION,
    Action,
    ApplyEstimate,
    ExportSettings,
    Plan,
    PlanItem,
    PlatformTarget,
    ReasonCode,
)
from reconciler.plan.model import Guards as PlanGuards
from reconciler.plan.planner import summarize
from reconciler.plan.review import declaration_rows, risk_lists

PROJECT = "me/proj"
VOLUME = "me/vol"
MANIFEST = "manifests/a.yaml"


def fid(n: int) -> str:
    """A valid file ID: 24 hex characters."""
    return f"{n:024x}"


def rule(
    selector: str,
    *,
    kind: SelectorKind = "file",
    location: str = "out/{name}",
    volume: str = VOLUME,
    mode: Mode = Mode.MOVE,
    overwrite: bool = False,
    properties: ExportProperties | None = None,
    project: str = PROJECT,
    exclude: Iterable[str] = (),
    where_metadata: Mapping[str, str] | None = None,
    where_tags: Iterable[str] = (),
    allow_empty: bool = False,
    manifest: str = MANIFEST,
    line: int = 5,
    index: int = 0,
) -> ExportRule:
    return ExportRule(
        manifest=manifest,
        index=index,
        project=project,
        platform=None,
        kind=kind,
        selector=selector,
        exclude=tuple(exclude),
        where_metadata=tuple(sorted((where_metadata or {}).items())),
        where_tags=tuple(where_tags),
        allow_empty=allow_empty,
        location=location,
        volume=volume,
        mode=mode,
        overwrite=overwrite,
        properties=properties or export_properties(),
        declared_at=Position(manifest, line, 5),
        location_at=Position(manifest, line + 1, 15),
    )


def manifests(*rules: ExportRule, guards: Guards | None = None) -> ManifestSet:
    by_file: dict[str, list[ExportRule]] = {}
    for r in rules:
        by_file.setdefault(r.manifest, []).append(r)
    loaded = tuple(
        LoadedManifest(
            path=path,
            header=ManifestHeader(project=group[0].project, guards=guards),
            rules=tuple(group),
        )
        for path, group in by_file.items()
    )
    return ManifestSet(manifests=loaded, digest="d" * 64)


def file(
    n: int,
    path: str | None = None,
    *,
    project: str = PROJECT,
    size: int | None = 100,
    folder: bool = False,
    alias: tuple[str, str] | None = None,
    hosted: tuple[str, ...] = ("aws:us-east-1",),
    metadata: Mapping[str, str] | None = None,
    tags: Iterable[str] = (),
    modified_on: str = "2024-01-01T00:00:00Z",
) -> LiveFile:
    path = path if path is not None else f"data/f{n}.bam"
    return LiveFile(
        id=fid(n),
        project=project,
        path=path,
        name=path.rpartition("/")[2],
        is_folder=folder,
        size=None if folder else size,
        storage_type="VOLUME" if alias else "PLATFORM",
        hosted_on_locations=() if alias or folder else hosted,
        alias_volume=alias[0] if alias else None,
        alias_location=alias[1] if alias else None,
        metadata=dict(metadata or {}),
        tags=tuple(tags),
        modified_on=modified_on,
    )


def volume(
    vid: str = VOLUME,
    *,
    access_mode: str = "RW",
    active: bool = True,
    service_type: str = "s3",
    bucket: str = "bucket",
    prefix: str = "",
) -> LiveVolume:
    return LiveVolume(vid, access_mode, active, service_type, bucket, prefix)


def job(
    jid: str,
    n: int,
    location: str,
    *,
    state: str = "RUNNING",
    volume_id: str = VOLUME,
    overwrite: bool = False,
    properties: Mapping[str, str | None] | None = None,
    error: str | None = None,
) -> LiveJob:
    props = properties if properties is not None else export_properties().as_dict()
    return LiveJob(jid, state, fid(n), volume_id, location, overwrite, dict(props), error)


def live(
    files: Iterable[LiveFile] = (),
    *,
    by_id: Iterable[LiveFile] | None = None,
    missing_ids: Iterable[str] = (),
    volumes: Iterable[LiveVolume] | None = None,
    missing_volumes: Iterable[str] = (),
    objects: Mapping[tuple[str, str], int | None] | None = None,
    jobs: Iterable[LiveJob] = (),
    failed: Iterable[LiveJob] = (),
    missing_projects: Iterable[str] = (),
    unmanaged: Iterable[LiveFile] = (),
) -> LiveState:
    """Files go into their project's tree and, unless `by_id` says otherwise, into files_by_id;
    `objects` maps (volume, location) to a size (an object) or None (checked, nothing there)."""
    files = list(files)
    projects: dict[str, dict[str, LiveFile]] = {PROJECT: {}}
    for f in files:
        projects.setdefault(f.project, {})[f.path] = f
    files_by_id: dict[str, LiveFile | None] = {f.id: f for f in (files if by_id is None else by_id)}
    files_by_id.update(dict.fromkeys(missing_ids))
    vols: dict[str, LiveVolume | None] = {
        v.id: v for v in (volumes if volumes is not None else [volume()])
    }
    vols.update(dict.fromkeys(missing_volumes))
    project_files = {p: ProjectFiles(p, True, by_path) for p, by_path in projects.items()}
    project_files.update({p: ProjectFiles(p, False) for p in missing_projects})
    return LiveState(
        projects=project_files,
        files_by_id=files_by_id,
        volumes=vols,
        objects={
            key: None if size is None else LiveObject(key[0], key[1], size)
            for key, size in (objects or {}).items()
        },
        active_jobs=tuple(jobs),
        failed_jobs={j.file_id: j for j in failed},
        unmanaged_aliases=tuple(unmanaged),
    )


def bare_plan(**fields: Any) -> Plan:
    """A plan of nothing with `fields` set (the rest empty), sealed with its digest: for
    tests that need a plan's shape, not a planner's work."""
    plan = Plan(
        format_version=FORMAT_VERSION,
        tool_version="0.1.0",
        platforms=(),
        manifests_commit=None,
        manifests_digest="0" * 64,
        projects=(),
        planned_at=None,
        guards=PlanGuards(max_moves=None, max_bytes=None),
        summary=(),
        destructive_count=0,
        apply_estimate=ApplyEstimate(
            read_calls=0,
            create_calls=0,
            poll_calls=0,
            total_calls=0,
            rate_limit_seconds=0,
            formula="",
        ),
        declarations=(),
        risks=(),
        settings=(),
        items=(),
        unmanaged_aliases=(),
        digest="",
    )
    plan = dataclasses.replace(plan, **fields)
    return dataclasses.replace(plan, digest=plan_digest(plan))


def unsealed_plan(
    rules: Sequence[ExportRule], items: Sequence[PlanItem], settings: Sequence[ExportSettings]
) -> Plan:
    """A plan of `items` declared by `rules` (exported with `settings`, one a rule) with the
    review the planner would compute (summary, rows, risk lists), without the planner and
    without a digest (the renderers do not check it): a plan of 1,000,000 items in seconds."""
    settings_of_rule = {id(r): s for r, s in zip(rules, settings, strict=True)}
    return dataclasses.replace(
        bare_plan(platforms=(PlatformTarget(DEFAULT_PLATFORM, None),)),
        summary=summarize(items),
        destructive_count=sum(1 for item in items if item.destructive),
        declarations=declaration_rows(
            rules,
            items,
            platform=DEFAULT_PLATFORM,
            at=lambda r: str(r.declared_at),
            settings=lambda r: settings_of_rule[id(r)],
        ),
        risks=risk_lists(items),
        settings=tuple(dict.fromkeys(settings)),
        items=tuple(items),
        digest="0" * 64,
    )


def settings_of(r: ExportRule) -> ExportSettings:
    return ExportSettings(
        platform=DEFAULT_PLATFORM,
        project=r.project,
        volume=r.volume,
        mode=r.mode,
        overwrite=r.overwrite,
        properties=r.properties,
        object_uri_prefix="s3://bucket/",
    )


def moves_from_one_glob(n: int, *, name: Callable[[int], str] = lambda i: f"s{i}.bam") -> Plan:
    """`n` moves, as one glob of `GLOB_LINE` declares them (`runs/r{i % 40}/NAME`)."""
    glob = rule("runs/**/*", kind="glob", location="archive/{path}", line=GLOB_LINE)
    settings = settings_of(glob)
    declared = (str(glob.declared_at),)
    items = []
    for i in range(n):
        path = f"runs/r{i % 40}/{name(i)}"
        items.append(
            PlanItem(
                action=Action.MOVE,
                reason_code=ReasonCode.DESTINATION_EMPTY,
                reason="nothing at the destination yet",
                file_id=fid(i),
                path=path,
                size=1000,
                location=f"archive/{path}",
                settings=settings,
                declared_at=declared,
                fingerprint="f",
            )
        )
    return unsealed_plan([glob], items, [settings])


GLOB_LINE = 12
