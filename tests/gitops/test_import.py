"""`reconciler import` against the sandbox: the aliases already on a volume become a manifest
that validates, is in `fmt` layout, and plans with zero changes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.cli import main
from reconciler.gitops.adopt import Alias, render_manifest
from reconciler.sandbox.server import Sandbox

# The demo seed's aliases on rfranklin/archive (reconciler/sandbox/DEMO_SEED.md).
SEED_ALIASES = {
    "65a1f0c0e4b0d1a2b3c4002b": "rna-seq/raw/sample1_R1.fastq.gz",
    "65a1f0c0e4b0d1a2b3c4002c": "rna-seq/raw/sample1_R2.fastq.gz",
    "65a1f0c0e4b0d1a2b3c4002d": "rna-seq/raw/sample2_R1.fastq.gz",
}


@pytest.fixture
def api(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Sandbox:
    monkeypatch.setenv("SB_API_ENDPOINT", sandbox.url)
    monkeypatch.setenv("SB_AUTH_TOKEN", sandbox.token)
    monkeypatch.setenv("SB_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.chdir(tmp_path)
    return sandbox


@pytest.mark.parametrize("by", ["file", "path"])
def test_import_then_plan_shows_everything_in_sync(
    api: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str], by: str
) -> None:
    out = tmp_path / "manifests" / "adopted.yaml"
    argv = ["import", "--project", "rfranklin/rna-seq", "--volume", "rfranklin/archive"]
    assert main([*argv, "--out", str(out), "--by", by]) == 0
    assert "3 aliases on rfranklin/archive" in capsys.readouterr().err
    text = out.read_text()
    for file_id, location in SEED_ALIASES.items():
        assert f"location: {location}" in text
        assert (f"file: {file_id}" in text) if by == "file" else (file_id in text)
    assert text.startswith("# Adopted with `reconciler import")

    assert main(["validate", str(out)]) == 0
    assert main(["fmt", "--check", str(out)]) == 0
    capsys.readouterr()

    plan_file = tmp_path / "plan.json"
    assert main(["plan", "--detailed-exitcode", "--out", str(plan_file), str(out)]) == 0
    plan = json.loads(plan_file.read_text())
    actions = [item["action"] for item in plan["items"]]
    assert actions == ["in-sync"] * 3


def test_import_refuses_to_overwrite_and_names_what_is_missing(
    api: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    existing = tmp_path / "taken.yaml"
    existing.write_text("keep me\n")
    argv = ["import", "--project", "rfranklin/rna-seq", "--volume", "rfranklin/archive"]
    assert main([*argv, "--out", str(existing)]) == 1
    assert existing.read_text() == "keep me\n"
    assert main(["import", "--project", "rfranklin/nope", "--volume", "rfranklin/archive"]) == 1
    assert "project rfranklin/nope: not found" in capsys.readouterr().err


def test_a_volume_without_aliases_gives_an_empty_valid_manifest(
    api: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["import", "--project", "rfranklin/rna-seq", "--volume", "rfranklin/output"]) == 0
    text = capsys.readouterr().out
    assert "exports: []" in text
    manifest = tmp_path / "empty.yaml"
    manifest.write_text(text)
    assert main(["validate", str(manifest)]) == 0


def test_odd_locations_are_quoted_or_left_out() -> None:
    aliases = [
        Alias("0" * 24, "a b.txt", "dir/a b: c.txt", 1),
        Alias("1" * 24, "x.txt", "true", None),
        Alias("2" * 24, "y.txt", "out/{name}", None),
    ]
    text = render_manifest(aliases, project="o/p", volume="o/v", platform="cgc")
    assert 'location: "dir/a b: c.txt"' in text
    assert 'location: "true"' in text
    assert "# not declarable (braces in the location): y.txt at out/{name}" in text
    assert "platform: cgc" in text
