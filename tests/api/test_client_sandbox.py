"""The client against the real sandbox on a real loopback port."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from reconciler.api.client import ApiClient
from reconciler.api.config import ApiConfig
from reconciler.api.resources import Export, File, ItemError
from reconciler.api.retry import RetryPolicy
from reconciler.api.transport import Transport
from reconciler.errors import MaintenanceError, TransportError
from reconciler.sandbox.server import Sandbox

MakeSandbox = Callable[..., Sandbox]

PROJECT = "rfranklin/rna-seq"
BAM1 = "65a1f0c0e4b0d1a2b3c40001"
MISSING = "ffffffffffffffffffffffff"


def client_for(sandbox: Sandbox, **retry: float) -> ApiClient:
    config = ApiConfig(endpoint=sandbox.url, token=sandbox.token)
    policy = RetryPolicy(base=0.01, cap=0.05, **retry)  # type: ignore[arg-type]
    return ApiClient(config, transport=Transport(config, retry=policy))


def test_user_project_and_missing_project(sandbox: Sandbox) -> None:
    client = client_for(sandbox)
    assert client.get_user().username == "rfranklin"
    project = client.get_project(PROJECT)
    assert project is not None and project.id == PROJECT
    assert client.get_project("rfranklin/nope") is None


def test_pagination_follows_next_links(sandbox: Sandbox) -> None:
    client = client_for(sandbox)
    root = {f.name: f for f in client.list_files(project=PROJECT)}
    results = list(client.list_files(parent=root["results"].id))
    assert {f.name for f in results} >= {"sample1", "sample8", "summary", "tmp"}
    # A page of 3 forces several pages; the walk must return the same set, in full.
    import reconciler.api.client as client_module

    old = client_module.PAGE_LIMIT
    client_module.PAGE_LIMIT = 3
    try:
        before = client.stats.snapshot().get("list_files", 0)
        paged = list(client.list_files(parent=root["results"].id))
    finally:
        client_module.PAGE_LIMIT = old
    assert [f.id for f in paged] == [f.id for f in results]
    assert client.stats.snapshot()["list_files"] - before == -(-len(results) // 3)


def test_list_files_by_name(sandbox: Sandbox) -> None:
    found = list(client_for(sandbox).list_files(project=PROJECT, names=["README.md", "nope"]))
    assert [f.name for f in found] == ["README.md"]


def test_bulk_get_keeps_order_and_reports_missing(sandbox: Sandbox) -> None:
    client = client_for(sandbox)
    ids = [BAM1, MISSING, "65a1f0c0e4b0d1a2b3c4002b"]
    got = client.bulk_get_files(ids)
    assert isinstance(got[0], File) and got[0].size == 9356455993
    assert isinstance(got[1], ItemError) and got[1].status == 404
    assert isinstance(got[2], File) and got[2].storage.type == "VOLUME"
    assert got[2].storage.volume == "rfranklin/archive"


def test_bulk_get_chunks_by_100(sandbox: Sandbox) -> None:
    client = client_for(sandbox)
    got = client.bulk_get_files([BAM1] * 150)
    assert len(got) == 150 and all(isinstance(f, File) for f in got)
    assert client.stats.snapshot()["bulk_get_files"] == 2


def test_volume_and_listing_with_prefixes(sandbox: Sandbox) -> None:
    client = client_for(sandbox)
    volume = client.get_volume("rfranklin/archive")
    assert volume is not None and volume.access_mode == "RW" and volume.service.type == "s3"
    assert client.get_volume("rfranklin/none") is None
    top = client.list_volume_objects("rfranklin/archive", "")
    assert "rna-seq/" in top.prefixes
    raw = client.list_volume_objects("rfranklin/archive", "rna-seq/raw/")
    assert "rna-seq/raw/sample1_R1.fastq.gz" in {o.location for o in raw.objects}
    obj = client.get_volume_object("rfranklin/output", "legacy/old_counts.tsv")
    assert obj is not None and obj.metadata.size is not None
    assert client.get_volume_object("rfranklin/output", "legacy/nothing.tsv") is None


def test_reads_retried_on_5xx(make_sandbox: Sandbox) -> None:
    sandbox = make_sandbox(read_error_rate=0.5, random_seed=7)
    client = client_for(sandbox)
    for _ in range(10):
        assert client.get_file(BAM1) is not None
    assert client.stats.snapshot().get("retries", 0) > 0


def test_maintenance_reported_after_deadline(sandbox: Sandbox) -> None:
    sandbox.configure(maintenance=True)
    with pytest.raises(MaintenanceError, match="maintenance"):
        client_for(sandbox, deadline=0.3).get_file(BAM1)


@pytest.mark.slow
def test_rate_limit_429_handled(make_sandbox: Sandbox) -> None:
    sandbox = make_sandbox(rate_limit=5, rate_window=1.0)
    client = client_for(sandbox)
    for _ in range(12):
        assert client.get_file(BAM1) is not None
    stats = client.stats.snapshot()
    assert stats["get_file"] - stats.get("rate_limited", 0) == 12
    # The pacer reads the headers: it waits for the window instead of spending 429s.
    assert stats.get("rate_limited", 0) <= 2


def test_lost_create_response_is_transport_error_and_job_exists(sandbox: Sandbox) -> None:
    sandbox.configure(lose_responses=1)
    client = client_for(sandbox)
    item = {
        "source": {"file": "65a1f0c0e4b0d1a2b3c40030"},
        "destination": {"volume": "rfranklin/output", "location": "x/samplesheet.csv"},
        "overwrite": False,
        "properties": {
            "sse_algorithm": "AES256",
            "sse_aws_kms_key_id": None,
            "aws_canned_acl": None,
        },
    }
    with pytest.raises(TransportError):
        client.bulk_create_exports([item], copy_only=True)
    assert client.stats.snapshot()["bulk_create_exports"] == 1
    jobs = [
        job
        for state in ("PENDING", "RUNNING", "COMPLETED")
        for job in client.list_exports("rfranklin/output", state)
    ]
    assert any(j.destination.location == "x/samplesheet.csv" for j in jobs)
    created = client.bulk_get_exports([jobs[0].id])
    assert isinstance(created[0], Export)
