"""`reconciler demo`: it runs in any folder on the examples that ship with reconciler, and its
closing lines name only what still exists."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from reconciler.cli import main
from reconciler.commands.demo_examples import copy_example, packaged_example

ROOT = Path(__file__).resolve().parent.parent


def test_the_examples_are_found_and_copied_in_their_checkout_layout(tmp_path: Path) -> None:
    assert sorted(p.name for p in packaged_example("manifests").glob("*.yaml")) == sorted(
        p.name for p in (ROOT / "manifests").glob("*.yaml")
    )
    assert copy_example("blocked", tmp_path) == Path("examples/blocked")
    copied = tmp_path / "examples/blocked/blocked.yaml"
    assert copied.read_bytes() == (ROOT / "examples/blocked/blocked.yaml").read_bytes()


def test_a_missing_manifest_path_is_refused_before_anything_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    assert main(["demo", "--manifests", str(tmp_path / "nope")]) == 1
    assert capsys.readouterr().err == f"error: {tmp_path / 'nope'}: no such file or folder\n"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_demo_in_an_empty_folder_keeps_its_folder_on_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    empty, temp = tmp_path / "empty", tmp_path / "temp"
    empty.mkdir()
    temp.mkdir()
    monkeypatch.chdir(empty)
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    for name in ("SB_API_ENDPOINT", "SB_AUTH_TOKEN", "SB_PROFILE"):
        monkeypatch.delenv(name, raising=False)

    assert main(["demo", "--keep"]) == 0

    out = capfd.readouterr().out
    assert "$ reconciler apply manifests --yes" in out
    assert "Every step behaved as expected." in out
    assert list(empty.iterdir()) == []
    (kept,) = temp.iterdir()
    closing = out.rpartition("=== Done")[2].splitlines()
    assert f"Kept in {kept} (remove it when you are done):" in closing
    named = [line.split()[0] for line in closing if line.startswith("  ")]
    assert named == ["examples/blocked/", "manifests/", ".reconciler/receipt.json", ".sandbox/"]
    for path in named:
        assert (kept / path).exists(), path


def test_without_paths_commands_read_manifests_of_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["validate"]) == 1  # the packaged examples are the demo's, not a default
    assert "manifests: no such file or folder" in capsys.readouterr().err
    copy_example("manifests", tmp_path)
    assert main(["validate"]) == 0
    assert capsys.readouterr().out.endswith(": valid\n")
