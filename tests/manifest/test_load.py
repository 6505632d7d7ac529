"""Loading valid manifests: effective rules, positions, digest, discovery and symlinks, the
example sets, and validate's output formats."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from reconciler.cli import main
from reconciler.errors import ConfigError, ManifestError
from reconciler.manifest.effective import merge_properties
from reconciler.manifest.load import load_manifests
from reconciler.manifest.models import Mode, Position, Properties, export_properties

from .cases import VALID, VALID_FULL

REPO = Path(__file__).resolve().parents[2]


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_full_manifest_gives_merged_rules(tmp_path: Path) -> None:
    path = write(tmp_path, "m.yaml", VALID_FULL)
    loaded = load_manifests([path], root=tmp_path)
    by_id, by_path, by_glob = loaded.rules
    assert (by_id.kind, by_id.selector, by_id.mode, by_id.volume) == (
        "file",
        "5abce81631c948aa3c0dd2b7",
        Mode.MOVE,
        "rfranklin/output",
    )
    assert by_path.mode is Mode.COPY and by_path.overwrite is False
    assert by_glob.volume == "rfranklin/archive" and by_glob.overwrite is True
    assert by_glob.exclude == ("results/tmp/*",)
    # Metadata values become strings, the way the API stores them.
    assert by_glob.where_metadata == (("sample_type", "tumor"), ("lane", "2"))
    assert by_glob.where_tags == ("final",)
    assert by_glob.properties == export_properties("aws:kms", "arn:aws:kms:us-east-1:1:key/x", None)
    assert by_id.platform == "cgc" and by_id.project == "rfranklin/rna-seq"
    assert by_id.declared_at == Position(str(path), 18, 5)
    assert by_id.location_at == Position(str(path), 19, 15)
    assert loaded.manifests[0].header.guards is not None
    assert loaded.manifests[0].header.guards.max_bytes == 1_500_000_000_000


def test_storage_class_is_inherited_overridden_and_sent_only_when_declared() -> None:
    defaults = Properties.model_validate({"aws_storage_class": "GLACIER_IR"})
    inherited = merge_properties(defaults, None)
    assert inherited.aws_storage_class == "GLACIER_IR"
    assert inherited.as_dict()["aws_storage_class"] == "GLACIER_IR"
    entry = Properties.model_validate({"aws_storage_class": "STANDARD_IA"})
    assert merge_properties(defaults, entry).aws_storage_class == "STANDARD_IA"
    undone = merge_properties(defaults, Properties.model_validate({"aws_storage_class": None}))
    assert undone.as_dict() == {
        "sse_algorithm": "AES256", "sse_aws_kms_key_id": None, "aws_canned_acl": None
    }  # fmt: skip
    assert merge_properties().as_dict() == undone.as_dict()


def test_properties_merge_key_by_key() -> None:
    defaults = Properties.model_validate({"sse_algorithm": "aws:kms", "sse_aws_kms_key_id": "k"})
    entry = Properties.model_validate({"aws_canned_acl": "private"})
    assert merge_properties(defaults, entry) == export_properties("aws:kms", "k", "private")
    # An explicit null overrides; an absent key inherits.
    assert merge_properties(defaults, Properties.model_validate({"sse_algorithm": None})) == (
        export_properties(None, "k", None)
    )
    assert merge_properties() == export_properties("AES256", None, None)


def test_discovery_is_inherited_from_defaults_and_overridden_by_an_entry(tmp_path: Path) -> None:
    text = (
        "version: 1\nproject: lab/p\ndefaults:\n  volume: lab/out\n  discovery: search\n"
        "exports:\n"
        '  - glob: "results/**/*.bam"\n    location: "{path}"\n'
        '  - glob: "logs/*.txt"\n    discovery: list\n    location: "{path}"\n'
        "  - path: a.bam\n    location: a.bam\n"
    )
    inherited, overridden, by_path = load_manifests(
        [write(tmp_path, "m.yaml", text)], root=tmp_path
    ).rules
    assert (inherited.discovery, overridden.discovery) == ("search", "list")
    # A path entry inherits the defaults' value, which means nothing for it (no walk).
    assert by_path.discovery == "search"
    unsaid = load_manifests([write(tmp_path, "n.yaml", VALID)], root=tmp_path).rules
    assert [rule.discovery for rule in unsaid] == ["list"]


def test_moved_and_copied_elsewhere_is_valid(tmp_path: Path) -> None:
    text = VALID + "  - file: 65a1f0c0e4b0d1a2b3c40001\n    location: copy/x.bam\n    mode: copy\n"
    loaded = load_manifests([write(tmp_path, "m.yaml", text)], root=tmp_path)
    assert [r.mode for r in loaded.rules] == [Mode.MOVE, Mode.COPY]


def test_all_problems_of_all_files_in_one_pass(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", VALID.replace("version: 1", "version: 3"))
    write(tmp_path, "sub/b.yml", VALID + "overwrit: 1\n")
    write(tmp_path, "sub/ignored.txt", "not a manifest")
    with pytest.raises(ManifestError) as caught:
        load_manifests([tmp_path], root=tmp_path)
    assert [(Path(d.file).name, d.rule) for d in caught.value.diagnostics] == [
        ("a.yaml", "version"),
        ("b.yml", "unknown-key"),
    ]


def test_digest_ignores_comments_layout_and_order(tmp_path: Path) -> None:
    first = load_manifests([write(tmp_path / "a", "m.yaml", VALID_FULL)], root=tmp_path / "a")
    relaid = "# a comment\n" + VALID_FULL.replace(
        "version: 1\nplatform: cgc\n", "platform: 'cgc'\nversion: 1\n"
    )
    second = load_manifests([write(tmp_path / "b", "m.yaml", relaid)], root=tmp_path / "b")
    assert first.digest == second.digest and first.digest.startswith("sha256:")
    changed = VALID_FULL.replace("max_moves: 500", "max_moves: 501")
    third = load_manifests([write(tmp_path / "c", "m.yaml", changed)], root=tmp_path / "c")
    assert third.digest != first.digest


def test_symlinks_inside_the_root_are_followed(tmp_path: Path) -> None:
    real = write(tmp_path, "real/m.yaml", VALID)
    (tmp_path / "manifests").mkdir()
    os.symlink(real, tmp_path / "manifests" / "link.yaml")
    os.symlink(tmp_path / "manifests", tmp_path / "manifests" / "loop")  # a loop: visited once
    loaded = load_manifests([tmp_path / "manifests"], root=tmp_path)
    assert len(loaded.manifests) == 1


def test_symlinked_folder_leaving_the_root_is_refused(tmp_path: Path) -> None:
    write(tmp_path, "outside/m.yaml", VALID)
    repo = tmp_path / "repo"
    (repo / "manifests").mkdir(parents=True)
    (repo / ".git").mkdir()
    write(repo, "manifests/ok.yaml", VALID)
    os.symlink(tmp_path / "outside", repo / "manifests" / "shared")
    with pytest.raises(ManifestError) as caught:
        load_manifests([repo / "manifests"])  # root: the git work tree
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.rule == "symlink-outside" and diagnostic.file.endswith("shared")


def test_missing_path_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load_manifests([tmp_path / "nope"])
    with pytest.raises(ConfigError, match=r"no \.yaml or \.yml manifests"):
        load_manifests([tmp_path])


@pytest.mark.parametrize("folder", ["manifests", "examples/blocked"])
def test_example_sets_are_valid(folder: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(REPO / folder)]) == 0
    out, err = capsys.readouterr()
    assert out.strip().endswith(": valid") and err == ""


def test_examples_use_every_selector_and_point_at_the_schema() -> None:
    loaded = load_manifests([REPO / "manifests"], root=REPO)
    assert {r.kind for r in loaded.rules} == {"file", "path", "glob"}
    for path in (REPO / "manifests").glob("*.yaml"):
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first == "# yaml-language-server: $schema=../schemas/manifest.schema.json"


def test_validate_json_and_codequality(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "m.yaml", VALID.replace("version: 1", "version: 2"))
    assert main(["validate", "--format", "json", str(path)]) == 1
    out, _ = capsys.readouterr()
    (row,) = json.loads(out)
    assert row == {
        "file": str(path),
        "line": 2,
        "column": 10,
        "message": row["message"],
        "rule": "version",
    }
    assert main(["validate", "--format", "codequality", str(path)]) == 1
    out, _ = capsys.readouterr()
    (issue,) = json.loads(out)
    assert issue["check_name"] == "version" and issue["severity"] == "major"
    assert issue["location"] == {"path": str(path), "lines": {"begin": 2}}
    assert len(issue["fingerprint"]) == 64


def test_validate_text_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, "a.yaml", VALID)
    write(tmp_path, "b.yaml", VALID_FULL.replace("bam/sample1.bam", "bam/other.bam"))
    assert main(["validate", str(tmp_path)]) == 0
    assert capsys.readouterr().out == "2 manifests, 4 exports: valid\n"


def test_codequality_fingerprints_are_unique_and_ignore_line_shifts() -> None:
    from reconciler.errors import Diagnostic
    from reconciler.manifest.report import code_quality_json

    same = [Diagnostic("m.yaml", line, 3, "unknown key", "unknown-key") for line in (4, 9)]
    first = [i["fingerprint"] for i in json.loads(code_quality_json(same))]
    shifted = [Diagnostic("m.yaml", d.line + 5, 3, d.message, d.rule) for d in same]
    second = [i["fingerprint"] for i in json.loads(code_quality_json(shifted))]
    assert len(set(first)) == 2
    assert first == second
