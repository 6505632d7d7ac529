"""Checks across entries: a file declared many times is compared with each earlier declaration,
and a destination declared twice is reported once per repeat, naming the first."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.errors import ManifestError
from reconciler.manifest.load import load_manifests

HEAD = "version: 1\nproject: lab/p\ndefaults: {volume: lab/out}\nexports:\n"
FILE = "65a1f0c0e4b0d1a2b3c40001"


def _diagnostics(tmp_path: Path, text: str) -> list[tuple[int, str, str]]:
    (tmp_path / "m.yaml").write_text(HEAD + text, encoding="utf-8")
    with pytest.raises(ManifestError) as caught:
        load_manifests([tmp_path], root=tmp_path)
    return [(d.line, d.rule, d.message) for d in caught.value.diagnostics]


def test_a_file_copied_twice_and_moved_once_is_fine_and_a_second_move_is_not(
    tmp_path: Path,
) -> None:
    entries = [
        f"  - {{file: {FILE}, location: a, mode: copy}}\n",
        f"  - {{file: {FILE}, location: b, mode: copy}}\n",
        f"  - {{file: {FILE}, location: c}}\n",
        "  - {path: x/y.bam, location: d}\n",
    ]
    (tmp_path / "ok").mkdir()
    (tmp_path / "ok" / "m.yaml").write_text(HEAD + "".join(entries), encoding="utf-8")
    assert len(load_manifests([tmp_path / "ok"], root=tmp_path / "ok").rules) == 4
    (tmp_path / "not").mkdir()
    found = _diagnostics(
        tmp_path / "not", "".join(entries) + f"  - {{file: {FILE}, location: e}}\n"
    )
    assert [(line, rule) for line, rule, _ in found] == [(9, "file-conflict")]
    assert "moved here and also moved at" in found[0][2] and "m.yaml:7" in found[0][2]


def test_each_repeat_of_a_destination_names_the_first(tmp_path: Path) -> None:
    text = "".join(f"  - {{path: r/{n}.bam, location: 'o/{{name}}'}}\n" for n in (1, 2)) + (
        "  - {path: s/1.bam, location: o/1.bam}\n  - {path: t/1.bam, location: o/1.bam}\n"
    )
    found = _diagnostics(tmp_path, text)
    assert [(line, rule) for line, rule, _ in found] == [
        (7, "duplicate-destination"),
        (8, "duplicate-destination"),
    ]
    assert all("lab/out:o/1.bam is also declared at" in message for _, _, message in found)
    assert all(
        message.endswith("m.yaml:5: give each export its own location") for *_, message in found
    )
