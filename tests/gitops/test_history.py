"""`reconciler history` on a real git repository built here: several authors, a reformat that
changes nothing, a rename, a file moved in from another folder, a merge request merge commit,
a removal, and a shallow clone."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from reconciler.cli import main
from reconciler.gitops.history import read_history

FILE_A = "5" * 24
FILE_B = "6" * 24

ALICE = ("Alice Admin", "alice@example.org")
BOB = ("Bob Builder", "bob@example.org")
CAROL = ("Carol Curator", "carol@example.org")


class Repo:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.clock = 1_700_000_000
        root.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")

    def git(self, *args: str, author: tuple[str, str] = ALICE) -> str:
        self.clock += 3600
        env = {
            **os.environ,
            "GIT_AUTHOR_NAME": author[0],
            "GIT_AUTHOR_EMAIL": author[1],
            "GIT_COMMITTER_NAME": author[0],
            "GIT_COMMITTER_EMAIL": author[1],
            "GIT_AUTHOR_DATE": f"@{self.clock} +0000",
            "GIT_COMMITTER_DATE": f"@{self.clock} +0000",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_CONFIG_NOSYSTEM": "1",
        }
        result = subprocess.run(
            ["git", *args], cwd=self.root, env=env, capture_output=True, text=True, check=True
        )
        return result.stdout

    def write(self, path: str, text: str) -> None:
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)

    def commit(self, message: str, author: tuple[str, str]) -> str:
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message, author=author)
        return self.git("rev-parse", "HEAD").strip()


def manifest(*entries: str, project: str = "lab/rnaseq") -> str:
    body = "".join(entries)
    return f"version: 1\nproject: {project}\ndefaults:\n  volume: lab/archive\nexports:\n{body}"


def entry(file_id: str, location: str, mode: str = "move") -> str:
    return f"  - file: {file_id}\n    location: {location}\n    mode: {mode}\n"


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    repo = Repo(tmp_path / "repo")
    repo.write("manifests/a.yaml", manifest(entry(FILE_A, "raw/a.bam")))
    repo.commit("Declare a.bam", ALICE)
    # Reformatting and a comment change no declaration.
    repo.write(
        "manifests/a.yaml",
        "# archive of the rnaseq project\n"
        + manifest(entry(FILE_A, "raw/a.bam")).replace("  volume:", "    volume:"),
    )
    repo.commit("Reformat", BOB)
    # A feature branch merged by a merge request.
    repo.git("checkout", "-q", "-b", "copy-b")
    repo.write("manifests/a.yaml", manifest(entry(FILE_A, "raw/a.bam"), entry(FILE_B, "b.vcf")))
    repo.commit("Export b.vcf", BOB)
    repo.git("checkout", "-q", "main")
    repo.git(
        "merge", "--no-ff", "-q", "copy-b", "-m",
        "Merge branch 'copy-b' into 'main'\n\nExport b.vcf\n\nSee merge request lab/manifests!7",
        author=CAROL,
    )  # fmt: skip
    # Rename the manifest; nothing in it changes.
    repo.git("mv", "manifests/a.yaml", "manifests/rnaseq.yaml")
    repo.commit("Rename the rnaseq manifest", CAROL)
    # Change the destination of a.bam and the mode of b.
    repo.write(
        "manifests/rnaseq.yaml",
        manifest(entry(FILE_A, "bam/a.bam"), entry(FILE_B, "b.vcf", mode="copy")),
    )
    repo.commit("Move a.bam under bam/, copy b\n\nSee merge request lab/manifests!9", ALICE)
    # A manifest written elsewhere and then moved into manifests/.
    repo.write("drafts/extra.yaml", manifest(entry("7" * 24, "extra/x.txt"), project="lab/other"))
    repo.commit("Draft the extra export", CAROL)
    repo.git("mv", "drafts/extra.yaml", "manifests/extra.yaml")
    repo.commit("Adopt the extra manifest", CAROL)
    # Remove b.
    repo.write("manifests/rnaseq.yaml", manifest(entry(FILE_A, "bam/a.bam")))
    repo.commit("Stop exporting b.vcf", BOB)
    return repo


def test_a_file_id_shows_every_commit_that_changed_its_declaration(repo: Repo) -> None:
    history = read_history(repo.root / "manifests", FILE_A)
    summary = [(e.action, e.commit.subject, e.commit.author_name) for e in history.events]
    # Newest first; the reformat, the merge commit and the rename of the file add nothing new
    # except the rename, which shows as "moved" (same declaration, another manifest file).
    assert summary == [
        ("changed", "Move a.bam under bam/, copy b", "Alice Admin"),
        ("moved", "Rename the rnaseq manifest", "Carol Curator"),
        ("added", "Declare a.bam", "Alice Admin"),
    ]
    changed = history.events[0]
    assert changed.details() == ["destination: lab/archive:raw/a.bam -> lab/archive:bam/a.bam"]
    assert changed.merge_request == "lab/manifests!9"
    # Committed straight on main, before the merge request !7 was merged: no merge request.
    assert history.events[-1].merge_request is None
    assert history.events[1].details() == ["manifest: manifests/a.yaml -> manifests/rnaseq.yaml"]
    assert not history.shallow


def test_a_destination_finds_the_branch_commit_and_its_merge_request(repo: Repo) -> None:
    history = read_history(repo.root / "manifests", "lab/archive:b.vcf")
    summary = [(e.action, e.commit.subject, e.commit.author_name) for e in history.events]
    assert summary == [
        ("removed", "Stop exporting b.vcf", "Bob Builder"),
        ("changed", "Move a.bam under bam/, copy b", "Alice Admin"),
        ("moved", "Rename the rnaseq manifest", "Carol Curator"),
        ("added", "Export b.vcf", "Bob Builder"),
    ]
    # The branch commit says nothing of the merge request; its merge commit does.
    assert history.events[-1].merge_request == "lab/manifests!7"
    assert history.events[1].details() == ["mode: move -> copy"]
    assert history.events[0].merge_request is None


def test_a_manifest_moved_in_from_another_folder_keeps_its_history(repo: Repo) -> None:
    history = read_history(repo.root / "manifests", "extra/x.txt")
    summary = [(e.action, e.commit.subject) for e in history.events]
    assert summary == [
        ("moved", "Adopt the extra manifest"),
        ("added", "Draft the extra export"),
    ]


def test_the_command_prints_newest_first_with_authors(
    repo: Repo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(repo.root)
    assert main(["history", FILE_A]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == f"file {FILE_A} (project lab/rnaseq)"
    assert "changed" in lines[1] and "Alice Admin <alice@example.org>" in lines[1]
    assert lines[1].endswith("Move a.bam under bam/, copy b [lab/manifests!9]")
    assert out.index("changed") < out.index("moved") < out.index("added")

    assert main(["history", "--format", "json", "lab/archive:b.vcf"]) == 0
    events = json.loads(capsys.readouterr().out)
    assert [e["action"] for e in events] == ["removed", "changed", "moved", "added"]
    assert events[-1]["author"] == {"name": "Bob Builder", "email": "bob@example.org"}
    assert events[-1]["after"]["selector"] == {"file": FILE_B}


def test_a_path_matches_globs_and_placeholder_locations(tmp_path: Path) -> None:
    repo = Repo(tmp_path)
    repo.write(
        "manifests/g.yaml",
        "version: 1\nproject: lab/p\nexports:\n"
        "  - glob: results/**/*.vcf\n    volume: lab/v\n    location: vcf/{name}\n",
    )
    repo.commit("Glob the VCFs", ALICE)
    assert [e.action for e in read_history(tmp_path / "manifests", "results/s1/x.vcf").events] == [
        "added"
    ]
    assert len(read_history(tmp_path / "manifests", "lab/v:vcf/x.vcf").events) == 1
    assert read_history(tmp_path / "manifests", "lab/v:bam/x.bam").events == ()
    assert read_history(tmp_path / "manifests", "results/s1/x.bam").events == ()


def test_invalid_old_versions_are_read_leniently(tmp_path: Path) -> None:
    repo = Repo(tmp_path)
    repo.write("manifests/m.yaml", "version: 1\nexports: [\n")  # not even YAML
    repo.commit("Broken", ALICE)
    repo.write("manifests/m.yaml", manifest(entry(FILE_A, "a"), "  - bogus: 1\n"))
    repo.commit("Fixed", BOB)
    events = read_history(tmp_path / "manifests").events
    assert [(e.action, e.commit.subject) for e in events] == [("added", "Fixed")]


def test_a_shallow_clone_says_history_is_missing(
    repo: Repo, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    clone = tmp_path / "shallow"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "2", f"file://{repo.root}", str(clone)],
        check=True,
        capture_output=True,
    )
    history = read_history(clone / "manifests", FILE_A)
    assert history.shallow
    # Only two commits are here: the oldest of them shows a.bam as already present.
    assert [e.action for e in history.events] == ["present"]
    monkeypatch.chdir(clone)
    assert main(["history", FILE_A]) == 0
    captured = capsys.readouterr()
    assert "shallow clone" in captured.err and "git fetch --unshallow" in captured.err
    assert "present*" in captured.out


def test_outside_a_repository_is_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "manifests").mkdir()
    env_dir = tmp_path / "manifests"
    assert main(["history", "--manifests", str(env_dir)]) == 1
    err = capsys.readouterr().err
    assert "not inside a git repository" in err
    assert "Traceback" not in err
