"""Benchmark: plan 100,000 files declared by ID in the pure core; prints the CPU time of
`build_plan` (target: under 2 s) and the peak memory (RSS) of the process.

Run: `.venv/bin/python benchmarks/plan_core.py [N]`; exits 1 when over the target."""

from __future__ import annotations

import resource
import sys
import time

from reconciler.core.collector import collector_paused
from reconciler.core.live import LiveFile, LiveJob, LiveObject, LiveState, LiveVolume, ProjectFiles
from reconciler.manifest.models import (
    ExportRule,
    LoadedManifest,
    ManifestHeader,
    ManifestSet,
    Mode,
    Position,
    export_properties,
)
from reconciler.plan.planner import PlanContext, build_plan

PROJECT = "bench/project"
VOLUME = "bench/archive"
# Best of a few runs, as timeit does: CPU time still varies with other load on the machine.
REPEAT = 3


def generate(n: int) -> tuple[ManifestSet, LiveState]:
    """N rules by ID: most to move, every 10th to copy; a mix of live states so that every
    action shows up (in sync, in flight, objects in the way)."""
    props = export_properties()
    rules = []
    files: dict[str, LiveFile | None] = {}
    objects: dict[tuple[str, str], LiveObject | None] = {}
    jobs = []
    for i in range(n):
        file_id = f"{i:024x}"
        path = f"runs/r{i // 1000}/s{i}.bam"
        location = "archive/{parent}/{name}"
        dest = f"archive/runs/r{i // 1000}/s{i}.bam"
        mode = Mode.COPY if i % 10 == 0 else Mode.MOVE
        rules.append(
            ExportRule(
                "manifests/bench.yaml", i, PROJECT, None, "file", file_id, (), (), (), False,
                location, VOLUME, mode, i % 7 == 0, props,
                Position("manifests/bench.yaml", 10 + 3 * i, 5),
                Position("manifests/bench.yaml", 11 + 3 * i, 15),
            )
        )  # fmt: skip
        in_sync = i % 5 == 1
        files[file_id] = LiveFile(
            id=file_id,
            project=PROJECT,
            path=path,
            name=f"s{i}.bam",
            size=1_000_000 + i,
            storage_type="VOLUME" if in_sync else "PLATFORM",
            hosted_on_locations=() if in_sync else ("aws:us-east-1",),
            alias_volume=VOLUME if in_sync else None,
            alias_location=dest if in_sync else None,
            modified_on="2024-05-01T00:00:00Z",
        )
        objects[(VOLUME, dest)] = LiveObject(VOLUME, dest, 5) if i % 7 == 0 else None
        if i % 50 == 3:
            job = LiveJob(f"job{i}", "RUNNING", file_id, VOLUME, dest, False, props.as_dict())
            jobs.append(job)
    loaded = LoadedManifest("manifests/bench.yaml", ManifestHeader(PROJECT), tuple(rules))
    manifests = ManifestSet((loaded,), "0" * 64)
    live = LiveState(
        projects={PROJECT: ProjectFiles(PROJECT, True)},
        files_by_id=files,
        volumes={VOLUME: LiveVolume(VOLUME, "RW", True, "s3", "bucket", "prefix/")},
        objects=objects,
        active_jobs=tuple(jobs),
    )
    return manifests, live


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    manifests, live = generate(n)
    context = PlanContext(tool_version="bench", endpoint="https://api.sbgenomics.com/v2")
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    times = []
    for _ in range(REPEAT):
        start = time.process_time()
        with collector_paused():  # as a run plans (usecases.plan.plan_platforms)
            plan = build_plan(manifests, live, context=context)
        times.append(time.process_time() - start)
        del plan  # one plan in memory at a time: the peak is that of a single run
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    plan = build_plan(manifests, live, context=context)
    cpu = min(times)
    counts = ", ".join(f"{t.action.value} {t.count}" for t in plan.summary)
    print(f"planned {len(plan.items)} items ({counts})")
    runs = ", ".join(f"{t:.2f}" for t in times)
    print(f"build_plan CPU time: {cpu:.2f} s, best of {REPEAT} ({runs}) (target < 2 s)")
    print(
        f"peak RSS: {rss_after / 1024:.0f} MB in all, {(rss_after - rss_before) / 1024:.0f} MB "
        "more than with the generated input alone"
    )
    return 0 if cpu < 2 else 1


if __name__ == "__main__":
    raise SystemExit(main())
