"""Benchmark: the HTML plan report (issue 24) at 10,000, 100,000 and 1,000,000 items: the page's
size, the time `render_html` takes, and in headless Chromium the time the page takes to open
(navigation until its list is drawn), to filter its list to one volume and to sort it.

The plans are the browser test's (`tests/plan/report_plans.varied_plan`, made by the real
planner: three volumes, five declarations, every action). Above 100,000 items the page lists
no item (it names the plan artifact and its CSV), so its size and times stay flat.

Run: `.venv/bin/python benchmarks/html_report.py [N ...]` (default: 10000 100000 1000000);
prints a Markdown table; exits 1 when a page is over 20 MB. Needs Debian's chromium and
chromium-driver for the browser columns (they say `-` without)."""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests' plans, below
from reconciler.plan.render_html import render_html
from reconciler.plan.render_markdown import Artifacts
from tests.browser import Unavailable, start
from tests.plan.report_plans import varied_plan

SIZES = (10_000, 100_000, 1_000_000)
MAX_PAGE_BYTES = 20_000_000
REPEAT = 3


# In-page timings: the browser's own clock, without the driver's round trips. The change and
# click handlers filter, sort and draw synchronously, so the time around dispatching them is
# their work (layout and paint come after and are not counted).
OPENED = """
const nav = performance.getEntriesByType('navigation')[0];
return nav.loadEventEnd;
"""
FILTERED = """
const select = document.getElementById('filter-volume');
const at = Array.from(select.options).findIndex(o => o.textContent === arguments[0]);
const started = performance.now();
select.value = select.options[at].value;
select.dispatchEvent(new Event('change'));
return [performance.now() - started, document.getElementById('items-count').dataset.shown];
"""
SORTED = """
const started = performance.now();
document.querySelector('th[data-sort=size]').click();
return performance.now() - started;
"""


def _browser_times(driver: Any, page: Path) -> tuple[float, float | None, float | None]:
    """Seconds from navigation until the page has loaded (its list drawn: the inline script
    runs before the load event), to filter the list to one volume and to sort it by size
    (None when the page lists no item)."""
    driver.get(page.as_uri())
    opened = driver.execute_script(OPENED) / 1000
    if not driver.execute_script("return !!document.getElementById('plan-items')"):
        return opened, None, None
    assert driver.find_element("tag name", "body").get_attribute("data-ready") == "true"
    filtered, shown = driver.execute_script(FILTERED, "lab/cold")
    assert int(shown) > 0
    return opened, filtered / 1000, driver.execute_script(SORTED) / 1000


def main(sizes: list[int]) -> int:
    try:
        driver: Any = start()
    except Unavailable as exc:
        print(f"no browser: {exc}", file=sys.stderr)
        driver = None
    print(
        "| items | listed | page | render_html | open in Chromium | filter: a volume | sort: size |"
    )
    print("|---:|---|---:|---:|---:|---:|---:|")
    over = False
    try:
        with tempfile.TemporaryDirectory() as folder:
            for n in sizes:
                built = time.perf_counter()
                plan = varied_plan(n)
                built = time.perf_counter() - built
                saved = Artifacts(plan="plan.json", full_list="plan.csv")
                times = []
                for _ in range(REPEAT):
                    started = time.perf_counter()
                    page = render_html(plan, artifacts=saved)
                    times.append(time.perf_counter() - started)
                size = len(page.encode("ascii"))
                over |= size >= MAX_PAGE_BYTES
                path = Path(folder) / f"plan-{n}.html"
                path.write_text(page, encoding="ascii")
                opened = filtered = ordered = "-"
                if driver is not None:
                    runs = [_browser_times(driver, path) for _ in range(REPEAT)]
                    opened = f"{statistics.median(r[0] for r in runs):.2f} s"
                    if runs[0][1] is not None:
                        filtered = f"{statistics.median(r[1] or 0 for r in runs):.3f} s"
                        ordered = f"{statistics.median(r[2] or 0 for r in runs):.3f} s"
                listed = "yes" if 'id="plan-items"' in page else "no"
                print(
                    f"| {len(plan.items):,} | {listed} | {size / 1e6:.2f} MB | "
                    f"{statistics.median(times):.2f} s | {opened} | {filtered} | {ordered} |",
                    flush=True,
                )
                print(f"  (planned in {built:.1f} s)", file=sys.stderr, flush=True)
    finally:
        if driver is not None:
            driver.quit()
    return 1 if over else 0


if __name__ == "__main__":
    raise SystemExit(main([int(a) for a in sys.argv[1:]] or list(SIZES)))
