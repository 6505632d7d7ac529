"""Seed loading: the demo seed's shape, folders from paths, stable ids, aliases with objects,
sparse objects, seeded jobs, and one-line errors for unusable seeds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reconciler.sandbox.errors import SeedError
from reconciler.sandbox.ids import derived_id
from reconciler.sandbox.seed import load_seed
from reconciler.sandbox.server import Sandbox, start

from .helpers import ALIAS_FASTQ, ARCHIVE, PUBLIC_FASTA, MakeSandbox, session

pytestmark = pytest.mark.timeout(30)


def small_seed(**extra: Any) -> dict[str, Any]:
    seed: dict[str, Any] = {
        "tokens": [{"token": "t0ken", "username": "lab"}],
        "projects": [{"id": "lab/p", "location": "aws:us-west-2"}],
        "volumes": [
            {
                "id": "lab/v",
                "location": "aws:us-west-2",
                "service": {"type": "s3", "bucket": "bkt", "prefix": "pre"},
            },
        ],
        "files": [
            {"project": "lab/p", "path": "a/b/c.txt", "size": 5},
            {"project": "lab/p", "path": "empty/", "type": "folder"},
            {
                "project": "lab/p",
                "path": "al.txt",
                "size": 7,
                "storage": {"type": "VOLUME", "volume": "lab/v", "location": "x/al.txt"},
            },
        ],
        "objects": [{"volume": "lab/v", "location": "big.bin", "size": 50 * 1024**3}],
    }
    seed.update(extra)
    return seed


def test_demo_seed_shape(sandbox: Sandbox) -> None:
    files = sandbox.query("SELECT * FROM files WHERE type = 'file'")
    assert 45 <= len(files) <= 60
    assert all(len(f["id"]) == 24 for f in files)
    public = [f for f in files if "sbg_public_files_category" in f["metadata"]]
    assert [f["id"] for f in public] == [PUBLIC_FASTA]
    aliases = [f for f in files if f["storage"]["type"] == "VOLUME"]
    assert ALIAS_FASTQ in {f["id"] for f in aliases} and len(aliases) == 3
    assert all(sandbox.object_path(ARCHIVE, f["storage"]["location"]).is_file() for f in aliases)
    volumes = {v["id"]: v for v in sandbox.query("SELECT * FROM volumes")}
    assert volumes["rfranklin/readonly"]["access_mode"] == "RO"
    assert volumes["rfranklin/gcs-bucket"]["service"]["type"] == "gcs"
    assert volumes["rfranklin/eu-archive"]["location"] == "aws:eu-west-1"
    assert sandbox.token == "sandbox-demo-token-rfranklin"


def test_folders_ids_aliases_and_sparse_objects(make_sandbox: MakeSandbox) -> None:
    sandbox = make_sandbox(small_seed())
    folders = {f["name"]: f for f in sandbox.query("SELECT * FROM files WHERE type = 'folder'")}
    assert set(folders) == {"a", "b", "empty"}
    assert folders["b"]["parent"] == folders["a"]["id"]
    assert folders["a"]["id"] == derived_id("lab/p", "folder", "a")
    [leaf] = sandbox.query("SELECT * FROM files WHERE name = 'c.txt'")
    assert leaf["id"] == derived_id("lab/p", "file", "a/b/c.txt")
    assert leaf["parent"] == folders["b"]["id"]
    assert leaf["storage"] == {"type": "PLATFORM", "hosted_on_locations": ["aws:us-west-2"]}
    big = sandbox.object_path("lab/v", "big.bin")
    keys = {(r["bucket"], r["key"]) for r in sandbox.query("SELECT * FROM objects")}
    assert ("bkt", "pre/big.bin") in keys  # a prefix without '/' is a folder
    assert big.stat().st_size == 50 * 1024**3 and big.stat().st_blocks == 0
    assert sandbox.object_path("lab/v", "x/al.txt").stat().st_size == 7
    listing = session(sandbox).get(f"{sandbox.url}/storage/volumes/lab/v/list").json()
    assert [i["location"] for i in listing["items"]] == ["big.bin"]
    assert [p["prefix"] for p in listing["prefixes"]] == ["x/"]


def test_yaml_and_json_seed_files(tmp_path: Path) -> None:
    as_json = tmp_path / "seed.json"
    as_json.write_text(json.dumps(small_seed()))
    with start(tmp_path / "j", seed=as_json, port=0) as sandbox:
        assert sandbox.token == "t0ken"
    as_yaml = tmp_path / "seed.yaml"
    as_yaml.write_text("tokens: [{token: y-token, username: lab}]\n")
    with start(tmp_path / "y", seed=as_yaml, port=0) as sandbox:
        assert sandbox.token == "y-token"


def test_seeded_jobs(make_sandbox: MakeSandbox) -> None:
    exports = [
        {
            "id": "done",
            "file": derived_id("lab/p", "file", "a/b/c.txt"),
            "volume": "lab/v",
            "location": "c.txt",
            "state": "COMPLETED",
        },
        {
            "id": "broken",
            "file": derived_id("lab/p", "file", "a/b/c.txt"),
            "volume": "lab/v",
            "location": "d.txt",
            "state": "FAILED",
            "error": "bucket policy denied the write",
        },
        {
            "id": "queued",
            "file": derived_id("lab/p", "file", "a/b/c.txt"),
            "volume": "lab/v",
            "location": "e.txt",
            "state": "PENDING",
            "copy_only": True,
        },
    ]
    sandbox = make_sandbox(small_seed(exports=exports))
    sandbox.wait_for_jobs()
    http = session(sandbox)
    done = http.get(f"{sandbox.url}/storage/exports/done").json()
    assert done["result"]["id"] == derived_id("lab/p", "file", "a/b/c.txt")
    broken = http.get(f"{sandbox.url}/storage/exports/broken").json()
    assert broken["error"]["message"] == "bucket policy denied the write"
    assert http.get(f"{sandbox.url}/storage/exports/queued").json()["state"] == "COMPLETED"
    assert sandbox.object_path("lab/v", "e.txt").is_file()


@pytest.mark.parametrize(
    ("seed", "words"),
    [
        ({"tokens": []}, "tokens"),
        (
            small_seed(tokens=[{"token": "t", "username": "lab", "advance_access": "no"}]),
            "tokens\\[0\\]: advance_access must be true or false",
        ),
        (
            small_seed(
                tokens=[
                    {"token": "t1", "username": "lab"},
                    {"token": "t2", "username": "lab", "advance_access": False},
                ]
            ),
            "tokens\\[1\\]: advance_access belongs to the account lab; its tokens must agree",
        ),
        (small_seed(projects=[{"id": "noslash", "location": "x"}]), "owner/name"),
        (small_seed(files=[{"project": "lab/nope", "path": "x"}]), "unknown project"),
        (small_seed(files=[{"project": "lab/p", "path": "x", "id": "XYZ"}]), "24 lowercase hex"),
        (small_seed(files=[{"project": "lab/p", "path": "../x"}]), "not a file path"),
        (small_seed(objects=[{"volume": "lab/none", "location": "x"}]), "unknown volume"),
        (small_seed(objects=[{"volume": "lab/v", "location": "/abs"}]), "relative"),
        (small_seed(volumes=[{"id": "lab/v", "location": "l"}]), "missing service"),
    ],
)
def test_unusable_seeds_are_one_line_errors(
    tmp_path: Path, seed: dict[str, Any], words: str
) -> None:
    with pytest.raises(SeedError, match=words) as raised:
        start(tmp_path, seed=seed, port=0)
    assert "\n" not in str(raised.value)
    # Nothing was half-seeded: the folder can still be seeded.
    with start(tmp_path, seed=small_seed(), port=0) as sandbox:
        assert sandbox.token == "t0ken"


def test_unreadable_seed_file(tmp_path: Path) -> None:
    with pytest.raises(SeedError, match="cannot read"):
        start(tmp_path / "d", seed=tmp_path / "missing.yaml", port=0)
    broken = tmp_path / "broken.yaml"
    broken.write_text("tokens: [unclosed\n")
    with pytest.raises(SeedError, match="not a valid seed"):
        start(tmp_path / "e", seed=broken, port=0)


def test_a_tab_in_a_seed_is_named(tmp_path: Path) -> None:
    tabbed = tmp_path / "tabbed.yaml"
    tabbed.write_text("files:\n\t- path: x\n")
    with pytest.raises(SeedError) as caught:
        load_seed(tabbed)
    assert str(caught.value) == (
        f"{tabbed}:2:1: not a valid seed document: tab character: YAML indents with spaces"
    )
