"""Manifest rules of issue 13: a symlink loop is a one-line error, `version` is the integer 1,
line and paragraph separators are refused in locations, and look-alike destinations warn."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.cli import main
from reconciler.errors import ManifestError
from reconciler.manifest.load import load_manifests
from reconciler.manifest.lookalike import skeleton


def manifest(*locations: str, version: str = "1") -> str:
    exports = "\n".join(
        f"  - path: data/f{n}.vcf\n    location: {json.dumps(loc)}"
        for n, loc in enumerate(locations)
    )
    head = f"version: {version}\nproject: lab/p\ndefaults:\n  volume: lab/out\n"
    return f"{head}exports:\n{exports}\n"


def test_a_symlink_loop_is_one_line_naming_the_file(tmp_path: Path, capsys) -> None:
    (tmp_path / "a.yaml").symlink_to(tmp_path / "b.yaml")
    (tmp_path / "b.yaml").symlink_to(tmp_path / "a.yaml")

    code = main(["validate", str(tmp_path / "a.yaml")])

    err = capsys.readouterr().err
    assert code == 1
    first = err.splitlines()[0]
    assert first.startswith(f"{tmp_path / 'a.yaml'}:1:1: symlink loop")
    assert "internal error" not in err and "Traceback" not in err


def test_a_symlink_loop_inside_a_folder_is_reported_with_the_rest(tmp_path: Path) -> None:
    (tmp_path / "ok.yaml").write_text(manifest("x/a.vcf"), encoding="utf-8")
    (tmp_path / "loop.yaml").symlink_to(tmp_path / "loop.yaml")

    with pytest.raises(ManifestError) as raised:
        load_manifests([tmp_path], root=tmp_path)

    [problem] = raised.value.diagnostics
    assert problem.file.endswith("loop.yaml") and problem.rule == "symlink-loop"


@pytest.mark.parametrize("version", ["true", "1.0", '"1"'])
def test_version_must_be_the_integer_one(tmp_path: Path, version: str) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(manifest("x/a.vcf", version=version), encoding="utf-8")

    with pytest.raises(ManifestError) as raised:
        load_manifests([path], root=tmp_path)

    [problem] = raised.value.diagnostics
    assert (problem.line, problem.column) == (1, 10)
    assert "must be 1" in problem.message and problem.rule == "version"


@pytest.mark.parametrize("separator", ["\u2028", "\u2029"])
def test_line_and_paragraph_separators_are_refused_in_locations(
    tmp_path: Path, separator: str
) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(manifest(f"x/a{separator}b.vcf"), encoding="utf-8")

    with pytest.raises(ManifestError) as raised:
        load_manifests([path], root=tmp_path)

    [problem] = raised.value.diagnostics
    assert f"U+{ord(separator):04X}" in problem.message and problem.line == 7


def test_skeleton_folds_cyrillic_greek_and_fullwidth() -> None:
    assert skeleton("x/\u0430.vcf") == "x/a.vcf"  # Cyrillic a
    assert skeleton("x/\uff41.vcf") == "x/a.vcf"  # fullwidth a
    assert skeleton("x/\u03bf.vcf") == "x/o.vcf"  # Greek omicron
    assert skeleton("x/b.vcf") != skeleton("x/a.vcf")


def test_look_alike_destinations_warn_in_validate_and_stay_valid(tmp_path: Path, capsys) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(
        manifest("x/a.vcf", "x/\u0430.vcf", "x/\uff41.vcf", "x/b.vcf"), encoding="utf-8"
    )

    code = main(["validate", str(path)])

    captured = capsys.readouterr()
    assert code == 0, captured.err
    warnings = [line for line in captured.err.splitlines() if "warning:" in line]
    assert len(warnings) == 2
    assert warnings[0].startswith(f"{path}:9:") and "looks like lab/out:'x/a.vcf'" in warnings[0]
    assert "valid" in captured.out
