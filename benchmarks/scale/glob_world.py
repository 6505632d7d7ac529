"""Issue 20's world: N project files in per-sample folders, every one moved by ONE glob.

    results/bBBBB/sSSSSSSS/{sSSSSSSS.bam, sSSSSSSS.bam.bai, sSSSSSSS.vcf.gz, counts.tsv}

`files_per_sample` files per sample folder, `samples_per_batch` sample folders per batch
folder; by default 1 x 100 up to 10,000 files (10,000 is 100 batches x 100 samples x 1 file)
and 4 x 1,000 above (1,000,000 is 250 batches x 1,000 samples x 4 files: 250,000 sample
folders). Every file is moved to `lab/cohort-archive` at its own path, declared either by one
glob entry (`glob`) or by one entry per file ID (the same items): in one file (`by-id`), or in
files of 100,000 entries (`by-id-split`). The
project, volume, tokens and seed layout are `scenario.py`'s, so the sandbox is seeded through
its own seeding functions (`harness.seed_template`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import scenario

GLOB = "results/**/*"
LOCATION = "{path}"
MANIFESTS = ("glob", "by-id", "by-id-split")
SPLIT = 100_000  # entries per file of `by-id-split` (one file of 1,000,000 is over 64 MiB)
_NAMES = ("{s}.bam", "{s}.bam.bai", "{s}.vcf.gz", "counts.tsv")


@dataclass(frozen=True)
class Shape:
    n: int
    files_per_sample: int
    samples_per_batch: int

    @classmethod
    def default(cls, n: int) -> Shape:
        return cls(n, 1, 100) if n <= 10_000 else cls(n, 4, 1_000)

    @property
    def samples(self) -> int:
        return -(-self.n // self.files_per_sample)

    @property
    def batches(self) -> int:
        return -(-self.samples // self.samples_per_batch)

    def describe(self) -> str:
        return (
            f"{self.batches:,} batches x {self.samples_per_batch:,} samples x "
            f"{self.files_per_sample} files ({self.samples:,} sample folders)"
        )


def path(shape: Shape, index: int) -> str:
    sample = index // shape.files_per_sample
    batch = sample // shape.samples_per_batch
    stem = f"s{sample:07d}"
    name = _NAMES[index % shape.files_per_sample].format(s=stem)
    return f"results/b{batch:04d}/{stem}/{name}"


def files(shape: Shape) -> Iterator[scenario.ProjectFile]:
    for index in range(shape.n):
        size = 1_000_000 + (index * 7919) % 50_000_000
        yield scenario.ProjectFile(
            index, scenario.file_id(index), path(shape, index), size, "glob", "move"
        )


def manifests(shape: Shape, kind: str) -> dict[str, str]:
    """File name -> YAML text of the manifests of `kind`: `glob` (one entry), `by-id` (one
    file of N entries), `by-id-split` (files of at most `SPLIT` entries, each under the
    manifest size limit)."""
    if kind == "glob":
        header = scenario._header(f"Every result file, by one glob ({shape.describe()}).")
        return {"glob.yaml": header + f'  - glob: "{GLOB}"\n    location: "{LOCATION}"\n'}
    if kind not in ("by-id", "by-id-split"):
        raise ValueError(f"unknown manifest kind {kind!r}")
    every = shape.n if kind == "by-id" else SPLIT
    out: dict[str, str] = {}
    for first in range(0, shape.n, every):
        part = f"{kind}.yaml" if every >= shape.n else f"{kind}-{first // every:03d}.yaml"
        last = min(first + every, shape.n)
        header = scenario._header(f"Result files {first:,} to {last - 1:,} by ID.")
        entries = (
            f"  - file: {scenario.file_id(i)}\n    location: {path(shape, i)}\n"
            for i in range(first, last)
        )
        out[part] = header + "".join(entries)
    return out


def write_manifests(shape: Shape, folder: Path, kind: str) -> None:
    """`manifests-<kind>/*.yaml` under `folder`."""
    (folder / f"manifests-{kind}").mkdir(parents=True, exist_ok=True)
    for name, text in manifests(shape, kind).items():
        (folder / f"manifests-{kind}" / name).write_text(text, encoding="utf-8")


def write(shape: Shape, folder: Path, kinds: tuple[str, ...] = MANIFESTS) -> None:
    """`seed.json` and the manifests of `kinds` under `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    world = scenario.Scenario(shape.n, tuple(files(shape)))
    (folder / "seed.json").write_text(json.dumps(scenario.seed(world)), encoding="utf-8")
    for kind in kinds:
        write_manifests(shape, folder, kind)
