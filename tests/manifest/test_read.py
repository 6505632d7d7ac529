"""Reading a manifest file: UTF-8 is checked a megabyte at a time, and what is reported is what
checking the whole text at once reports."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.errors import ManifestError
from reconciler.manifest.load import load_manifests

HEAD = "version: 1\nproject: lab/p\ndefaults: {volume: lab/out}\nexports:\n"
MiB = 1 << 20


def _padded(tail: bytes) -> bytes:
    """A manifest whose comment line ends just before the first megabyte, then `tail`."""
    head = HEAD.encode()
    comment = b"# " + b"x" * (MiB - len(head) - 4) + b"\n"
    return head + comment + tail


def test_a_character_across_the_megabyte_is_read(tmp_path: Path) -> None:
    text = _padded("  - {file: 65a1f0c0e4b0d1a2b3c40001, location: é/ü}\n".encode())
    assert len(_padded(b"")) == MiB - 1  # the entry's first bytes end the megabyte
    (tmp_path / "m.yaml").write_bytes(text)
    (rule,) = load_manifests([tmp_path], root=tmp_path).rules
    assert rule.location == "é/ü"


def test_a_bad_byte_after_the_megabyte_is_reported_where_it_is(tmp_path: Path) -> None:
    text = _padded(b"  - {file: 65a1f0c0e4b0d1a2b3c40001, location: caf\xe9}\n")
    (tmp_path / "m.yaml").write_bytes(text)
    with pytest.raises(ManifestError) as caught:
        load_manifests([tmp_path], root=tmp_path)
    (found,) = caught.value.diagnostics
    assert (found.line, found.column, found.rule) == (6, 51, "encoding")
    assert found.message == "not UTF-8 (byte 0xe9): save the manifest as UTF-8"
