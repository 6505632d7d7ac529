"""`POST /v2/files/search` against a sandbox on a real port: locations, conditions, order, paging
by token (files added between pages included), the answers to bad and hostile input, advance
access, the lagging index, and the unchanged official client paging a recursive search."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
import requests
from sevenbridges import Api

from reconciler.sandbox.server import Sandbox

from .helpers import US, MakeSandbox, control

pytestmark = pytest.mark.timeout(60)

LAB, PLAIN, BOB = "lab-token", "plain-token", "bob-token"
P = '"/Projects/lab/p"'
PATHS = (  # lab/p; the range edges: `results.bam`, `results-old/`, `results0/` are not below
    "README.md",  # results/, whose path range is results/ .. results0 (exclusive)
    "results/summary.tsv",
    "results/b01/x.bam",
    "results/b01/x.bam.bai",
    "results/b01/y.vcf.gz",
    "results/b01/deep/z.bam",
    "results/b02/W.BAM",
    "results/b02/.bam",  # no extension: nothing before the dot
    "results/b02/a_b%.txt",  # LIKE's wildcards, read literally
    "results.bam",
    "results-old/c.bam",
    "results0/d.bam",
)
ROOT = {"README.md", "results", "empty", "results.bam", "results-old", "results0"}
BELOW_RESULTS = {"summary.tsv", "b01", "x.bam", "x.bam.bai", "y.vcf.gz", "deep", "z.bam"}
BELOW_RESULTS |= {"b02", "W.BAM", ".bam", "a_b%.txt"}
EVERYTHING = ROOT | BELOW_RESULTS | {"c.bam", "d.bam"}


def seed() -> dict[str, Any]:
    files = [{"project": "lab/p", "path": path, "size": 1} for path in PATHS]
    files += [
        {"project": "lab/p", "path": "empty/"},
        {"project": "lab/q", "path": "other/q.bam"},
        {"project": "bob/private", "path": "secret.bam"},
    ]
    return {
        "tokens": [
            {"token": LAB, "username": "lab"},
            {"token": PLAIN, "username": "plain", "advance_access": False},
            {"token": BOB, "username": "bob"},
        ],
        "projects": [
            {"id": "lab/p", "location": US, "members": ["plain"]},
            {"id": "lab/q", "location": US},
            {"id": "bob/private", "location": US},
        ],
        "files": files,
    }


@pytest.fixture
def lab(make_sandbox: MakeSandbox) -> Sandbox:
    return make_sandbox(seed())


def search(sandbox: Sandbox, query: Any, token: str = LAB, **params: Any) -> requests.Response:
    return requests.post(
        f"{sandbox.url}/files/search",
        json={"query": query},
        params=params,
        headers={"X-SBG-Auth-Token": token},
    )


def found(sandbox: Sandbox, query: str, **params: Any) -> dict[str, Any]:
    answer = search(sandbox, query, **params)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def names(sandbox: Sandbox, query: str) -> set[str]:
    body = found(sandbox, query, limit=100)
    assert body["cont_token"] is None
    result = {entry["name"] for entry in body["result_set"]}
    assert len(result) == len(body["result_set"]) == body["count"]
    return result


def every_page(
    sandbox: Sandbox, query: str, limit: int, between: Callable[[int], None] = lambda _: None
) -> list[str]:
    """The ids of every page, following cont_token; `between(n)` runs after page n."""
    ids: list[str] = []
    token = None
    for number in range(1, 1000):
        body = found(sandbox, query, limit=limit, **({"cont_token": token} if token else {}))
        assert len(body["result_set"]) <= limit
        ids += [entry["id"] for entry in body["result_set"]]
        token = body["cont_token"]
        if token is None:
            return ids
        between(number)
    raise AssertionError("the pages never ended")


def refusal(answer: requests.Response, status: int = 400, code: int = 90000) -> str:
    assert (answer.status_code, answer.json()["code"]) == (status, code), answer.text
    message: str = answer.json()["message"]
    return message


def test_a_root_lists_its_children_and_with_recursive_everything_below(lab: Sandbox) -> None:
    assert names(lab, f"IN {P}") == ROOT
    assert names(lab, f"IN {P} RECURSIVE") == EVERYTHING
    body = found(lab, f'IN {P} WHERE name = "README.md"')
    assert body["result_set"] == [
        {
            "id": body["result_set"][0]["id"],
            "name": "README.md",
            "type": "file",
            "metadata": {},
            "tags": [],
        }
    ]  # no parent, no storage, no path


def test_a_folder_location(lab: Sandbox) -> None:
    assert names(lab, 'IN "/Projects/lab/p/results"') == {"summary.tsv", "b01", "b02"}
    assert names(lab, 'IN "/Projects/lab/p/results/" RECURSIVE') == BELOW_RESULTS
    assert names(lab, 'IN "/Projects/lab/p/results/b01" RECURSIVE') == {
        "x.bam", "x.bam.bai", "y.vcf.gz", "deep", "z.bam"
    }  # fmt: skip
    assert names(lab, 'IN "/Projects/lab/p/empty" RECURSIVE') == set()


def test_several_locations_overlapping_or_in_other_projects(lab: Sandbox) -> None:
    places = '"/Projects/lab/p/results/b01", "/Projects/lab/q", "/Projects/lab/p/results/b02"'
    assert names(lab, f"IN {places}") == {"x.bam", "x.bam.bai", "y.vcf.gz", "deep"} | {
        "other", "W.BAM", ".bam", "a_b%.txt"
    }  # fmt: skip
    # A location inside another adds nothing, and the same one twice is once.
    overlapping = f'IN {P}, "/Projects/lab/p/results/b01", {P} RECURSIVE'
    assert names(lab, overlapping) == EVERYTHING
    assert names(lab, f'IN {P}, "/Projects/lab/p/results" WHERE name = "b01"') == {"b01"}


def test_conditions_each_and_together(lab: Sandbox) -> None:
    def where(condition: str) -> set[str]:
        return names(lab, f"IN {P} WHERE {condition} RECURSIVE")

    folders = {"results", "empty", "results-old", "results0", "b01", "b02", "deep"}
    assert where('type = "FOLDER"') == folders
    assert where('Type = "file"') == EVERYTHING - folders
    assert where('name = "a_b%.txt"') == {"a_b%.txt"}
    assert where('name = "A_B%.TXT"') == set()  # names keep their case
    bams = {"x.bam", "z.bam", "W.BAM", "results.bam", "c.bam", "d.bam"}
    assert where('file_extension IN ("BAM")') == bams  # not `.bam`: it has no extension
    assert where('FILE_EXTENSION in (".bam", "bai")') == bams | {"x.bam.bai"}
    assert where('file_extension IN ("gz")') == {"y.vcf.gz"}
    assert where('file_extension IN ("VCF.GZ")') == {"y.vcf.gz"}
    assert where('file_extension IN ("%", "_", "b%.txt")') == set()
    assert where('file_extension IN ("results")') == set()  # folders have no extension
    bam_files = 'type = "FILE" AND file_extension IN ("BAM")'
    assert names(lab, f'IN "/Projects/lab/p/results" WHERE {bam_files} RECURSIVE') == {
        "x.bam", "z.bam", "W.BAM"
    }  # fmt: skip
    assert where(f'{bam_files} and name = "z.bam"') == {"z.bam"}
    assert where('type = "FILE" AND type = "FOLDER"') == set()


def test_order_by_id_both_ways_and_the_id_field(lab: Sandbox) -> None:
    ascending = [entry["id"] for entry in found(lab, f"IN {P} RECURSIVE")["result_set"]]
    assert ascending == sorted(ascending) and len(ascending) == len(EVERYTHING)
    desc = found(lab, f"IN {P} ORDER BY id DESC LIMIT 100 RECURSIVE")["result_set"]
    assert [entry["id"] for entry in desc] == ascending[::-1]
    assert every_page(lab, f"IN {P} ORDER BY ID desc RECURSIVE", limit=4) == ascending[::-1]
    renamed = found(lab, f"id AS file_id IN {P}")["result_set"]
    assert all(set(entry) == {"file_id", "name", "type", "metadata", "tags"} for entry in renamed)


def test_limit_bounds_and_which_limit_wins(lab: Sandbox) -> None:
    every = f"IN {P} RECURSIVE"
    assert len(found(lab, every)["result_set"]) == len(EVERYTHING)  # under the default 50
    assert len(found(lab, every, limit=1)["result_set"]) == 1
    assert len(found(lab, f"IN {P} LIMIT 3 RECURSIVE")["result_set"]) == 3
    assert len(found(lab, f"IN {P} LIMIT 3 RECURSIVE", limit=5)["result_set"]) == 5
    assert len(found(lab, f"IN {P} LIMIT 100 RECURSIVE", limit=100)["result_set"]) == 19
    for limit in ("0", "101", "-1", "ten", "99999999999999999999", "9" * 5000):
        assert "limit" in refusal(search(lab, every, limit=limit))
    for clause in ("LIMIT 0", "LIMIT 101", "LIMIT 99999999999999999999"):
        assert "LIMIT must be between 1 and 100" in refusal(search(lab, f"IN {P} {clause}"))


def test_offset_is_for_the_first_page(lab: Sandbox) -> None:
    ascending = [entry["id"] for entry in found(lab, f"IN {P} RECURSIVE")["result_set"]]
    body = found(lab, f"IN {P} LIMIT 5 OFFSET 3 RECURSIVE")
    assert [entry["id"] for entry in body["result_set"]] == ascending[3:8]
    assert body["count"] == len(EVERYTHING)
    # The next page starts after the last id returned; OFFSET is not applied twice.
    again = found(lab, f"IN {P} LIMIT 5 OFFSET 3 RECURSIVE", cont_token=body["cont_token"])
    assert [entry["id"] for entry in again["result_set"]] == ascending[8:13]
    assert found(lab, f"IN {P} OFFSET 10000 RECURSIVE")["result_set"] == []


def test_pages_to_the_end_are_the_whole_list_even_when_files_are_added(lab: Sandbox) -> None:
    query = f"IN {P} RECURSIVE"
    whole = [entry["id"] for entry in found(lab, query, limit=100)["result_set"]]
    assert every_page(lab, query, limit=3) == whole

    def add_two(page: int) -> None:
        if page == 2:  # one sorts before every id returned so far, one after all
            for file_id, path in (("0" * 24, "late/first.bam"), ("f" * 24, "late/last.bam")):
                entry = {"project": "lab/p", "path": path, "size": 1, "id": file_id}
                assert control(lab, "files", entry).status_code == 200

    paged = every_page(lab, query, limit=3, between=add_two)
    assert len(paged) == len(set(paged))  # none twice
    assert paged[: len(whole)] == whole  # none missed, none shifted
    assert paged[len(whole) :] == ["f" * 24]  # the later id is found; the earlier was passed
    assert found(lab, query, limit=100)["count"] == len(whole) + 3  # their folder `late` too


def test_a_token_continues_only_its_own_query(lab: Sandbox) -> None:
    first = found(lab, f"IN {P} RECURSIVE", limit=2)
    token = first["cont_token"]
    assert isinstance(token, str) and first["count"] == len(EVERYTHING)
    others = (f"IN {P}", f"IN {P} ORDER BY id DESC RECURSIVE", f'IN {P} WHERE name = "x" RECURSIVE')
    for other in others:
        assert "another query" in refusal(search(lab, other, cont_token=token))
    same = found(lab, f"in {P} limit 7 recursive", cont_token=token)  # LIMIT is not the query
    assert same["count"] == first["count"] and len(same["result_set"]) == 7
    in_query = found(lab, f'IN {P} TOKEN "{token}" RECURSIVE', limit=7)
    assert in_query["result_set"] == same["result_set"]
    assert found(lab, f"IN {P} TOKEN {token} RECURSIVE", limit=7) == in_query
    other_token = found(lab, f"IN {P} RECURSIVE", limit=3)["cont_token"]
    both = search(lab, f"IN {P} TOKEN {other_token} RECURSIVE", cont_token=token)
    assert "differ" in refusal(both)
    for forged in ("x", "!!!", "e30", "eyJxIjoxfQ", token[:-3], "A" * 401):
        answer = search(lab, f"IN {P} RECURSIVE", cont_token=forged)
        assert "not a continuation token" in refusal(answer)


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("", "character 1: expected ID or IN (found the end of the query)"),
        (P, "character 1: expected ID or IN (found a quoted string)"),
        ("IN /Projects/lab/p", "character 4: expected a location in double quotes (found '/')"),
        (
            f"IN {P} RECURSIVE WHERE",
            "character 32: expected STALE or the end of the query (found 'WHERE')",
        ),
        (f"IN {P} WHERE size = 3", "character 28: no condition on 'size'"),
        (f'IN {P} WHERE type = "BLOB"', 'type is "FILE" or "FOLDER", not "BLOB"'),
        (f'IN {P} WHERE name = "open', "character 35: this string is never closed"),
        (f'IN {P} WHERE name = "a\\n"', 'escapes only " and \\'),
        ('IN "/projekte/lab/p"', 'location "/projekte/lab/p" is not "/Projects/<owner>/<project>'),
        ('IN "/Projects/lab"', "is not"),
        ('IN "/Projects/lab//p"', "is not"),
        ("IN " + ", ".join([P] * 11), "at most 10 locations"),
        (f"IN {P} OFFSET 10001", "OFFSET must be between 0 and 10000, not 10001"),
        (f"IN {P} OFFSET {'9' * 400}", "between 0 and 10000, not a number of 400 digits"),
        (  # the number is read (a 7 with leading zeros); LIMIT comes before OFFSET
            f"IN {P} OFFSET 000000000000000000000000007 LIMIT 1",
            "expected TOKEN, RECURSIVE, STALE or the end of the query (found 'LIMIT')",
        ),
        (f"IN {P} LIMIT many", "expected a number after LIMIT (found 'many')"),
        (f"IN {P} RECURSIVE LIMIT 3", "expected STALE or the end of the query (found 'LIMIT')"),
        ("x" * 10_001, "the query has 10001 characters; at most 10000"),
    ],
)
def test_an_unreadable_query_says_where_and_what(lab: Sandbox, query: str, words: str) -> None:
    assert words in refusal(search(lab, query))


@pytest.mark.parametrize(
    "body",
    [
        [],
        "IN x",
        None,
        42,
        {},
        {"query": None},
        {"query": 7},
        {"query": ["IN", P]},
        {"query": {"in": P}},
        {"query": "IN " + P + " WHERE " + " AND ".join(['type = "FILE"'] * 700)},
        {"query": "IN " + P + " WHERE " + " AND ".join(['name = "x"'] * 101)},
        {"query": "IN " + P + " WHERE file_extension IN (" + ", ".join(['"a"'] * 101) + ")"},
        {"query": "IN \u0000 \ud7ff \U0001f600"},
        {"query": "IN " + "(" * 5000},
        {"query": "IN " + "[" * 5000},
        {"query": f"IN {P} LIMIT {'9' * 5000}"},
    ],
)
def test_hostile_bodies_are_clear_400s(lab: Sandbox, body: Any) -> None:
    answer = requests.post(f"{lab.url}/files/search", json=body, headers={"X-SBG-Auth-Token": LAB})
    assert answer.status_code == 400, answer.text
    assert answer.json()["code"] == 90000 and answer.json()["message"]


def test_the_largest_queries_are_answered(lab: Sandbox) -> None:
    conditions = " AND ".join(f'name = "{n}"' for n in range(100))
    assert found(lab, f"IN {P} WHERE {conditions} RECURSIVE")["count"] == 0
    extensions = ", ".join(f'"e{n}"' for n in range(99)) + ', "bam"'
    query = f"IN {', '.join([P] * 10)} WHERE file_extension IN ({extensions}) RECURSIVE"
    assert found(lab, query)["count"] == 6


@pytest.mark.parametrize(
    "body",
    [
        b"{query",
        b"[" * 100_000 + b"]" * 100_000,
        b"\xff",
        json.dumps({"query": 'IN "/Projects/lab/\udfff"'}).encode(),  # a lone surrogate
        json.dumps({"query": f'IN {P} WHERE name = "\ud800"'}).encode(),
    ],
)
def test_a_body_that_is_not_json_is_refused(lab: Sandbox, body: bytes) -> None:
    answer = requests.post(f"{lab.url}/files/search", data=body, headers={"X-SBG-Auth-Token": LAB})
    assert refusal(answer, 400, 90009) == "the request body is not valid JSON"


def test_locations_out_of_reach_or_missing_are_404s(lab: Sandbox) -> None:
    assert refusal(search(lab, 'IN "/Projects/bob/private"'), 404, 3002) == (
        "project bob/private not found"
    )
    assert refusal(search(lab, 'IN "/Projects/lab/none"'), 404, 3002)
    missing = search(lab, 'IN "/Projects/lab/p/results/b03" RECURSIVE')
    assert refusal(missing, 404, 5002) == "folder lab/p/results/b03 not found"
    assert "is a file" in refusal(search(lab, 'IN "/Projects/lab/p/README.md"'))
    assert names(lab, 'IN "/Projects/lab/q"') == {"other"}  # reached: lab owns it
    owner = search(lab, 'IN "/Projects/bob/private"', token=BOB)
    assert [entry["name"] for entry in owner.json()["result_set"]] == ["secret.bam"]


def test_an_account_without_advance_access_is_forbidden(lab: Sandbox) -> None:
    message = refusal(search(lab, f"IN {P}", token=PLAIN), 403, 90002)
    assert "advance-access" in message
    assert refusal(search(lab, "not even a query", token=PLAIN), 403, 90002)
    listing = requests.get(
        f"{lab.url}/files", params={"project": "lab/p"}, headers={"X-SBG-Auth-Token": PLAIN}
    )
    assert listing.status_code == 200  # only the search is advance access
    answer = requests.post(
        f"{lab.url}/files/search",
        json={"query": f"IN {P}"},
        headers={"X-SBG-Auth-Token": LAB, "X-Sbg-Advance-Access": "Advance"},
    )
    assert answer.status_code == 200  # the header is accepted, and never needed


def test_a_lagging_index_misses_new_files_until_the_lag_is_off(lab: Sandbox) -> None:
    query = f"IN {P} RECURSIVE"
    before = found(lab, query)["count"]
    assert control(lab, "config", {"search_lag": 3600}).json()["search_lag"] == 3600
    entry = {"project": "lab/p", "path": "new/fresh.bam", "size": 1}
    added = control(lab, "files", entry).json()["id"]
    assert lab.file(added) is not None  # the file exists; the index has not seen it
    lagging = found(lab, query)
    assert lagging["count"] == before and "fresh.bam" not in names(lab, query)
    assert found(lab, 'IN "/Projects/lab/p/new"')["result_set"] == []
    assert found(lab, f"{query} STALE")["count"] == before  # STALE or not: the index lags
    control(lab, "config", {"search_lag": 0})
    assert {"new", "fresh.bam"} <= names(lab, query)
    assert found(lab, query)["count"] == before + 2


def test_bad_search_lag_settings_are_refused(lab: Sandbox) -> None:
    for value in (-1, "soon", True, None):
        answer = control(lab, "config", {"search_lag": value})
        assert answer.status_code == 400 and "search_lag" in answer.json()["message"]


def test_search_is_a_read_that_counts_against_the_rate_limit(lab: Sandbox) -> None:
    first = search(lab, f"IN {P}")
    second = search(lab, f"IN {P}")
    remaining = int(first.headers["X-RateLimit-Remaining"])
    assert int(second.headers["X-RateLimit-Remaining"]) == remaining - 1
    lab.configure(read_error_rate=1.0)
    assert refusal(search(lab, f"IN {P}"), 500, 90004)
    lab.configure(read_error_rate=0.0, write_error_rate=1.0)
    assert search(lab, f"IN {P}").status_code == 200


def test_the_official_client_pages_a_recursive_search_to_the_end(lab: Sandbox) -> None:
    for advance_access in (False, True):  # with and without the header
        api = Api(url=lab.url, token=LAB, debug=True, advance_access=advance_access)
        query = f"IN {P} RECURSIVE"
        pages = [api.files.search(query, limit=4)]
        while pages[-1].cont_token:
            pages.append(api.files.search(query, cont_token=pages[-1].cont_token, limit=4))
        assert len(pages) == -(-len(EVERYTHING) // 4)
        assert {page.count for page in pages} == {len(EVERYTHING)}
        entries = [entry for page in pages for entry in page.result_set]
        assert {entry["name"] for entry in entries} == EVERYTHING
        assert [entry["id"] for entry in entries] == sorted(entry["id"] for entry in entries)
        by_id = {
            record.resource.name for record in api.files.bulk_get([e["id"] for e in entries[:3]])
        }
        assert by_id <= EVERYTHING and len(by_id) == 3  # a client learns the rest by bulk get
