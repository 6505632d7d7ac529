"""The secret guard catches what it is there to catch: a planted leak in printed output or in a
written file fails a pytest session, and the message names where without quoting the secret."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from .secret import SECRET_TOKEN
from .secret_guard import file_leaks, leaking_files, needles

ROOT = Path(__file__).resolve().parents[2]

LEAKY = """
import sys
from tests.reliability.secret import SECRET_TOKEN

def test_prints_the_secret():
    print("token is", SECRET_TOKEN)

def test_writes_the_secret(tmp_path):
    (tmp_path / "journal.jsonl").write_text("x" * 5000 + SECRET_TOKEN)

def test_clean():
    sys.stderr.write("nothing to see")
"""

CLEAN = """
from tests.reliability.secret import SECRET_TOKEN

def test_prints_something_else(tmp_path):
    print("token is", SECRET_TOKEN[:6] + "...")
    (tmp_path / "plan.json").write_text("{}")
"""


@pytest.fixture
def scratch() -> Iterator[Path]:
    """A folder outside pytest's temporary root, removed whatever happens: planted secrets
    must not reach the outer session's guard."""
    with tempfile.TemporaryDirectory(prefix="guard-selftest-") as folder:
        yield Path(folder)


def run_inner_session(folder: Path, source: str) -> subprocess.CompletedProcess[str]:
    """A separate pytest session over one test file, with only the guard as plugin."""
    folder.mkdir()
    (folder / "test_inner.py").write_text(source, encoding="utf-8")
    (folder / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("PYTEST_ADDOPTS", None)
    try:
        return subprocess.run(
            [
                sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                "-p", "tests.reliability.secret_guard",
                f"--basetemp={folder / 'basetemp'}", str(folder / "test_inner.py"),
            ],
            cwd=folder,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )  # fmt: skip
    finally:
        # The inner session's files hold the planted secret: they must not be found by the
        # guard of this (outer) session.
        shutil.rmtree(folder / "basetemp", ignore_errors=True)


def test_a_planted_leak_fails_the_session_and_names_where(scratch: Path) -> None:
    ran = run_inner_session(scratch / "leaky", LEAKY)
    output = ran.stdout + ran.stderr
    assert ran.returncode == 1, output
    assert "3 passed" in output  # every test passed: the guard alone failed the session
    assert "secret guard: the test secret" in output
    assert "test_inner.py::test_prints_the_secret (call): in its captured stdout call" in output
    assert "test_writes_the_secret" in output and "journal.jsonl: in the file" in output
    assert "test_clean" not in output
    assert SECRET_TOKEN not in output


def test_a_clean_session_passes_and_says_what_it_checked(scratch: Path) -> None:
    ran = run_inner_session(scratch / "clean", CLEAN)
    output = ran.stdout + ran.stderr
    assert ran.returncode == 0, output
    assert "secret guard: no leak in 5 captured reports" in output  # 3 phases, 2 collections


def test_file_search_finds_the_secret_across_chunks_and_in_utf16(scratch: Path) -> None:
    patterns = needles(SECRET_TOKEN)
    across = scratch / "across"
    # Straddles the 1 MiB chunk boundary of the reader.
    across.write_bytes(b"a" * ((1 << 20) - 5) + SECRET_TOKEN.encode())
    utf16 = scratch / "utf16"
    utf16.write_bytes(("log: " + SECRET_TOKEN).encode("utf-16"))
    clean = scratch / "clean"
    clean.write_bytes(SECRET_TOKEN[:-1].encode() + b"\n" + SECRET_TOKEN[1:].encode())
    assert file_leaks(across, patterns)
    assert file_leaks(utf16, patterns)
    assert not file_leaks(clean, patterns)


def test_sparse_files_are_read_by_their_data_only(scratch: Path) -> None:
    sparse = scratch / "object"
    with open(sparse, "wb") as out:
        out.truncate(8 << 30)  # 8 GiB of hole, like a sandbox object
        out.seek((4 << 30) + 17)
        out.write(SECRET_TOKEN.encode())
    assert file_leaks(sparse, needles(SECRET_TOKEN))


def test_symlinks_fifos_and_the_sandbox_database_are_skipped(scratch: Path) -> None:
    outside = scratch / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(SECRET_TOKEN)
    scanned = scratch / "scanned"
    scanned.mkdir()
    (scanned / "link").symlink_to(outside / "secret.txt")
    (scanned / "linked-folder").symlink_to(outside)
    os.mkfifo(scanned / "fifo")
    (scanned / "sandbox.db").write_text(SECRET_TOKEN)
    (scanned / "receipt.json").write_text('{"token": "' + SECRET_TOKEN + '"}')
    assert leaking_files([scanned], SECRET_TOKEN) == [scanned / "receipt.json"]
