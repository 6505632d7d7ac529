"""Find, read, parse, validate and check manifests: the one entry point is `load_manifests`.

Files: every `.yaml`/`.yml` under the given paths, recursively, in a stable order. A symlink
(to a file or a folder) whose target leaves the root is refused, and so are files over 256 MiB
and text that is not UTF-8. All problems of all files are collected and raised together as one
`ManifestError`, so a user fixes everything in one round.

The limit: a manifest listing 1,000,000 files by ID with locations like
`results/batch0123/sample0123456/s0123456.bam` is about 100 MB, and loading takes about seven
times a manifest's size (most of it the rules, which the plan is made of). 256 MiB leaves room
for locations two and a half times as long; beyond it, loading alone would near the 2 GiB a
plan of 1,000,000 files is held to.
"""

from __future__ import annotations

import codecs
import errno
import os
import stat
from collections.abc import Iterator, Sequence
from pathlib import Path

from reconciler.core.collector import collector_paused
from reconciler.errors import ConfigError, Diagnostic, ManifestError
from reconciler.manifest.conflicts import conflict_diagnostics
from reconciler.manifest.digest import set_digest
from reconciler.manifest.document import check_document, read_document
from reconciler.manifest.lookalike import lookalike_warnings
from reconciler.manifest.models import LoadedManifest, ManifestSet

DEFAULT_PATH = Path("manifests")
MAX_MANIFEST_BYTES = 256 * 1024 * 1024
SUFFIXES = (".yaml", ".yml")
_CHUNK = 1 << 20


def find_root(start: Path) -> Path:
    """The git work tree holding `start`, else `start` itself (or its folder)."""
    here = start.resolve()
    folder = here if here.is_dir() else here.parent
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return candidate
    return folder


def _inside(path: Path, root: Path) -> bool:
    return path.resolve() == root or root in path.resolve().parents


def discover(paths: Sequence[str | Path], root: Path | None) -> tuple[list[Path], list[Diagnostic]]:
    """The manifest files under `paths`, and the symlinks refused on the way."""
    files: list[Path] = []
    refused: list[Diagnostic] = []
    for given in paths:
        path = Path(given)
        if not path.exists() and not path.is_symlink():
            raise ConfigError(
                f"{path}: no such file or folder: give a manifest or a folder of them"
            )
        if _loops(path):
            refused.append(_loop_diagnostic(path))
            continue
        base = (root or find_root(path)).resolve()
        if path.is_dir():
            files.extend(_walk(path, base, refused, seen=set()))
        elif _check_link(path, base, refused):
            files.append(path)
    if not files and not refused:
        shown = ", ".join(str(p) for p in paths)
        raise ConfigError(f"{shown}: no .yaml or .yml manifests found: check the path")
    unique = list(dict.fromkeys(files))
    return unique, refused


def _loops(path: Path) -> bool:
    """Whether following `path`'s symlinks goes round in a circle."""
    try:
        os.stat(path)
    except OSError as exc:
        return exc.errno == errno.ELOOP
    return False


def _loop_diagnostic(path: Path) -> Diagnostic:
    return Diagnostic(
        str(path),
        1,
        1,
        "symlink loop: its links lead back to themselves; point it at a real manifest",
        "symlink-loop",
    )


def _check_link(path: Path, base: Path, refused: list[Diagnostic]) -> bool:
    """Whether `path` stays under `base`; its callers have refused a loop already."""
    if not _inside(path, base):
        refused.append(
            Diagnostic(
                str(path),
                1,
                1,
                (
                    f"symlink to {os.path.realpath(path)} leaves {base}: refusing to follow it; "
                    if path.is_symlink()
                    else f"resolves to {os.path.realpath(path)}, outside {base}: "
                )
                + "copy the manifest into the repository instead",
                "symlink-outside",
            )
        )
        return False
    return True


def _walk(folder: Path, base: Path, refused: list[Diagnostic], seen: set[Path]) -> Iterator[Path]:
    real = folder.resolve()
    if real in seen:  # a symlink loop inside the root: each real folder once
        return
    seen.add(real)
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        path = Path(entry.path)
        if _loops(path):
            refused.append(_loop_diagnostic(path))
        elif entry.is_dir():
            if _check_link(path, base, refused):
                yield from _walk(path, base, refused, seen)
        elif path.suffix in SUFFIXES and _check_link(path, base, refused):
            yield path  # a FIFO or device named like a manifest is reported when read


def _read_text(path: Path) -> tuple[bytes | None, Diagnostic | None]:
    """The text of a manifest file as UTF-8 bytes without a BOM (the parser reads them as they
    are), or why it cannot be read."""
    name = str(path)

    def refuse(message: str, rule: str) -> tuple[None, Diagnostic]:
        return None, Diagnostic(name, 1, 1, message, rule)

    def too_large(size: int) -> tuple[None, Diagnostic]:
        return refuse(
            f"file is {size} bytes, over the limit of {MAX_MANIFEST_BYTES} "
            f"({MAX_MANIFEST_BYTES // 2**20} MiB): split it into several manifests",
            "file-too-large",
        )

    try:
        # Non-blocking, and checked on the open descriptor: a FIFO must not hang the run and a
        # device (/dev/zero) must not be read whole; only regular files are manifests. Windows
        # has no O_NONBLOCK (and no FIFO in a folder), and needs O_BINARY to read bytes as
        # they are.
        flags = getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
        fd = os.open(path, os.O_RDONLY | flags)
    except OSError as exc:
        return refuse(f"cannot read it: {exc.strerror}", "unreadable")
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            return refuse("not a regular file: a manifest must be a plain file", "unreadable")
        size = os.fstat(handle.fileno()).st_size
        if size > MAX_MANIFEST_BYTES:
            return too_large(size)
        raw = handle.read(MAX_MANIFEST_BYTES + 1)
    if len(raw) > MAX_MANIFEST_BYTES:  # it grew while we read it
        return too_large(len(raw))
    try:
        _check_utf8(raw)
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        column = len(before) - (before.rfind(b"\n") + 1) + 1
        return None, Diagnostic(
            name,
            line,
            column,
            f"not UTF-8 (byte 0x{raw[exc.start]:02x}): save the manifest as UTF-8",
            "encoding",
        )
    return (raw[len(codecs.BOM_UTF8) :] if raw.startswith(codecs.BOM_UTF8) else raw), None


def _check_utf8(raw: bytes) -> None:
    """Raise what `raw.decode("utf-8-sig")` raises, if anything, without its copy of the text
    (100 MB more at the peak of the light load of a big manifest): a megabyte at a time."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(raw)
    try:
        for start in range(0, len(raw), _CHUNK):
            decoder.decode(view[start : start + _CHUNK])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raw.decode("utf-8-sig")  # the error with its place in the whole text
        raise


def load_one(
    path: Path, *, name: str | None = None, rules: bool = True
) -> tuple[LoadedManifest | None, list[Diagnostic]]:
    """Load one manifest file: the valid manifest with its rules (if `rules`), or its
    problems."""
    text, unreadable = _read_text(path)
    if text is None:
        assert unreadable is not None
        return None, [unreadable]
    document = read_document(text, entries=rules)
    del text  # parsed: for a big manifest, 100 MB that the rules can use better
    return check_document(document, file=name or str(path))


def load_manifests(
    paths: Sequence[str | Path] = (DEFAULT_PATH,),
    *,
    root: Path | None = None,
    rules: bool = True,
) -> ManifestSet:
    """Load every manifest under `paths`; raise `ManifestError` with all problems of all files.

    `root` bounds where symlinks may lead (default: the git work tree holding each path).

    `rules=False` is the light load for a run that applies a saved plan: the set's digest and
    each manifest's header (project, platform, labels, guards) are what the full load gives,
    but the entries are neither validated nor kept (no rules, no checks across entries, no
    look-alike warnings), which at 1,000,000 entries saves most of the time and memory. A file
    that cannot be read or parsed, or whose header is invalid, is refused as always. It is
    safe only because the digest is then compared with that of a reviewed plan, which was made
    by a full load: equal digests mean the same parsed content, which was valid then and is
    valid now. Anything else that needs the manifests to be valid must load them fully.
    """
    files, diagnostics = discover(paths or (DEFAULT_PATH,), root)
    loaded: list[LoadedManifest] = []
    with collector_paused():
        for path in files:
            manifest, problems = load_one(path, rules=rules)
            diagnostics.extend(problems)
            if manifest is not None:
                loaded.append(manifest)
        if rules:
            diagnostics.extend(conflict_diagnostics(rule for m in loaded for rule in m.rules))
    if diagnostics:
        raise ManifestError(diagnostics)
    base = (root or find_root(Path(paths[0]) if paths else DEFAULT_PATH)).resolve()
    digest = set_digest((_relative(m.path, base), m.content_digest) for m in loaded)
    warnings = lookalike_warnings([rule for m in loaded for rule in m.rules]) if rules else []
    return ManifestSet(manifests=tuple(loaded), digest=digest, warnings=tuple(warnings))


def _relative(path: str, base: Path) -> str:
    try:
        return Path(path).resolve().relative_to(base).as_posix()
    except ValueError:
        return Path(path).as_posix()
