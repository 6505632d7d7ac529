"""The parser's streamed `exports`: which lists go to the sink, in what order, and that the rest
of the document is what it would be without a sink."""

from __future__ import annotations

from typing import Any

from reconciler.manifest.parse import parse_manifest
from reconciler.manifest.positions import MapPos, Pos, SeqPos, unpack

from .cases import VALID_FULL


class Sink:
    def __init__(self) -> None:
        self.header: dict[str, Any] | None = None
        self.entries: list[tuple[Any, Pos]] = []

    def begin(self, header: dict[str, Any]) -> None:
        self.header = dict(header)

    def entry(self, value: Any, pos: Pos) -> None:
        self.entries.append((value, pos))


def test_entries_go_to_the_sink_in_order_with_their_positions() -> None:
    sink = Sink()
    parsed = parse_manifest(VALID_FULL.encode(), sink=sink)
    whole = parse_manifest(VALID_FULL)
    assert parsed.streamed and not parsed.problems
    assert [value for value, _ in sink.entries] == whole.data["exports"]
    assert isinstance(whole.positions, MapPos) and isinstance(parsed.positions, MapPos)
    items = whole.positions.values["exports"]
    assert isinstance(items, SeqPos)
    assert [pos for _, pos in sink.entries] == items.items
    first = sink.entries[0][1]
    assert isinstance(first, MapPos) and unpack(first.at) == (18, 5)
    # The header is what came before the list; the data keeps an empty list in its place.
    assert sink.header is not None and "exports" not in sink.header
    before = ["version", "platform", "project", "description", "labels", "guards", "defaults"]
    assert list(sink.header) == before
    assert parsed.data == {**whole.data, "exports": []}
    assert parsed.positions.keys == whole.positions.keys


def test_an_anchored_list_a_nested_one_and_a_second_exports_are_not_streamed() -> None:
    anchored = "version: 1\nexports: &e\n  - {file: a, location: b}\nlabels: *e\n"
    nested = "version: 1\ndefaults:\n  exports:\n    - {file: a}\nexports: []\n"
    twice = "exports:\n  - 1\n  - 2\nexports:\n  - 3\n"
    for text, streamed, entries in (
        (anchored, False, []),
        (nested, True, []),
        (twice, True, [1, 2]),
    ):
        sink = Sink()
        parsed = parse_manifest(text, sink=sink)
        assert parsed.streamed is streamed
        assert [value for value, _ in sink.entries] == entries
    anchored_data = parse_manifest(anchored, sink=Sink()).data
    assert anchored_data["labels"] == anchored_data["exports"] == [{"file": "a", "location": "b"}]


def test_text_and_its_bytes_parse_the_same() -> None:
    text = VALID_FULL.replace("Everything", "Évérything \u2028")
    assert parse_manifest(text) == parse_manifest(text.encode())
    bad = "version: 1\nproject: é\x07\n"
    assert parse_manifest(bad).problems == parse_manifest(bad.encode()).problems
