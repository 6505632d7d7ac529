"""`reconciler init`: a new manifests repository in a real folder (and a real git repository),
whose manifest validates, whose CI and pre-commit files use what this repository ships, and
which never overwrites anything."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from reconciler import __version__, cli, scaffold
from reconciler.scaffold import component_path, platform_variable

ROOT = Path(__file__).resolve().parent.parent
EVERY_FILE = {
    "gitlab": {
        "manifests/first-export.yaml",
        ".gitlab-ci.yml",
        ".pre-commit-config.yaml",
        ".gitignore",
        "README.md",
    },
    "github": {
        "manifests/first-export.yaml",
        ".github/workflows/reconciler.yml",
        ".pre-commit-config.yaml",
        ".gitignore",
        "README.md",
    },
    "none": {"manifests/first-export.yaml", ".pre-commit-config.yaml", ".gitignore", "README.md"},
}


def _files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def _yaml(path: Path) -> object:
    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("ci", sorted(EVERY_FILE))
def test_init_writes_a_repository_whose_manifest_validates(
    ci: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli.main(["init", "--ci", ci]) == 0
    out, err = capsys.readouterr()
    assert _files(tmp_path) == EVERY_FILE[ci]
    assert sorted(out.splitlines()) == sorted(f"wrote {name}" for name in EVERY_FILE[ci])
    assert "README.md" in err  # where the variables to set are

    assert cli.main(["validate"]) == 0
    assert "1 manifest, 1 export: valid" in capsys.readouterr().out
    assert cli.main(["fmt", "--check"]) == 0
    manifest = (tmp_path / "manifests/first-export.yaml").read_text(encoding="utf-8")
    assert "mode: copy" in manifest and "# " in manifest  # commented, and safe to start with

    readme = (tmp_path / "README.md").read_text(encoding="utf-8")
    assert "## Variables to set" in readme
    assert "{{" not in readme and "{{" not in manifest


def test_the_gitlab_file_includes_the_component_this_repository_ships(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["init", "--dir", str(tmp_path), "--project", "lab/rna", "--volume", "lab/out"]
    assert cli.main([*argv, "--platform", "cgc"]) == 0
    config = _yaml(tmp_path / ".gitlab-ci.yml")
    assert isinstance(config, dict)
    (include,) = config["include"]
    assert include["component"] == f"$CI_SERVER_FQDN/tools/reconciler/reconciler@v{__version__}"
    assert include["inputs"]["targets"] == [
        {"PLATFORM": "cgc", "PROJECT": "lab/rna", "MANIFESTS": "manifests"}
    ]
    assert f"reconciler.git@v{__version__}" in include["inputs"]["install"]
    # Every input given is one the component declares (templates/reconciler.yml's spec).
    spec = next(YAML(typ="safe").load_all((ROOT / "templates/reconciler.yml").read_text("utf-8")))
    assert set(include["inputs"]) <= set(spec["spec"]["inputs"])
    readme = (tmp_path / "README.md").read_text(encoding="utf-8")
    assert "`SB_PLAN_TOKEN_CGC`" in readme and "`SB_APPLY_TOKEN_CGC`" in readme
    assert "`cgc/*`" in readme
    manifest = _yaml(tmp_path / "manifests/first-export.yaml")
    assert isinstance(manifest, dict)
    assert (manifest["platform"], manifest["project"]) == ("cgc", "lab/rna")
    assert manifest["defaults"]["volume"] == "lab/out"


def test_the_pre_commit_configuration_uses_the_hooks_this_repository_offers(
    tmp_path: Path,
) -> None:
    source = "https://git.example.org/group/tools/reconciler.git"
    assert cli.main(["init", "--dir", str(tmp_path), "--ci", "none", "--source", source]) == 0
    offered = _yaml(ROOT / ".pre-commit-hooks.yaml")
    assert isinstance(offered, list)
    config = _yaml(tmp_path / ".pre-commit-config.yaml")
    assert isinstance(config, dict)
    (repo,) = config["repos"]
    assert repo["repo"] == source and repo["rev"] == f"v{__version__}"
    assert [hook["id"] for hook in repo["hooks"]] == [hook["id"] for hook in offered]


def test_the_github_workflow_is_the_packaged_one_with_the_users_target(tmp_path: Path) -> None:
    argv = ["init", "--dir", str(tmp_path), "--ci", "github", "--platform", "cgc"]
    assert cli.main([*argv, "--project", "lab/tumours", "--source", "https://example.org/r"]) == 0
    written = (tmp_path / ".github/workflows/reconciler.yml").read_text(encoding="utf-8")
    packaged = (ROOT / "reconciler/scaffold/github-workflow.yml").read_text(encoding="utf-8")
    assert scaffold.GITHUB_EXAMPLE_TARGET in packaged
    assert scaffold.GITHUB_EXAMPLE_INSTALL in packaged
    assert written == packaged.replace(
        scaffold.GITHUB_EXAMPLE_TARGET, '"platform": "cgc", "project": "lab/tumours"'
    ).replace(scaffold.GITHUB_EXAMPLE_INSTALL, f"git+https://example.org/r@v{__version__}")
    assert "/.github/workflows/reconciler.yml@v" in written
    assert "Settings > Secrets" in (tmp_path / "README.md").read_text(encoding="utf-8")


def test_in_a_git_repository_the_state_and_plans_are_ignored(tmp_path: Path) -> None:
    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", *args], cwd=tmp_path, capture_output=True, text=True, check=True
        )
        return done.stdout

    git("init", "-q")
    assert cli.main(["init", "--dir", str(tmp_path)]) == 0
    for name in (".reconciler/receipt.json", "plan.json", "plan.csv", ".sandbox/sandbox.db"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("{}", encoding="utf-8")
    untracked = set(git("ls-files", "--others", "--exclude-standard").splitlines())
    assert untracked == EVERY_FILE["gitlab"]


def test_init_refuses_to_overwrite_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / ".gitignore").write_text("mine\n", encoding="utf-8")
    assert cli.main(["init", "--dir", str(tmp_path)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [
        f"error: {tmp_path / '.gitignore'}: already exists; reconciler init writes only new "
        "files, and wrote nothing (1 of its 5 files are there already)"
    ]
    assert _files(tmp_path) == {".gitignore"}
    assert (tmp_path / ".gitignore").read_text(encoding="utf-8") == "mine\n"


def test_a_dangling_symlink_counts_as_present(tmp_path: Path) -> None:
    (tmp_path / "README.md").symlink_to(tmp_path / "elsewhere.md")
    assert cli.main(["init", "--dir", str(tmp_path)]) == 1
    assert not (tmp_path / "elsewhere.md").exists()
    assert not (tmp_path / "manifests").exists()


def test_a_write_that_fails_leaves_nothing_half_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / ".github").write_text("a file where a folder goes\n", encoding="utf-8")
    assert cli.main(["init", "--dir", str(tmp_path), "--ci", "github"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "cannot write" in err and len(err.splitlines()) == 1
    assert _files(tmp_path) == {".github"}


def test_init_creates_the_folder_it_is_given(tmp_path: Path) -> None:
    target = tmp_path / "new" / "exports"
    assert cli.main(["init", "--dir", str(target), "--ci", "none"]) == 0
    assert _files(target) == EVERY_FILE["none"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--project", "rna-seq"], "error: --project 'rna-seq': expected OWNER/NAME"),
        (["--volume", "a/b/c"], "error: --volume 'a/b/c': expected OWNER/NAME"),
        (["--dir", "{file}"], "error: {file}: not a folder"),
    ],
)
def test_bad_input_is_one_line(
    argv: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = tmp_path / "file"
    file.write_text("", encoding="utf-8")
    argv = [arg.format(file=file) for arg in argv]
    assert cli.main(["init", "--dir", str(tmp_path / "repo"), *argv]) == 1
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1
    assert err.startswith(message.format(file=file))
    assert not (tmp_path / "repo").exists()


def test_the_component_path_and_variable_names() -> None:
    assert component_path("https://gitlab.example.org/tools/reconciler.git") == "tools/reconciler"
    assert component_path("https://gitlab.example.org/a/b/reconciler") == "a/b/reconciler"
    assert component_path("file:///") == "tools/reconciler"
    assert platform_variable("aws-us") == "AWS_US"
