"""`fmt` (comments kept, idempotent, --check, refuses invalid input), the committed schema
being current, and check-jsonschema agreeing with `validate` where a schema can."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from reconciler.cli import main
from reconciler.manifest.fmt import format_text
from reconciler.manifest.load import load_manifests
from reconciler.manifest.schema import schema_text

from .cases import CASES, VALID_FULL, VALID_MANIFESTS
from .test_broken_manifests import materialise

REPO = Path(__file__).resolve().parents[2]

MESSY = """\
# yaml-language-server: $schema=../schemas/manifest.schema.json
project: rfranklin/rna-seq   # who owns it
version: 1
exports:
    # the counts
    -   location: "counts/{parent}/{name}"
        glob: "results/*/counts.tsv"
        where: {tags: [final], metadata: {sample_type: tumor}}
defaults: {volume: rfranklin/output, mode: copy}
"""


def test_fmt_orders_keys_keeps_comments_and_is_idempotent() -> None:
    once = format_text(MESSY)
    assert once.splitlines()[:4] == [
        "# yaml-language-server: $schema=../schemas/manifest.schema.json",
        "version: 1",
        "project: rfranklin/rna-seq   # who owns it",
        "defaults:",
    ]
    assert "# the counts" in once
    assert '  - glob: "results/*/counts.tsv"\n' in once
    assert "      metadata:\n        sample_type: tumor\n      tags:\n        - final\n" in once
    assert format_text(once) == once


@pytest.mark.parametrize("text", [*VALID_MANIFESTS, MESSY])
def test_fmt_does_not_change_meaning(text: str, tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "m.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "b" / "m.yaml").write_text(format_text(text), encoding="utf-8")
    before = load_manifests([tmp_path / "a"], root=tmp_path / "a")
    after = load_manifests([tmp_path / "b"], root=tmp_path / "b")
    assert before.digest == after.digest


def test_fmt_check_names_files_and_fmt_rewrites(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(MESSY, encoding="utf-8")
    assert main(["fmt", "--check", str(tmp_path)]) == 1
    assert capsys.readouterr().out == f"{path}\n"
    assert path.read_text(encoding="utf-8") == MESSY
    assert main(["fmt", str(tmp_path)]) == 0
    assert path.read_text(encoding="utf-8") == format_text(MESSY)
    assert main(["fmt", "--check", str(tmp_path)]) == 0


def test_fmt_of_an_invalid_manifest_changes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = MESSY + "overwrit: true\n"
    path = tmp_path / "m.yaml"
    path.write_text(broken, encoding="utf-8")
    assert main(["fmt", str(tmp_path)]) == 1
    assert "unknown key `overwrit`" in capsys.readouterr().err
    assert path.read_text(encoding="utf-8") == broken


def test_examples_are_formatted() -> None:
    assert main(["fmt", "--check", str(REPO / "manifests"), str(REPO / "examples")]) == 0


def test_committed_schema_is_current() -> None:
    committed = (REPO / "schemas" / "manifest.schema.json").read_text(encoding="utf-8")
    assert committed == schema_text(), "run: reconciler schema --out schemas/manifest.schema.json"


def test_schema_command_writes_the_file(tmp_path: Path) -> None:
    out = tmp_path / "schema.json"
    assert main(["schema", "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == schema_text()


def _check_jsonschema(*files: Path) -> subprocess.CompletedProcess[str]:
    executable = shutil.which("check-jsonschema") or str(
        Path(__import__("sys").executable).parent / "check-jsonschema"
    )
    schema = REPO / "schemas" / "manifest.schema.json"
    return subprocess.run(
        [executable, "--schemafile", str(schema), *map(str, files)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_jsonschema_accepts_the_examples(tmp_path: Path) -> None:
    full = tmp_path / "full.yaml"
    full.write_text(VALID_FULL, encoding="utf-8")
    files = [*(REPO / "manifests").glob("*.yaml"), *(REPO / "examples").rglob("*.yaml"), full]
    result = _check_jsonschema(*files)
    assert result.returncode == 0, result.stdout + result.stderr


REJECTED = [case for case in CASES if case.schema_rejects]


def test_check_jsonschema_rejects_the_broken_it_can_see(tmp_path: Path) -> None:
    assert len(REJECTED) >= 30
    files = []
    for index, case in enumerate(REJECTED):
        folder = tmp_path / f"case{index}"
        folder.mkdir()
        materialise(case, folder)
        files.append(folder / case.file)
    # One call for all (it is slow to start); then each file must be named as failing.
    result = _check_jsonschema(*files)
    assert result.returncode == 1
    report = result.stdout + result.stderr
    missed = [
        case.name for case, path in zip(REJECTED, files, strict=True) if str(path) not in report
    ]
    assert not missed, f"the schema accepts: {missed}"
