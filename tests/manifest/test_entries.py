"""Plain entries, kept as rows without the model, load exactly as they would through the model:
the same rules, or the same problems at the same places, whatever the entries and defaults."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.errors import ManifestError
from reconciler.manifest.entries import Entries
from reconciler.manifest.load import load_manifests
from reconciler.manifest.models import ExportRule
from reconciler.manifest.positions import MapPos

FILE_ID = "65a1f0c0e4b0d1a2b3c40001"
VALUES: dict[str, list[Any]] = {
    "file": [FILE_ID, "65a1f0c0e4b0d1a2b3c4000Z", FILE_ID + "\n", 12, None, ""],
    "path": ["r/a.bam", "/r/a.bam", "r//a", ".r/a", "r/./a", "", None, 3],
    "glob": ["r/*.bam", "r/**/x", "../x", None],
    "location": ["out/a.bam", "o/{name}", "o/{nope}", "o/{x", "o/a\tb", "", "a/", None, "é" * 600],
    "volume": ["lab/out", "lab/out/x", "lab", None, 7, "lab/o\n"],
    "mode": ["move", "copy", "MOVE", None, True],
    "overwrite": [True, False, None, "true", 0],
    "description": ["d", None, 1],
    "properties": [
        {"aws_storage_class": "GLACIER"},
        {"aws_canned_acl": "private", "aws_storage_class": None},
        {"aws_storage_class": "glacier"},
        {"aws_canned_acl": 1},
        {},
        {"sse_aws_kms_key_id": "k"},
        {"sse_algorithm": "AES256"},
        None,
        [],
    ],
    "discovery": ["search"],
    "exclude": [["x"]],
    "overwrit": [True],
}
DEFAULTS = [
    None,
    {
        "volume": "lab/out",
        "properties": {"aws_storage_class": "STANDARD_IA", "aws_canned_acl": "private"},
    },
    {"volume": "lab/out", "properties": {"sse_algorithm": "aws:kms", "sse_aws_kms_key_id": "k"}},
    {"volume": "lab/out"},
    {"volume": "lab/out", "mode": "copy", "overwrite": True, "discovery": "search"},
    {"volume": "lab/out", "properties": {"sse_aws_kms_key_id": "k"}},
    {"properties": {"aws_storage_class": "STANDARD_IA"}},
]
entry = st.dictionaries(
    st.sampled_from(list(VALUES)),
    st.none(),  # replaced below by a value for the key
    min_size=1,
    max_size=5,
).flatmap(lambda keys: st.fixed_dictionaries({key: st.sampled_from(VALUES[key]) for key in keys}))
plain_entry = st.fixed_dictionaries(
    {
        "file": st.integers(0, 2**32).map(lambda n: f"5f0c{n:020x}"),
        "location": st.integers(0, 2**32).map(lambda n: f"a/{n}.bam"),
    },
    optional={
        "volume": st.sampled_from(["lab/v", None]),
        "mode": st.sampled_from(["move", "copy", None]),
        "overwrite": st.sampled_from([True, False, None]),
        "description": st.just("d"),
        "properties": st.sampled_from(
            [{"aws_storage_class": "GLACIER"}, {"aws_canned_acl": None}, {}]
        ),
    },
)


class _ModelOnly(Entries):
    def _plain(self, value: Any, pos: Any) -> bool:
        return False


def _load(folder: Path, monkeypatch: pytest.MonkeyPatch, *, plain: bool) -> Any:
    with monkeypatch.context() as patch:
        if not plain:
            patch.setattr("reconciler.manifest.document.Entries", _ModelOnly)
        try:
            loaded = load_manifests([folder], root=folder)
        except ManifestError as exc:
            return [str(d) + f" [{d.rule}]" for d in exc.diagnostics]
    return loaded.rules, loaded.digest, loaded.warnings


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    entries=st.lists(st.one_of(plain_entry, plain_entry, entry), min_size=1, max_size=6),
    defaults=st.sampled_from(DEFAULTS),
    block=st.booleans(),
)
@pytest.mark.slow
def test_plain_rows_load_as_the_model_does(
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    entries: list[dict[str, Any]],
    defaults: dict[str, Any] | None,
    block: bool,
) -> None:
    folder = tmp_path_factory.mktemp("m")
    lines = ["version: 1", "project: lab/p"]
    if defaults is not None:
        lines.append(f"defaults: {json.dumps(defaults)}")
    lines.append("exports:")
    for item in entries:
        if block:  # one key a line: the positions differ from the flow style's
            lines += [
                ("  - " if i == 0 else "    ") + f"{key}: {json.dumps(value)}"
                for i, (key, value) in enumerate(item.items())
            ]
        else:
            lines.append(f"  - {json.dumps(item)}")
    (folder / "m.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert _load(folder, monkeypatch, plain=True) == _load(folder, monkeypatch, plain=False)


def test_a_plain_entry_is_a_row_and_the_others_are_kept_whole() -> None:
    kept = Entries()
    plain = {"file": FILE_ID, "location": "a/b", "mode": "copy", "volume": "lab/v"}
    at = MapPos(5 << 24, values={"location": (6 << 24) | 14})
    kept.take(plain, at)
    kept.take({**plain, "properties": {"sse_algorithm": "aws:kms"}}, at)
    kept.take({**plain, "mode": "moev"}, at)
    kept.take({**plain, "properties": {"aws_storage_class": "GLACIER", "aws_canned_acl": None}}, at)
    assert kept.count == 4 and list(kept.kinds) == [1, 0, 0, 1]
    assert kept.properties[3] == (("aws_canned_acl", None), ("aws_storage_class", "GLACIER"))
    assert (kept.selectors[0], kept.locations[0], kept.volumes[0]) == (FILE_ID, "a/b", "lab/v")
    assert (kept.at[0], kept.location_at[0], kept.modes[0]) == (5 << 24, (6 << 24) | 14, 2)
    assert kept.whole[1].model is not None and not kept.whole[1].errors
    assert kept.whole[2].model is None and kept.whole[2].errors[0]["loc"] == ("mode",)


def test_rules_of_plain_rows_share_what_they_inherit(tmp_path: Path) -> None:
    text = "version: 1\nproject: lab/p\ndefaults: {volume: lab/v}\nexports:\n" + "".join(
        f"  - file: 5f0c{i:020x}\n    location: a/{i}\n" for i in range(3)
    )
    (tmp_path / "m.yaml").write_text(text, encoding="utf-8")
    rules: tuple[ExportRule, ...] = load_manifests([tmp_path], root=tmp_path).rules
    assert len({id(r.properties) for r in rules}) == 1
    assert len({id(r.volume) for r in rules}) == 1
    assert [(r.declared_at.line, r.location_at.line, r.location_at.column) for r in rules] == [
        (5, 6, 15),
        (7, 8, 15),
        (9, 10, 15),
    ]
