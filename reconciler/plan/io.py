"""Saved plans: the JSON text of a `Plan`, its digest, and loading that refuses what is not ours.

The saved text is canonical and line-oriented (`write_plan`, what `plan --out` writes): `{`,
then the fields of `records.PlanRecord` in order, each on a line `  "name": VALUE`, where VALUE
is compact JSON with keys in the schema's order (pydantic's serializer, UTF-8 unescaped); the
entries of the list fields (`declarations`, `risks`, `settings`, `items`, `unmanaged_aliases`)
each on a line of their own, indented by four spaces. An item leaves out `job_id`,
`job_differences`, `last_failure` and `introduced` when they are not set (a plan made without
`--base` is written as before `introduced` existed). The digest is the sha256 of the canonical
text before the digest field: everything up to its `,\\n  "digest"`.

Loading (`load_plan`) reads canonical text line by line, holding one line at a time and hashing
as it goes: each line must be exactly what this module writes for what it parsed, so a
duplicated key, a hand edit or a value spelt otherwise cannot pass that way. A text not in
canonical form (reformatted, keys reordered) is read whole instead, strictly validated with
duplicated keys refused, and its digest computed over the canonical text of what it holds: it
passes only when that matches. Every refusal is a one-line `PlanFileError` that says what to do.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
from collections.abc import Iterator
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any, NoReturn, TextIO, get_args, get_type_hints

from pydantic import TypeAdapter, ValidationError

from reconciler.core.collector import collector_paused
from reconciler.errors import PlanFileError
from reconciler.plan.model import FORMAT_VERSION, ExportSettings, Plan, PlanItem
from reconciler.plan.records import (
    LIST_FIELDS,
    ItemRecord,
    PlanRecord,
    item_record,
    plan_item,
    plan_of,
)

_REPLAN = "run `reconciler plan --out FILE` again"
_RECORD = TypeAdapter(PlanRecord)
_ITEM = TypeAdapter(ItemRecord)
_FIELDS = tuple(field.name for field in dataclasses.fields(PlanRecord))
_HINTS = get_type_hints(PlanRecord)
# One adapter per field; for a list field, one for its entries.
_ADAPTERS: dict[str, TypeAdapter[Any]] = {
    name: _ITEM
    if name == "items"
    else TypeAdapter(get_args(_HINTS[name])[0] if name in LIST_FIELDS else _HINTS[name])
    for name in _FIELDS
}
_INDENT = "    "
# Strings many items share, kept once when a plan is read (1,000,000 items, a few reasons).
_SHARED_MAX = 10_000


def _dumps(name: str, value: Any) -> str:
    adapter = _ADAPTERS[name]
    if name == "items":
        return adapter.dump_json(value, exclude_defaults=True).decode()
    return adapter.dump_json(value).decode()


def _canonical_chunks(plan: Plan) -> Iterator[str]:
    """The canonical text before the digest field, in pieces (an item a piece)."""
    index = {settings: n for n, settings in enumerate(plan.settings)}
    opening = "{"
    for name in _FIELDS[:-1]:
        head = f'{opening}\n  "{name}": '
        opening = ","
        if name not in LIST_FIELDS:
            yield head + _dumps(name, getattr(plan, name))
            continue
        entries: Any = (
            (item_record(item, _settings_index(index, item)) for item in plan.items)
            if name == "items"
            else getattr(plan, name)
        )
        separator = "[\n" + _INDENT
        empty = True
        for entry in entries:
            yield (head if empty else "") + separator + _dumps(name, entry)
            separator = ",\n" + _INDENT
            empty = False
        yield head + "[]" if empty else "\n  ]"


def _settings_index(index: dict[ExportSettings, int], item: PlanItem) -> int:
    found = index.get(item.settings)
    if found is None:
        raise AssertionError(f"item {item.key}: its settings are not among the plan's")
    return found


def plan_digest(plan: Plan) -> str:
    """sha256 of the canonical text of every field but `digest` (see the module docstring)."""
    digest = hashlib.sha256()
    for chunk in _canonical_chunks(plan):
        digest.update(chunk.encode())
    return digest.hexdigest()


def write_plan(plan: Plan, out: TextIO) -> None:
    """Write the saved form of `plan` to `out`, an item at a time."""
    for chunk in _canonical_chunks(plan):
        out.write(chunk)
    out.write(f',\n  "digest": {_dumps("digest", plan.digest)}\n}}\n')


def dump_plan(plan: Plan) -> str:
    """The saved form of `plan` as one string (`write_plan` for big plans)."""
    text = io.StringIO()
    write_plan(plan, text)
    return text.getvalue()


def load_plan(text_or_path: str | os.PathLike[str]) -> Plan:
    """A plan from its JSON text, or from a file when given a path (or a string that is not
    JSON). Refuses, with a one-line `PlanFileError`, anything that is not an unedited plan of
    this format version."""
    origin, lines = _source(text_or_path)
    try:
        # A plan's items are acyclic and all survive: collecting them again and again took a third
        # of reading 1,000,000 items in `apply --plan`.
        with lines() as stream, collector_paused():
            return _CanonicalReader(origin).read(stream)
    except _NotCanonical:
        pass
    except UnicodeDecodeError:
        raise PlanFileError(f"{origin}: not a plan (not UTF-8 text); {_REPLAN}") from None
    try:
        with lines() as stream:
            text = stream.read()
    except UnicodeDecodeError:
        raise PlanFileError(f"{origin}: not a plan (not UTF-8 text); {_REPLAN}") from None
    return _read_whole(origin, text)


def _source(source: str | os.PathLike[str]) -> tuple[str, Any]:
    """Where the plan comes from (for messages), and a way to open its text (twice, when it
    is not canonical)."""
    if isinstance(source, str) and source.lstrip().startswith(("{", "[")):
        return "plan", lambda: nullcontext(io.StringIO(source))
    path = Path(source)

    def opened() -> AbstractContextManager[TextIO]:
        try:
            return path.open(encoding="utf-8", newline="")
        except OSError as exc:
            raise PlanFileError(f"{path}: cannot read the plan: {exc.strerror or exc}") from None

    return str(path), opened


class _NotCanonical(Exception):
    """The text is not in the form `write_plan` gives: read it whole instead."""


class _CanonicalReader:
    def __init__(self, origin: str) -> None:
        self.origin = origin
        self._hash = hashlib.sha256()
        self._previous = ""  # the last line read, hashed once the next one is known
        self._stream: Iterator[str] = iter(())
        self._shared: dict[object, Any] = {}

    def _line(self) -> str:
        self._hash.update(self._previous.encode())
        self._previous = next(self._stream, "")
        return self._previous

    def read(self, stream: TextIO) -> Plan:
        self._stream = iter(stream)
        if self._line() != "{\n":
            raise _NotCanonical
        values: dict[str, Any] = {}
        items: list[PlanItem] = []
        digest = ""
        for name in _FIELDS:
            last = name == _FIELDS[-1]
            if last:
                if not self._previous.endswith(",\n"):
                    raise _NotCanonical
                self._previous = self._previous[:-2]  # the digest covers what comes before
            line = self._line()
            if last:
                digest = self._hash.hexdigest()  # of everything before this line
            head = f'  "{name}": '
            end = "\n" if last else ",\n"
            if name in LIST_FIELDS and line == head + "[\n":
                entries = self._entries(name, values, items)
                values[name] = tuple(entries)
                if self._line() != "  ]" + end:
                    raise _NotCanonical
            elif not line.startswith(head) or not line.endswith(end):
                raise _NotCanonical
            elif name in LIST_FIELDS:
                if line != head + "[]" + end:
                    raise _NotCanonical
                values[name] = ()
            else:
                values[name] = self._value(name, line[len(head) : -len(end)])
        if self._line() != "}\n" or self._line() != "":
            raise _NotCanonical
        record = PlanRecord(**values)
        if record.digest != digest:
            _edited(self.origin)
        return plan_of(record, tuple(items))

    def _value(self, name: str, text: str) -> Any:
        if name == "format_version":
            _check_version(self.origin, _json_or_none(text))
        try:
            value = _ADAPTERS[name].validate_json(text, strict=True)
        except ValidationError as exc:
            _invalid(self.origin, exc, prefix=(name,))
        if _dumps(name, value) != text:
            raise _NotCanonical
        return value

    def _entries(self, name: str, values: dict[str, Any], items: list[PlanItem]) -> list[Any]:
        entries: list[Any] = []
        settings: tuple[ExportSettings, ...] = values.get("settings", ())
        number = 0
        while True:
            line = self._line()
            if line.endswith(",\n"):
                text, more = line[:-2], True
            elif line.endswith("\n"):
                text, more = line[:-1], False
            else:
                raise _NotCanonical
            if not text.startswith(_INDENT):
                raise _NotCanonical
            text = text[len(_INDENT) :]
            try:
                entry = _ADAPTERS[name].validate_json(text, strict=True)
            except ValidationError as exc:
                _invalid(self.origin, exc, prefix=(name, number))
            if _dumps(name, entry) != text:
                raise _NotCanonical
            if name == "items":
                items.append(self._item(entry, settings, number))
            else:
                entries.append(entry)
            number += 1
            if not more:
                return entries

    def _item(
        self, record: ItemRecord, settings: tuple[ExportSettings, ...], number: int
    ) -> PlanItem:
        if not 0 <= record.settings < len(settings):
            raise PlanFileError(
                f"{self.origin}: not a valid plan (items.{number}.settings: no settings "
                f"{record.settings}); {_REPLAN}"
            )
        reason, declared_at = record.reason, record.declared_at
        # `{path}` as the location: one string for both (1,000,000 items hold less).
        location = record.path if record.location == record.path else record.location
        shared = self._shared
        if len(shared) < _SHARED_MAX:
            reason = shared.setdefault(reason, reason)
            declared_at = shared.setdefault(declared_at, declared_at)
        return PlanItem(
            action=record.action,
            reason_code=record.reason_code,
            reason=reason,
            file_id=record.file_id,
            path=record.path,
            size=record.size,
            location=location,
            settings=settings[record.settings],
            declared_at=declared_at,
            fingerprint=record.fingerprint,
            job_id=record.job_id,
            job_differences=record.job_differences,
            last_failure=record.last_failure,
            introduced=record.introduced,
        )


def _read_whole(origin: str, text: str) -> Plan:
    """A plan whose text is not canonical: parsed whole, then checked like any other."""
    try:
        data = json.loads(text, object_pairs_hook=_refuse_duplicate_keys)
    except _DuplicateKey as duplicate:
        raise PlanFileError(
            f"{origin}: not a valid plan (the key {duplicate.key!r} appears twice in one "
            f"object); {_REPLAN}"
        ) from None
    except (ValueError, RecursionError):
        raise PlanFileError(f"{origin}: not a plan (not JSON); {_REPLAN}") from None
    if not isinstance(data, dict) or "format_version" not in data or "items" not in data:
        raise PlanFileError(f"{origin}: not a reconciler plan; {_REPLAN}")
    _check_version(origin, data["format_version"])
    del data
    try:
        # Strict: "100" is not a size; an edit must not slip through by coercion.
        record = _RECORD.validate_json(text, strict=True)
    except ValidationError as exc:
        _invalid(origin, exc)
    settings = record.settings
    items = []
    for number, entry in enumerate(record.items):
        if not 0 <= entry.settings < len(settings):
            raise PlanFileError(
                f"{origin}: not a valid plan (items.{number}.settings: no settings "
                f"{entry.settings}); {_REPLAN}"
            )
        items.append(plan_item(entry, settings[entry.settings]))
    plan = plan_of(record, tuple(items))
    if plan.digest != plan_digest(plan):
        _edited(origin)
    return plan


class _DuplicateKey(Exception):
    def __init__(self, key: str) -> None:
        self.key = key


def _refuse_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


def _json_or_none(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def _check_version(origin: str, version: Any) -> None:
    if version != FORMAT_VERSION or isinstance(version, bool):
        raise PlanFileError(
            f"{origin}: plan format_version {version!r} is not {FORMAT_VERSION}, the only one "
            f"this reconciler reads; re-plan: {_REPLAN} with this version"
        )


def _invalid(origin: str, exc: ValidationError, prefix: tuple[object, ...] = ()) -> NoReturn:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in (*prefix, *first["loc"]))
    raise PlanFileError(
        f"{origin}: not a valid plan ({where}: {first['msg']}); {_REPLAN}"
    ) from None


def _edited(origin: str) -> NoReturn:
    raise PlanFileError(
        f"{origin}: the plan's digest does not match its content (edited by hand or "
        f"damaged); {_REPLAN} and review that"
    )


def plan_json_schema() -> dict[str, Any]:
    """The JSON Schema of a saved plan (committed as `schemas/plan.schema.json`)."""
    schema: dict[str, Any] = _RECORD.json_schema(mode="serialization")
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}
    schema["title"] = "reconciler plan"
    schema["description"] = (
        "A saved plan of `reconciler plan --out`: what apply will do, item by item. "
        f"format_version {FORMAT_VERSION}. The review comes first (summary, declarations, "
        "risks); each item names its export settings by their index in `settings`. "
        "`digest` is the sha256 of the canonical text (one field per line, one entry of "
        "each list per line, compact JSON with keys in this schema's order) before the "
        "digest field."
    )
    return schema


def plan_schema_text() -> str:
    """The committed form of `plan_json_schema()`."""
    return json.dumps(plan_json_schema(), indent=2, ensure_ascii=False) + "\n"
