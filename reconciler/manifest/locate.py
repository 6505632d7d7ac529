"""Translate pydantic's validation errors into manifest problems: each at the key or value it is
about (a missing key at the mapping that lacks it), with a message that names the place and says
what to do, and the rule id it breaks.

A big manifest is validated in parts (its header, then each entry that needs the model) and
`Located` gathers the parts' errors, each located in its own part of the position tree, into the
problems one validation of the whole manifest would give, in the same order.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import BaseModel
from pydantic_core import ErrorDetails

from reconciler.manifest import models
from reconciler.manifest.positions import MapPos, Pos, Problem, dotted, key_position, walk

_EXPECTED = {
    "string_type": "text",
    "int_type": "an integer",
    "float_type": "a number",
    "bool_type": "true/false",
    "list_type": "a list",
    "dict_type": "a mapping (key: value)",
    "model_type": "a mapping (key: value)",
    "model_attributes_type": "a mapping (key: value)",
    "none_required": "null",
}

# The model (or nested model) each mapping path holds, to suggest the keys it knows.
_NESTED: dict[str, type[BaseModel]] = {
    "guards": models.Guards,
    "defaults": models.Defaults,
    "properties": models.Properties,
    "where": models.Where,
}


def _shown(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "null"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _model_at(loc: Sequence[str | int]) -> type[BaseModel]:
    named = [part for part in loc if isinstance(part, str)]
    if not named:
        return models.Manifest
    if named[-1] in _NESTED:
        return _NESTED[named[-1]]
    return models.ExportEntry if named[-1] == "exports" else models.Manifest


def _suggestion(loc: Sequence[str | int]) -> str | None:
    """The known key closest to the unknown key at `loc`, if one is close."""
    close = difflib.get_close_matches(str(loc[-1]), list(_model_at(loc[:-1]).model_fields), n=1)
    return close[0] if close else None


def _unknown_key(loc: Sequence[str | int]) -> str:
    key = str(loc[-1])
    known = list(_model_at(loc[:-1]).model_fields)
    close = difflib.get_close_matches(key, known, n=1)
    hint = f"did you mean `{close[0]}`?" if close else f"known keys: {', '.join(known)}"
    return f"{dotted(loc[:-1])}: unknown key `{key}`: {hint}"


def _pattern_problem(loc: Sequence[str | int], error: ErrorDetails) -> tuple[str, str]:
    pattern = str((error.get("ctx") or {}).get("pattern", ""))
    got = _shown(error["input"])
    if pattern == models.FILE_ID_PATTERN:
        return (
            "file-id",
            f"{dotted(loc)}: {got} is not a file ID: use its 24 hexadecimal characters",
        )
    if pattern == models.OWNER_NAME_PATTERN:
        return "owner-name", f"{dotted(loc)}: {got} is not an `owner/name` id"
    return "type", f"{dotted(loc)}: {got} does not match {pattern}"


# The properties whose values come from a list: what a wrong value is called, the list, the rule.
_CHOICES: dict[str, tuple[str, Sequence[str], str]] = {
    "aws_canned_acl": ("canned ACL", models.CANNED_ACLS, "canned-acl"),
    "aws_storage_class": ("S3 storage class", models.STORAGE_CLASSES, "storage-class"),
    "discovery": ("discovery", models.DISCOVERIES, "discovery"),
}


Loc = tuple[str | int, ...]


def _one(error: ErrorDetails, loc: Loc, inner: Loc, positions: Pos) -> Problem:
    """The problem for `error` at `loc` in the manifest, which is `inner` within the part of the
    position tree that `positions` is."""
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "missing":
        parent, _, _ = walk(positions, inner[:-1])
        return Problem(
            _at(parent),
            f"{dotted(loc[:-1])}: missing required key `{loc[-1]}`",
            "missing-key",
        )
    if kind == "extra_forbidden":
        return Problem(key_position(positions, inner), _unknown_key(loc), "unknown-key")
    node, _, _ = walk(positions, inner)
    where = dotted(loc)
    if kind == "selector":
        key = str(ctx.get("key", ""))
        at = _at(node)
        if key and isinstance(node, MapPos) and key in node.keys:
            at = node.keys[key]
        return Problem(at, f"{where}: {error['msg']}", "selector")
    if kind == "platform":
        return Problem(_at(node), f"{where}: {error['msg']}", "platform")
    if kind == "string_pattern_mismatch":
        rule, message = _pattern_problem(loc, error)
        return Problem(_at(node), message, rule)
    if kind == "literal_error" and loc == ("version",):
        return Problem(
            _at(node),
            "version: must be 1 (the only manifest language version), "
            f"not {_shown(error['input'])}",
            "version",
        )
    if kind == "literal_error" and loc and loc[-1] in _CHOICES:
        what, choices, rule = _CHOICES[str(loc[-1])]
        return Problem(
            _at(node),
            f"{where}: unknown {what} {_shown(error['input'])}: use one of " + ", ".join(choices),
            rule,
        )
    if kind == "string_type" and loc[-1:] == ("file",) and isinstance(error["input"], int | float):
        # An all-digit ID (or one like 1234e567...) is a number to YAML.
        return Problem(
            _at(node),
            f'{where}: YAML read this file ID as a number: quote it (file: "...")',
            "file-id",
        )
    if kind in _EXPECTED:
        message = f"{where}: should be {_EXPECTED[kind]}, not {_shown(error['input'])}"
    else:
        text = error["msg"]
        message = f"{where}: {text[:1].lower()}{text[1:]}, not {_shown(error['input'])}"
    return Problem(_at(node), message, "type")


def _at(node: Pos) -> int:
    return node if isinstance(node, int) else node.at


class Located:
    """Problems for the errors of validations of parts of one manifest, added in the order one
    validation of the whole would report them.

    One problem per offending place; the errors of one union (a value that is none of the
    accepted types) are merged into one that lists what is accepted, after all the others. A
    required key that is missing because it was misspelt (`projet:` for `project:`) is said
    once, by the unknown key's "did you mean", not also as missing.
    """

    def __init__(self) -> None:
        # With the loc of the key a "missing" problem is about (None: any other problem).
        self._problems: list[tuple[Loc | None, Problem]] = []
        self._unions: dict[Loc, tuple[Loc, Pos, list[ErrorDetails]]] = {}
        self._meant: set[Loc] = set()  # the keys an unknown key's "did you mean" names

    def add(self, errors: Iterable[ErrorDetails], positions: Pos, prefix: Loc = ()) -> None:
        """The errors of validating the part at `prefix` (its `loc`s are within it), whose
        positions are `positions`."""
        for error in errors:
            inner = tuple(error["loc"])
            if error["type"] not in ("missing", "extra_forbidden"):
                _, rest, _ = walk(positions, inner)
                if rest:  # the tail names union members (`str`, `int`), not places
                    inner = inner[: len(inner) - len(rest)]
                    if error["type"] in _EXPECTED:
                        union = self._unions.setdefault(prefix + inner, (inner, positions, []))
                        union[2].append(error)
                        continue
            loc = prefix + inner
            if error["type"] == "extra_forbidden" and (meant := _suggestion(loc)) is not None:
                self._meant.add((*loc[:-1], meant))
            missing = loc if error["type"] == "missing" else None
            self._problems.append((missing, _one(error, loc, inner, positions)))

    def problems(self) -> list[Problem]:
        problems = [p for missing, p in self._problems if missing not in self._meant]
        for loc, (inner, positions, errors) in self._unions.items():
            if len(errors) == 1:
                problems.append(_one(errors[0], loc, inner, positions))
                continue
            accepted = [_EXPECTED[e["type"]] for e in errors]
            node, _, _ = walk(positions, inner)
            listed = ", ".join(accepted[:-1]) + " or " + accepted[-1]
            problems.append(
                Problem(
                    _at(node),
                    f"{dotted(loc)}: should be {listed}, not {_shown(errors[0]['input'])}",
                    "type",
                )
            )
        return problems
