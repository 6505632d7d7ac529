"""The use case `plan` and `apply` share: load manifests, pick the targets, check the pinned
platform, resolve the API configuration of every platform, make a client per platform, read
the live states (side by side), build one plan.

Manifests are loaded (and refused with every problem), the pin checked and every platform's
endpoint and token resolved before any client exists, so an invalid manifest, a manifest for
another platform, an untrusted endpoint or a missing token never costs a call, and nothing is
planned half. Each step is a function of its own because `apply --plan` needs to check the
saved plan between them.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent import futures
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from reconciler import __version__
from reconciler.api.client import ApiClient
from reconciler.api.config import ApiConfig, ConnectOptions, resolve_platforms
from reconciler.api.retry import RetryPolicy
from reconciler.api.transport import Transport
from reconciler.api.trust import platform_key
from reconciler.core.collector import collector_paused
from reconciler.core.live import LiveJob, LiveState
from reconciler.errors import ConfigError
from reconciler.gitops.gitlog import head_commit
from reconciler.live.progress import ReadWatch
from reconciler.live.read import read
from reconciler.manifest.digest import set_digest
from reconciler.manifest.load import DEFAULT_PATH, load_manifests
from reconciler.manifest.models import Discovery, LoadedManifest, ManifestSet
from reconciler.plan.model import Plan
from reconciler.plan.planner import PlanContext, build_plan, combine
from reconciler.plan.resolve import Resolution

logger = logging.getLogger(__name__)
PIN_VARIABLE = "RECONCILER_PLATFORM"
S = TypeVar("S")
T = TypeVar("T")


def load(paths: Sequence[str], *, target: Sequence[str] = (), rules: bool = True) -> ManifestSet:
    """The manifests under `paths` (default `manifests/`), limited to `target` when given.
    `rules=False`: their digest and headers only (`load_manifests` says when that is safe)."""
    return select_targets(load_manifests(list(paths) or [DEFAULT_PATH], rules=rules), target)


def select_targets(manifests: ManifestSet, target: Sequence[str]) -> ManifestSet:
    """Only the manifests named by `--target`: a manifest file, or a label one declares.

    The digest then covers the selected manifests only, so a plan made with `--target` is
    applied with the same `--target`.
    """
    if not target:
        return manifests
    wanted = set(target)
    by_path = {str(Path(t).resolve()) for t in target}
    chosen = tuple(
        m
        for m in manifests.manifests
        if str(Path(m.path).resolve()) in by_path or wanted & set(m.header.labels)
    )
    if not chosen:
        labels = sorted({label for m in manifests.manifests for label in m.header.labels})
        raise ConfigError(
            f"--target {', '.join(target)}: no manifest has this path or label "
            f"(labels: {', '.join(labels) or 'none'})"
        )
    digest = set_digest((m.path, m.content_digest) for m in chosen)
    paths = {m.path for m in chosen}
    warnings = tuple(w for w in manifests.warnings if w.file in paths)
    return ManifestSet(manifests=chosen, digest=digest, warnings=warnings)


def by_platform(manifests: ManifestSet) -> dict[str, ManifestSet]:
    """The manifests of each platform (`trust.platform_key` of their `platform`), in the order
    platforms first appear. Each share keeps the digest of the whole run: a saved plan is
    checked against all the manifests it was made from."""
    groups: dict[str, list[LoadedManifest]] = {}
    for m in manifests.manifests:
        groups.setdefault(platform_key(m.header.platform), []).append(m)
    return {
        key: ManifestSet(manifests=tuple(group), digest=manifests.digest)
        for key, group in groups.items()
    }


def check_pin(manifests: ManifestSet, pin: str | None) -> None:
    """A job pinned to one platform (`--platform`, `RECONCILER_PLATFORM`) refuses, before any
    connection, a manifest for another: one line naming its `platform` key."""
    if not pin:
        return
    wanted = platform_key(pin)
    for m in manifests.manifests:
        key = platform_key(m.header.platform)
        if key != wanted:
            where = str(m.header.platform_at) if m.header.platform_at else f"{m.path}:1:1"
            named = f"platform {m.header.platform}" if m.header.platform else "no platform"
            raise ConfigError(
                f"{where}: {named} ({key}) is not this run's platform {wanted} "
                f"(--platform / {PIN_VARIABLE}); plan this manifest in its own platform's job, "
                "or leave it out with --target"
            )


def resolve(
    manifests: ManifestSet,
    options: ConnectOptions | None = None,
    *,
    pin: str | None = None,
    warn: Callable[[str], None] | None = None,
) -> dict[str, ApiConfig]:
    """The configuration of every platform of the run, or one error; no connection yet."""
    check_pin(manifests, pin)
    if pin:  # SB_AUTH_TOKEN alone serves the pinned platform only
        options = dataclasses.replace(options or ConnectOptions(), pinned=platform_key(pin))
    named: dict[str, tuple[str | None, str]] = {}
    for m in manifests.manifests:
        at = str(m.header.platform_at) if m.header.platform_at else ""
        named.setdefault(platform_key(m.header.platform), (m.header.platform, at))
    if not named:  # no manifest at all: the default platform, for a plan of nothing
        named[platform_key(None)] = (None, "")
    return resolve_platforms(named, options, warn=warn)


@dataclass(frozen=True, slots=True)
class Connection:
    """One platform of a run: its share of the manifests and its own client (and so its own
    rate budget), and how its live state is read: `discovery` overrides the manifests' (the
    run's `--discovery`), `watch` gives a watch for each reading (its estimate, progress and
    fallbacks; None: a silent one)."""

    platform: str
    manifests: ManifestSet
    client: ApiClient
    discovery: Discovery | None = None
    watch: Callable[[], ReadWatch] | None = None


class Connections(tuple[Connection, ...]):
    """The connections of a run; closing them closes every client."""

    def close(self) -> None:
        for connection in self:
            connection.client.close()

    def __enter__(self) -> Connections:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def connect(
    manifests: ManifestSet,
    options: ConnectOptions | None = None,
    *,
    pin: str | None = None,
    warn: Callable[[str], None] | None = None,
    retry: RetryPolicy | None = None,
) -> Connections:
    """A client per platform; every configuration is resolved before the first exists.
    `retry`: every client's retry policy (None: the default), with each platform's
    maintenance wait."""
    configs = resolve(manifests, options, pin=pin, warn=warn)
    shares = by_platform(manifests) or {key: manifests for key in configs}
    for key, config in configs.items():
        logger.info(
            "%s: %s (endpoint from %s, token from %s)",
            key,
            config.endpoint,
            config.endpoint_source,
            config.token_source,
        )
    return Connections(
        Connection(key, shares[key], _client(config, retry)) for key, config in configs.items()
    )


def _client(config: ApiConfig, retry: RetryPolicy | None) -> ApiClient:
    if retry is None:
        return ApiClient(config)
    policy = dataclasses.replace(retry, maintenance_deadline=config.maintenance_wait)
    return ApiClient(config, transport=Transport(config, retry=policy))


def side_by_side(
    tasks: Sequence[S], work: Callable[[S], T], *, cancel: threading.Event | None = None
) -> list[T]:
    """`work` for each task (one per platform), a thread each, results in the same order.
    Every task is waited for; then the first error raised is raised again. Interrupted
    (Ctrl-C) while waiting, `cancel` is set for the tasks to stop at their next pause, they
    are waited for, and the interruption goes on."""
    if len(tasks) <= 1:
        return [work(task) for task in tasks]
    with futures.ThreadPoolExecutor(max_workers=len(tasks), thread_name_prefix="platform") as pool:
        running = [pool.submit(work, task) for task in tasks]
        try:
            futures.wait(running)
        except BaseException:
            if cancel is not None:
                cancel.set()
            futures.wait(running)
            raise
    return [f.result() for f in running]


@dataclass(frozen=True)
class LiveRead:
    """One platform's reading, ready to be planned."""

    manifests: ManifestSet
    live: LiveState
    resolution: Resolution
    context: PlanContext

    def plan(self) -> Plan:
        return build_plan(
            self.manifests, self.live, context=self.context, resolution=self.resolution
        )


def read_live(
    manifests: ManifestSet,
    client: ApiClient,
    *,
    platform: str,
    commit: str | None,
    unmanaged: bool = False,
    failed_jobs: Mapping[str, LiveJob] | None = None,
    discovery: Discovery | None = None,
    watch: ReadWatch | None = None,
) -> LiveRead:
    """Read the live state of one platform for `manifests`, ready to plan on the one
    resolution of the manifests the reading made. `commit`: where the manifests are checked
    out (`manifests_commit`). `failed_jobs` (by file id, from an earlier apply's journal)
    lets the plan quote why a file is being exported again. `discovery` and `watch`: see
    `read`."""
    reading = read(client, manifests.rules, unmanaged=unmanaged, discovery=discovery, watch=watch)
    live = reading.live
    if failed_jobs:
        live = dataclasses.replace(live, failed_jobs={**live.failed_jobs, **failed_jobs})
    context = PlanContext(
        tool_version=__version__,
        endpoint=client.transport.config.endpoint,
        manifests_commit=commit,
        planned_at=datetime.now(UTC).isoformat(timespec="seconds"),
        platform=platform,
    )
    return LiveRead(manifests, live, reading.resolution, context)


def plan_platforms(
    manifests: ManifestSet,
    connections: Sequence[Connection],
    *,
    unmanaged: bool = False,
    failed_jobs: Callable[[str], Mapping[str, LiveJob]] | None = None,
    busy: Busy | None = None,
) -> Plan:
    """Plan every platform side by side, then one plan of them all (`planner.combine`).
    `failed_jobs(platform)` gives the journal's failed jobs of that platform; `busy(what)`
    says what is under way while the planning runs (about 20 s for a million files)."""
    commit = manifests_commit(manifests)  # one `git rev-parse` for all the platforms
    readings = _read_each(manifests, connections, commit, unmanaged, failed_jobs)
    # Paused for the planning only: the reading's HTTP answers leave cyclic garbage that the
    # collector must free (paused over a 1,000,000-file reading, 190 MiB more at the peak).
    with collector_paused(), (busy or _unsaid)("planning the exports..."):
        return combine([reading.plan() for reading in readings], manifests)


# Says what is under way while its block runs (`ticker.working`, bound to a stream).
Busy = Callable[[str], AbstractContextManager[None]]


def _unsaid(_what: str) -> AbstractContextManager[None]:
    return nullcontext()


def _read_each(
    manifests: ManifestSet,
    connections: Sequence[Connection],
    commit: str | None,
    unmanaged: bool,
    failed_jobs: Callable[[str], Mapping[str, LiveJob]] | None,
) -> list[LiveRead]:
    return side_by_side(
        connections,
        lambda c: read_live(
            c.manifests,
            c.client,
            platform=c.platform,
            commit=commit,
            unmanaged=unmanaged,
            failed_jobs=failed_jobs(c.platform) if failed_jobs else None,
            discovery=c.discovery,
            watch=c.watch() if c.watch else None,
        ),
    )


def manifests_commit(manifests: ManifestSet) -> str | None:
    """The git commit checked out where the manifests live, when they are in a repository."""
    if not manifests.manifests:
        return None
    return head_commit(Path(manifests.manifests[0].path).resolve().parent)
