"""The reading's progress as a person sees it: the line (folders listed of those known, files
seen, requests, elapsed time), a wait for the rate limit said once with its length and then
counted down, a line also when nothing changed, a redrawn line on a terminal, and the writing
thread of a real reading. A fake clock where the text depends on time."""

from __future__ import annotations

import io
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from reconciler.api.client import ApiClient
from reconciler.api.config import ApiConfig
from reconciler.live.progress import ReadWatch, span
from reconciler.live.read import read
from reconciler.manifest.load import load_manifests
from reconciler.sandbox.server import Sandbox, start
from tests.api.conftest import FakeClock
from tests.reliability.secret import SECRET_TOKEN
from tests.test_live_estimate import MANIFEST, world


def test_the_line_counts_folders_files_and_time_and_moves_when_nothing_else_does() -> None:
    clock, out = FakeClock(), io.StringIO()
    watch = ReadWatch(out, clock=clock)
    watch.expect(10)
    watch.to_list(1)
    watch.listed(files=3)
    watch.found(40)
    clock.now += 12
    watch.tick()
    clock.now += 10
    watch.tick()

    assert out.getvalue().splitlines() == [
        "reading: 1 of 10 folders listed, 43 files seen, 0 requests, 12s elapsed",
        "reading: 1 of 10 folders listed, 43 files seen, 0 requests, 22s elapsed",
    ]


def test_folders_found_beyond_the_estimate_raise_the_known_count() -> None:
    watch = ReadWatch(io.StringIO(), clock=FakeClock())
    watch.expect(2)
    watch.to_list(5)
    watch.listed(files=0)
    assert (watch.counts().listed, watch.counts().known) == (1, 5)


def test_a_wait_for_the_rate_limit_is_said_once_then_counted_down() -> None:
    clock, out = FakeClock(), io.StringIO()
    watch = ReadWatch(out, clock=clock, label="cgc")
    watch.waiting(299.0, "rate limit budget spent: waiting 299s for the reset")
    watch.tick()
    clock.now += 10
    watch.tick()
    clock.now += 300
    watch.tick()

    lines = out.getvalue().splitlines()
    assert lines[0] == "cgc: rate limit budget spent: waiting 299s for the reset"
    assert sum("299s" in line for line in lines) == 1
    assert lines[1].endswith(", waiting for the rate limit (4m59s left)")
    assert lines[2].endswith(", waiting for the rate limit (4m49s left)")
    assert "waiting" not in lines[3]


def test_on_a_terminal_one_line_is_redrawn() -> None:
    clock, out = FakeClock(), io.StringIO()
    watch = ReadWatch(out, clock=clock, interactive=True)
    watch.tick()
    watch.say("something to say")
    watch.tick()
    text = out.getvalue()
    assert text.startswith("\r\x1b[2K| reading: 0 of 0 folders listed")
    assert "\r\x1b[2Ksomething to say\n\r\x1b[2K/ reading:" in text
    assert not text.endswith("\n")


def test_a_silent_watch_writes_nothing_and_warns_through_its_channel() -> None:
    warned: list[str] = []
    watch = ReadWatch(warn=warned.append)
    watch.say("not heard")
    watch.warn("heard")
    watch.tick()
    assert warned == ["heard"] and not watch.speaks


def test_spans_read_as_people_say_them() -> None:
    assert [span(s) for s in (0.4, 45, 299, 3600 + 300)] == ["0s", "45s", "4m59s", "1h05m"]


def read_world(
    tops: int, subs: int, out_of: Callable[[Sandbox], io.StringIO], **how: Any
) -> tuple[io.StringIO, int]:
    """Read the glob of `MANIFEST` from a sandbox of `tops` x `subs` sample folders, slowed a
    little, with a watch writing a line every 0.05 s to the stream `out_of(sandbox)` gives;
    that stream and the folder listings the sandbox answered."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "m.yaml"
        path.write_text(MANIFEST, encoding="utf-8")
        rules = load_manifests([path], root=Path(tmp)).rules
        sandbox = start(Path(tmp) / "sandbox", seed=world(tops, subs), latency=0.01)
        try:
            with ApiClient(ApiConfig(endpoint=sandbox.url, token=SECRET_TOKEN)) as client:
                out = out_of(sandbox)
                read(client, rules, watch=ReadWatch(out, every=0.05), **how)
            listings = sum(1 for r in sandbox.request_log() if _listing(r))
        finally:
            sandbox.stop()
    return out, listings


def test_a_real_reading_writes_its_progress_from_a_thread_of_its_own() -> None:
    """At every 0.05 s a line; a reading slowed down by the sandbox writes several, the last
    with every folder listed and every file seen."""
    out, _ = read_world(4, 5, lambda sandbox: io.StringIO())

    written = out.getvalue().splitlines()
    lines = [line for line in written if line.startswith("reading: ")]
    assert len(lines) >= 2
    assert re.match(r"reading: 25 of 25 folders listed, 20 files seen, \d+ requests", lines[-1])
    # The estimate comes before the first folder is listed.
    estimate = next(i for i, line in enumerate(written) if line.startswith("reading the files"))
    assert all(" 0 of " in line for line in written[:estimate])


def test_a_reading_by_search_counts_the_results_it_confirms_not_folders() -> None:
    """A search lists no folder: its line counts the search's results as the bulk gets
    confirm them (not "0 of 0 folders listed" while a million are confirmed)."""
    out, _ = read_world(4, 5, lambda sandbox: io.StringIO(), discovery="search")

    lines = [line for line in out.getvalue().splitlines() if line.startswith("reading: ")]
    assert lines, out.getvalue()
    assert re.match(
        r"reading: 20 of 20 search results confirmed, 20 files seen, \d+ requests", lines[-1]
    ), lines[-1]


def test_the_line_of_a_search_shows_its_confirmations_as_they_come() -> None:
    clock, out = FakeClock(), io.StringIO()
    watch = ReadWatch(out, clock=clock)
    watch.searched(1_000)
    watch.confirming(300)
    watch.tick()
    assert out.getvalue().startswith("reading: 300 of 1,000 search results confirmed, 0 files")


def _listing(request: dict[str, Any]) -> bool:
    """A folder listing, or the name lookup that finds the glob's first folder."""
    return bool(request["method"] == "GET" and request["path"].startswith("/v2/files?"))


class _Stamped(io.StringIO):
    """A stream that notes, for each line written, how many folder listings the sandbox had
    answered by then."""

    def __init__(self, sandbox: Sandbox) -> None:
        super().__init__()
        self.sandbox = sandbox
        self.listed_before: dict[str, int] = {}

    def write(self, text: str) -> int:
        listings = sum(
            1
            for r in self.sandbox.request_log()
            if r["path"] == "/v2/files" and r["method"] == "GET"
        )
        self.listed_before.setdefault(text.split(":")[0], listings)
        return super().write(text)


def test_the_estimate_is_said_before_the_first_folder_is_listed() -> None:
    stamped: list[_Stamped] = []

    def stamping(sandbox: Sandbox) -> io.StringIO:
        stamped.append(_Stamped(sandbox))
        return stamped[0]

    _, listings = read_world(3, 3, stamping)
    assert listings >= 13  # the walk did list (3 x 3 sample folders, their parents, results/)
    assert stamped[0].listed_before["reading the files"] == 0


def test_a_listing_of_2000_folders_prints_progress_as_it_goes() -> None:
    """`results/`, 40 batches and 50 samples in each (2,041 folders), each listed: the lines
    count them up as the walk goes."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "m.yaml"
        path.write_text(MANIFEST, encoding="utf-8")
        rules = load_manifests([path], root=Path(tmp)).rules
        sandbox = start(Path(tmp) / "sandbox", seed=world(40, 50), rate_limit=100_000)
        out = io.StringIO()
        try:
            with ApiClient(ApiConfig(endpoint=sandbox.url, token=SECRET_TOKEN)) as client:
                read(client, rules, watch=ReadWatch(out, every=0.05))
        finally:
            sandbox.stop()

    lines = [line for line in out.getvalue().splitlines() if line.startswith("reading: ")]
    listed = [int(re.match(r"reading: ([\d,]+) of", line)[1].replace(",", "")) for line in lines]  # type: ignore[index]
    assert len(lines) >= 5, out.getvalue()
    assert listed == sorted(listed) and len(set(listed)) >= 4  # it moved as it went
    assert re.match(r"reading: 2,041 of 2,041 folders listed, 2,000 files seen", lines[-1])
