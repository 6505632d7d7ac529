"""Realistic scale scenarios: N project files in nested folders, the manifests that export them,
and the seed that makes the sandbox hold them.

Layout (4 files per sample, 250 samples per batch, so 1,000 files per batch folder):

    cohort/batchBBB/sampleSSSSSS/{sSSSSSS.bam, sSSSSSS.bam.bai, sSSSSSS.vcf.gz, counts.tsv}

Every file is MOVED to `lab/cohort-archive` at its own path (`cohort/batch.../...`). The
manifests look like a lab's at this size: one generated list by file ID (nobody hand-writes
100,000 paths) next to a handful of hand-written entries:

- by path: every file of `PATH_SAMPLES` samples;
- by glob: `GLOB_FOLDERS` sample folders matched by one glob per file type;
- in sync: the first `IN_SYNC_SHARE` of the files were moved by an earlier run (they are
  already aliases at their destination), still declared by ID;
- blocked: `PUBLIC_FILES` public reference files (declared by ID) and `READ_ONLY_FILES` files
  declared to the read-only volume `lab/reference-ro`.

Baselines get the same work as a resolved list (`baseline.jsonl`: file id, volume, location),
which spares them the folder listings that paths and globs cost the reconciler.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROJECT = "lab/cohort"
VOLUME = "lab/cohort-archive"
READ_ONLY_VOLUME = "lab/reference-ro"
TOKENS = ("scale-token-plan-000000000000", "scale-token-apply-00000000000", "scale-token-spare")
USERNAME = "lab"
FILES_PER_SAMPLE = 4
SAMPLES_PER_BATCH = 250
HAND_SAMPLE = 100  # hand-written entries start at this sample (batch 0, so any N >= 1,000)
PATH_SAMPLES = 2  # samples declared file by file, by path
GLOB_FOLDERS = 10  # sample folders matched by globs (one glob per file type)
IN_SYNC_SHARE = 0.02
PUBLIC_FILES = 5
READ_ONLY_FILES = 5
KINDS = ("bam", "bai", "vcf", "counts")


@dataclass(frozen=True)
class ProjectFile:
    index: int
    id: str
    path: str
    size: int
    declared_by: str  # "id", "path" or "glob"
    expected: str  # "move", "in-sync", "blocked-public" or "blocked-read-only"

    @property
    def volume(self) -> str:
        return READ_ONLY_VOLUME if self.expected == "blocked-read-only" else VOLUME


@dataclass(frozen=True)
class Scenario:
    n: int
    files: tuple[ProjectFile, ...]

    def count(self, expected: str) -> int:
        return sum(1 for f in self.files if f.expected == expected)

    @property
    def exports(self) -> int:
        """Export jobs a correct apply submits."""
        return self.count("move")

    def describe(self) -> dict[str, int]:
        by: dict[str, int] = {}
        for f in self.files:
            by[f"by {f.declared_by}"] = by.get(f"by {f.declared_by}", 0) + 1
            by[f.expected] = by.get(f.expected, 0) + 1
        return by


def file_id(index: int) -> str:
    return f"5ca1e{index:019x}"


def _path(index: int) -> str:
    sample = index // FILES_PER_SAMPLE
    batch = sample // SAMPLES_PER_BATCH
    kind = KINDS[index % FILES_PER_SAMPLE]
    name = {
        "bam": f"s{sample:06d}.bam",
        "bai": f"s{sample:06d}.bam.bai",
        "vcf": f"s{sample:06d}.vcf.gz",
        "counts": "counts.tsv",
    }[kind]
    return f"cohort/batch{batch:03d}/sample{sample:06d}/{name}"


def generate(n: int) -> Scenario:
    """The scenario for `n` files (n >= 1,000 keeps every kind of entry distinct)."""
    path_samples = range(HAND_SAMPLE, HAND_SAMPLE + PATH_SAMPLES)
    glob_samples = range(HAND_SAMPLE + 10, HAND_SAMPLE + 10 + GLOB_FOLDERS)
    in_sync = int(n * IN_SYNC_SHARE)
    files = []
    for index in range(n):
        sample = index // FILES_PER_SAMPLE
        declared_by = "id"
        expected = "move"
        if sample in path_samples:
            declared_by = "path"
        elif sample in glob_samples:
            declared_by = "glob"
        elif index < in_sync:
            expected = "in-sync"
        elif n - PUBLIC_FILES <= index:
            expected = "blocked-public"
        elif n - PUBLIC_FILES - READ_ONLY_FILES <= index:
            expected = "blocked-read-only"
        size = 1_000_000 + (index * 7919) % 50_000_000
        files.append(ProjectFile(index, file_id(index), _path(index), size, declared_by, expected))
    return Scenario(n, tuple(files))


# ---- the sandbox seed ------------------------------------------------------------------------


def seed(scenario: Scenario) -> dict[str, Any]:
    files: list[dict[str, Any]] = []
    for f in scenario.files:
        entry: dict[str, Any] = {"id": f.id, "project": PROJECT, "path": f.path, "size": f.size}
        if f.expected == "in-sync":
            entry["storage"] = {"type": "VOLUME", "volume": VOLUME, "location": f.path}
        if f.expected == "blocked-public":
            entry["metadata"] = {"sbg_public_files_category": "reference"}
        files.append(entry)
    return {
        "tokens": [{"token": token, "username": USERNAME} for token in TOKENS],
        "projects": [{"id": PROJECT, "location": "aws:us-east-1", "members": [USERNAME]}],
        "volumes": [
            {
                "id": VOLUME,
                "location": "aws:us-east-1",
                "access_mode": "RW",
                "service": {"type": "s3", "bucket": "lab-cohort-archive", "prefix": "runs/"},
            },
            {
                "id": READ_ONLY_VOLUME,
                "location": "aws:us-east-1",
                "access_mode": "RO",
                "service": {"type": "s3", "bucket": "lab-reference", "prefix": ""},
            },
        ],
        "files": files,
    }


# ---- manifests -------------------------------------------------------------------------------


def _header(description: str) -> str:
    return (
        "version: 1\n"
        f"project: {PROJECT}\n"
        f"description: {json.dumps(description)}\n"
        f"defaults:\n  volume: {VOLUME}\n  mode: move\n"
        "exports:\n"
    )


def manifests(scenario: Scenario) -> dict[str, str]:
    """File name -> YAML text."""
    by_id = [f for f in scenario.files if f.declared_by == "id"]
    lines = [_header("Generated list of the cohort's files, by ID (one entry per file).")]
    for f in by_id:
        lines.append(f"  - file: {f.id}\n    location: {f.path}\n")
        if f.expected == "blocked-read-only":
            lines.append(f"    volume: {READ_ONLY_VOLUME}\n")
    hand = [_header("Hand-written entries: samples by path, sample folders by glob.")]
    for f in scenario.files:
        if f.declared_by == "path":
            hand.append(f"  - path: {f.path}\n    location: {f.path}\n")
    globbed = sorted({f.path.rsplit("/", 2)[1] for f in scenario.files if f.declared_by == "glob"})
    if globbed:
        batch = next(f.path for f in scenario.files if f.declared_by == "glob").split("/")[1]
        # The ten sample folders share all but their last digit: one character class.
        stem = globbed[0][:-1]
        assert all(name[:-1] == stem for name in globbed), globbed
        folder = f"{stem}[0-9]"
        for pattern in ("*.bam", "*.bam.bai", "*.vcf.gz", "counts.tsv"):
            hand.append(
                f'  - glob: "cohort/{batch}/{folder}/{pattern}"\n    location: "{{path}}"\n'
            )
    return {"cohort-by-id.yaml": "".join(lines), "cohort-hand-written.yaml": "".join(hand)}


def baseline_entries(scenario: Scenario) -> Iterator[dict[str, str]]:
    for f in scenario.files:
        yield {"file": f.id, "volume": f.volume, "location": f.path}


def write(scenario: Scenario, folder: Path) -> None:
    """`manifests/*.yaml`, `seed.json` and `baseline.jsonl` under `folder`."""
    (folder / "manifests").mkdir(parents=True, exist_ok=True)
    for name, text in manifests(scenario).items():
        (folder / "manifests" / name).write_text(text, encoding="utf-8")
    (folder / "seed.json").write_text(json.dumps(seed(scenario)), encoding="utf-8")
    with (folder / "baseline.jsonl").open("w", encoding="utf-8") as out:
        for entry in baseline_entries(scenario):
            out.write(json.dumps(entry) + "\n")
