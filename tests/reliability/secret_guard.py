"""pytest plugin: after the whole run, look for the test secret in everything the tool wrote and
printed, and fail the session when it is anywhere.

Registered for every run by the root `conftest.py`. What is searched:

- the captured stdout, stderr and log records of every test phase, and every failure report
  (`pytest_runtest_logreport`, `pytest_collectreport`);
- every regular file under this session's temporary root (`tmp_path`, `tmp_path_factory`:
  manifests, saved plans, state folders with journals and receipts, sandbox data folders with
  their request logs), and the default state folder `.reconciler/` of the root folder, in case
  a test applied without `--state-dir`.

Not searched, on purpose: the sandbox's own database (`sandbox.db` and its WAL files), where the
server keeps the tokens it accepts; symlinks (tests point them outside the repository) and
anything that is not a regular file (a FIFO would block). Sparse files (the sandbox's objects)
are read by their data extents only.

The secret is searched as ASCII and as UTF-16; findings name the file or the test, never the
secret itself. With capture disabled (`-s`) printed output cannot be checked; the summary says so.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

from .secret import SECRET_TOKEN

SERVER_SIDE_NAMES = frozenset(
    {"sandbox.db", "sandbox.db-wal", "sandbox.db-shm", "sandbox.db-journal"}
)
DEFAULT_STATE_DIR = ".reconciler"
_CHUNK = 1 << 20


def needles(secret: str) -> tuple[bytes, ...]:
    return (secret.encode("ascii"), secret.encode("utf-16-le"), secret.encode("utf-16-be"))


def text_leaks(text: str | None, secret: str) -> bool:
    return bool(text) and secret in str(text)


def _data_extents(fd: int, size: int) -> Iterator[tuple[int, int]]:
    """(start, end) of the parts of a file that hold data; the whole file when the system
    cannot tell holes from data."""
    position = 0
    while position < size:
        try:
            start = os.lseek(fd, position, os.SEEK_DATA)
        except OSError as exc:
            if exc.errno != errno.ENXIO:  # ENXIO: only a hole is left
                yield position, size
            return
        end = os.lseek(fd, start, os.SEEK_HOLE)
        yield start, end
        position = end


def file_leaks(path: Path, patterns: Iterable[bytes]) -> bool:
    """Whether the regular file at `path` holds any of `patterns`, read in chunks with an
    overlap so a match across two chunks is found."""
    found = tuple(patterns)
    overlap = max(len(p) for p in found) - 1
    try:
        fd = os.open(
            path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        )
    except OSError:
        return False
    try:
        size = os.fstat(fd).st_size
        for start, end in _data_extents(fd, size):
            os.lseek(fd, start, os.SEEK_SET)
            tail = b""
            position = start
            while position < end:
                chunk = os.read(fd, min(_CHUNK, end - position))
                if not chunk:
                    break
                window = tail + chunk
                if any(p in window for p in found):
                    return True
                tail = window[-overlap:] if overlap else b""
                position += len(chunk)
    finally:
        os.close(fd)
    return False


def leaking_files(roots: Iterable[Path], secret: str) -> list[Path]:
    """Every regular file under `roots` that holds `secret` (symlinks not followed)."""
    patterns = needles(secret)
    out: list[Path] = []
    for root in roots:
        if not root.is_dir() or root.is_symlink():
            continue
        for folder, _dirs, names in os.walk(root, followlinks=False):
            for name in names:
                if name in SERVER_SIDE_NAMES:
                    continue
                path = Path(folder) / name
                try:
                    mode = os.lstat(path).st_mode
                except OSError:
                    continue
                if stat.S_ISREG(mode) and file_leaks(path, patterns):
                    out.append(path)
    return sorted(out)


class SecretGuard:
    """Collects findings during the run and turns them into a failed session at its end."""

    def __init__(self, config: pytest.Config, secret: str = SECRET_TOKEN) -> None:
        self.config = config
        self.secret = secret
        self.findings: list[str] = []
        self.reports_checked = 0
        self.files_roots: list[Path] = []

    def _check_report(self, nodeid: str, when: str, report: pytest.BaseReport) -> None:
        self.reports_checked += 1
        where = f"{nodeid or '<session>'} ({when})"
        for title, content in report.sections:
            if text_leaks(content, self.secret):
                self.findings.append(f"{where}: in its {title.lower()}")
        if report.longrepr is not None and text_leaks(report.longreprtext, self.secret):
            self.findings.append(f"{where}: in its failure report")

    @pytest.hookimpl(trylast=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self._check_report(report.nodeid, report.when, report)

    @pytest.hookimpl(trylast=True)
    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        self._check_report(report.nodeid, "collect", report)

    def roots(self) -> list[Path]:
        roots: list[Path] = []
        factory = getattr(self.config, "_tmp_path_factory", None)
        if factory is not None:
            roots.append(Path(factory.getbasetemp()))
        roots.append(self.config.rootpath / DEFAULT_STATE_DIR)
        return roots

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        self.files_roots = self.roots()
        for path in leaking_files(self.files_roots, self.secret):
            self.findings.append(f"{path}: in the file")
        if self.findings and session.exitstatus in (
            pytest.ExitCode.OK,
            pytest.ExitCode.NO_TESTS_COLLECTED,
        ):
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if self.findings:
            terminalreporter.section("secret guard", sep="=", red=True, bold=True)
            terminalreporter.write_line(
                f"secret guard: the test secret (SECRET_TOKEN of tests/reliability/secret.py) "
                f"leaked in {len(self.findings)} place(s):",
                red=True,
            )
            for finding in self.findings:
                terminalreporter.write_line(f"  {finding}", red=True)
            return
        capture = self.config.getoption("capture", default="fd")
        note = "" if capture != "no" else " (capture disabled: printed output was NOT checked)"
        shown = ", ".join(str(r) for r in self.files_roots if r.exists())
        terminalreporter.write_line(
            f"secret guard: no leak in {self.reports_checked} captured reports "
            f"and the files under {shown or 'no folder'}{note}"
        )


def pytest_configure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput"):  # under xdist only the controller checks
        config.pluginmanager.register(SecretGuard(config), "secret-guard")
