"""The digest of a set of manifests: sha256 over their parsed, canonical content.

Comments, key order, quoting, anchors and `fmt` do not change it; any change of what the
manifests say does. Saved plans record it so that apply can refuse a plan made from other
manifests. Hashing the parsed data (not the models) keeps it cheap for 100,000 entries.

The canonical content of one manifest is its data as JSON with sorted keys and no spaces.
`StreamedDigest` hashes the same bytes while the entries of `exports` stream past, a batch at a
time, so that a manifest of 1,000,000 entries never becomes one JSON text of 100 MB: the keys
that sort before `exports` are hashed when the list opens, the entries as they come, the keys
after it at the end. A key that sorts before `exports` but is written after it (`defaults`
below the list) comes too late for that; `finish` then says so and the caller hashes again,
knowing the keys from the first reading.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

EXPORTS = "exports"
_BATCH = 1000  # entries per JSON text: big enough for the C encoder, small enough to not matter
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_json(data: Any) -> str:
    """`data` as the digest sees it: JSON, sorted keys, no spaces, characters as they are."""
    return _CANONICAL.encode(data)


def content_digest(data: Any) -> str:
    """sha256 hex of one manifest's parsed data in canonical JSON (sorted keys)."""
    return hashlib.sha256(canonical_json(data).encode("utf-8")).hexdigest()


class StreamedDigest:
    """`content_digest` of a mapping whose `exports` list is given an entry at a time.

    `begin` with the keys written before the list, `add` each entry, `finish` with the whole
    mapping (its `exports` left empty). On a second reading, `known` is the whole mapping from
    the first, and `begin` takes the keys that sort before `exports` from it.
    """

    def __init__(self, known: Mapping[str, Any] | None = None) -> None:
        self._known = known  # the whole mapping, from a first reading
        self._hash = hashlib.sha256()
        self._batch: list[Any] = []
        self._empty = True  # no entry hashed yet: the next batch needs no comma
        self._before = ""  # the members hashed before the list

    def begin(self, header: Mapping[str, Any]) -> None:
        self._before = _members(header if self._known is None else self._known, before=True)
        self._hash.update(f'{{{self._before}"{EXPORTS}":['.encode())

    def add(self, entry: Any) -> None:
        self._batch.append(entry)
        if len(self._batch) >= _BATCH:
            self._flush()

    def entry(self, value: Any, pos: object) -> None:
        """As a parser's sink (`parse.EntrySink`), when only the digest is wanted."""
        self.add(value)

    def _flush(self) -> None:
        if not self._batch:
            return
        text = canonical_json(self._batch)[1:-1]
        self._hash.update((text if self._empty else "," + text).encode("utf-8"))
        self._empty = False
        self._batch.clear()

    def finish(self, data: Mapping[str, Any]) -> str | None:
        """The digest of `data` with the entries given; None when a key that sorts before
        `exports` was not given to `begin` (it is written after the list): hash again."""
        self._flush()
        if _members(data, before=True) != self._before:
            return None
        self._hash.update(f"]{_members(data, before=False)}}}".encode())
        return self._hash.hexdigest()


def _members(data: Mapping[str, Any], *, before: bool) -> str:
    """The members of `data` that sort before `exports` (each followed by a comma), or after it
    (each preceded by one), as the canonical JSON of the whole mapping has them."""
    keys = sorted(key for key in data if (key < EXPORTS if before else key > EXPORTS))
    if before:
        return "".join(f"{canonical_json(key)}:{canonical_json(data[key])}," for key in keys)
    return "".join(f",{canonical_json(key)}:{canonical_json(data[key])}" for key in keys)


def set_digest(files: Iterable[tuple[str, str]]) -> str:
    """`sha256:<hex>` over (path relative to the root, content digest) pairs, in path order."""
    digest = hashlib.sha256()
    for path, content in sorted(files):
        digest.update(f"{path}\0{content}\n".encode())
    return f"sha256:{digest.hexdigest()}"
