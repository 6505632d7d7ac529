"""The search's query language read without a server: what a query means, and what makes two
queries the same query for a continuation token."""

from __future__ import annotations

import pytest

from reconciler.sandbox.errors import ApiFailure
from reconciler.sandbox.search_query import Condition, Location, SearchQuery, parse

P = '"/Projects/lab/p"'


def test_the_smallest_query() -> None:
    assert parse(f"IN {P}") == SearchQuery((Location("/Projects/lab/p", "lab/p", ""),))


def test_every_clause_in_any_case() -> None:
    query = parse(
        f'id as file_id in {P}, "/Projects/lab/p/a b/c\\"d\\\\" '
        'where TYPE = "File" and Name = "x.bam" and File_Extension in ("BAM", ".vcf.gz") '
        "order by ID desc limit 5 offset 10 token abc-_1 recursive stale"
    )
    assert query == SearchQuery(
        locations=(
            Location("/Projects/lab/p", "lab/p", ""),
            Location('/Projects/lab/p/a b/c"d\\', "lab/p", 'a b/c"d\\'),
        ),
        conditions=(
            Condition("type", ("file",)),
            Condition("name", ("x.bam",)),
            Condition("file_extension", ("BAM", "vcf.gz")),
        ),
        id_field="file_id",
        descending=True,
        limit=5,
        offset=10,
        token="abc-_1",
        recursive=True,
        stale=True,
    )


def test_a_trailing_slash_and_the_projects_case_do_not_matter() -> None:
    assert parse('IN "/projects/lab/p/results/"').locations == (
        Location("/projects/lab/p/results/", "lab/p", "results"),
    )


@pytest.mark.parametrize(
    ("one", "other"),
    [
        (f"IN {P} RECURSIVE", f"in {P} LIMIT 7 OFFSET 3 TOKEN x recursive STALE"),
        (f'IN {P}, "/Projects/lab/q"', f'IN "/Projects/lab/q", {P}, {P}'),
        (f"IN {P} ORDER BY id ASC", f"IN {P}"),
        (f'IN {P} WHERE type = "FILE"', f'IN {P} WHERE type = "file"'),
        (f"id AS x IN {P}", f"IN {P}"),
    ],
)
def test_the_same_query_has_the_same_fingerprint(one: str, other: str) -> None:
    assert parse(one).fingerprint() == parse(other).fingerprint()


@pytest.mark.parametrize(
    "other",
    [
        f"IN {P}",
        f"IN {P} ORDER BY id DESC RECURSIVE",
        'IN "/Projects/lab/p/results" RECURSIVE',
        f'IN {P} WHERE name = "x" RECURSIVE',
        f'IN {P} WHERE type = "FOLDER" RECURSIVE',
    ],
)
def test_another_query_has_another_fingerprint(other: str) -> None:
    assert parse(other).fingerprint() != parse(f"IN {P} RECURSIVE").fingerprint()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("IN", "at character 3: expected a location in double quotes (found the end of the query)"),
        (f"IN {P},", "at character 22: expected a location in double quotes (found the end"),
        (f"IN {P} WHERE", "at character 27: expected a condition (type, name or file_extension)"),
        (f"IN {P} WHERE name", "at character 32: expected '=' (found the end of the query)"),
        (f'IN {P} WHERE file_extension ("x")', "at character 43: expected IN (found '(')"),
        (f'IN {P} WHERE file_extension IN ("")', "at character 47: an extension cannot be empty"),
        (f"IN {P} ORDER BY name", "at character 31: expected ID (found 'name')"),
        (f"IN {P} ORDER id", "at character 28: expected BY (found 'id')"),
        (f"IN {P} TOKEN", "at character 27: expected a continuation token"),
        (f"id AS name IN {P}", "id AS name: a result already has name"),
        (f"IN {P} ; DROP TABLE files", "at character 22: expected ',', WHERE, ORDER BY, LIMIT,"),
    ],
)
def test_an_unreadable_query(text: str, message: str) -> None:
    with pytest.raises(ApiFailure) as refused:
        parse(text)
    assert (refused.value.status, refused.value.code) == (400, 90000)
    assert message in refused.value.message
