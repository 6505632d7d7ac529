"""The tutorial is true: its commands (the shell blocks marked `<!-- tutorial -->` in
docs/tutorial.md) run as written, in one shell, in an empty folder, against a real sandbox
process, and each ends with the exit code its comment states (`# exits 2`), else 0."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TUTORIAL = ROOT / "docs" / "tutorial.md"
BLOCK = re.compile(r"<!-- tutorial -->\n```(?:sh|bash|console)\n(.*?)\n```", re.S)
EXITS = re.compile(r"#\s*exits (\d+)")


def tutorial_commands(page: str) -> list[tuple[str, int]]:
    """Every command of the marked blocks with the exit code it is expected to end with;
    a line ending with a backslash continues on the next."""
    commands = []
    for block in BLOCK.findall(page):
        for command in block.replace("\\\n", " ").splitlines():
            if not command.strip() or command.lstrip().startswith("#"):
                continue
            expected = EXITS.search(command)
            commands.append((command, int(expected.group(1)) if expected else 0))
    return commands


def script(commands: list[tuple[str, int]]) -> str:
    lines = ["trap 'kill $(jobs -p) 2>/dev/null' EXIT"]  # the sandbox, should a step fail
    for command, expected in commands:
        lines += [
            f"printf '%s\\n' {shlex.quote('$ ' + command)} >&2",
            command,
            "status=$?",
            f"if [ $status -ne {expected} ]; then",
            f"  printf 'tutorial: exit %s, expected {expected}: %s\\n' $status "
            f"{shlex.quote(command)} >&2; exit 1",
            "fi",
        ]
    return "\n".join(lines) + "\n"


def test_the_marked_blocks_are_the_whole_walk_from_init_to_drift() -> None:
    commands = tutorial_commands(TUTORIAL.read_text(encoding="utf-8"))
    text = [command for command, _ in commands]
    for step in ("reconciler init", "reconciler validate", "reconciler sandbox"):
        assert any(line.startswith(step) for line in text), step
    assert any(line.startswith("reconciler apply --plan plan.json") for line in text)
    detailed = [code for command, code in commands if "--detailed-exitcode" in command]
    assert detailed == [2, 0, 2, 0]  # pending, converged, drift, converged again
    assert "kill %1" in text  # the sandbox is stopped


def test_the_tutorial_runs_as_written(tmp_path: Path) -> None:
    commands = tutorial_commands(TUTORIAL.read_text(encoding="utf-8"))
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("SB_", "RECONCILER_", "CI_", "GIT_", "REQUESTS_", "CURL_"))
    }
    env |= {
        # `reconciler` as a user who installed it has it: on the PATH.
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        "HOME": str(tmp_path / "home"),
        "GIT_AUTHOR_NAME": "A Reader",
        "GIT_AUTHOR_EMAIL": "reader@example.org",
        "GIT_COMMITTER_NAME": "A Reader",
        "GIT_COMMITTER_EMAIL": "reader@example.org",
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    (tmp_path / "home").mkdir()
    done = subprocess.run(
        ["bash", "-c", script(commands)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:] + done.stdout[-4000:]
    folder = tmp_path / "my-exports"
    receipt = (folder / ".reconciler" / "receipt.json").read_text(encoding="utf-8")
    assert '"results/sample9/counts.tsv"' in receipt  # the drift was applied too
    assert "Apply: 8 completed" in done.stdout
