"""Hostile manifests through `reconciler validate` and `reconciler plan`: huge, deeply nested,
full of aliases, binary, in odd encodings, with NUL bytes, symlinked outside the repository.
Each gives a clear message that leads with the file and position, exit 1, no traceback, and
(for plan) not a single API call. The heaviest run in a real process under a memory limit.

The broken-manifest table of tests/manifest/ covers the manifest language; this corpus covers
input that is hostile rather than wrong.
"""

from __future__ import annotations

import os
import re
import resource
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from reconciler import cli

from .secret import SECRET_TOKEN

HEAD = "version: 1\nproject: rfranklin/rna-seq\ndefaults:\n  volume: rfranklin/output\nexports:\n"
ENTRY = "  - file: 65a1f0c0e4b0d1a2b3c40001\n    location: bam/sample1.bam\n"
VALID = HEAD + ENTRY
MEMORY_LIMIT = 1 << 30  # bytes of address space for the subprocess runs


def billion_laughs() -> str:
    levels = ['  a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 10):
        levels.append(f"  a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    return "version: 1\nproject: rfranklin/rna-seq\nx:\n" + "\n".join(levels) + "\nexports: []\n"


def write(content: str | bytes, name: str = "m.yaml") -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        path = folder / "manifests" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path.parent

    return make


def sparse(size: int) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        path = folder / "manifests" / "m.yaml"
        path.parent.mkdir(parents=True)
        with open(path, "wb") as out:
            out.write(VALID.encode())
            out.truncate(size)
        return path.parent

    return make


def symlink(target: Callable[[Path], Path], *, folder_link: bool = False) -> Callable[[Path], Path]:
    """A repository (a folder with .git) holding a symlink to something outside it."""

    def make(folder: Path) -> Path:
        repo = folder / "repo"
        (repo / ".git").mkdir(parents=True)
        (repo / "manifests").mkdir()
        outside = target(folder)
        link = repo / "manifests" / ("shared" if folder_link else "m.yaml")
        link.symlink_to(outside)
        return repo / "manifests"

    return make


def outside_file(folder: Path) -> Path:
    path = folder / "elsewhere" / "m.yaml"
    path.parent.mkdir()
    path.write_text(VALID, encoding="utf-8")
    return path


def outside_folder(folder: Path) -> Path:
    return outside_file(folder).parent


@dataclass(frozen=True)
class Hostile:
    name: str
    make: Callable[[Path], Path]  # builds the input under a folder, returns the path to give
    fragment: str


CASES = [
    Hostile("over 256 MiB", sparse(257 * 1024 * 1024), "over the limit of 268435456 (256 MiB)"),
    Hostile("yaml bomb (billion laughs)", write(billion_laughs()),
            "refusing a possible alias bomb"),
    Hostile("100,000 aliases of one anchor", write(
        "x: &p {file: 65a1f0c0e4b0d1a2b3c40001, location: a}\n" + HEAD + "  - *p\n" * 100_000),
        "refusing a possible alias bomb"),
    Hostile("anchors and aliases everywhere", write(
        HEAD + "".join(f"  - &e{i} {{file: 65a1f0c0e4b0d1a2b3c40001, location: x/{i}}}\n"
                       for i in range(500)) + "".join(f"  - *e{i}\n" for i in range(500))),
        "is also declared at"),
    Hostile("an alias as a mapping key", write(
        HEAD.replace("defaults:", "x: &k {a: 1}\n*k : 2\ndefaults:") + ENTRY),
        "mapping keys must be text"),
    Hostile("10,000 nested lists", write(HEAD + "  - " + "[" * 10_000 + "]" * 10_000 + "\n"),
            "nested more than 64 levels deep"),
    Hostile("10,000 nested mappings", write(
        HEAD + "  - " + "{a: " * 10_000 + "1" + "}" * 10_000 + "\n"),
        "nested more than 64 levels deep"),
    Hostile("binary noise", write(bytes([0xFF, 0xD8, 0x00, 0x9C]) * 4096),
            "not UTF-8 (byte 0xff)"),
    Hostile("a PNG named .yaml", write(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8),
            "not UTF-8 (byte 0x89)"),
    Hostile("a gzipped manifest", write(b"\x1f\x8b\x08\x00" + bytes(range(256)) * 8),
            "not UTF-8 (byte 0x8b)"),
    Hostile("UTF-16 with BOM", write(VALID.encode("utf-16")), "not UTF-8 (byte 0xff)"),
    Hostile("UTF-16-BE without BOM", write(VALID.encode("utf-16-be")),
            "unacceptable character #x0000"),
    Hostile("UTF-32", write(VALID.encode("utf-32")), "not UTF-8"),
    Hostile("Latin-1", write(VALID.replace("bam/sample1", "bam/caf\u00e9").encode("latin-1")),
            "m.yaml:7:22: not UTF-8 (byte 0xe9)"),
    Hostile("Windows-1252 quotes", write(
        VALID.replace("bam/sample1.bam", "\u201cbam\u201d").encode("cp1252")),
        "not UTF-8 (byte 0x93)"),
    Hostile("NUL byte in a value", write(VALID.replace("bam/sample1", "bam/\x00sample1")),
            "m.yaml:7:19: invalid YAML: unacceptable character #x0000"),
    Hostile("nothing but NUL bytes", write(b"\x00" * 4096), "unacceptable character #x0000"),
    Hostile("a terminal escape sequence", write(VALID.replace("bam/sample1", "\x1b[2J\x1b[H")),
            "unacceptable character #x001b"),
    Hostile("symlink to a file outside the repository", symlink(outside_file),
            "leaves"),
    Hostile("symlinked folder outside the repository", symlink(outside_folder, folder_link=True),
            "refusing to follow it"),
    Hostile("symlink to /dev/zero", symlink(lambda folder: Path("/dev/zero")),
            "symlink to /dev/zero leaves"),
    Hostile("a 2 MB line", write(HEAD + "  - file: 65a1f0c0e4b0d1a2b3c40001\n    location: "
                                  + "a" * 2_000_000 + "\n"),
            "location is 2000000 bytes, over the limit of 1024"),
    Hostile("a 100,000-character key", write(VALID + "  " + "k" * 100_000 + ": 1\n"),
            "could not find expected ':'"),
    Hostile("a lone surrogate escape", write(
        HEAD + '  - file: 65a1f0c0e4b0d1a2b3c40001\n    location: "bam/\\ud800.bam"\n'),
        "invalid Unicode character escape"),
    Hostile("a 10,000-digit number", write(VALID.replace("version: 1", "version: " + "9" * 10_000)),
            "version: must be 1"),
    Hostile("infinity as a guard", write(
        VALID.replace("exports:", "guards:\n  max_moves: .inf\nexports:")),
        "guards.max_moves: should be an integer, not inf"),
    Hostile("a thousand documents", write((VALID + "---\n") * 1000),
            "more than one YAML document"),
    Hostile("tab indentation", write(VALID.replace("  - file", "\t- file")),
            "tab character: YAML indents with spaces"),
    Hostile("a line separator inside a key", write(VALID.replace("location:", "loca\u2028tion:")),
            "invalid YAML"),
]  # fmt: skip

DIAGNOSTIC = re.compile(r"^\S.*:\d+:\d+: \S.*$")
SUMMARY = re.compile(r"^error: \d+ problems? found$")


def assert_diagnostics(err: str, fragment: str) -> None:
    lines = err.splitlines()
    assert lines, "no message at all"
    assert SUMMARY.match(lines[-1]), err[:2000]
    assert all(DIAGNOSTIC.match(line) for line in lines[:-1]), err[:2000]
    assert fragment in err, err[:2000]
    assert "Traceback" not in err and "internal error" not in err
    assert all(len(line) < 1000 for line in lines)  # a 2 MB value is not quoted back


@pytest.fixture
def no_api(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Credentials for an endpoint where nothing listens: a plan that made a call would say
    `connection failed` instead of the manifest problem."""
    monkeypatch.setenv("SB_API_ENDPOINT", "http://127.0.0.1:9/v2")
    monkeypatch.setenv("SB_AUTH_TOKEN", SECRET_TOKEN)
    monkeypatch.setenv("SB_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))


def test_the_corpus_is_big_enough() -> None:
    assert len(CASES) >= 20
    assert len({case.name for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
@pytest.mark.slow
def test_validate_refuses_with_a_located_message(
    case: Hostile, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = case.make(tmp_path)
    assert cli.main(["validate", str(target)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert_diagnostics(err, case.fragment)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
@pytest.mark.slow
def test_plan_refuses_before_any_call(
    case: Hostile, tmp_path: Path, no_api: None, capsys: pytest.CaptureFixture[str]
) -> None:
    target = case.make(tmp_path)
    assert cli.main(["plan", str(target)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert_diagnostics(err, case.fragment)
    assert "connection failed" not in err


def limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def run_process(*argv: str, cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SB_API_ENDPOINT": "http://127.0.0.1:9/v2", "SB_AUTH_TOKEN": SECRET_TOKEN}
    return subprocess.run(
        [sys.executable, "-m", "reconciler", *argv],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=limit_memory,
        check=False,
    )


HEAVY = {"over 256 MiB", "yaml bomb (billion laughs)", "100,000 aliases of one anchor",
         "10,000 nested lists", "10,000 nested mappings", "a 2 MB line", "symlink to /dev/zero",
         "binary noise"}  # fmt: skip


@pytest.mark.parametrize(
    "case", [c for c in CASES if c.name in HEAVY], ids=[c.name for c in CASES if c.name in HEAVY]
)
@pytest.mark.parametrize("command", ["validate", "plan"])
@pytest.mark.slow
def test_heavy_input_in_a_real_process_under_a_memory_limit(
    case: Hostile, command: str, tmp_path: Path
) -> None:
    target = case.make(tmp_path)
    ran = run_process(command, str(target), cwd=tmp_path)
    assert ran.returncode == 1, ran.stderr[:2000]
    assert ran.stdout == ""
    assert_diagnostics(ran.stderr, case.fragment)


@pytest.mark.parametrize(
    "content",
    [b"\xef\xbb\xbf" + VALID.encode(), VALID.replace("\n", "\r").encode()],
    ids=["UTF-8 BOM", "old Mac line ends"],
)
def test_harmless_oddities_are_read(
    content: bytes, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = write(content)(tmp_path)
    assert cli.main(["validate", str(target)]) == 0
    assert capsys.readouterr().out == "1 manifest, 1 export: valid\n"


def test_a_fifo_named_as_manifest_is_refused_not_waited_for(tmp_path: Path) -> None:
    fifo = tmp_path / "m.yaml"
    os.mkfifo(fifo)
    try:
        ran = run_process("validate", str(fifo), cwd=tmp_path, timeout=5)
    except subprocess.TimeoutExpired:
        pytest.fail("validate blocked on a FIFO for 5 s")
    assert ran.returncode == 1
    assert "internal error" not in ran.stderr and "m.yaml" in ran.stderr


def test_a_device_named_as_manifest_is_refused(tmp_path: Path) -> None:
    ran = run_process("validate", "/dev/zero", cwd=tmp_path, timeout=60)
    assert ran.returncode == 1
    assert "internal error" not in ran.stderr, ran.stderr
    assert ran.stderr.startswith("/dev/zero") or ran.stderr.startswith("error: /dev/zero")
