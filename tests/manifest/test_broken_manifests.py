"""The table of broken manifests: each error at its line and column, with its message and rule;
every rule of `RULES` produced at least once; every case exits 1 via the CLI, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.cli import main
from reconciler.errors import ManifestError
from reconciler.manifest.load import load_manifests
from reconciler.manifest.rules import RULES

from .cases import CASES, Case


def materialise(case: Case, folder: Path) -> Path:
    """Write the case's manifests into `folder` (a fresh git-less root); return the folder."""
    for name, text in case.others.items():
        (folder / name).write_text(text, encoding="utf-8")
    path = folder / case.file
    if isinstance(case.content, bytes):
        path.write_bytes(case.content)
    else:
        path.write_text(case.content, encoding="utf-8")
    if case.setup is not None:
        case.setup(folder, path)
    return folder


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    manifests = tmp_path / "repo" / "manifests"
    manifests.mkdir(parents=True)
    return manifests


def test_the_table_is_big_enough() -> None:
    assert len(CASES) >= 40
    assert len({case.name for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_broken_manifest_is_reported_where_it_is(case: Case, folder: Path) -> None:
    materialise(case, folder)
    with pytest.raises(ManifestError) as caught:
        load_manifests([folder], root=folder.parent)
    found = [
        (Path(d.file).name, d.line, d.column, d.rule, d.message) for d in caught.value.diagnostics
    ]
    matching = [
        f
        for f in found
        if f[:4] == (case.file, case.line, case.column, case.rule) and case.fragment in f[4]
    ]
    assert matching, f"expected {case.file}:{case.line}:{case.column} [{case.rule}] " + (
        f"~ {case.fragment!r}; got {found}"
    )


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_broken_manifest_exits_1_without_traceback(
    case: Case, folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    materialise(case, folder)
    monkeypatch.chdir(folder.parent)
    assert main(["validate", "manifests"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert "Traceback" not in err and "internal error" not in err
    expected = f"manifests/{case.file}:{case.line}:{case.column}: "
    assert any(line.startswith(expected) for line in err.splitlines()), err


def test_every_rule_is_hit_by_the_table() -> None:
    assert {case.rule for case in CASES} == set(RULES)


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("version: 1\nprojet: a/b\nexports: []\n", "manifest: unknown key `projet`: did you mean"),
        (
            "version: 1\nproject: a/b\nexports:\n  - file: 65a1f0c0e4b0d1a2b3c40001\n"
            "    volume: a/v\n    locaton: x\n",
            "exports[0]: unknown key `locaton`: did you mean `location`?",
        ),
    ],
)
def test_a_misspelt_required_key_is_said_once_by_its_did_you_mean(
    text: str, said: str, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (folder / "a.yaml").write_text(text, encoding="utf-8")
    assert main(["validate", str(folder)]) == 1
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2 and said in lines[0] and lines[1] == "error: 1 problem found", lines


def test_a_missing_key_is_still_said_beside_an_unknown_key_that_is_not_it(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (folder / "a.yaml").write_text("version: 1\nexports: []\nlabelz: [a]\n", encoding="utf-8")
    assert main(["validate", str(folder)]) == 1
    err = capsys.readouterr().err
    assert "missing required key `project`" in err and "did you mean `labels`?" in err
