"""The live reader reads everything the planner decides on (issue 13, point 1).

Random small worlds (files, folders, aliases, public files, objects, active and failed jobs on
several volumes) and random manifests. Each world is seeded into the sandbox on a real port;
the plan made from what `live.read.read` reads (and from the one resolution of the manifests it
made) must equal the plan made from the complete state:
everything in the world, read call by call without any of the reader's shortcuts (every folder
of the project, every object of every volume, every active job of every volume). A difference
means the reader skipped something the planner needed.

Hypothesis runs with a fixed seed (`derandomize`) and a bounded number of examples, so the same
worlds are tried in every CI run.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

from reconciler.api.client import ApiClient
from reconciler.api.config import ApiConfig
from reconciler.api.resources import ItemError
from reconciler.core.live import ACTIVE_JOB_STATES, LiveObject, LiveState, ProjectFiles
from reconciler.errors import ManifestError
from reconciler.live.convert import live_file, live_job, live_volume
from reconciler.live.read import read
from reconciler.manifest.load import load_manifests
from reconciler.manifest.models import ManifestSet
from reconciler.plan.model import Plan
from reconciler.plan.planner import PlanContext, build_plan
from reconciler.sandbox.server import start
from tests.reliability.secret import SECRET_TOKEN

PROJECT = "lab/p"
US = "aws:us-east-1"
VOLUMES = ("lab/out", "lab/other", "lab/ro", "lab/gcs")
DECLARABLE = (*VOLUMES[:3], "lab/missing")
PATHS = ("a.dat", "b.vcf", "d1/a.dat", "d1/c.dat", "d1/d2/a.dat", "d2/b.vcf", "d2/e.dat")
LOCATIONS = ("a.dat", "b.vcf", "x/a.dat", "d1/a.dat", "d1/c.dat", "out/d1/a.dat", "fixed.dat")
TEMPLATES = ("{name}", "{path}", "x/{name}", "fixed.dat", "out/{path}", "{parent}/{stem}.{ext}")
GLOBS = ("*.dat", "d1/**", "**/*.dat", "d*/*", "*", "d2/*.vcf")
SIZES = (100, 200)
MISSING_ID = "0" * 23 + "f"
CONTEXT = PlanContext(tool_version="property-test")


def _id(index: int) -> str:
    return f"{index + 1:024x}"


files_st = st.lists(
    st.tuples(
        st.sampled_from(PATHS),
        st.sampled_from(SIZES),
        st.sampled_from(("platform", "platform", "alias", "public")),
        st.sampled_from(VOLUMES[:2]),
        st.sampled_from(LOCATIONS),
        # A copy made before the file was moved (an object of its size at lab/out:{name}),
        # as a file declared for copy and move leaves behind.
        st.booleans(),
    ),
    min_size=1,
    max_size=6,
    unique_by=lambda f: f[0],
)
objects_st = st.lists(
    st.tuples(st.sampled_from(VOLUMES[:3]), st.sampled_from(LOCATIONS), st.sampled_from(SIZES)),
    max_size=6,
    unique_by=lambda o: (o[0], o[1]),
)
jobs_st = st.lists(
    st.tuples(
        st.integers(0, 5),  # which file
        st.sampled_from(VOLUMES[:2]),
        st.sampled_from(LOCATIONS),
        st.booleans(),  # copy_only
        st.sampled_from(("active", "active", "FAILED")),
    ),
    max_size=4,
)
rules_st = st.lists(
    st.tuples(
        st.sampled_from(("path", "glob", "file")),
        st.integers(0, 10),  # which path / glob / file (past the end: one that does not exist)
        st.sampled_from(TEMPLATES),
        st.sampled_from(DECLARABLE),
        st.sampled_from(("copy", "move")),
        st.booleans(),  # overwrite
    ),
    min_size=1,
    max_size=4,
)


def world_seed(files: list[Any], objects: list[Any], jobs: list[Any]) -> dict[str, Any]:
    aliases = {(vol, loc) for _, _, kind, vol, loc, _ in files if kind == "alias"}
    copies = {
        ("lab/out", path.rpartition("/")[2]): size
        for path, size, kind, _, _, copied in files
        if kind == "alias" and copied
    }
    seed_files = []
    for index, (path, size, kind, volume, location, _) in enumerate(files):
        entry: dict[str, Any] = {"id": _id(index), "project": PROJECT, "path": path, "size": size}
        if kind == "alias":
            entry["storage"] = {"type": "VOLUME", "volume": volume, "location": location}
        if kind == "public":
            entry["metadata"] = {"sbg_public_files_category": "reference"}
        seed_files.append(entry)
    exports = [
        {
            "file": _id(which % len(files)),
            "volume": volume,
            "location": location,
            "copy_only": copy_only,
            "state": "FAILED",
        }
        for which, volume, location, copy_only, state in jobs
        if state == "FAILED"
    ]

    def volume(vid: str, location: str = US, kind: str = "s3", **extra: Any) -> dict[str, Any]:
        service = {"type": kind, "bucket": vid.replace("/", "-"), "prefix": extra.pop("prefix", "")}
        return {"id": vid, "location": location, "service": service, **extra}

    return {
        "tokens": [{"token": SECRET_TOKEN, "username": "lab"}],
        "projects": [{"id": PROJECT, "location": US}],
        "volumes": [
            volume("lab/out"),
            volume("lab/other", prefix="p/"),
            volume("lab/ro", access_mode="RO"),
            volume("lab/gcs", "gcp:us-central1", "gcs"),
        ],
        "files": seed_files,
        "objects": [
            {"volume": v, "location": loc, "size": size}
            for (v, loc), size in ({(v, loc): size for v, loc, size in objects} | copies).items()
            if (v, loc) not in aliases
        ],
        "exports": exports,
    }


def manifest_body(rules: list[Any], files: list[Any]) -> dict[str, Any]:
    exports = []
    for kind, which, template, volume, mode, overwrite in rules:
        entry: dict[str, Any] = {"location": template, "volume": volume, "mode": mode}
        if kind == "path":
            entry["path"] = PATHS[which] if which < len(PATHS) else "d1"  # d1 is a folder
        elif kind == "glob":
            entry["glob"] = GLOBS[which % len(GLOBS)]
            entry["allow_empty"] = which % 2 == 0
        else:
            entry["file"] = _id(which) if which < len(files) else MISSING_ID
        if overwrite:
            entry["overwrite"] = True
        exports.append(entry)
    return {"version": 1, "project": PROJECT, "exports": exports}


@contextmanager
def world(seed: dict[str, Any], jobs: list[Any], files: list[Any]) -> Iterator[ApiClient]:
    with tempfile.TemporaryDirectory() as tmp:
        # Jobs never end on their own while the test reads: they stay as they were made.
        sandbox = start(Path(tmp), seed=seed, job_pace=3600.0)
        try:
            with ApiClient(ApiConfig(endpoint=sandbox.url, token=SECRET_TOKEN)) as client:
                for which, volume, location, copy_only, state in jobs:
                    if state == "active":  # made through the API, as a running apply would
                        item = {
                            "source": {"file": _id(which % len(files))},
                            "destination": {"volume": volume, "location": location},
                            "overwrite": True,
                        }
                        client.bulk_create_exports([item], copy_only=copy_only)
                yield client
        finally:
            sandbox.stop()


def complete_state(client: ApiClient, manifests: ManifestSet) -> LiveState:
    """Everything, read the slow and simple way."""
    rules = manifests.rules
    projects: dict[str, ProjectFiles] = {}
    walked: dict[str, Any] = {}
    for project_id in dict.fromkeys(r.project for r in rules):
        if client.get_project(project_id) is None:
            projects[project_id] = ProjectFiles(project_id, found=False)
            continue
        by_path = {}
        stack: list[tuple[str | None, str]] = [(None, "")]
        while stack:
            folder, path = stack.pop()
            listed = (
                client.list_files(project=project_id)
                if folder is None
                else client.list_files(parent=folder)
            )
            for item in listed:
                child = f"{path}/{item.name}" if path else item.name
                by_path[child] = live_file(item, child)
                walked[item.id] = by_path[child]
                if item.is_folder:
                    stack.append((item.id, child))
        projects[project_id] = ProjectFiles(project_id, found=True, by_path=by_path)
    by_id = [r for r in rules if r.kind == "file"]
    # The reader's documented choice: a file named by ID carries its path only when a rule
    # renders {path} or {parent} for it (the API gives its parent, not its path).
    with_path = {r.selector for r in by_id if "{path}" in r.location or "{parent}" in r.location}
    files_by_id: dict[str, Any] = {}
    ids = list(dict.fromkeys(r.selector for r in by_id))
    for file_id, answer in zip(ids, client.bulk_get_files(ids), strict=True):
        if isinstance(answer, ItemError):
            files_by_id[file_id] = None
        else:
            path = walked[file_id].path if file_id in walked else answer.name
            files_by_id[file_id] = live_file(answer, path if file_id in with_path else answer.name)
    declared = list(dict.fromkeys(r.volume for r in rules))
    volumes = {v: live_volume(found) if (found := client.get_volume(v)) else None for v in declared}
    objects: dict[tuple[str, str], LiveObject | None] = {}
    for volume_id, volume in volumes.items():
        prefixes = [""]
        while volume is not None and prefixes:
            listing = client.list_volume_objects(volume_id, prefixes.pop())
            for obj in listing.objects:
                objects[(volume_id, obj.location)] = LiveObject(
                    volume_id, obj.location, obj.metadata.size
                )
            prefixes.extend(listing.prefixes)
    existing = [v for v in dict.fromkeys([*declared, *VOLUMES]) if client.get_volume(v)]
    jobs = tuple(
        live_job(export)
        for volume_id in existing
        for state in ACTIVE_JOB_STATES
        for export in client.list_exports(volume_id, state)
    )
    return LiveState(
        projects=projects,
        files_by_id=files_by_id,
        volumes=volumes,
        objects=objects,
        active_jobs=jobs,
    )


def differences(read: Plan, complete: Plan) -> list[str]:
    out = []
    for a, b in zip(read.items, complete.items, strict=False):
        if a != b:
            out.append(f"read:     {a.key} {a.action} {a.reason}")
            out.append(f"complete: {b.key} {b.action} {b.reason}")
    if len(read.items) != len(complete.items):
        out.append(f"{len(read.items)} items read, {len(complete.items)} complete")
    return out


@settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(files=files_st, objects=objects_st, jobs=jobs_st, rules=rules_st)
@pytest.mark.slow
def test_the_plan_from_what_the_reader_reads_equals_the_plan_from_everything(
    files: list[Any], objects: list[Any], jobs: list[Any], rules: list[Any]
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "m.yaml"
        path.write_text(json.dumps(manifest_body(rules, files)), encoding="utf-8")
        try:
            manifests = load_manifests([path], root=Path(tmp))
        except ManifestError:
            reject()  # a conflict the manifest rules refuse before any reading
        with world(world_seed(files, objects, jobs), jobs, files) as client:
            reading = read(client, manifests.rules)
            read_plan = build_plan(
                manifests, reading.live, context=CONTEXT, resolution=reading.resolution
            )
            complete = build_plan(manifests, complete_state(client, manifests), context=CONTEXT)

    assert read_plan == complete, "\n".join(differences(read_plan, complete))
