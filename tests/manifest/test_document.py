"""Big manifests: an entry's problem is found among a million, a header written after the list
still applies to every entry, and the light load gives the digest and headers of the full
one."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.errors import ManifestError
from reconciler.manifest.load import load_manifests
from reconciler.manifest.models import Mode

HEADER = "version: 1\nplatform: cgc\nproject: lab/p\nlabels: [big]\nguards: {max_moves: 9}\n"
DEFAULTS = "defaults:\n  volume: lab/out\n  mode: copy\n"


def _entries(count: int, *, bad_at: int | None = None) -> str:
    return "exports:\n" + "".join(
        f"  - file: 5f0c{i:020x}\n    location: "
        + ('""' if i == bad_at else f"results/batch{i // 1000:04d}/s{i:07d}.bam")
        + "\n"
        for i in range(count)
    )


def _write(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "m.yaml").write_text(text, encoding="utf-8")
    return folder


@pytest.mark.slow
def test_an_error_in_the_last_of_a_million_entries_is_reported_at_its_line(
    tmp_path: Path,
) -> None:
    count = 1_000_000
    folder = _write(tmp_path, HEADER + DEFAULTS + _entries(count, bad_at=count - 1))
    with pytest.raises(ManifestError) as caught:
        load_manifests([folder], root=folder)
    (diagnostic,) = caught.value.diagnostics
    first_entry_line = (HEADER + DEFAULTS).count("\n") + 2
    assert (diagnostic.line, diagnostic.column, diagnostic.rule) == (
        first_entry_line + 2 * (count - 1) + 1,
        15,
        "location",
    )
    assert diagnostic.message.startswith("exports[999999]: location is empty")


@pytest.mark.slow
def test_defaults_and_header_after_a_big_exports_list_apply_to_every_entry(
    tmp_path: Path,
) -> None:
    count = 20_000  # twenty batches of the streamed digest
    before = load_manifests([_write(tmp_path / "a", HEADER + DEFAULTS + _entries(count))])
    after = load_manifests([_write(tmp_path / "b", _entries(count) + DEFAULTS + HEADER)])
    assert after.digest == before.digest
    rules = after.rules
    assert len(rules) == count
    assert {(r.volume, r.mode, r.project, r.platform) for r in rules} == {
        ("lab/out", Mode.COPY, "lab/p", "cgc")
    }
    assert (rules[-1].declared_at.line, rules[-1].location_at.line) == (2 * count, 2 * count + 1)
    header, first = after.manifests[0].header, before.manifests[0].header
    assert (header.project, header.platform, header.labels, header.guards) == (
        (first.project, first.platform, first.labels, first.guards)
    )
    assert header.platform_at is not None and header.platform_at.line == 2 * count + 6


def test_an_entry_missing_its_volume_when_the_defaults_come_after(tmp_path: Path) -> None:
    text = _entries(3) + "defaults: {mode: copy}\n" + HEADER
    with pytest.raises(ManifestError) as caught:
        load_manifests([_write(tmp_path, text)])
    assert [(d.line, d.rule) for d in caught.value.diagnostics] == [
        (2, "missing-volume"),
        (4, "missing-volume"),
        (6, "missing-volume"),
    ]


def test_the_light_load_gives_the_digest_and_headers_of_the_full_one(tmp_path: Path) -> None:
    for name, text in (
        ("first", HEADER + DEFAULTS + _entries(2500)),
        ("last", _entries(2500) + DEFAULTS + HEADER),
    ):
        folder = _write(tmp_path / name, text)
        full = load_manifests([folder], root=folder)
        light = load_manifests([folder], root=folder, rules=False)
        assert light.digest == full.digest
        assert [m.header for m in light.manifests] == [m.header for m in full.manifests]
        assert [m.content_digest for m in light.manifests] == [
            m.content_digest for m in full.manifests
        ]
        assert light.rules == () and light.warnings == ()


def test_the_light_load_refuses_what_cannot_be_parsed_or_has_no_valid_header(
    tmp_path: Path,
) -> None:
    broken = {
        "syntax": (HEADER + DEFAULTS + _entries(3) + "  - [\n", "yaml-syntax"),
        "duplicate": (HEADER + DEFAULTS + _entries(3) + "version: 1\n", "duplicate-key"),
        "header": (HEADER.replace("lab/p", "p") + DEFAULTS + _entries(3), "owner-name"),
        "no exports": (HEADER + DEFAULTS, "missing-key"),
    }
    for name, (text, rule) in broken.items():
        folder = _write(tmp_path / name.replace(" ", "-"), text)
        with pytest.raises(ManifestError) as caught:
            load_manifests([folder], root=folder, rules=False)
        assert [d.rule for d in caught.value.diagnostics] == [rule], name
    # Entries are not looked at: the digest of a reviewed plan will not match such a file.
    folder = _write(tmp_path / "entry", HEADER + DEFAULTS + _entries(3, bad_at=1))
    assert load_manifests([folder], root=folder, rules=False).manifests[0].header.project
