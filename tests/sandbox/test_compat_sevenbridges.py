"""The unchanged official client, sevenbridges-python 2.11, against a sandbox on a real port."""

from __future__ import annotations

import datetime
import sqlite3
import time

import pytest
from sevenbridges import Api
from sevenbridges.errors import BadRequest, Conflict, NotFound, SbgError

from reconciler.sandbox.server import Sandbox

from .helpers import ALIAS_FASTQ, ARCHIVE, GCS, OUTPUT, PROJECT, MakeSandbox, bam, counts, vcf

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def api(sandbox: Sandbox) -> Api:
    return Api(url=sandbox.url, token=sandbox.token, debug=True)


def _wait_completed(api: Api, export_ids: list[str]) -> list[object]:
    deadline = time.monotonic() + 20
    while True:
        records = api.exports.bulk_get(export_ids)
        states = [record.resource.state for record in records]
        if all(state in ("COMPLETED", "FAILED") for state in states):
            return [record.resource for record in records]
        assert time.monotonic() < deadline, states
        time.sleep(0.05)


def test_user_and_project(api: Api) -> None:
    assert api.users.me().username == "rfranklin"
    assert [p.id for p in api.projects.query()] == [PROJECT]
    assert api.projects.get(PROJECT).name == "RNA-seq tumor/normal"


def test_files_query_across_several_pages(api: Api) -> None:
    results = next(f for f in api.files.query(project=PROJECT) if f.name == "results")
    assert results.is_folder()
    first = api.files.query(parent=results.id, limit=3)
    assert first.total == 10
    assert len(first) == 3
    names = [f.name for f in first.all()]  # follows rel=next over four pages
    assert names == [f"sample{n}" for n in range(1, 9)] + ["summary", "tmp"]
    sample1 = next(f for f in first.all() if f.name == "sample1")
    files = list(api.files.query(parent=sample1.id, limit=2).all())
    assert {f.name for f in files} == {
        "sample1.bam", "sample1.bam.bai", "sample1.vcf.gz", "counts.tsv"
    }  # fmt: skip
    bam1 = next(f for f in files if f.name == "sample1.bam")
    assert bam1.id == bam(1)
    assert bam1.size == 9356455993
    assert bam1.metadata["sample_type"] == "tumor"
    assert bam1.tags == ["final"]
    assert bam1.storage.type == "PLATFORM"
    assert bam1.created_on.year == 2024


def test_files_query_filters(api: Api) -> None:
    sample2 = api.files.get(bam(2)).parent
    tagged = api.files.query(parent=sample2, tags=["variants"])
    assert [f.id for f in tagged] == [vcf(2)]
    named = api.files.query(parent=sample2, names=["counts.tsv", "sample2.bam"])
    assert {f.id for f in named} == {counts(2), bam(2)}
    by_metadata = api.files.query(parent=sample2, metadata={"sample_type": "normal"})
    assert by_metadata.total == 4


def test_files_bulk_get_mixes_found_and_missing(api: Api) -> None:
    records = api.files.bulk_get([bam(1), "0" * 24, ALIAS_FASTQ])
    assert [r.valid for r in records] == [True, False, True]
    assert records[0].resource.id == bam(1)
    assert records[1].error.status == 404
    assert records[2].resource.storage.type == "VOLUME"


def test_volumes_get_and_list(api: Api, sandbox: Sandbox) -> None:
    volume = api.volumes.get(OUTPUT)
    assert volume.access_mode == "RW"
    assert volume.active is True
    assert volume.service["type"] == "s3"
    assert volume.service["bucket"] == "rfranklin-lab-results"
    assert {v.id for v in api.volumes.query()} >= {OUTPUT, ARCHIVE, GCS}
    listing = volume.list()
    assert [p.prefix for p in listing.prefixes] == ["legacy/"]
    assert list(listing) == []
    deeper = volume.list(prefix="legacy/")
    assert [o.location for o in deeper] == ["legacy/old_counts.tsv"]
    assert deeper[0].metadata["size"] == 1048576
    info = volume.get_volume_object_info("legacy/old_counts.tsv")
    assert info.metadata["size"] == 1048576
    with pytest.raises(NotFound):
        volume.get_volume_object_info("legacy/missing.tsv")


def test_volume_list_follows_continuation(api: Api) -> None:
    archive = api.volumes.get(ARCHIVE)
    page = archive.list(prefix="rna-seq/raw/", limit=2)
    assert len(page) == 2
    assert [o.location for o in page.all()] == [
        "rna-seq/raw/sample1_R1.fastq.gz",
        "rna-seq/raw/sample1_R2.fastq.gz",
        "rna-seq/raw/sample2_R1.fastq.gz",
    ]


def test_submit_export_move_turns_the_file_into_an_alias(api: Api, sandbox: Sandbox) -> None:
    export = api.exports.submit_export(
        file=bam(3), volume=OUTPUT, location="bams/sample3.bam", copy_only=False
    )
    assert export.state == "PENDING"
    assert export.destination.volume == OUTPUT
    [done] = _wait_completed(api, [export.id])
    assert done.state == "COMPLETED"
    assert done.started_on is not None and done.finished_on is not None
    assert done.result.storage.type == "VOLUME"
    assert done.result.storage.volume == OUTPUT
    assert done.result.storage.location == "bams/sample3.bam"
    moved = api.files.get(bam(3))
    assert moved.storage.type == "VOLUME"
    path = sandbox.object_path(OUTPUT, "bams/sample3.bam")
    assert path.is_relative_to(sandbox.data_dir / "objects")
    assert path.stat().st_size == 10889474105
    assert path.stat().st_blocks == 0  # sparse: no disk cost


def test_bulk_submit_move_and_copy(api: Api, sandbox: Sandbox) -> None:
    moves = api.exports.bulk_submit(
        [
            {"file": bam(4), "volume": OUTPUT, "location": "move/sample4.bam"},
            {"file": vcf(4), "volume": OUTPUT, "location": "move/sample4.vcf.gz"},
        ],
        copy_only=False,
    )
    copies = api.exports.bulk_submit(
        [{"file": counts(4), "volume": ARCHIVE, "location": "copy/counts4.tsv"}], copy_only=True
    )
    assert all(r.valid for r in moves + copies)
    ids = [r.resource.id for r in moves + copies]
    done = _wait_completed(api, ids)
    assert [d.state for d in done] == ["COMPLETED"] * 3
    assert api.files.get(bam(4)).storage.type == "VOLUME"
    assert api.files.get(vcf(4)).storage.location == "move/sample4.vcf.gz"
    kept = api.files.get(counts(4))
    assert kept.storage.type == "PLATFORM"
    assert done[2].result.storage.type == "PLATFORM"
    assert sandbox.object_path(ARCHIVE, "copy/counts4.tsv").stat().st_size == kept.size


def test_bulk_submit_reports_per_item_errors(api: Api) -> None:
    records = api.exports.bulk_submit(
        [
            {"file": bam(5), "volume": OUTPUT, "location": "ok/sample5.bam"},
            {"file": ALIAS_FASTQ, "volume": OUTPUT, "location": "alias.fastq.gz"},
            {"file": bam(6), "volume": GCS, "location": "gcs/sample6.bam"},
        ]
    )
    assert [r.valid for r in records] == [True, False, False]
    assert records[1].error.status == 400
    assert "alias" in records[1].error.message
    assert records[2].error.status == 400
    assert "Google Cloud Storage" in records[2].error.message


def test_exports_query_by_volume_and_state(api: Api) -> None:
    records = api.exports.bulk_submit(
        [
            {"file": counts(1), "volume": OUTPUT, "location": "q/counts1.tsv"},
            {"file": counts(2), "volume": ARCHIVE, "location": "q/counts2.tsv"},
        ],
        copy_only=True,
    )
    ids = [r.resource.id for r in records]
    _wait_completed(api, ids)
    on_output = api.exports.query(volume=OUTPUT, state="COMPLETED")
    assert [e.id for e in on_output.all()] == [ids[0]]
    on_archive = [e.id for e in api.exports.query(volume=ARCHIVE, state="COMPLETED").all()]
    assert ids[1] in on_archive
    assert "SeedRawFastqExport00000000000001" in on_archive
    assert api.exports.query(volume=OUTPUT, state="PENDING").total == 0
    assert api.exports.get(ids[0]).state == "COMPLETED"


def test_rate_limit_is_read_without_counting(api: Api, sandbox: Sandbox) -> None:
    assert api.users.me().username == "rfranklin"  # one counted call
    before = api.rate_limit.get()
    assert before.rate.limit == 1000
    assert before.rate.remaining == 999
    assert before.instance_limit is not None
    assert isinstance(before.rate.reset, datetime.datetime)
    assert api.limit == 1000
    assert api.remaining == 999  # each read is a GET /v2/rate_limit that counts nothing
    reset = api.reset_time
    assert isinstance(reset, datetime.datetime)
    assert reset > datetime.datetime.now()
    assert api.rate_limit.get().rate.remaining == 999
    paths = [entry["path"] for entry in sandbox.request_log()]
    assert paths.count("/v2/rate_limit") == 5


def test_folder_list_files(api: Api) -> None:
    results = next(f for f in api.files.query(project=PROJECT) if f.name == "results")
    listed = results.list_files(limit=4)
    assert len(listed) == 4 and listed.total == 10
    names = [f.name for f in listed.all()]
    assert names == [f"sample{n}" for n in range(1, 9)] + ["summary", "tmp"]
    sample1 = next(f for f in listed.all() if f.name == "sample1")
    assert bam(1) in {f.id for f in sample1.list_files()}


def test_exports_query_for_two_states_at_once(make_sandbox: MakeSandbox) -> None:
    sandbox = make_sandbox(job_pace=600)  # jobs stay in flight for the whole test
    api = Api(url=sandbox.url, token=sandbox.token, debug=True)
    records = api.exports.bulk_submit(
        [
            {"file": counts(1), "volume": OUTPUT, "location": "s/one.tsv"},
            {"file": counts(2), "volume": OUTPUT, "location": "s/two.tsv"},
        ],
        copy_only=True,
    )
    running, pending = (r.resource.id for r in records)
    # One job is made RUNNING in the state itself: no waiting on the job runner's clock.
    with sqlite3.connect(sandbox.db_path) as db:
        db.execute("UPDATE exports SET state = 'RUNNING' WHERE id = ?", (running,))
    in_flight = api.exports.query(state=["PENDING", "RUNNING"])
    assert {e.id: e.state for e in in_flight.all()} == {running: "RUNNING", pending: "PENDING"}
    assert in_flight.total == 2
    assert [e.id for e in api.exports.query(state="RUNNING").all()] == [running]
    finished = api.exports.query(state=["COMPLETED", "FAILED"])
    assert {e.state for e in finished.all()} == {"COMPLETED"}  # the two seeded jobs
    with pytest.raises(BadRequest):
        api.exports.query(state=["PENDING", "RUNNING", "COMPLETED", "FAILED", "PENDING"])


def _refusal(api: Api, properties: dict[str, object]) -> SbgError:
    with pytest.raises(SbgError) as raised:
        api.exports.submit_export(
            file=bam(1), volume=OUTPUT, location="props.bam", properties=properties
        )
    return raised.value


def test_invalid_canned_acl_and_storage_class_are_refused(api: Api) -> None:
    acl = _refusal(api, {"aws_canned_acl": "owner-full"})
    assert (acl.status, acl.code) == (400, 9022)
    storage = _refusal(api, {"aws_storage_class": "FROZEN"})
    assert (storage.status, storage.code) == (400, 9024)
    sse = _refusal(api, {"sse_algorithm": "DES"})
    assert (sse.status, sse.code) == (400, 9032)
    [record] = api.exports.bulk_submit(
        [{"file": bam(1), "volume": OUTPUT, "location": "b.bam",
          "properties": {"aws_storage_class": "glacier"}}]
    )  # fmt: skip
    assert not record.valid and record.error.code == 9024


def test_storage_class_is_recorded_and_returned(api: Api, sandbox: Sandbox) -> None:
    export = api.exports.submit_export(
        file=counts(5),
        volume=OUTPUT,
        location="cold/counts5.tsv",
        properties={"aws_storage_class": "GLACIER_IR", "aws_canned_acl": "private"},
        copy_only=True,
    )
    assert export.properties["aws_storage_class"] == "GLACIER_IR"
    assert api.exports.get(export.id).properties["aws_canned_acl"] == "private"
    job = sandbox.export(export.id)
    assert job is not None and job["properties"]["aws_storage_class"] == "GLACIER_IR"
    plain = api.exports.submit_export(
        file=counts(6), volume=OUTPUT, location="warm/counts6.tsv", copy_only=True
    )
    assert plain.properties["aws_storage_class"] is None  # not given, no volume default


def test_existing_destination_with_overwrite_false_is_9107(api: Api) -> None:
    with pytest.raises(Conflict) as raised:
        api.exports.submit_export(
            file=bam(2), volume=OUTPUT, location="legacy/old_counts.tsv", overwrite=False
        )
    assert raised.value.code == 9107


def test_missing_project_volume_and_job_answer_the_published_codes(api: Api) -> None:
    for call, code in (
        (lambda: api.projects.get("rfranklin/nope"), 3002),
        (lambda: api.volumes.get("rfranklin/nope"), 9007),
        (lambda: api.exports.get("NoSuchExportJob00000000000000001"), 9008),
        (lambda: api.files.get("0" * 24), 5002),
    ):
        with pytest.raises(NotFound) as raised:
            call()
        assert raised.value.code == code
    [record] = api.exports.bulk_get(["NoSuchExportJob00000000000000001"])
    assert record.error.code == 9008
    [missing] = api.exports.bulk_submit(
        [
            {"file": "0" * 24, "volume": OUTPUT, "location": "m.bam"},
        ]
    )
    assert missing.error.code == 9109
    [nowhere] = api.exports.bulk_submit([{"file": bam(1), "volume": "a/b", "location": "m.bam"}])
    assert nowhere.error.code in (9007, 9104)


def test_export_to_a_key_with_a_300_byte_segment_completes_and_is_listed(
    api: Api, sandbox: Sandbox
) -> None:
    segment = "s" * 150 + "é" * 75  # 300 bytes of UTF-8
    location = f"long/{segment}.bam"
    assert len(segment.encode()) == 300
    export = api.exports.submit_export(
        file=bam(6), volume=OUTPUT, location=location, copy_only=True
    )
    [done] = _wait_completed(api, [export.id])
    assert done.state == "COMPLETED"
    volume = api.volumes.get(OUTPUT)
    assert [o.location for o in volume.list(prefix="long/")] == [location]
    info = volume.get_volume_object_info(location)
    assert info.metadata["size"] == api.files.get(bam(6)).size
    assert sandbox.object_path(OUTPUT, location).stat().st_size == info.metadata["size"]
