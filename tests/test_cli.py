"""The CLI shell: version, usage errors, and the one top-level handler."""

from __future__ import annotations

import argparse
import logging
import stat
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

from reconciler import __version__, cli
from reconciler.errors import ConfigError
from reconciler.redact import configure_logging


def run_module(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reconciler", *argv], capture_output=True, text=True, check=False
    )


def test_version_is_printed() -> None:
    result = run_module("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"reconciler {__version__}"


def test_unknown_command_is_a_usage_error() -> None:
    result = run_module("frobnicate")
    assert result.returncode == 2
    assert "invalid choice" in result.stderr
    assert "Traceback" not in result.stderr


def _raise(exc: BaseException) -> Callable[[argparse.Namespace], int]:
    def command(_args: argparse.Namespace) -> int:
        raise exc

    return command


@pytest.mark.parametrize(
    ("exc", "code", "fragment"),
    [
        (ConfigError("no token: set SB_AUTH_TOKEN"), 1, "error: no token: set SB_AUTH_TOKEN"),
        (KeyboardInterrupt(), 130, "interrupted"),
        (ZeroDivisionError("boom"), 3, "internal error (a bug in reconciler"),
    ],
)
def test_top_level_handler(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    exc: BaseException,
    code: int,
    fragment: str,
) -> None:
    assert cli.dispatch(_raise(exc), argparse.Namespace()) == code
    err = capsys.readouterr().err
    assert fragment in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_an_internal_error_exits_3_and_leaves_a_redacted_traceback_file_for_its_owner(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setenv("SB_AUTH_TOKEN", "tok-crash-0123456789abcdef")
    args = argparse.Namespace(argv=["plan", "m.yaml"])

    code = cli.dispatch(_raise(KeyError("tok-crash-0123456789abcdef\nsecond line")), args)

    err = capsys.readouterr().err
    assert code == cli.EXIT_INTERNAL == 3
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    report = Path(err.rsplit("details in ", 1)[1].strip())
    assert report.parent == tmp_path and report.name.startswith("reconciler-crash-")
    assert stat.S_IMODE(report.stat().st_mode) == 0o600
    text = report.read_text()
    assert "Traceback (most recent call last)" in text and "KeyError" in text
    assert "arguments: plan m.yaml" in text
    assert "tok-crash-0123456789abcdef" not in text + err and "[redacted]" in text


def test_with_verbose_an_internal_error_prints_the_redacted_traceback_too(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setenv("SB_AUTH_TOKEN", "tok-crash-0123456789abcdef")
    args = argparse.Namespace(verbose=True)

    code = cli.dispatch(_raise(RuntimeError("with tok-crash-0123456789abcdef")), args)

    err = capsys.readouterr().err
    assert code == 3
    assert err.startswith("Traceback (most recent call last)")
    assert "RuntimeError: with [redacted]" in err and "tok-crash" not in err
    assert err.splitlines()[-1].startswith("internal error (a bug in reconciler")


def test_an_internal_error_without_a_writable_temporary_folder_still_says_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "missing"))

    code = cli.dispatch(_raise(ValueError("boom")), argparse.Namespace())

    err = capsys.readouterr().err
    assert code == 3 and len(err.splitlines()) == 1
    assert err.rstrip().endswith("ValueError: boom; no traceback file (No such file or directory)")


def test_a_crash_in_a_real_process_exits_3(tmp_path: Path) -> None:
    """Through `cli.main` in a process of its own, with a command that has a bug."""
    code = (
        "import sys, tempfile; tempfile.tempdir = sys.argv[1]\n"
        "from reconciler import cli\n"
        "from reconciler.commands import validate\n"
        "def boom(args): raise AssertionError('unexpected')\n"
        "validate.run = boom\n"
        "raise SystemExit(cli.main(['validate', 'x.yaml']))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 3, result.stderr
    assert "internal error" in result.stderr and "details in " + str(tmp_path) in result.stderr


def test_secrets_are_redacted_in_errors(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SB_AUTH_TOKEN", "tok-0123456789abcdef")
    leaky = _raise(ConfigError("bad token tok-0123456789abcdef"))
    assert cli.dispatch(leaky, argparse.Namespace()) == 1
    err = capsys.readouterr().err
    assert "tok-0123456789abcdef" not in err
    assert "[redacted]" in err


def test_verbose_logs_are_redacted(capsys: pytest.CaptureFixture[str]) -> None:
    import logging

    from reconciler.redact import configure_logging, register_secret

    register_secret("verbose-secret-0123456789")
    configure_logging(verbose=True)
    try:
        logging.getLogger("reconciler.api").debug("sent token verbose-secret-0123456789")
        err = capsys.readouterr().err
        assert "DEBUG reconciler.api: sent token [redacted]" in err
        assert "verbose-secret-0123456789" not in err
    finally:
        configure_logging(verbose=False)


def test_every_command_accepts_verbose() -> None:
    parser = cli.build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert len(commands.choices) == len(cli.COMMANDS)
    for name, command_parser in commands.choices.items():
        assert "--verbose" in command_parser._option_string_actions, name


@pytest.mark.parametrize(
    ("argv", "verbose"),
    [
        (["-v", "validate"], True),
        (["--verbose", "plan", "x.yaml"], True),
        (["plan", "-v"], True),
        (["plan"], False),
        (["-v", "sandbox"], True),  # the sandbox's own --verbose (log every request)
        (["sandbox"], False),
    ],
)
def test_verbose_before_or_after_the_command(argv: list[str], verbose: bool) -> None:
    assert cli.parse_arguments(cli.build_parser(), argv).verbose is verbose


def test_verbose_before_the_command_turns_on_debug_logs(tmp_path: Path) -> None:
    manifest = tmp_path / "m.yaml"
    manifest.write_text("version: 1\nproject: me/p\nexports: []\n", encoding="utf-8")
    try:
        assert cli.main(["-v", "validate", str(manifest)]) == 0
        assert logging.getLogger("reconciler").isEnabledFor(logging.DEBUG)
    finally:
        configure_logging(verbose=False)


def test_a_usage_error_shows_the_commands_own_usage() -> None:
    result = run_module("plan", "--formt", "json")
    assert result.returncode == 2
    assert result.stderr.startswith("usage: reconciler plan ")
    assert result.stderr.rstrip().splitlines()[-1] == (
        "reconciler plan: error: unrecognized arguments: --formt (did you mean --format?)"
    )
    assert result.stdout == ""


def test_urllib3_warnings_are_left_to_the_transport_unless_verbose(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The transport says every retry in one line of its own: urllib3's warnings would say it
    again, at length."""
    pool = logging.getLogger("urllib3.connectionpool")
    try:
        configure_logging(verbose=False)
        pool.warning("Connection pool is full, discarding connection: 127.0.0.1")
        assert capsys.readouterr().err == ""
        configure_logging(verbose=True)
        pool.warning("Connection pool is full, discarding connection: 127.0.0.1")
        assert "WARNING urllib3.connectionpool: Connection pool is full" in capsys.readouterr().err
    finally:
        configure_logging(verbose=False)
