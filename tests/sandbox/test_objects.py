"""The object store: any key the API accepts, S3 listing semantics, and no way out of the data
folder (escaping seed prefixes are refused, symlinks under objects/ are never followed)."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from reconciler.sandbox.errors import SeedError, StateExistsError
from reconciler.sandbox.server import Sandbox, start

from .helpers import OUTPUT, MakeSandbox, bam, counts, item, session

pytestmark = pytest.mark.timeout(30)

BULK = "/bulk/storage/exports/create"


def lab_seed(prefix: str = "pre/", keys: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "tokens": [{"token": "t0ken", "username": "lab"}],
        "projects": [{"id": "lab/p", "location": "aws:us-east-1"}],
        "volumes": [
            {
                "id": "lab/v",
                "location": "aws:us-east-1",
                "service": {"type": "s3", "bucket": "bkt", "prefix": prefix},
            }
        ],
        "files": [{"project": "lab/p", "path": "f.txt", "size": 3, "id": "f" * 24}],
        "objects": [{"volume": "lab/v", "location": key, "size": 1} for key in keys],
    }


def create(sandbox: Sandbox, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    answer = session(sandbox).post(f"{sandbox.url}{BULK}?copy_only=true", json={"items": items})
    assert answer.status_code == 200, answer.text
    entries: list[dict[str, Any]] = answer.json()["items"]
    return entries


def listing(sandbox: Sandbox, volume: str, prefix: str, limit: int) -> list[str]:
    """Every entry of a listing, following `next` links: locations, and prefixes ending in /."""
    http = session(sandbox)
    url: str | None = f"{sandbox.url}/storage/volumes/{volume}/list"
    params: dict[str, Any] | None = {"prefix": prefix, "limit": limit}
    entries: list[str] = []
    while url:
        page = http.get(url, params=params).json()
        page_entries = [i["location"] for i in page["items"]] + [
            p["prefix"] for p in page["prefixes"]
        ]
        assert len(page_entries) <= limit
        entries += sorted(page_entries)
        url, params = (page["links"][0]["next"], None) if page["links"] else (None, None)
    return entries


def expected_listing(keys: set[str], prefix: str) -> list[str]:
    """What S3 lists under `prefix` with the delimiter `/`, in key order."""
    found: set[str] = set()
    for key in keys:
        if key.startswith(prefix):
            rest = key[len(prefix) :]
            found.add(prefix + rest.split("/")[0] + "/" if "/" in rest else key)
    return sorted(found)


def test_listing_follows_s3_for_unicode_and_long_keys_across_pages(
    make_sandbox: MakeSandbox,
) -> None:
    keys = {
        "a.txt", "a/b.txt", "a/b/c.txt", "a/bb/d.txt", "a-z.txt", "a0.txt", "b/x",
        "ünï/cödé.txt", "ünï/z", "日本/ファイル.txt", "x" * 300 + "/y", "x" * 300 + ".bin",
        "z/" + "é" * 200 + "/deep/key.txt", "Z.txt", "a/b.txt.gz",
    }  # fmt: skip
    sandbox = make_sandbox(lab_seed(keys=tuple(sorted(keys))))
    for prefix in ("", "a/", "a/b", "a/b/", "ünï/", "x", "z/", "none/"):
        for limit in (1, 2, 100):
            assert listing(sandbox, "lab/v", prefix, limit) == expected_listing(keys, prefix), (
                prefix,
                limit,
            )


def test_a_300_byte_segment_exports_and_lists(make_sandbox: MakeSandbox) -> None:
    sandbox = make_sandbox(lab_seed())
    location = "deep/" + "ß" * 150 + "/" + "n" * 300
    [entry] = create(sandbox, [item("f" * 24, "lab/v", location)])
    sandbox.wait_for_jobs()
    job = sandbox.export(entry["resource"]["id"])
    assert job is not None and job["state"] == "COMPLETED"
    assert listing(sandbox, "lab/v", "deep/", 100) == ["deep/" + "ß" * 150 + "/"]
    assert listing(sandbox, "lab/v", "deep/" + "ß" * 150 + "/", 100) == [location]
    found = session(sandbox).get(
        f"{sandbox.url}/storage/volumes/lab/v/object", params={"location": location}
    )
    assert found.json()["metadata"]["size"] == 3
    assert sandbox.object_path("lab/v", location).stat().st_size == 3


def test_a_key_over_1024_bytes_with_the_prefix_is_refused_per_item(
    make_sandbox: MakeSandbox,
) -> None:
    sandbox = make_sandbox(lab_seed(prefix="pre/"))
    fits = "k" * (1024 - len("pre/"))
    over = fits + "k"
    ok, refused = create(sandbox, [item("f" * 24, "lab/v", fits), item("f" * 24, "lab/v", over)])
    assert ok["resource"]["state"] == "PENDING"
    assert refused["error"]["status"] == 400 and refused["error"]["code"] == 90000
    assert "1025 bytes" in refused["error"]["message"]
    absent = session(sandbox).get(
        f"{sandbox.url}/storage/volumes/lab/v/object", params={"location": over}
    )
    assert absent.status_code == 404


@pytest.mark.parametrize("prefix", ["../../x/", "/abs/", "a/../../b/", ".."])
def test_seed_prefixes_that_leave_the_bucket_are_refused(tmp_path: Path, prefix: str) -> None:
    data = tmp_path / "data"
    with pytest.raises(SeedError, match="prefix") as raised:
        start(data, seed=lab_seed(prefix=prefix, keys=("escape.txt",)), port=0)
    assert "\n" not in str(raised.value)
    assert str(raised.value).startswith("seed: volumes[0].service: prefix")
    written = {p.name for p in tmp_path.rglob("*")}
    assert "escape.txt" not in written and "x" not in written and "abs" not in written


def test_a_planted_symlink_to_an_object_is_not_followed(
    make_sandbox: MakeSandbox, tmp_path: Path
) -> None:
    sandbox = make_sandbox()
    outside = tmp_path / "outside.txt"
    outside.write_text("keep me")
    # An existing object (seeded) replaced by a symlink: reads treat it as absent.
    seeded = sandbox.object_path(OUTPUT, "legacy/old_counts.tsv")
    seeded.unlink()
    seeded.symlink_to(outside)
    http = session(sandbox)
    read = http.get(
        f"{sandbox.url}/storage/volumes/{OUTPUT}/object",
        params={"location": "legacy/old_counts.tsv"},
    )
    assert read.status_code == 404
    # A symlink planted where a new object will go: the write fails, the target is untouched.
    planted = sandbox.object_path(OUTPUT, "planted.bam")
    planted.parent.mkdir(parents=True, exist_ok=True)
    planted.symlink_to(outside)
    [entry] = create(sandbox, [item(bam(1), OUTPUT, "planted.bam", overwrite=True)])
    sandbox.wait_for_jobs()
    job = sandbox.export(entry["resource"]["id"])
    assert job is not None and job["state"] == "FAILED"
    assert "cannot write the object" in job["error"]["message"]
    assert outside.read_text() == "keep me"
    assert planted.is_symlink()


def test_a_planted_symlink_to_a_folder_is_not_followed(
    make_sandbox: MakeSandbox, tmp_path: Path
) -> None:
    sandbox = make_sandbox()
    outside = tmp_path / "outside"
    outside.mkdir()
    shard = sandbox.object_path(OUTPUT, "via-shard.tsv").parent
    if shard.exists():
        for child in shard.iterdir():
            child.unlink()
        shard.rmdir()
    shard.symlink_to(outside, target_is_directory=True)
    [entry] = create(sandbox, [item(counts(1), OUTPUT, "via-shard.tsv")])
    sandbox.wait_for_jobs()
    job = sandbox.export(entry["resource"]["id"])
    assert job is not None and job["state"] == "FAILED"
    assert list(outside.iterdir()) == []


def test_objects_folder_replaced_by_a_symlink_is_not_followed(
    make_sandbox: MakeSandbox, tmp_path: Path
) -> None:
    sandbox = make_sandbox()
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    objects = sandbox.data_dir / "objects"
    os.rename(objects, sandbox.data_dir / "objects.moved")
    objects.symlink_to(outside, target_is_directory=True)
    [entry] = create(sandbox, [item(counts(2), OUTPUT, "out.tsv")])
    sandbox.wait_for_jobs()
    job = sandbox.export(entry["resource"]["id"])
    assert job is not None and job["state"] == "FAILED"
    assert list(outside.iterdir()) == []


def test_a_data_folder_of_the_older_object_layout_is_refused(
    make_sandbox: MakeSandbox, tmp_path: Path
) -> None:
    first = make_sandbox(data_dir=tmp_path)
    first.stop()
    with sqlite3.connect(tmp_path / "sandbox.db") as db:
        db.execute("DELETE FROM meta WHERE key = 'objects_layout'")
    with pytest.raises(StateExistsError, match="add --reset") as raised:
        start(tmp_path, port=0)
    assert "\n" not in str(raised.value)
    with start(tmp_path, port=0, reset=True) as again:
        assert again.object_path(OUTPUT, "legacy/old_counts.tsv").is_file()
