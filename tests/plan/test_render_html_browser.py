"""The HTML report in a real browser (headless Chromium, see tests/browser.py): the page of a
10,000-item plan, written by `reconciler show PLAN --format html`, shows the text plan's
totals and filters to one volume in the live page, and leaves a screenshot for CI to keep;
a page whose file names and selectors hold markup runs none of it; the page of 1,000,000
items opens. Without Chromium these tests skip and say so."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reconciler import cli
from reconciler.plan.io import write_plan
from reconciler.plan.model import Plan
from reconciler.plan.render_common import summary_line
from reconciler.plan.render_csv import plain, write_csv
from reconciler.plan.render_html import render_html
from reconciler.plan.render_markdown import Artifacts
from tests.browser import Unavailable, output_dir, start

from .helpers import moves_from_one_glob
from .report_plans import HOSTILE, varied_plan

# The words of the text plan's summary line, and the action of each.
WORDS = {
    "to move": "move",
    "to copy": "copy",
    "to replace": "replace",
    "in sync": "in-sync",
    "in flight": "in-flight",
    "blocked": "blocked",
}


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    try:
        driver = start()
    except Unavailable as exc:
        pytest.skip(f"skipped, no browser: {exc}")
    try:
        yield driver
    finally:
        driver.quit()


def _save(plan: Plan, folder: Path) -> Path:
    """The plan and its full list as `plan --out` writes them."""
    saved = folder / "plan.json"
    with saved.open("w", encoding="utf-8", newline="") as out:
        write_plan(plan, out)
    with (folder / "plan.csv").open("w", encoding="utf-8", newline="") as out:
        write_csv(plan, out)
    return saved


def _show(saved: Path, fmt: str, capsys: pytest.CaptureFixture[str]) -> str:
    capsys.readouterr()
    assert cli.main(["show", str(saved), "--format", fmt]) == 0
    return capsys.readouterr().out


def _open(driver: Any, page: Path) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(page.as_uri())
    WebDriverWait(driver, 60).until(
        lambda d: d.find_element("tag name", "body").get_attribute("data-ready") == "true"
    )


def _shown(driver: Any) -> int:
    return int(driver.find_element("id", "items-count").get_attribute("data-shown"))


def _query(driver: Any) -> str:
    """The search the list shows the result of (the input waits for typing to pause)."""
    return str(driver.find_element("id", "items-count").get_attribute("data-query"))


def test_the_page_of_10000_items_shows_the_text_totals_and_filters_by_volume(
    chromium: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from selenium.webdriver.support.ui import Select, WebDriverWait

    saved = _save(varied_plan(10_000), tmp_path)
    page = tmp_path / "plan.html"
    page.write_text(_show(saved, "html", capsys), encoding="ascii")
    text = _show(saved, "text", capsys)
    with (tmp_path / "plan.csv").open(encoding="utf-8", newline="") as full:
        rows = [{k: plain(v) for k, v in row.items()} for row in csv.DictReader(full)]
    assert len(rows) == 10_000

    _open(chromium, page)
    summary = text.replace("\n    ", " ").splitlines()[0]  # the text wraps at 100 columns
    assert chromium.find_element("id", "summary-line").text == summary
    pairs = re.findall(rf"([\d,]+) ({'|'.join(WORDS)})", summary)
    expected = {WORDS[words]: int(n.replace(",", "")) for n, words in pairs}
    assert set(expected) == set(WORDS.values()), summary
    cards = chromium.find_elements("css selector", "#totals .card")
    shown = {
        card.get_attribute("data-action"): int(
            card.find_element("class name", "n").text.replace(",", "")
        )
        for card in cards
    }
    assert shown == expected
    assert sum(expected.values()) == _shown(chromium) == len(rows)
    moves = chromium.find_element("css selector", "#totals .card.move")
    assert "irreversible" in moves.text
    # The destinations chart: a row per volume and top-level prefix of the full list.
    destinations = {f"{r['volume']}:{r['location'].partition('/')[0]}/" for r in rows}
    labels = {
        row.get_attribute("data-label")
        for row in chromium.find_elements("css selector", "#chart-destinations .chart-row")
    }
    assert labels == destinations
    # The largest row's bytes bar spans the chart; the next ones are drawn to its scale.
    first, second = chromium.find_elements("css selector", "#chart-destinations .chart-row")[:2]
    for row in (first, second):
        bar = row.find_element("css selector", "svg")
        drawn = sum(rect.rect["width"] for rect in bar.find_elements("tag name", "rect"))
        share = int(row.get_attribute("data-bytes")) / int(first.get_attribute("data-bytes"))
        assert abs(drawn - share * bar.rect["width"]) < 2, (drawn, share, bar.rect)
    shot = output_dir() / "plan-10000-items.png"
    shot.unlink(missing_ok=True)
    assert chromium.save_screenshot(str(shot))
    assert shot.stat().st_size > 20_000

    # Filter to one volume in the live page: as many rows as the full list has there.
    Select(chromium.find_element("id", "filter-volume")).select_by_visible_text("lab/cold")
    cold = sum(1 for r in rows if r["volume"] == "lab/cold")
    assert 0 < cold < len(rows)
    WebDriverWait(chromium, 30).until(lambda d: _shown(d) == cold)
    listed = chromium.find_elements("css selector", "#items-body tr")
    assert len(listed) == min(cold, 100)
    assert {tr.get_attribute("data-volume") for tr in listed} == {"lab/cold"}
    # And a search within it: one file by its name.
    one = next(r for r in rows if r["volume"] == "lab/cold" and r["source_path"])
    chromium.find_element("id", "search").send_keys(one["source_path"])
    WebDriverWait(chromium, 30).until(lambda d: _query(d) == one["source_path"])
    assert _shown(chromium) == 1
    assert one["source_path"] in chromium.find_element("id", "items-body").text


def test_markup_in_file_names_is_shown_as_text_and_never_runs(
    chromium: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    paths = [f"weird/{name}.txt" for name in HOSTILE]
    plan = varied_plan(50, name=lambda i: HOSTILE[i % len(HOSTILE)], paths=paths)
    saved = _save(plan, tmp_path)
    page = tmp_path / "hostile.html"
    page.write_text(_show(saved, "html", capsys), encoding="ascii")
    _open(chromium, page)
    # Nothing ran, nothing was parsed as markup: no element a name could have made, only
    # the page's two scripts, and no script blocked by the page's policy (none was tried).
    assert chromium.execute_script("return typeof window.__pwned") == "undefined"
    made = "img, iframe, object, embed, main svg[onload], [onerror], [onload]"
    assert chromium.execute_script(f"return document.querySelectorAll('{made}').length") == 0
    assert chromium.execute_script("return document.scripts.length") == 2
    logs = chromium.get_log("browser")
    assert not [e for e in logs if "Content Security Policy" in e["message"]], logs
    # The names are on the page as text: in the item list (found by search), in the
    # declaration chart (their path selectors) and in the filter.
    body = chromium.find_element("tag name", "body")
    for path in paths:
        shown_as = path.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
        search = chromium.find_element("id", "search")
        search.clear()
        search.send_keys(shown_as)
        WebDriverWait(chromium, 30).until(lambda d, query=shown_as: _query(d) == query)
        assert _shown(chromium) >= 1
        assert shown_as in chromium.find_element("id", "items-body").text
        labels = chromium.find_elements("css selector", "#chart-declarations .chart-row")
        assert any(shown_as in (row.get_attribute("data-label") or "") for row in labels)
    assert "&lt;entity&gt;" in body.text


def test_the_page_of_a_million_items_opens_and_says_where_the_list_is(
    chromium: Any, tmp_path: Path
) -> None:
    plan = moves_from_one_glob(1_000_000)
    page = tmp_path / "plan-1000000.html"
    page.write_text(render_html(plan, artifacts=Artifacts("plan.json", "plan.csv")), "ascii")
    assert page.stat().st_size < 20_000_000
    chromium.get(page.as_uri())
    assert chromium.execute_script("return document.readyState") == "complete"
    assert chromium.find_element("id", "summary-line").text == summary_line(plan)
    where = chromium.find_element("id", "full-list")
    assert where.is_displayed() and "plan.json" in where.text and "plan.csv" in where.text
    drawn = chromium.find_elements("css selector", "#chart-destinations .chart-row")
    assert [row.get_attribute("data-files") for row in drawn] == ["1000000"]
    assert chromium.find_element("id", "risk-move").is_displayed()
    assert chromium.save_screenshot(str(output_dir() / "plan-1000000-items.png"))
