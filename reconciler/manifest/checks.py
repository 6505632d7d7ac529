"""Rules beyond the types, on one manifest's parsed data: locations, selector paths,
placeholders, the KMS key after merging defaults, and a volume for every entry.

They run on the plain data rather than on validated models so that one entry with a type error
does not hide the problems of the 99,999 others: each rule looks only at values of the type it
expects and leaves the rest to the type errors. Checks across entries and files (destinations,
files declared twice) are in `conflicts.py`.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from typing import Any

from reconciler.manifest.placeholders import placeholder_problems
from reconciler.manifest.positions import MapPos, Pos, Problem, dotted, start_of

MAX_LOCATION_BYTES = 1024


# Format characters (zero widths, BOM, bidi overrides) and the line and paragraph separators
# (U+2028, U+2029), which break a line in some viewers and not in others.
_INVISIBLE_CATEGORIES = ("Cf", "Zl", "Zp")


def _control_character(text: str) -> str | None:
    """The first control or invisible character (C0, DEL, C1, `_INVISIBLE_CATEGORIES`): they
    make the object key differ from what a reviewer reads."""
    if text.isprintable():  # they are all "Other" or "Separator", which Python calls unprintable
        return None
    for char in text:
        code = ord(char)
        if (
            code < 0x20
            or 0x7F <= code <= 0x9F
            or (code > 0x7F and unicodedata.category(char) in _INVISIBLE_CATEGORIES)
        ):
            return f"U+{code:04X}"
    return None


def _segment_problem(text: str, what: str) -> str | None:
    if text.startswith("/"):
        return f"{what} must be relative: remove the leading /"
    if "\\" in text:
        return f"{what} holds a backslash: use / between folders"
    control = _control_character(text)
    if control:
        return f"{what} holds the control character {control}: remove it"
    if text and "//" not in text and "/." not in text and text[0] != "." and text[-1] != "/":
        return None  # no empty segment, and none that is `.` or `..`
    for segment in text.split("/"):
        if segment == "":
            return f"{what} has an empty folder name (// or a trailing /): remove it"
        if segment in (".", ".."):
            return f"{what} has a `{segment}` segment: write the path without it"
    return None


def location_problems(location: str) -> list[tuple[str, str]]:
    """(rule, message) for a location as written; empty when it is fine."""
    if location == "":
        return [("location", "location is empty: give a path inside the volume")]
    found: list[tuple[str, str]] = []
    problem = _segment_problem(location, "location")
    if problem:
        found.append(("location", problem))
    size = len(location) if location.isascii() else len(location.encode("utf-8"))
    if size > MAX_LOCATION_BYTES:
        found.append(
            (
                "location-length",
                f"location is {size} bytes, over the limit of {MAX_LOCATION_BYTES}: shorten it",
            )
        )
    found.extend(("placeholder", message) for message in placeholder_problems(location))
    return found


def selector_problem(kind: str, value: str) -> str | None:
    """What is wrong with a `path` or `glob` selector as written, if anything."""
    if value == "":
        return f"{kind} is empty: give a path inside the project"
    return _segment_problem(value, kind)


def _entries(
    data: dict[str, Any], positions: MapPos
) -> Iterator[tuple[int, dict[str, Any], MapPos]]:
    exports = data.get("exports")
    exports_pos = positions.values.get("exports")
    if (
        not isinstance(exports, list)
        or exports_pos is None
        or isinstance(exports_pos, int | MapPos)
    ):
        return
    for index, (entry, pos) in enumerate(zip(exports, exports_pos.items, strict=True)):
        if isinstance(entry, dict) and isinstance(pos, MapPos):
            yield index, entry, pos


def _value_at(pos: MapPos, key: str) -> int:
    return start_of(pos.values[key]) if key in pos.values else pos.at


def _sub(data: dict[str, Any], pos: MapPos, key: str) -> tuple[dict[str, Any], MapPos] | None:
    value, value_pos = data.get(key), pos.values.get(key)
    if isinstance(value, dict) and isinstance(value_pos, MapPos):
        return value, value_pos
    return None


def manifest_problems(data: Any, positions: Pos) -> list[Problem]:
    """Every problem these rules find in one manifest's data."""
    if not isinstance(data, dict) or not isinstance(positions, MapPos):
        return []
    problems: list[Problem] = []
    defaults = _sub(data, positions, "defaults") or ({}, MapPos(positions.at))
    default_volume = defaults[0].get("volume")
    default_props = _sub(*defaults, "properties") or ({}, MapPos(defaults[1].at))
    kms_reported_in_defaults = False
    for index, entry, pos in _entries(data, positions):
        where = dotted(("exports", index))
        for kind in ("path", "glob"):
            value = entry.get(kind)
            if isinstance(value, str):
                problem = selector_problem(kind, value)
                if problem:
                    problems.append(
                        Problem(_value_at(pos, kind), f"{where}.{kind}: {problem}", "selector-path")
                    )
        location = entry.get("location")
        if isinstance(location, str):
            for rule, message in location_problems(location):
                problems.append(Problem(_value_at(pos, "location"), f"{where}: {message}", rule))
        if entry.get("volume") is None and default_volume is None:
            problems.append(
                Problem(
                    pos.at,
                    f"{where}: no `volume`: set one here or in `defaults`",
                    "missing-volume",
                )
            )
        props = _sub(entry, pos, "properties") or ({}, MapPos(pos.at))
        kms = _kms_problem(where, props, default_props)
        if kms is not None:
            if kms.rule == "kms-key-defaults":
                # One report at the defaults, not one per inheriting entry.
                if kms_reported_in_defaults:
                    continue
                kms_reported_in_defaults = True
                kms = Problem(kms.at, kms.message, "kms-key")
            problems.append(kms)
    return problems


def _kms_problem(
    where: str,
    entry: tuple[dict[str, Any], MapPos],
    defaults: tuple[dict[str, Any], MapPos],
) -> Problem | None:
    """A KMS key id is sent only with aws:kms; the default algorithm is AES256, so a key id
    alone is a mistake. Points at the key id where it is written, unless only this entry's
    algorithm makes the defaults' key id wrong."""
    entry_props, entry_pos = entry
    default_props, default_pos = defaults
    key_in_entry = "sse_aws_kms_key_id" in entry_props
    key_id = (
        entry_props["sse_aws_kms_key_id"]
        if key_in_entry
        else default_props.get("sse_aws_kms_key_id")
    )
    algorithm_in_entry = "sse_algorithm" in entry_props
    if algorithm_in_entry:
        algorithm = entry_props["sse_algorithm"]
    else:
        algorithm = default_props.get("sse_algorithm", "AES256")
    if key_id is None or algorithm == "aws:kms":
        return None
    message = (
        f"sse_aws_kms_key_id is set but sse_algorithm is {algorithm!r} after merging defaults: "
        "set sse_algorithm: aws:kms, or remove the key id"
    )
    if key_in_entry:
        return Problem(
            _value_at(entry_pos, "sse_aws_kms_key_id"), f"{where}.properties: {message}", "kms-key"
        )
    if algorithm_in_entry:
        return Problem(
            _value_at(entry_pos, "sse_algorithm"), f"{where}.properties: {message}", "kms-key"
        )
    return Problem(
        _value_at(default_pos, "sse_aws_kms_key_id"),
        f"defaults.properties: {message}",
        "kms-key-defaults",
    )
