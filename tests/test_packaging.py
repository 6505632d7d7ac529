"""The package as a user gets it: the wheel carries the demo's examples, and `reconciler demo` runs
from the installed wheel in an empty folder, with no checkout anywhere near it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
SETUPTOOLS = PYPROJECT["tool"]["setuptools"]
# What the wheel is built from; anything else the build needs makes the test fail.
SOURCES = ("pyproject.toml", "README.md", "reconciler", "manifests", "examples")


def test_every_code_package_is_listed_and_the_examples_are_mapped() -> None:
    on_disk = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "reconciler").rglob("__init__.py")
    }
    mapped = SETUPTOOLS["package-dir"]
    assert set(SETUPTOOLS["packages"]) - set(mapped) == on_disk
    assert mapped == {
        "reconciler.examples.manifests": "manifests",
        "reconciler.examples.blocked": "examples/blocked",
    }
    assert not (ROOT / "reconciler" / "examples").exists()  # no second copy in the repository


def _run(
    argv: Sequence[str | Path], *, cwd: Path | None = None, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(a) for a in argv], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, (
        f"{argv}: exit {result.returncode}\n{result.stdout}{result.stderr}"
    )
    return result


def _build_wheel(tmp_path: Path) -> Path:
    source = tmp_path / "source"
    source.mkdir()
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(
                ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__")
            )
        else:
            shutil.copy2(ROOT / name, source / name)
    dist = tmp_path / "dist"
    # The installed setuptools (the test extra requires >= 77), so no download is needed.
    pip_wheel = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"]
    _run([*pip_wheel, "--no-index", "--quiet", "--wheel-dir", dist, source])
    (wheel,) = dist.glob("reconciler-*.whl")
    return wheel


def _fresh_venv(tmp_path: Path, wheel: Path) -> Path:
    """A new virtual environment with the wheel installed; its dependencies are found in this
    test environment's site-packages (a .pth line: no download, and no .pth of this environment
    runs there, so an editable reconciler of this environment stays invisible)."""
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", venv])
    python = venv / "bin" / "python"
    _run([python, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", wheel])
    purelib = "import sysconfig; print(sysconfig.get_path('purelib'))"
    site = Path(_run([python, "-c", purelib]).stdout.strip())
    # Wherever this environment's packages are: its venv, the system's, the user's site.
    ours = dict.fromkeys(
        [sysconfig.get_path("purelib"), sysconfig.get_path("platlib")]
        + [p for p in sys.path if Path(p).name in ("site-packages", "dist-packages")]
    )
    (site / "test-dependencies.pth").write_text("".join(f"{p}\n" for p in ours), encoding="utf-8")
    return venv


@pytest.mark.slow
def test_the_wheel_runs_the_demo_in_an_empty_folder(tmp_path: Path) -> None:
    wheel = _build_wheel(tmp_path)
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    for example in (*(ROOT / "manifests").glob("*.yaml"), *(ROOT / "examples/blocked").glob("*")):
        packaged = "reconciler/examples/" + example.relative_to(ROOT).as_posix().replace(
            "examples/", "", 1
        )
        assert packaged in names
    # `reconciler init` copies the GitHub caller workflow from the installed package.
    assert "reconciler/scaffold/github-workflow.yml" in names

    venv = _fresh_venv(tmp_path, wheel)
    empty, temp = tmp_path / "empty", tmp_path / "temp"
    empty.mkdir()
    temp.mkdir()
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("SB_", "PYTHON", "VIRTUAL_ENV"))
    }
    env |= {"TMPDIR": str(temp), "HOME": str(tmp_path / "home")}
    where = _run(
        [venv / "bin" / "python", "-c", "import reconciler; print(reconciler.__file__)"],
        cwd=empty,
        env=env,
    ).stdout.strip()
    assert Path(where).is_relative_to(venv), where

    demo = _run([venv / "bin" / "reconciler", "demo"], cwd=empty, env=env)
    assert "Every step behaved as expected." in demo.stdout
    assert "$ reconciler plan examples/blocked" in demo.stdout
    closing = demo.stdout.rpartition("=== Done")[2]
    assert "reconciler-demo-" not in closing and "receipt" not in closing
    assert list(empty.iterdir()) == []  # nothing written where the user stood
    assert list(temp.iterdir()) == []  # and the demo's own folder is gone
