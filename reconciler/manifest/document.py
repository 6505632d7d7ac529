"""One manifest, from the bytes of its file to its header, rules and digest, or to every problem
it has, without ever holding all of a big manifest's entries as parsed.

`read_document` parses, handing the entries of `exports` to `Entries` (and their data to the
digest) as the parser completes them; the text can be dropped after it. `check_document`
validates the rest, the header, as a `Manifest` whose `exports` is left empty, and the entries
that are not plain one by one as `ExportEntry`, then runs `checks` entry by entry. The problems
come out as one validation of the whole document gives them: the parser's, then the model's
(the header's fields, each entry's in order, the header's unknown keys, the merged unions), then
the checks'. Positions are only ever compared within one file, so this order is what matters
where two problems share a place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from reconciler.errors import Diagnostic
from reconciler.manifest.checks import EntryChecks
from reconciler.manifest.digest import StreamedDigest, content_digest
from reconciler.manifest.effective import export_rules
from reconciler.manifest.entries import Entries
from reconciler.manifest.locate import Located
from reconciler.manifest.models import LoadedManifest, Manifest, ManifestHeader, Position
from reconciler.manifest.parse import Parsed, parse_manifest
from reconciler.manifest.positions import MapPos, Problem, SeqPos, key_position, unpack


@dataclass(slots=True)
class Document:
    """A parsed manifest: its data (with `exports` empty when its entries were streamed), the
    entries kept (None when only the digest and header are wanted), and its content digest
    (None when the parser found problems)."""

    parsed: Parsed
    entries: Entries | None
    digest: str | None


def read_document(text: bytes, *, entries: bool = True) -> Document:
    """Parse the UTF-8 `text` of one manifest (no BOM), keeping its entries if `entries`."""
    digest = StreamedDigest()
    kept = Entries(digest) if entries else None
    parsed = parse_manifest(text, sink=kept if kept is not None else digest)
    data = parsed.data
    if kept is not None and not parsed.streamed and isinstance(data, dict):
        # `exports` was an alias or anchored: it is in the data whole, and taken from there.
        items, positions = data.get("exports"), _exports_positions(parsed)
        if isinstance(items, list) and positions is not None:
            for item, pos in zip(items, positions.items, strict=True):
                kept.take(item, pos)
    if parsed.problems or not isinstance(data, dict):
        return Document(parsed, kept, None)
    if not parsed.streamed:
        return Document(parsed, kept, content_digest(data))
    content = digest.finish(data)
    if content is None:
        # A key that sorts before `exports` is written after it: hash again, knowing it.
        again = StreamedDigest(known=data)
        parse_manifest(text, sink=again)
        content = again.finish(data)
        assert content is not None  # the same text, read the same way
    return Document(parsed, kept, content)


def _exports_positions(parsed: Parsed) -> SeqPos | None:
    positions = parsed.positions
    found = positions.values.get("exports") if isinstance(positions, MapPos) else None
    return found if isinstance(found, SeqPos) else None


def check_document(
    document: Document, *, file: str
) -> tuple[LoadedManifest | None, list[Diagnostic]]:
    """Validate and check a read manifest named `file`: the manifest with its rules (none when
    its entries were not kept), or its problems."""
    parsed = document.parsed
    problems = list(parsed.problems)
    if any(p.rule not in ("duplicate-key",) for p in problems):
        return None, [_diagnostic(file, p) for p in problems]
    data, positions = parsed.data, parsed.positions
    if not isinstance(data, dict) or not isinstance(positions, MapPos):
        problems.append(
            Problem(
                positions if isinstance(positions, int) else positions.at,
                "a manifest is a mapping with `version`, `project` and `exports`",
                "document",
            )
        )
        return None, [_diagnostic(file, p) for p in problems]
    entries = document.entries
    manifest, fields, extras = _validate_header(data)
    located = Located()
    located.add(fields, positions)
    if entries is not None:
        for index, whole in entries.whole.items():
            located.add(whole.errors, whole.positions, ("exports", index))
    located.add(extras, positions)
    problems.extend(located.problems())
    if entries is not None:
        problems.extend(_checked(entries, EntryChecks(data, positions)))
    if problems or manifest is None:
        return None, [_diagnostic(file, p) for p in problems]
    assert document.digest is not None
    rules = export_rules(manifest, entries, file=file) if entries is not None else ()
    line, column = unpack(key_position(positions, ["platform"]))
    header = ManifestHeader.of(manifest, platform_at=Position(file, line, column))
    return LoadedManifest(path=file, header=header, rules=rules, content_digest=document.digest), []


def _validate_header(
    data: dict[str, Any],
) -> tuple[Manifest | None, list[ErrorDetails], list[ErrorDetails]]:
    """The model of the document without its entries, or the errors of its fields and of its
    unknown top-level keys (which a validation of the whole reports after every entry's)."""
    header = {**data, "exports": []} if isinstance(data.get("exports"), list) else data
    try:
        return Manifest.model_validate(header), [], []
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
    fields = [e for e in errors if not (e["type"] == "extra_forbidden" and len(e["loc"]) == 1)]
    extras = [e for e in errors if e["type"] == "extra_forbidden" and len(e["loc"]) == 1]
    return None, fields, extras


def _checked(entries: Entries, checks: EntryChecks) -> list[Problem]:
    """The checks' problems, entry by entry; plain entries only when the defaults can make one
    of them wrong (no volume, or a KMS key without aws:kms)."""
    problems: list[Problem] = []
    if checks.plain_entries_pass:
        for index, whole in entries.whole.items():
            problems.extend(checks.entry(index, whole.value, whole.positions))
        return problems
    rows = zip(entries.kinds, entries.at, entries.volumes, strict=True)
    for index, (kind, at, volume) in enumerate(rows):
        if kind:
            problems.extend(checks.plain(index, at, volume=volume is not None))
        else:
            whole = entries.whole[index]
            problems.extend(checks.entry(index, whole.value, whole.positions))
    return problems


def _diagnostic(file: str, problem: Problem) -> Diagnostic:
    line, column = unpack(problem.at)
    return Diagnostic(file, line, column, problem.message, problem.rule)
