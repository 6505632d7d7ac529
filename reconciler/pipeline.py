"""The pipeline `plan` and `apply` share: load manifests, pick the targets, resolve the API
configuration, make the client, read the live state, build the plan.

Manifests are loaded (and refused with every problem) before any client exists, so an invalid
manifest never costs a call. Each step is a function of its own because `apply --plan` needs
to check the saved plan between them; `plan_from_manifests` runs them all.
"""

from __future__ import annotations

import dataclasses
import subprocess
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

from reconciler import __version__
from reconciler.api.client import ApiClient
from reconciler.api.config import resolve_config
from reconciler.errors import ConfigError
from reconciler.live import collect
from reconciler.manifest.digest import set_digest
from reconciler.manifest.load import DEFAULT_PATH, load_manifests
from reconciler.manifest.models import ManifestSet
from reconciler.plan.model import Plan
from reconciler.plan.planner import PlanContext, build_plan
from reconciler.state import LiveJob


class Planned(NamedTuple):
    manifests: ManifestSet
    client: ApiClient
    plan: Plan


def load(paths: Sequence[str], *, target: Sequence[str] = ()) -> ManifestSet:
    """The manifests under `paths` (default `manifests/`), limited to `target` when given."""
    return select_targets(load_manifests(list(paths) or [DEFAULT_PATH]), target)


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
    return ManifestSet(manifests=chosen, digest=digest)


def platform_of(manifests: ManifestSet) -> str | None:
    platforms = {m.header.platform for m in manifests.manifests if m.header.platform}
    if len(platforms) > 1:
        raise ConfigError(
            f"the manifests name several platforms ({', '.join(sorted(platforms))}); "
            "plan them separately with --target"
        )
    return platforms.pop() if platforms else None


def connect(
    manifests: ManifestSet,
    *,
    profile: str | None = None,
    ca_bundle: str | None = None,
    warn: Callable[[str], None] | None = None,
) -> ApiClient:
    config = resolve_config(
        platform=platform_of(manifests), profile=profile, ca_bundle=ca_bundle, warn=warn
    )
    return ApiClient(config)


def plan_live(
    manifests: ManifestSet,
    client: ApiClient,
    *,
    unmanaged: bool = False,
    failed_jobs: Mapping[str, LiveJob] | None = None,
) -> Plan:
    """Read the live state for `manifests` and plan. `failed_jobs` (by file id, from an
    earlier apply's journal) lets the plan quote why a file is being exported again."""
    live = collect(client, manifests.rules, unmanaged=unmanaged)
    if failed_jobs:
        live = dataclasses.replace(live, failed_jobs={**live.failed_jobs, **failed_jobs})
    context = PlanContext(
        tool_version=__version__,
        endpoint=client.transport.config.endpoint,
        manifests_commit=manifests_commit(manifests),
        planned_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    return build_plan(manifests, live, context=context)


def plan_from_manifests(
    paths: Sequence[str],
    *,
    target: Sequence[str] = (),
    profile: str | None = None,
    ca_bundle: str | None = None,
    unmanaged: bool = False,
    warn: Callable[[str], None] | None = None,
) -> Planned:
    """load -> connect -> read the live state -> plan. The caller closes `client`."""
    manifests = load(paths, target=target)
    client = connect(manifests, profile=profile, ca_bundle=ca_bundle, warn=warn)
    try:
        plan = plan_live(manifests, client, unmanaged=unmanaged)
    except BaseException:
        client.close()
        raise
    return Planned(manifests, client, plan)


def manifests_commit(manifests: ManifestSet) -> str | None:
    """The git commit checked out where the manifests live, when they are in a repository."""
    if not manifests.manifests:
        return None
    folder = Path(manifests.manifests[0].path).resolve().parent
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=folder,
            capture_output=True,
            text=True,
            check=False,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    sha = done.stdout.strip()
    return sha if done.returncode == 0 and sha else None
