"""The project's own checks, in the order that fails fastest: lint, format, types, the import
contracts (the sandbox and the client side stay independent), the documentation site (`mkdocs
build --strict`, into a temporary folder: a broken link or a page left out of the navigation
fails), then the tests.

Every tool runs as `python -m ...` under the interpreter that runs this script, so the checks
work in any virtual environment whether or not its `bin/` is on PATH. Extra arguments go to
pytest. pytest exits 5 when it collects nothing, which fails this script like any other error.
The tests run with branch coverage of the package, shown at the end, and fail below the floor
in `pyproject.toml` (`[tool.coverage.report] fail_under`).

The suite runs in two parts: first every test not marked `serial` in WORKERS processes
(pytest-xdist: the tests mostly wait on sandbox jobs and timeouts, so more processes than CPUs
pay off), then the `serial` ones (tests that measure time or the pace of output; the list is
`SERIAL_MODULES` in tests/conftest.py) in one process, with nothing else running; the coverage
of both is added up before the floor is checked. With extra arguments (a file, `-k`), pytest
runs once, in one process, as given.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Material for MkDocs prints a notice about its successor on every build; the check says nothing
# it does not need to.
QUIET = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
LINT_IMPORTS = "from importlinter.cli import lint_imports_command as c; raise SystemExit(c())"

STEPS: list[tuple[str, list[str]]] = [
    ("ruff check", ["-m", "ruff", "check", "."]),
    ("ruff format", ["-m", "ruff", "format", "--check", "."]),
    ("mypy", ["-m", "mypy"]),
    ("import contracts", ["-c", LINT_IMPORTS]),
]


WORKERS = "4"


def test_steps(pytest_args: list[str]) -> list[tuple[str, list[str]]]:
    if pytest_args:
        return [("pytest", ["-m", "pytest", "--cov", "--cov-report=term", *pytest_args])]
    parallel = ["-m", "not serial", "-n", WORKERS, "--cov-report=", "--cov-fail-under=0"]
    serial = ["-m", "serial", "--cov-append", "--cov-report=term"]
    return [
        (f"pytest, in {WORKERS} processes", ["-m", "pytest", "--cov", *parallel]),
        ("pytest, the serial tests", ["-m", "pytest", "--cov", *serial]),
    ]


def main(pytest_args: list[str]) -> int:
    with tempfile.TemporaryDirectory(prefix="reconciler-site-") as site:
        docs = ["-m", "mkdocs", "build", "--strict", "--quiet", "--site-dir", site]
        for name, argv in [*STEPS, ("mkdocs build --strict", docs), *test_steps(pytest_args)]:
            print(f"==> {name}", flush=True)
            run = subprocess.run([sys.executable, *argv], cwd=ROOT, env=QUIET, check=False)
            code = run.returncode
            if code != 0:
                print(f"==> {name} failed (exit {code})", file=sys.stderr, flush=True)
                return code
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
