"""The project's own checks, in the order that fails fastest: lint, format, types, the import
contracts (the sandbox and the client side stay independent), then the tests.

Every tool runs as `python -m ...` under the interpreter that runs this script, so the checks
work in any virtual environment whether or not its `bin/` is on PATH. Extra arguments go to
pytest. pytest exits 5 when it collects nothing, which fails this script like any other error.
The tests run with branch coverage of the package, shown at the end, and fail below the floor
in `pyproject.toml` (`[tool.coverage.report] fail_under`).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = "from importlinter.cli import lint_imports_command as c; raise SystemExit(c())"

STEPS: list[tuple[str, list[str]]] = [
    ("ruff check", ["-m", "ruff", "check", "."]),
    ("ruff format", ["-m", "ruff", "format", "--check", "."]),
    ("mypy", ["-m", "mypy"]),
    ("import contracts", ["-c", LINT_IMPORTS]),
]


def main(pytest_args: list[str]) -> int:
    tests = ["-m", "pytest", "--cov", "--cov-report=term", *pytest_args]
    for name, argv in [*STEPS, ("pytest", tests)]:
        print(f"==> {name}", flush=True)
        code = subprocess.run([sys.executable, *argv], cwd=ROOT, check=False).returncode
        if code != 0:
            print(f"==> {name} failed (exit {code})", file=sys.stderr, flush=True)
            return code
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
