"""Every parameter docs/api.md names, observed over HTTP with requests."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
import requests

from reconciler.sandbox.server import Sandbox

from .helpers import ARCHIVE, OUTPUT, PROJECT, bam, counts, session, vcf

pytestmark = pytest.mark.timeout(30)


def get(sandbox: Sandbox, path: str, **params: Any) -> requests.Response:
    return session(sandbox).get(f"{sandbox.url}{path}", params=params)


def folder_id(sandbox: Sandbox, name: str) -> str:
    [row] = sandbox.query("SELECT id FROM files WHERE type = 'folder' AND name = ?", (name,))
    return str(row["id"])


def test_every_response_has_a_request_id_and_rate_limit_headers(sandbox: Sandbox) -> None:
    ok = get(sandbox, "/user")
    missing = get(sandbox, "/files/" + "0" * 24)
    ids = {ok.headers["X-Request-Id"], missing.headers["X-Request-Id"]}
    assert len(ids) == 2
    for response in (ok, missing):
        assert int(response.headers["X-RateLimit-Limit"]) == 1000
        assert "X-RateLimit-Remaining" in response.headers
        assert "X-RateLimit-Reset" in response.headers
    assert missing.status_code == 404
    assert set(missing.json()) == {"status", "code", "message", "more_info"}


def test_no_or_unknown_token_is_401(sandbox: Sandbox) -> None:
    anonymous = requests.get(f"{sandbox.url}/user")
    wrong = requests.get(f"{sandbox.url}/user", headers={"X-SBG-Auth-Token": "nope"})
    for response in (anonymous, wrong):
        assert response.status_code == 401
        assert response.json()["status"] == 401
        assert response.headers["X-Request-Id"]


def test_project_root_level_only(sandbox: Sandbox) -> None:
    response = get(sandbox, "/files", project=PROJECT)
    names = [f["name"] for f in response.json()["items"]]
    assert "results" in names and "README.md" in names
    assert "sample1.bam" not in names
    assert response.headers["X-Total-Matching-Query"] == "8"


def test_parent_lists_direct_children(sandbox: Sandbox) -> None:
    response = get(sandbox, "/files", parent=folder_id(sandbox, "sample1"))
    assert {f["id"] for f in response.json()["items"]} == {
        bam(1),
        bam(1)[:-1] + "2",
        vcf(1),
        counts(1),
    }


def test_project_and_parent_are_exclusive(sandbox: Sandbox) -> None:
    assert (
        get(sandbox, "/files", project=PROJECT, parent=folder_id(sandbox, "qc")).status_code == 400
    )
    assert get(sandbox, "/files").status_code == 400
    assert get(sandbox, "/files", project="rfranklin/nope").status_code == 404
    assert get(sandbox, "/files", parent=bam(1)).status_code == 400


def test_repeatable_name(sandbox: Sandbox) -> None:
    response = get(
        sandbox, "/files", parent=folder_id(sandbox, "sample2"), name=["counts.tsv", "sample2.bam"]
    )
    assert {f["id"] for f in response.json()["items"]} == {counts(2), bam(2)}
    assert response.headers["X-Total-Matching-Query"] == "2"


def test_metadata_filter_or_within_a_key_and_across_keys(sandbox: Sandbox) -> None:
    sample3 = folder_id(sandbox, "sample3")
    tumor = get(sandbox, "/files", parent=sample3, **{"metadata.sample_type": "tumor"})
    assert tumor.headers["X-Total-Matching-Query"] == "4"
    normal = get(sandbox, "/files", parent=sample3, **{"metadata.sample_type": "normal"})
    assert normal.json()["items"] == []
    either = get(sandbox, "/files", parent=sample3, **{"metadata.sample_type": ["normal", "tumor"]})
    assert either.headers["X-Total-Matching-Query"] == "4"
    both = get(
        sandbox,
        "/files",
        parent=sample3,
        **{"metadata.sample_type": "tumor", "metadata.sample_id": "sample9"},
    )
    assert both.headers["X-Total-Matching-Query"] == "0"


def test_tag_filter(sandbox: Sandbox) -> None:
    sample7 = folder_id(sandbox, "sample7")
    assert [
        f["id"] for f in get(sandbox, "/files", parent=sample7, tag="variants").json()["items"]
    ] == [vcf(7)]
    assert get(sandbox, "/files", parent=sample7, tag="final").json()["items"] == []
    any_of = get(sandbox, "/files", parent=folder_id(sandbox, "sample1"), tag=["variants", "final"])
    assert any_of.headers["X-Total-Matching-Query"] == "3"


def test_fields_selects_keys(sandbox: Sandbox) -> None:
    some = get(sandbox, "/files", project=PROJECT, fields="id,name,storage").json()["items"]
    assert all(set(f) <= {"id", "name", "storage"} for f in some)
    assert {"id", "name"} <= set(some[0])
    everything = get(sandbox, f"/files/{bam(1)}", fields="_all").json()
    assert {"href", "id", "name", "type", "project", "parent", "size", "created_on",
            "modified_on", "metadata", "tags", "storage"} <= set(everything)  # fmt: skip
    assert everything == get(sandbox, f"/files/{bam(1)}").json()
    assert everything["storage"] == {"type": "PLATFORM", "hosted_on_locations": ["aws:us-east-1"]}
    assert set(get(sandbox, f"/files/{bam(1)}", fields="size").json()) == {"size"}


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"limit": 0}, 400),
        ({"limit": 101}, 400),
        ({"limit": "ten"}, 400),
        ({"offset": -1}, 400),
        ({"limit": 1}, 200),
        ({"limit": 100}, 200),
    ],
)
def test_offset_and_limit_bounds(sandbox: Sandbox, params: dict[str, Any], status: int) -> None:
    assert get(sandbox, "/files", project=PROJECT, **params).status_code == status


def test_default_limit_is_50_and_next_links_walk_every_page(make_sandbox: Any) -> None:
    files = [{"project": "o/p", "path": f"f{n:03}.txt", "size": n} for n in range(120)]
    seed = {
        "tokens": [{"token": "t", "username": "o"}],
        "projects": [{"id": "o/p", "location": "aws:us-east-1"}],
        "files": files,
    }
    sandbox = make_sandbox(seed)
    first = get(sandbox, "/files", project="o/p")
    body = first.json()
    assert len(body["items"]) == 50
    assert first.headers["X-Total-Matching-Query"] == "120"
    assert body["href"].startswith(sandbox.url + "/files?")
    names = [f["name"] for f in body["items"]]
    http = session(sandbox)
    while True:
        following = [link for link in body["links"] if link["rel"] == "next"]
        if not following:
            break
        assert following[0]["method"] == "GET"
        body = http.get(following[0]["href"]).json()
        names += [f["name"] for f in body["items"]]
    assert names == [f"f{n:03}.txt" for n in range(120)]
    last = get(sandbox, "/files", project="o/p", offset=100, limit=50).json()
    assert len(last["items"]) == 20 and last["links"] == []


def test_bulk_file_get_keeps_request_order_and_caps_at_100(sandbox: Sandbox) -> None:
    http = session(sandbox)
    ids = [vcf(1), "nothex", bam(1)]
    items = http.post(f"{sandbox.url}/bulk/files/get", json={"file_ids": ids}).json()["items"]
    assert items[0]["resource"]["id"] == vcf(1)
    assert items[1]["error"]["status"] == 404
    assert items[2]["resource"]["id"] == bam(1)
    too_many = http.post(f"{sandbox.url}/bulk/files/get", json={"file_ids": [bam(1)] * 101})
    assert too_many.status_code == 400


def test_volume_listing_prefix_and_delimiter(sandbox: Sandbox) -> None:
    http = session(sandbox)
    created = http.post(
        f"{sandbox.url}/bulk/storage/exports/create?copy_only=true",
        json={"items": [
            {"source": {"file": f}, "destination": {"volume": OUTPUT, "location": loc}}
            for f, loc in [(counts(1), "top.tsv"), (counts(2), "a/one.tsv"),
                           (counts(3), "a/b/two.tsv"), (counts(4), "a/b/c/three.tsv")]
        ]},
    )  # fmt: skip
    assert created.status_code == 200
    sandbox.wait_for_jobs()
    top = get(sandbox, f"/storage/volumes/{OUTPUT}/list").json()
    assert [i["location"] for i in top["items"]] == ["top.tsv"]
    assert [p["prefix"] for p in top["prefixes"]] == ["a/", "legacy/"]
    assert top["links"] == []
    level_a = get(sandbox, f"/storage/volumes/{OUTPUT}/list", prefix="a/").json()
    assert [i["location"] for i in level_a["items"]] == ["a/one.tsv"]
    assert [p["prefix"] for p in level_a["prefixes"]] == ["a/b/"]
    assert level_a["items"][0]["volume"] == OUTPUT
    assert level_a["items"][0]["metadata"]["size"] > 0
    partial = get(sandbox, f"/storage/volumes/{OUTPUT}/list", prefix="a/b/t").json()
    assert [i["location"] for i in partial["items"]] == ["a/b/two.tsv"]
    assert partial["prefixes"] == []
    # The volume prefix stays invisible, but the objects are written underneath it.
    assert sandbox.object_path(OUTPUT, "a/b/two.tsv").is_file()
    [key] = sandbox.query("SELECT key FROM objects WHERE key LIKE '%two.tsv'")
    assert key["key"] == "projects/rna-seq/a/b/two.tsv"


def test_volume_listing_continuation(sandbox: Sandbox) -> None:
    first = get(sandbox, f"/storage/volumes/{ARCHIVE}/list", prefix="rna-seq/raw/", limit=2)
    body = first.json()
    assert len(body["items"]) == 2
    [link] = body["links"]
    assert set(link) == {"next"}
    assert "continuation_token=" in link["next"]
    assert link["next"].startswith(sandbox.url)
    rest = session(sandbox).get(link["next"]).json()
    assert [i["location"] for i in rest["items"]] == ["rna-seq/raw/sample2_R1.fastq.gz"]
    assert rest["links"] == []
    bad = get(sandbox, f"/storage/volumes/{ARCHIVE}/list", continuation_token="%%%")
    assert bad.status_code == 400


def test_volume_object_info(sandbox: Sandbox) -> None:
    found = get(
        sandbox, f"/storage/volumes/{ARCHIVE}/object", location="rna-seq/raw/sample1_R1.fastq.gz"
    )
    assert found.status_code == 200
    assert found.json()["metadata"]["size"] == 2147483648
    assert get(sandbox, f"/storage/volumes/{ARCHIVE}/object", location="nope").status_code == 404
    assert get(sandbox, "/storage/volumes/rfranklin/nope").status_code == 404


def test_volume_resource_shape(sandbox: Sandbox) -> None:
    volume = get(sandbox, f"/storage/volumes/{OUTPUT}").json()
    assert volume["access_mode"] == "RW"
    assert volume["active"] is True
    assert volume["service"]["prefix"] == "projects/rna-seq/"
    assert "location" not in volume
    listed = get(sandbox, "/storage/volumes", limit=2)
    assert listed.headers["X-Total-Matching-Query"] == "6"
    assert len(listed.json()["items"]) == 2


def test_exports_list_filters_and_bounds(sandbox: Sandbox) -> None:
    listed = get(sandbox, "/storage/exports", volume=ARCHIVE, state="COMPLETED")
    assert listed.headers["X-Total-Matching-Query"] == "2"
    assert get(sandbox, "/storage/exports", state="DONE").status_code == 400
    assert get(sandbox, "/storage/exports", limit=101).status_code == 400
    seeded = "SeedRawFastqExport00000000000001"
    assert (
        get(sandbox, f"/storage/exports/{seeded}").json()["result"]["storage"]["type"] == "VOLUME"
    )
    many = session(sandbox).post(
        f"{sandbox.url}/bulk/storage/exports/get", json={"export_ids": [seeded, "missing"]}
    )
    entries = many.json()["items"]
    assert entries[0]["resource"]["id"] == seeded
    assert entries[1]["error"]["status"] == 404


def test_unknown_path_and_method(sandbox: Sandbox) -> None:
    assert get(sandbox, "/nothing/here").status_code == 404
    assert session(sandbox).delete(f"{sandbox.url}/files/{bam(1)}").status_code == 405


def test_rate_limit_endpoint_counts_nothing_and_answers_over_the_limit(
    make_sandbox: Any,
) -> None:
    sandbox = make_sandbox(rate_limit=2, rate_window=600)
    http = session(sandbox)
    for _ in range(5):
        quota = http.get(f"{sandbox.url}/rate_limit")
        assert quota.status_code == 200
        assert quota.json()["rate"]["remaining"] == 2
        assert quota.headers["X-RateLimit-Remaining"] == "2"
    assert [http.get(f"{sandbox.url}/user").status_code for _ in range(3)] == [200, 200, 429]
    over = http.get(f"{sandbox.url}/rate_limit").json()
    assert over["rate"] == {"limit": 2, "remaining": 0, "reset": over["rate"]["reset"]}
    reset = int(quota.headers["X-RateLimit-Reset"])
    assert over["rate"]["reset"] == time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(reset))
    assert set(over) == {"rate", "instance_limit"}
    assert requests.get(f"{sandbox.url}/rate_limit").status_code == 401
    assert http.post(f"{sandbox.url}/rate_limit").status_code == 405


def test_folder_list_endpoint(sandbox: Sandbox) -> None:
    listed = get(sandbox, f"/files/{folder_id(sandbox, 'sample1')}/list", limit=3)
    assert listed.headers["X-Total-Matching-Query"] == "4"
    assert len(listed.json()["items"]) == 3
    assert listed.json()["links"][0]["rel"] == "next"
    not_a_folder = get(sandbox, f"/files/{bam(1)}/list")
    assert not_a_folder.status_code == 400
    missing = get(sandbox, f"/files/{'0' * 24}/list")
    assert (missing.status_code, missing.json()["code"]) == (404, 5002)


def test_exports_state_repeated_up_to_four(sandbox: Sandbox) -> None:
    both = get(sandbox, "/storage/exports", state=["COMPLETED", "FAILED"])
    assert both.headers["X-Total-Matching-Query"] == "2"
    none = get(sandbox, "/storage/exports", state=["PENDING", "RUNNING"])
    assert none.headers["X-Total-Matching-Query"] == "0"
    four = get(sandbox, "/storage/exports", state=["PENDING", "RUNNING", "COMPLETED", "FAILED"])
    assert four.headers["X-Total-Matching-Query"] == "2"
    five = get(sandbox, "/storage/exports", state=["PENDING"] * 5)
    assert (five.status_code, five.json()["code"]) == (400, 90000)
    assert get(sandbox, "/storage/exports", state=["COMPLETED", "DONE"]).status_code == 400


def test_missing_and_malformed_ids_answer_the_published_codes(sandbox: Sandbox) -> None:
    cases = [
        ("/projects/rfranklin/nope", {}, 404, 3002),
        ("/files", {"project": "rfranklin/nope"}, 404, 3002),
        ("/files", {"project": "noslash"}, 400, 3012),
        ("/files", {"parent": "0" * 24}, 404, 5002),
        (f"/files/{'0' * 24}", {}, 404, 5002),
        ("/storage/volumes/rfranklin/nope", {}, 404, 9007),
        ("/storage/volumes/rfranklin/nope/list", {}, 404, 9007),
        ("/storage/exports/NoSuchJob", {}, 404, 9008),
        ("/nothing/here", {}, 404, 90003),
        ("/storage/exports", {"limit": 0}, 400, 90000),
    ]
    for path, params, status, code in cases:
        answer = get(sandbox, path, **params)
        assert (answer.status_code, answer.json()["code"]) == (status, code), path
    undecodable = session(sandbox).post(
        f"{sandbox.url}/bulk/files/get",
        data=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    assert (undecodable.status_code, undecodable.json()["code"]) == (400, 90009)
    wrong_method = session(sandbox).delete(f"{sandbox.url}/files/{bam(1)}")
    assert wrong_method.json()["code"] == 90006
    anonymous = requests.get(f"{sandbox.url}/user")
    assert anonymous.json()["code"] == 90001


def test_a_lone_surrogate_in_a_body_is_undecodable_not_a_crash(sandbox: Sandbox) -> None:
    # json.dumps escapes it as \udfff; the sandbox decodes that to a str that is no text.
    body = json.dumps({"file_ids": ["\udfff"]}).encode()
    answer = session(sandbox).post(f"{sandbox.url}/bulk/files/get", data=body)
    assert (answer.status_code, answer.json()["code"]) == (400, 90009)
