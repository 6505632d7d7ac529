"""The HTML report as a document: self-contained, the same totals as the text, the charts
and risk lists of the plan, the item list as escaped JSON that reads back the same, and the
page of a plan too long to list (1,000,000 items) small and pointing at the full list. What it
does in a browser is tests/plan/test_render_html_browser.py."""

from __future__ import annotations

import html
import json
import re
from html.parser import HTMLParser
from typing import Any

import pytest

from reconciler.plan.model import Plan
from reconciler.plan.render import render
from reconciler.plan.render_html import render_html
from reconciler.plan.render_markdown import Artifacts
from reconciler.plan.report_data import (
    ITEM_LIST_LIMIT,
    declaration_chart,
    destination_chart,
    items_document,
    script_json,
    top_prefix,
)

from .helpers import bare_plan, moves_from_one_glob
from .report_plans import HOSTILE, varied_plan

MAX_PAGE_BYTES = 20_000_000


class Page(HTMLParser):
    """The elements and attributes of a page, and the text of its JSON element."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.data: dict[str, str] = {}
        self._in: str | None = None
        self.feed(page)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.tags.append((tag, found))
        self._in = found.get("id") if tag == "script" else None

    def handle_data(self, data: str) -> None:
        if self._in:
            self.data[self._in] = self.data.get(self._in, "") + data

    def handle_endtag(self, tag: str) -> None:
        self._in = None


@pytest.fixture(scope="module")
def varied() -> Plan:
    return varied_plan(2_000)


def test_the_page_loads_nothing_and_runs_only_its_own_script(varied: Plan) -> None:
    page = render(varied, "html")
    assert page.isascii()
    parsed = Page(page)
    names = [tag for tag, _ in parsed.tags]
    assert names.count("script") == 2 and names.count("style") == 1
    for tag, attrs in parsed.tags:
        assert not {"src", "href"} & set(attrs), (tag, attrs)  # no link, no loaded file
        assert not [name for name in attrs if name.startswith("on")], (tag, attrs)
    policy = next(a["content"] for t, a in parsed.tags if a.get("http-equiv"))
    assert policy is not None and policy.startswith("default-src 'none'; ")
    assert re.search(r"script-src 'sha256-[A-Za-z0-9+/]+=*'$", policy)


def test_the_summary_has_the_text_totals_and_the_plan_facts(varied: Plan) -> None:
    page = render(varied, "html")
    first = render(varied, "text").replace("\n    ", " ").splitlines()[0]
    assert f'<p id="summary-line"><strong>{html.escape(first)}</strong></p>' in page
    for total in varied.summary:
        assert (
            f'data-action="{total.action.value}" data-count="{total.count}" '
            f'data-bytes="{total.bytes}"'
        ) in page
    assert "irreversible: the platform copy is deleted" in page
    assert varied.digest in page and varied.manifests_commit in page  # type: ignore[operator]
    assert "aws-us at <code>api.sbgenomics.com</code>" in page


def test_the_charts_add_up_to_the_plan(varied: Plan) -> None:
    destinations = destination_chart(varied.items)
    assert sum(row.total_files for row in destinations.rows) == len(varied.items)
    assert sum(row.total_bytes for row in destinations.rows) == sum(
        item.size or 0 for item in varied.items
    )
    labels = {row.label for row in destinations.rows}
    assert labels == {"lab/archive:bam/", "lab/archive:vcf/", "lab/results:qc/",
                      "lab/cold:scratch/", "lab/cold:ids/"}  # fmt: skip
    declarations = declaration_chart(varied.declarations)
    assert declarations.rows[0].label == "manifests/ids.yaml:10-808 400 file IDs"
    assert top_prefix("a.bam") == "(root)" and top_prefix("x/y/z") == "x/"


def test_a_chart_of_many_rows_adds_up_the_smallest() -> None:
    plan = moves_from_one_glob(300, name=lambda i: f"s{i}.bam")
    # One destination prefix per item: 300 rows, 25 drawn, the last the sum of the rest.
    items = [
        item.__class__(**{**{f: getattr(item, f) for f in item.__slots__}, "location": f"p{i}/x"})
        for i, item in enumerate(plan.items)
    ]
    chart = destination_chart(items, limit=25)
    assert len(chart.rows) == 25 and chart.more == 276
    assert chart.rows[-1].label == "276 more destinations"
    assert sum(row.total_files for row in chart.rows) == 300


def test_every_item_is_in_the_list_with_its_declaration(varied: Plan) -> None:
    document: Any = json.loads(Page(render(varied, "html")).data["plan-items"])
    assert document == json.loads(json.dumps(items_document(varied)))
    columns = document["columns"]
    assert document["count"] == len(varied.items) == len(columns["source"])
    for k, item in enumerate(varied.items):
        assert document["actions"][columns["action"][k]] == item.action.value
        assert document["volumes"][columns["volume"][k]] == item.settings.volume
        assert columns["location"][k] == item.location
        row = varied.declarations[columns["decl"][k]]
        assert row.volume == item.settings.volume
        at = row.declared_at
        if "-" in at:  # a row of many entries: FILE:FIRST-LAST holds the item's line
            file, first, last = re.fullmatch(r"(.*):(\d+)-(\d+)", at).groups()  # type: ignore[union-attr]
            where_file, line, _ = item.declared_at[0].rsplit(":", 2)
            assert where_file == file and int(first) <= int(line) <= int(last)
        else:
            assert at == item.declared_at[0]


def test_hostile_names_are_text_in_the_markup_and_in_the_json() -> None:
    paths = [f"weird/{name}.txt" for name in HOSTILE]
    plan = varied_plan(30, name=lambda i: HOSTILE[i % len(HOSTILE)], paths=paths)
    page = render_html(plan)
    for name in HOSTILE:
        assert name not in page
    assert "</script><script>" not in page and "<!--" not in page
    assert "<img" not in page and "<svg onload" not in page
    parsed = Page(page)
    assert [tag for tag, _ in parsed.tags].count("script") == 2
    document: Any = json.loads(parsed.data["plan-items"])
    sources = set(document["columns"]["source"])
    # In the list as the text shows them: the line and paragraph separators spelt out.
    for path in paths:
        assert path.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029") in sources
    blob = script_json({"name": "</script><!--\u2028&"})
    assert blob.isascii() and "<" not in blob and ">" not in blob and "&" not in blob
    assert json.loads(blob) == {"name": "</script><!--\u2028&"}


def test_a_page_of_a_million_items_is_small_and_says_where_the_full_list_is() -> None:
    plan = moves_from_one_glob(1_000_000)
    saved = Artifacts(plan="plan.json", full_list="plan.csv")
    page = render_html(plan, artifacts=saved)
    assert len(page.encode()) < MAX_PAGE_BYTES
    assert 'id="plan-items"' not in page and "<script>" not in page
    assert "The full list is in the plan artifact <code>plan.json</code> and its CSV " in page
    assert "<code>plan.csv</code>" in page
    assert 'data-action="move" data-count="1000000"' in page
    assert 'id="risk-move"' in page
    assert "... and 999,975 more (1.0 GB): the full list (see below) has every one" in page
    unsaved = render_html(plan)
    assert "reconciler plan --out plan.json" in unsaved


def test_the_list_stops_at_its_limit() -> None:
    at_limit = moves_from_one_glob(ITEM_LIST_LIMIT)
    page = render_html(at_limit)
    assert 'id="plan-items"' in page
    assert len(page.encode()) < MAX_PAGE_BYTES
    over = moves_from_one_glob(ITEM_LIST_LIMIT + 1)
    assert 'id="plan-items"' not in render_html(over)


def test_an_empty_plan_says_there_is_nothing_to_do() -> None:
    page = render_html(bare_plan())
    assert "Nothing is overwritten, moved or blocked." in page
    assert "No changes: every declared item is in sync." in page
    assert page.count("Nothing to draw.") == 2
    assert '<h2 id="items">Every item (0)</h2>' in page
