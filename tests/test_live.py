"""`live.read.read` against the sandbox's demo seed: what it reads, and how few calls it
spends."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from reconciler.api.client import ApiClient
from reconciler.api.config import ApiConfig
from reconciler.live.read import read
from reconciler.manifest.models import ExportRule, Mode, Position, export_properties
from reconciler.sandbox.server import Sandbox

PROJECT = "rfranklin/rna-seq"
BAM1 = "65a1f0c0e4b0d1a2b3c40001"
ALIAS = "65a1f0c0e4b0d1a2b3c4002b"
PUBLIC = "65a1f0c0e4b0d1a2b3c40028"
MISSING = "ffffffffffffffffffffffff"
AT = Position("m.yaml", 1, 1)


def rule(kind: str, selector: str, location: str, **overrides: Any) -> ExportRule:
    values: dict[str, Any] = {
        "manifest": "m.yaml",
        "index": 0,
        "project": PROJECT,
        "platform": None,
        "kind": kind,
        "selector": selector,
        "exclude": (),
        "where_metadata": (),
        "where_tags": (),
        "allow_empty": False,
        "location": location,
        "volume": "rfranklin/output",
        "mode": Mode.MOVE,
        "overwrite": False,
        "properties": export_properties(),
        "declared_at": AT,
        "location_at": AT,
    }
    values.update(overrides)
    return ExportRule(**values)


def client_for(sandbox: Sandbox) -> ApiClient:
    return ApiClient(ApiConfig(endpoint=sandbox.url, token=sandbox.token))


def test_files_by_id(sandbox: Sandbox) -> None:
    client = client_for(sandbox)
    rules = [
        rule("file", BAM1, "bam/{name}"),
        rule("file", MISSING, "x/{name}"),
        rule("file", ALIAS, "raw/{name}", volume="rfranklin/archive"),
    ]
    state = read(client, rules).live
    bam = state.files_by_id[BAM1]
    assert bam is not None and bam.path == "sample1.bam" and bam.size == 9356455993
    assert state.files_by_id[MISSING] is None
    alias = state.files_by_id[ALIAS]
    assert alias is not None and alias.is_alias and alias.alias_volume == "rfranklin/archive"
    assert state.objects == {("rfranklin/output", "bam/sample1.bam"): None}
    assert state.projects[PROJECT].found and state.projects[PROJECT].by_path == {}
    assert state.volumes["rfranklin/output"] is not None
    stats = client.stats.snapshot()
    assert stats["bulk_get_files"] == 1 and stats["get_project"] == 1
    assert stats["get_volume"] == 2 and stats["list_exports"] == 2  # PENDING, RUNNING: all volumes
    assert "list_files" not in stats


def test_path_placeholder_resolves_parent_chain(sandbox: Sandbox) -> None:
    client = client_for(sandbox)
    state = read(client, [rule("file", BAM1, "by-path/{path}")]).live
    bam = state.files_by_id[BAM1]
    assert bam is not None and bam.path == "results/sample1/sample1.bam"
    assert ("rfranklin/output", "by-path/results/sample1/sample1.bam") in state.objects


def test_paths_walk_only_the_needed_folders(sandbox: Sandbox) -> None:
    client = client_for(sandbox)
    rules = [
        rule("path", "results/sample2/counts.tsv", "counts/{name}"),
        rule("path", "results/nope/x.tsv", "x/{name}"),
        rule("path", "README.md", "{name}"),
    ]
    state = read(client, rules).live
    by_path = state.projects[PROJECT].by_path
    assert by_path["results/sample2/counts.tsv"].size == 1056774
    assert "results/nope/x.tsv" not in by_path
    assert "results/sample1" not in by_path  # a name filter, not a full listing
    # root (results, README.md) + results (sample2, nope) + sample2 (counts.tsv)
    assert client.stats.snapshot()["list_files"] == 3


def test_globs_list_only_what_the_pattern_reaches(sandbox: Sandbox) -> None:
    client = client_for(sandbox)
    state = read(client, [rule("glob", "results/*/counts.tsv", "counts/{parent}.tsv")]).live
    by_path = state.projects[PROJECT].by_path
    assert {p for p in by_path if p.endswith("/counts.tsv")} == {
        f"results/sample{i}/counts.tsv" for i in range(1, 9)
    }
    # root (name filter) + results (full) + its 10 subfolders; nothing deeper, nothing else.
    assert client.stats.snapshot()["list_files"] == 12
    assert not any(p.startswith(("qc", "raw", "logs")) for p in by_path)
    assert len([k for k in state.objects if k[0] == "rfranklin/output"]) == 8


def test_globstar_is_unbounded_below_its_prefix(sandbox: Sandbox) -> None:
    state = read(client_for(sandbox), [rule("glob", "results/**/*.vcf.gz", "v/{name}")]).live
    by_path = state.projects[PROJECT].by_path
    assert "results/sample8/sample8.vcf.gz" in by_path and "qc/multiqc_data.json" not in by_path


def test_existing_destination_and_skipped_aliases(sandbox: Sandbox) -> None:
    client = client_for(sandbox)
    rules = [
        rule("file", "65a1f0c0e4b0d1a2b3c40004", "legacy/old_counts.tsv", mode=Mode.COPY),
        rule("file", PUBLIC, "ref/{name}"),
        rule("glob", "raw/*", "rna-seq/raw/{name}", volume="rfranklin/archive"),
    ]
    state = read(client, rules).live
    existing = state.objects[("rfranklin/output", "legacy/old_counts.tsv")]
    assert existing is not None and existing.size is not None
    # Public files and aliases cannot be exported: their destinations are not checked.
    assert set(state.objects) == {("rfranklin/output", "legacy/old_counts.tsv")}


def test_active_jobs_and_unmanaged_aliases(sandbox: Sandbox) -> None:
    client = client_for(sandbox)
    item = {
        "source": {"file": BAM1},
        "destination": {"volume": "rfranklin/output", "location": "jobs/sample1.bam"},
        "overwrite": False,
        "properties": {
            "sse_algorithm": "AES256",
            "sse_aws_kms_key_id": None,
            "aws_canned_acl": None,
        },
    }
    sandbox.configure(job_pace=60.0)
    client.bulk_create_exports([item], copy_only=True)
    rules = [
        rule("path", "README.md", "{name}", volume="rfranklin/archive"),
        rule("file", BAM1, "x"),
    ]
    state = read(client, rules, unmanaged=True).live
    assert [(j.file_id, j.location, j.state) for j in state.active_jobs] in (
        [(BAM1, "jobs/sample1.bam", "PENDING")],
        [(BAM1, "jobs/sample1.bam", "RUNNING")],
    )
    assert {f.id for f in state.unmanaged_aliases} == {
        ALIAS,
        "65a1f0c0e4b0d1a2b3c4002c",
        "65a1f0c0e4b0d1a2b3c4002d",
    }


def test_missing_project_and_volume(sandbox: Sandbox) -> None:
    rules = [rule("path", "a.txt", "{name}", project="rfranklin/none", volume="rfranklin/nope")]
    state = read(client_for(sandbox), rules).live
    assert not state.projects["rfranklin/none"].found
    assert state.volumes["rfranklin/nope"] is None
    assert state.objects == {}


@pytest.mark.parametrize("count", [5, 50])
def test_destination_check_strategy(make_sandbox: Callable[..., Sandbox], count: int) -> None:
    """Few destinations: object info each; many in one folder: one listing (fresh folder)."""
    sandbox = make_sandbox()
    client = client_for(sandbox)
    ids = [f"65a1f0c0e4b0d1a2b3c400{n:02x}" for n in range(1, 0x33)]
    rules = [rule("file", i, f"d{k % 2 if count == 5 else 0}/{{id}}") for k, i in enumerate(ids)]
    read(client, rules[:count])
    stats = client.stats.snapshot()
    if count == 5:
        # d0 holds 3 (listing), d1 holds 2 (object info); no common folder above is listed
        assert stats.get("get_object", 0) + stats.get("list_objects", 0) <= 3
    else:
        assert stats.get("get_object", 0) == 0 and stats["list_objects"] == 1


def test_active_jobs_are_listed_before_files_and_objects(sandbox: Sandbox) -> None:
    # A job finishing mid-read must be seen either as a job or by its effect; listing jobs
    # last could miss both and plan the export again.
    client = client_for(sandbox)
    before = len(sandbox.request_log())
    read(client, [rule("file", BAM1, "bam/{name}"), rule("glob", "results/*/*.bam", "b/{name}")])
    paths = [entry["path"] for entry in sandbox.request_log()[before:]]
    exports = [i for i, p in enumerate(paths) if p.startswith("/v2/storage/exports")]
    reads = [
        i
        for i, p in enumerate(paths)
        if p.startswith(("/v2/bulk/files", "/v2/files")) or "/list" in p or "/object" in p
    ]
    assert exports and reads
    assert max(exports) < min(reads), paths


def test_what_where_filters_leave_out_is_declared_but_not_checked(sandbox: Sandbox) -> None:
    """The destinations read are those of the resolved items: a glob match that its `where`
    filter drops has none, yet the file is named by the manifest, so it is no unmanaged
    alias."""
    client = client_for(sandbox)
    glob = rule(
        "glob",
        "raw/*",
        "rna-seq/raw/{name}",
        volume="rfranklin/archive",
        mode=Mode.COPY,
        where_metadata=(("sample_id", "sample1"),),
    )
    state = read(client, [glob], unmanaged=True).live
    raw = {p: f.id for p, f in state.projects[PROJECT].by_path.items() if p.startswith("raw/")}
    assert raw["raw/sample2_R1.fastq.gz"] == "65a1f0c0e4b0d1a2b3c4002d"
    assert set(state.objects) == {
        ("rfranklin/archive", "rna-seq/raw/sample1_R1.fastq.gz"),
        ("rfranklin/archive", "rna-seq/raw/sample1_R2.fastq.gz"),
    }
    assert state.unmanaged_aliases == ()
