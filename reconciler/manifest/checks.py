"""Rules beyond the types, on one manifest's parsed data: locations, selector paths,
placeholders, the KMS key after merging defaults, and a volume for every entry.

They run on the plain data rather than on validated models so that one entry with a type error
does not hide the problems of the 99,999 others: each rule looks only at values of the type it
expects and leaves the rest to the type errors. `EntryChecks` runs them an entry at a time, as
the loader keeps entries, once the manifest's defaults are known. Checks across entries and
files (destinations, files declared twice) are in `conflicts.py`.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from reconciler.manifest.placeholders import placeholder_problems
from reconciler.manifest.positions import MapPos, Problem, dotted, start_of

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


def _plainly_fine(text: str) -> bool:
    """What nearly every location and path is: printable ASCII of at most
    `MAX_LOCATION_BYTES`, with no backslash, brace, `//` or `/.`, and neither a leading `/` or
    `.` nor a trailing `/`. None of the rules below refuses such a text; this says so at once
    (a million locations take the rules' longer way in seconds)."""
    return (
        0 < len(text) <= MAX_LOCATION_BYTES
        and text.isascii()
        and text.isprintable()
        and text[0] not in "/."
        and text[-1] != "/"
        and "//" not in text
        and "/." not in text
        and "\\" not in text
        and "{" not in text
        and "}" not in text
    )


def location_problems(location: str) -> list[tuple[str, str]]:
    """(rule, message) for a location as written; empty when it is fine."""
    if _plainly_fine(location):
        return []
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
    if _plainly_fine(value):
        return None
    if value == "":
        return f"{kind} is empty: give a path inside the project"
    return _segment_problem(value, kind)


def _value_at(pos: MapPos, key: str) -> int:
    return start_of(pos.values[key]) if key in pos.values else pos.at


def _sub(data: dict[str, Any], pos: MapPos, key: str) -> tuple[dict[str, Any], MapPos] | None:
    value, value_pos = data.get(key), pos.values.get(key)
    if isinstance(value, dict) and isinstance(value_pos, MapPos):
        return value, value_pos
    return None


class EntryChecks:
    """These rules for the entries of one manifest, an entry at a time and in order, given the
    manifest's data without its entries (for its raw `defaults`)."""

    def __init__(self, data: dict[str, Any], positions: MapPos) -> None:
        defaults = _sub(data, positions, "defaults") or ({}, MapPos(positions.at))
        self._default_volume = defaults[0].get("volume")
        self._default_props = _sub(*defaults, "properties") or ({}, MapPos(defaults[1].at))
        self._kms_reported_in_defaults = False
        # What an entry without `properties` inherits: the defaults' own KMS problem, if any.
        self._inherited_kms = _kms_problem("", ({}, MapPos(positions.at)), self._default_props)

    @property
    def plain_entries_pass(self) -> bool:
        """Whether `plain` finds nothing whatever the entry: the defaults name a volume and
        bring no KMS problem."""
        return self._default_volume is not None and self._inherited_kms is None

    def entry(self, index: int, entry: Any, pos: Any) -> list[Problem]:
        """Every problem these rules find in the entry `exports[index]`."""
        if not isinstance(entry, dict) or not isinstance(pos, MapPos):
            return []
        problems: list[Problem] = []
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
        if entry.get("volume") is None:
            problems.extend(self._no_volume(index, pos.at))
        props = _sub(entry, pos, "properties") or ({}, MapPos(pos.at))
        problems.extend(self._kms(where, props))
        return problems

    def plain(self, index: int, at: int, *, volume: bool) -> list[Problem]:
        """`entry` for an entry at `at` whose selector and location are fine and that sets no
        `properties`, so that only the defaults can make it wrong; `volume`: it names one."""
        problems = [] if volume else self._no_volume(index, at)
        if self._inherited_kms is not None and not self._kms_reported_in_defaults:
            self._kms_reported_in_defaults = True
            problems.append(Problem(self._inherited_kms.at, self._inherited_kms.message, "kms-key"))
        return problems

    def _no_volume(self, index: int, at: int) -> list[Problem]:
        if self._default_volume is not None:
            return []
        where = dotted(("exports", index))
        message = f"{where}: no `volume`: set one here or in `defaults`"
        return [Problem(at, message, "missing-volume")]

    def _kms(self, where: str, props: tuple[dict[str, Any], MapPos]) -> list[Problem]:
        kms = _kms_problem(where, props, self._default_props)
        if kms is None:
            return []
        if kms.rule == "kms-key-defaults":
            # One report at the defaults, not one per inheriting entry.
            if self._kms_reported_in_defaults:
                return []
            self._kms_reported_in_defaults = True
            kms = Problem(kms.at, kms.message, "kms-key")
        return [kms]


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
