"""The world of issue 20's benchmark (`benchmarks/scale/glob_world.py`) has the shape it claims:
N files in per-sample folders under batch folders, one glob that matches every one of them, and
a by-ID manifest that declares the same files at the same locations."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from reconciler.manifest.globs import compile_glob
from reconciler.manifest.load import load_manifests

SCALE = Path(__file__).resolve().parent.parent / "benchmarks" / "scale"


@pytest.fixture
def world() -> Iterator[ModuleType]:
    sys.path.insert(0, str(SCALE))
    try:
        import glob_world

        yield glob_world
    finally:
        sys.path.remove(str(SCALE))
        for name in ("glob_world", "scenario"):
            sys.modules.pop(name, None)


def test_a_thousand_files_in_one_file_sample_folders(world: ModuleType, tmp_path: Path) -> None:
    shape = world.Shape.default(1_000)
    assert (shape.batches, shape.samples_per_batch, shape.files_per_sample) == (10, 100, 1)
    world.write(shape, tmp_path)

    seed = json.loads((tmp_path / "seed.json").read_text(encoding="utf-8"))
    paths = [f["path"] for f in seed["files"]]
    assert len(set(paths)) == len(paths) == 1_000
    assert len({p.rsplit("/", 1)[0] for p in paths}) == 1_000  # one file per sample folder
    assert len({p.split("/")[1] for p in paths}) == 10
    matches = compile_glob(world.GLOB)
    assert all(matches(p) for p in paths)

    (glob,) = load_manifests([tmp_path / "manifests-glob"], root=tmp_path).rules
    assert (glob.kind, glob.selector, glob.location) == ("glob", world.GLOB, "{path}")
    by_id = load_manifests([tmp_path / "manifests-by-id"], root=tmp_path).rules
    assert [(r.selector, r.location) for r in by_id] == [
        (f["id"], f["path"]) for f in seed["files"]
    ]


def test_four_files_per_sample_above_ten_thousand(world: ModuleType) -> None:
    shape = world.Shape.default(1_000_000)
    assert shape.samples == 250_000 and shape.batches == 250
    sample = {world.path(shape, i) for i in range(4)}
    assert sample == {
        "results/b0000/s0000000/s0000000.bam",
        "results/b0000/s0000000/s0000000.bam.bai",
        "results/b0000/s0000000/s0000000.vcf.gz",
        "results/b0000/s0000000/counts.tsv",
    }
    assert world.path(shape, 999_999) == "results/b0249/s0249999/counts.tsv"


def test_the_split_by_id_manifests_declare_the_same_items(
    world: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(world, "SPLIT", 300)
    shape = world.Shape.default(1_000)
    world.write_manifests(shape, tmp_path, "by-id")
    world.write_manifests(shape, tmp_path, "by-id-split")

    assert len(list((tmp_path / "manifests-by-id-split").iterdir())) == 4
    whole = load_manifests([tmp_path / "manifests-by-id"], root=tmp_path).rules
    split = load_manifests([tmp_path / "manifests-by-id-split"], root=tmp_path).rules
    assert sorted((r.selector, r.location) for r in split) == sorted(
        (r.selector, r.location) for r in whole
    )
