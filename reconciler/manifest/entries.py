"""The entries of `exports`, kept one at a time as the parser completes them (see `parse`).

Nearly every entry of a big manifest is plain: a `file`, `path` or `glob`, a `location`, and
perhaps `volume`, `mode`, `overwrite`, `description` and `properties` naming only a canned ACL
or a storage class (the encryption keys take part in the KMS check, which needs their
positions), each of the type and shape the model wants, with nothing for `checks` to say
about its selector or location. Such an entry is
recognised here without pydantic and kept as one row of a few columns: some forty bytes besides
its selector and location, where the entry as parsed, its positions and its model took over a
kilobyte. Any other entry is kept whole, with what the model `ExportEntry` made of it, so that
whatever is reported about it is what the model and `checks` say. The rules are built from both
(`effective.export_rules`) once the header is known: `defaults` may come after the list.
"""

from __future__ import annotations

import re
from array import array
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from reconciler.manifest.checks import location_problems, selector_problem
from reconciler.manifest.digest import StreamedDigest
from reconciler.manifest.models import (
    CANNED_ACLS,
    FILE_ID_PATTERN,
    OWNER_NAME_PATTERN,
    STORAGE_CLASSES,
    ExportEntry,
    Mode,
)
from reconciler.manifest.positions import MapPos, Pos, start_of

# The keys a plain entry may have; any other (the glob filters) takes the model.
PLAIN_KEYS = frozenset(
    (
        *("file", "path", "glob", "location"),
        *("volume", "mode", "overwrite", "description", "properties"),
    )
)
# The properties a plain entry may set, with the values the model accepts (or null).
PLAIN_PROPERTIES = {
    "aws_canned_acl": frozenset(CANNED_ACLS),
    "aws_storage_class": frozenset(STORAGE_CLASSES),
}
SELECTORS = ("", "file", "path", "glob")  # by the code in `Entries.kinds`; 0: kept whole
MODES = (None, Mode.MOVE, Mode.COPY)  # by the code in `Entries.modes`; None: not said
OVERWRITES = (None, False, True)  # by the code in `Entries.overwrites`
_MODE_CODES = {"move": 1, "copy": 2}


def _whole_match(pattern: str) -> re.Pattern[str]:
    """A model's `^...$` pattern for `fullmatch`: pydantic's `$` is the end of the text only."""
    return re.compile(pattern.removeprefix("^").removesuffix("$"))


_FILE_ID = _whole_match(FILE_ID_PATTERN)
_OWNER_NAME = _whole_match(OWNER_NAME_PATTERN)


Settings = tuple[tuple[str, str | None], ...]  # (key, value) as set, in key order


@dataclass(frozen=True, slots=True)
class WholeEntry:
    """An entry that is not plain, as parsed, with the model made of it or the model's errors
    (their `loc` within the entry)."""

    value: Any
    positions: Pos
    model: ExportEntry | None
    errors: list[ErrorDetails]


class Entries:
    """Every entry of one manifest, in order: the plain ones as rows of the columns below (kind
    0 marks a row kept whole, in `whole`). As a parser's sink it passes each entry on to the
    manifest's digest too."""

    def __init__(self, digest: StreamedDigest | None = None) -> None:
        self.digest = digest
        self.count = 0
        self.kinds = bytearray()  # SELECTORS
        self.selectors: list[str | None] = []
        self.locations: list[str | None] = []
        self.at = array("q")  # where each entry starts, packed (positions.pack)
        self.location_at = array("q")  # where its location's value starts
        self.volumes: list[str | None] = []  # its own volume
        self.modes = bytearray()  # MODES
        self.overwrites = bytearray()  # OVERWRITES
        self.properties: list[Settings | None] = []  # the properties it sets
        self.whole: dict[int, WholeEntry] = {}
        # One object per volume name and per set of properties, however many entries say it.
        self._names: dict[str, str] = {}
        self._settings: dict[Settings, Settings] = {}

    def begin(self, header: dict[str, Any]) -> None:
        if self.digest is not None:
            self.digest.begin(header)

    def entry(self, value: Any, pos: Pos) -> None:
        if self.digest is not None:
            self.digest.add(value)
        self.take(value, pos)

    def take(self, value: Any, pos: Pos) -> None:
        """Keep the next entry: as a row when it is plain, else whole."""
        if not self._plain(value, pos):
            self._whole(value, pos)
        self.count += 1

    def _plain(self, value: Any, pos: Pos) -> bool:
        # Only what the model accepts and `checks.EntryChecks.entry` finds nothing wrong with
        # besides the defaults: anything else is left to them. A null says nothing, as there.
        if type(value) is not dict or type(pos) is not MapPos or not value.keys() <= PLAIN_KEYS:
            return False
        location = value.get("location")
        if type(location) is not str or location_problems(location):
            return False
        if "file" in value:
            if "path" in value or "glob" in value:
                return False
            kind, selector = 1, value["file"]
            if type(selector) is not str or _FILE_ID.fullmatch(selector) is None:
                return False
        else:
            by_path = "path" in value
            if by_path == ("glob" in value):  # neither, or both
                return False
            kind, name = (2, "path") if by_path else (3, "glob")
            selector = value[name]
            if type(selector) is not str or selector_problem(name, selector) is not None:
                return False
        volume = mode = overwrite = properties = None
        if len(value) > 2:  # more than a selector and a location
            volume = value.get("volume")
            if volume is not None:
                if type(volume) is not str or _OWNER_NAME.fullmatch(volume) is None:
                    return False
                volume = self._names.setdefault(volume, volume)
            mode = value.get("mode")
            if mode is not None and (type(mode) is not str or mode not in _MODE_CODES):
                return False
            overwrite = value.get("overwrite")
            if overwrite is not None and type(overwrite) is not bool:
                return False
            description = value.get("description")
            if description is not None and type(description) is not str:
                return False
            if "properties" in value:
                properties = self._plain_properties(value["properties"])
                if properties is None:
                    return False
        self.kinds.append(kind)
        self.selectors.append(selector)
        self.locations.append(location)
        self.at.append(pos.at)
        self.location_at.append(start_of(pos.values["location"]))
        self.volumes.append(volume)
        self.modes.append(0 if mode is None else _MODE_CODES[mode])
        self.overwrites.append(0 if overwrite is None else 2 if overwrite else 1)
        self.properties.append(properties)
        return True

    def _plain_properties(self, properties: Any) -> Settings | None:
        """What a plain entry's `properties` set, or None when the model must judge them."""
        if type(properties) is not dict:
            return None
        for key, value in properties.items():
            allowed = PLAIN_PROPERTIES.get(key)
            if allowed is None:
                return None
            if value is not None and (type(value) is not str or value not in allowed):
                return None
        settings = tuple(sorted(properties.items()))
        return self._settings.setdefault(settings, settings)

    def _whole(self, value: Any, pos: Pos) -> None:
        try:
            model, errors = ExportEntry.model_validate(value), []
        except ValidationError as exc:
            model, errors = None, exc.errors(include_url=False)
        self.whole[self.count] = WholeEntry(value, pos, model, errors)
        self.kinds.append(0)
        self.selectors.append(None)
        self.locations.append(None)
        self.at.append(0)
        self.location_at.append(0)
        self.volumes.append(None)
        self.modes.append(0)
        self.overwrites.append(0)
        self.properties.append(None)
