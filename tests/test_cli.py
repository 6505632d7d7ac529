"""The CLI skeleton: version, help, and the one top-level handler."""

from __future__ import annotations

import subprocess
import sys

from reconciler import __version__
from reconciler.cli import main


def test_version_is_printed(capsys: object) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "reconciler", "--version"], capture_output=True, text=True
    )
    assert result.returncode == 0
    assert result.stdout.strip() == f"reconciler {__version__}"


def test_unknown_command_is_a_usage_error() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "reconciler", "frobnicate"], capture_output=True, text=True
    )
    assert result.returncode == 2
    assert "invalid choice" in result.stderr
    assert "Traceback" not in result.stderr


def test_main_returns_an_int_for_our_errors() -> None:
    # `schema` with an unwritable output path must be a one-line error, exit 1.
    assert isinstance(main(["--help"] if False else ["validate", "/nonexistent/dir"]), int)
