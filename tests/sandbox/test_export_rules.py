"""Every per-item export rule fails its own item while the other items of the call succeed."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.sandbox.server import Sandbox

from .helpers import (
    ALIAS_FASTQ,
    ARCHIVE,
    EU,
    GCS,
    INACTIVE,
    OUTPUT,
    PUBLIC_FASTA,
    READONLY,
    MakeSandbox,
    bam,
    counts,
    item,
    session,
    two_user_seed,
)

pytestmark = pytest.mark.timeout(30)

BULK = "/bulk/storage/exports/create"


def bulk_create(sandbox: Sandbox, items: list[dict[str, Any]], query: str = "") -> list[Any]:
    response = session(sandbox).post(f"{sandbox.url}{BULK}{query}", json={"items": items})
    assert response.status_code == 200, response.text
    entries: list[Any] = response.json()["items"]
    assert len(entries) == len(items)
    return entries


def assert_only_middle_fails(entries: list[Any], status: int, words: str) -> None:
    first, middle, last = entries
    assert first["resource"]["state"] == "PENDING"
    assert last["resource"]["state"] == "PENDING"
    assert "resource" not in middle
    error = middle["error"]
    assert error["status"] == status
    assert words in error["message"]
    assert set(error) == {"status", "code", "message", "more_info"}


def around(sandbox_item: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        item(counts(1), OUTPUT, "good/one.tsv"),
        sandbox_item,
        item(counts(2), ARCHIVE, "good/two.tsv"),
    ]


@pytest.mark.parametrize(
    ("bad", "status", "code", "words"),
    [
        (item("0" * 24, OUTPUT, "x"), 404, 9109, "not found"),
        (item(PUBLIC_FASTA, OUTPUT, "ref.fa"), 403, 9006, "public file"),
        (item(ALIAS_FASTQ, OUTPUT, "raw.fastq.gz"), 400, 9006, "alias"),
        (item(bam(1), "rfranklin/nope", "x.bam"), 404, 9007, "volume rfranklin/nope not found"),
        (item(bam(1), READONLY, "x.bam"), 403, 9026, "read-only"),
        (item(bam(1), INACTIVE, "x.bam"), 400, 9101, "not active"),
        (item(bam(1), GCS, "x.bam"), 400, 9027, "Google Cloud Storage"),
        (item(bam(1), EU, "x.bam"), 400, 9028, "location"),
        (item(bam(1), OUTPUT, "legacy/old_counts.tsv"), 409, 9107, "already exists"),
        (item(bam(1), OUTPUT, "../escape.bam"), 400, 90000, "segment"),
    ],
    ids=[
        "file-not-found", "public", "alias", "volume-not-found", "read-only", "inactive",
        "gcs", "other-location", "destination-exists", "bad-location",
    ],
)  # fmt: skip
def test_rule_fails_only_its_item(
    sandbox: Sandbox, bad: dict[str, Any], status: int, code: int, words: str
) -> None:
    entries = bulk_create(sandbox, around(bad))
    assert_only_middle_fails(entries, status, words)
    assert entries[1]["error"]["code"] == code
    sandbox.wait_for_jobs()
    states = [row["state"] for row in sandbox.query("SELECT state FROM exports WHERE seq > 2")]
    assert states == ["COMPLETED", "COMPLETED"]


def test_folder_fails_only_its_item(sandbox: Sandbox) -> None:
    results = sandbox.query("SELECT id FROM files WHERE type = 'folder' AND name = 'results'")
    entries = bulk_create(sandbox, around(item(results[0]["id"], OUTPUT, "results")))
    assert_only_middle_fails(entries, 400, "folder")


def test_file_out_of_reach_is_not_found(make_sandbox: MakeSandbox) -> None:
    sandbox = make_sandbox(two_user_seed())
    entries = bulk_create(
        sandbox,
        [
            item("a" * 24, "alice/v", "one"),
            item("b" * 24, "alice/v", "bob"),
            item("a" * 24, "alice/v", "two"),
        ],
    )
    assert_only_middle_fails(entries, 404, "not found")


def test_volume_out_of_reach_is_not_found(make_sandbox: MakeSandbox) -> None:
    sandbox = make_sandbox(two_user_seed())
    entries = bulk_create(
        sandbox,
        [
            item("a" * 24, "alice/v", "one"),
            item("a" * 24, "bob/v", "x"),
            item("a" * 24, "alice/v", "two"),
        ],
    )
    assert_only_middle_fails(entries, 404, "volume bob/v not found")


def test_overwrite_true_replaces_an_existing_object(sandbox: Sandbox) -> None:
    entries = bulk_create(
        sandbox,
        [item(counts(3), OUTPUT, "legacy/old_counts.tsv", overwrite=True)],
        "?copy_only=TRUE",
    )
    assert entries[0]["resource"]["overwrite"] is True
    sandbox.wait_for_jobs()
    size = sandbox.file(counts(3))
    assert size is not None
    assert sandbox.object_path(OUTPUT, "legacy/old_counts.tsv").stat().st_size == size["size"]


def test_destination_check_happens_at_creation(sandbox: Sandbox) -> None:
    """Two jobs for one free destination are both accepted; once written, a third is refused."""
    entries = bulk_create(
        sandbox,
        [item(counts(5), OUTPUT, "same.tsv"), item(counts(6), OUTPUT, "same.tsv")],
        "?copy_only=true",
    )
    assert all("resource" in e for e in entries)
    sandbox.wait_for_jobs()
    [late] = bulk_create(sandbox, [item(counts(7), OUTPUT, "same.tsv")], "?copy_only=true")
    assert late["error"]["status"] == 409


def test_second_move_of_one_file_fails_after_acceptance(sandbox: Sandbox) -> None:
    entries = bulk_create(sandbox, [item(bam(2), OUTPUT, "m1.bam"), item(bam(2), OUTPUT, "m2.bam")])
    assert all("resource" in e for e in entries)
    sandbox.wait_for_jobs()
    first, second = (sandbox.export(e["resource"]["id"]) for e in entries)
    assert first is not None and second is not None
    assert first["state"] == "COMPLETED"
    assert second["state"] == "FAILED"
    assert "no longer on the platform" in second["error"]["message"]
    assert not sandbox.object_path(OUTPUT, "m2.bam").exists()


def test_moved_file_cannot_be_exported_again(sandbox: Sandbox) -> None:
    bulk_create(sandbox, [item(bam(7), OUTPUT, "once.bam")])
    sandbox.wait_for_jobs()
    entries = bulk_create(sandbox, around(item(bam(7), OUTPUT, "twice.bam")))
    assert_only_middle_fails(entries, 400, "alias")


@pytest.mark.parametrize(
    ("properties", "code"),
    [
        ({"sse_algorithm": "DES"}, 9032),
        ({"sse_algorithm": "AES256", "sse_aws_kms_key_id": "k"}, 9032),
        ({"aws_canned_acl": "owner-full"}, 9022),
        ({"aws_canned_acl": "PRIVATE"}, 9022),
        ({"aws_storage_class": "glacier"}, 9024),
        ({"aws_storage_class": 3}, 9024),
    ],
)
def test_unusable_properties_fail_only_their_item(
    sandbox: Sandbox, properties: dict[str, Any], code: int
) -> None:
    bad = item(bam(1), OUTPUT, "props.bam")
    bad["properties"] = properties
    entries = bulk_create(sandbox, around(bad))
    assert_only_middle_fails(entries, 400, "properties")
    assert entries[1]["error"]["code"] == code


def test_a_storage_class_is_recorded_and_a_volume_default_applies(
    make_sandbox: MakeSandbox,
) -> None:
    seed = two_user_seed()
    seed["volumes"][0]["service"]["properties"] = {"aws_storage_class": "STANDARD_IA"}
    sandbox = make_sandbox(seed)
    declared = item("a" * 24, "alice/v", "declared")
    declared["properties"]["aws_storage_class"] = "GLACIER_IR"
    given, inherited = bulk_create(sandbox, [declared, item("a" * 24, "alice/v", "inherited")])
    assert given["resource"]["properties"]["aws_storage_class"] == "GLACIER_IR"
    assert inherited["resource"]["properties"]["aws_storage_class"] == "STANDARD_IA"
    jobs = {j["location"]: j for j in sandbox.query("SELECT * FROM exports")}
    assert jobs["declared"]["properties"]["aws_storage_class"] == "GLACIER_IR"


def test_omitted_properties_take_the_volume_defaults(sandbox: Sandbox) -> None:
    bare = {"source": {"file": counts(8)}, "destination": {"volume": OUTPUT, "location": "d.tsv"}}
    [entry] = bulk_create(sandbox, [bare], "?copy_only=True")
    assert entry["resource"]["properties"] == {
        "sse_algorithm": "AES256", "sse_aws_kms_key_id": None, "aws_canned_acl": None
    }  # fmt: skip
    assert entry["resource"]["overwrite"] is False


def test_more_than_100_items_is_a_400_for_the_whole_call(sandbox: Sandbox) -> None:
    items = [item(counts(1), OUTPUT, f"many/{n}.tsv") for n in range(101)]
    response = session(sandbox).post(f"{sandbox.url}{BULK}", json={"items": items})
    assert response.status_code == 400
    assert response.json()["status"] == 400
    assert sandbox.query("SELECT COUNT(*) AS n FROM exports")[0]["n"] == 2  # the seeded ones


def test_exactly_100_items_are_accepted(sandbox: Sandbox) -> None:
    items = [item(counts(1), OUTPUT, f"many/{n}.tsv") for n in range(100)]
    entries = bulk_create(sandbox, items, "?copy_only=true")
    assert all("resource" in e for e in entries)


@pytest.mark.parametrize("spelling", ["true", "True", "TRUE", "tRuE"])
def test_copy_only_true_in_any_case(sandbox: Sandbox, spelling: str) -> None:
    [entry] = bulk_create(sandbox, [item(bam(8), OUTPUT, "c.bam")], f"?copy_only={spelling}")
    sandbox.wait_for_jobs()
    file = sandbox.file(bam(8))
    assert file is not None and file["storage"]["type"] == "PLATFORM"
    assert sandbox.object_path(OUTPUT, "c.bam").exists()
    assert entry["resource"]["state"] == "PENDING"


@pytest.mark.parametrize("spelling", ["false", "False", "FALSE"])
def test_copy_only_false_in_any_case_moves(sandbox: Sandbox, spelling: str) -> None:
    bulk_create(sandbox, [item(bam(8), OUTPUT, "m.bam")], f"?copy_only={spelling}")
    sandbox.wait_for_jobs()
    file = sandbox.file(bam(8))
    assert file is not None and file["storage"] == {
        "type": "VOLUME", "volume": OUTPUT, "location": "m.bam"
    }  # fmt: skip


def test_copy_only_must_be_a_boolean(sandbox: Sandbox) -> None:
    response = session(sandbox).post(
        f"{sandbox.url}{BULK}?copy_only=yes", json={"items": [item(bam(8), OUTPUT, "y.bam")]}
    )
    assert response.status_code == 400


def test_single_create_answers_the_item_error(sandbox: Sandbox) -> None:
    http = session(sandbox)
    refused = http.post(f"{sandbox.url}/storage/exports", json=item(PUBLIC_FASTA, OUTPUT, "p.fa"))
    assert refused.status_code == 403
    assert refused.json()["code"] == 9006
    created = http.post(
        f"{sandbox.url}/storage/exports?copy_only=true", json=item(counts(1), OUTPUT, "s.tsv")
    )
    assert created.status_code == 201
    assert created.json()["state"] == "PENDING"
