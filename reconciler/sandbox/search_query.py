"""The search's query language (docs/api.md, "Search"): text in, a `SearchQuery` out, or a 400
(code 90000) that says at which character the text stopped making sense and what could have
come there.

    [id AS field] IN location [, location ...] [WHERE condition [AND condition ...]]
    [ORDER BY id [ASC|DESC]] [LIMIT num] [OFFSET num] [TOKEN token] [RECURSIVE] [STALE]

    condition:  type = "FILE" | type = "FOLDER" | name = "..." | file_extension IN ("BAM", ...)
    location:   "/Projects/<owner>/<project>" (the root), followed by a folder's path

Keywords and field names are read without regard to case, and so are the values of `type`;
the clauses come in the order above. A quoted string takes the escapes `\\"` and `\\\\`, no
other. A token is a quoted string or a bare word. Numbers are checked here (LIMIT 1 to 100,
OFFSET 0 to 10,000), and so are the sizes: at most 10,000 characters, 10 locations, 100
conditions and 100 extensions in one list; locations only for their shape: whether they exist
is the index's business. Pure: no store, no clock.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Literal

from .errors import ApiFailure, bad_request
from .paging import MAX_LIMIT

MAX_QUERY_CHARS = 10_000
MAX_LOCATIONS = 10
MAX_OFFSET = 10_000  # like a search index's result window; the token pages beyond it
MAX_CONDITIONS = MAX_EXTENSIONS = 100  # (SQLite refuses expressions nested 1,000 deep)
_WORD = re.compile(r"[A-Za-z0-9_\-]+")
_PUNCTUATION = ",()="

Field = Literal["type", "name", "file_extension"]
TYPES = ("file", "folder")  # the file resource's spelling; the query's FILE/FOLDER fold to it


@dataclass(frozen=True)
class Location:
    text: str  # as the query wrote it, for messages
    project: str  # owner/project
    path: str  # the folder's path in the project; "" for its root


@dataclass(frozen=True)
class Condition:
    field: Field
    values: tuple[str, ...]  # type: file|folder; name: one name; file_extension: any of them


@dataclass(frozen=True)
class SearchQuery:
    locations: tuple[Location, ...]
    conditions: tuple[Condition, ...] = ()
    id_field: str = "id"
    descending: bool = False
    limit: int | None = None
    offset: int | None = None
    token: str | None = None
    recursive: bool = False
    stale: bool = False

    def fingerprint(self) -> str:
        """Names what the query selects and in which order (not the page it asks for): a
        continuation token carries it, so that it is refused by any other query."""
        selects = {
            "in": sorted({(place.project, place.path) for place in self.locations}),
            "where": sorted((c.field, sorted(set(c.values))) for c in self.conditions),
            "desc": self.descending,
            "recursive": self.recursive,
        }
        return hashlib.sha256(json.dumps(selects).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class _Token:
    kind: Literal["word", "string", "punctuation", "other", "end"]
    text: str  # the word, the string's value, the character
    at: int  # 1-based character position

    def shown(self) -> str:
        if self.kind == "end":
            return "the end of the query"
        if self.kind == "string":
            return "a quoted string"
        return repr(self.text) if len(self.text) <= 40 else repr(self.text[:40] + "...")


class _Reader:
    """Tokens on demand, and what was expected at the current one (for the message)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.at = 0  # 0-based index of the next unread character
        self.current = self._read()
        self.expected: list[str] = []

    def unreadable(self, problem: str, at: int | None = None) -> ApiFailure:
        where = self.current.at if at is None else at
        return bad_request(f"cannot read the query at character {where}: {problem}")

    def advance(self) -> _Token:
        taken, self.current, self.expected = self.current, self._read(), []
        return taken

    def accept_word(self, keyword: str, shown: str | None = None) -> bool:
        if self.current.kind == "word" and self.current.text.upper() == keyword:
            self.advance()
            return True
        self.expected.append(shown or keyword)
        return False

    def accept(self, punctuation: str) -> bool:
        if self.current.kind == "punctuation" and self.current.text == punctuation:
            self.advance()
            return True
        self.expected.append(repr(punctuation))
        return False

    def fail(self, wanted: str) -> ApiFailure:
        options = [*dict.fromkeys([*self.expected, wanted])]
        listed = ", ".join(options[:-1]) + " or " + options[-1] if len(options) > 1 else wanted
        return self.unreadable(f"expected {listed} (found {self.current.shown()})")

    def expect_word(self, keyword: str) -> None:
        if not self.accept_word(keyword):
            raise self.fail(keyword)

    def expect(self, punctuation: str) -> None:
        if not self.accept(punctuation):
            raise self.fail(repr(punctuation))

    def expect_string(self, what: str) -> _Token:
        if self.current.kind != "string":
            raise self.fail(what)
        return self.advance()

    def expect_name(self, what: str) -> str:
        if self.current.kind != "word":
            raise self.fail(what)
        return self.advance().text

    def expect_number(self, keyword: str, low: int, high: int) -> int:
        if self.current.kind != "word" or not self.current.text.isdigit():
            raise self.fail(f"a number after {keyword}")
        token = self.advance()
        digits = token.text.lstrip("0") or "0"
        if len(digits) > len(str(high)) or not low <= int(digits) <= high:
            shown = token.text if len(token.text) <= 20 else f"a number of {len(token.text)} digits"
            problem = f"{keyword} must be between {low} and {high}, not {shown}"
            raise self.unreadable(problem, token.at)
        return int(digits)

    def _read(self) -> _Token:
        text, at = self.text, self.at
        while at < len(text) and text[at].isspace():
            at += 1
        if at == len(text):
            self.at = at
            return _Token("end", "", at + 1)
        if text[at] == '"':
            value, self.at = _string(self, at)
            return _Token("string", value, at + 1)
        if text[at] in _PUNCTUATION:
            self.at = at + 1
            return _Token("punctuation", text[at], at + 1)
        word = _WORD.match(text, at)
        if word is None:
            self.at = at + 1
            return _Token("other", text[at], at + 1)
        self.at = word.end()
        return _Token("word", word.group(), at + 1)


def _string(reader: _Reader, start: int) -> tuple[str, int]:
    """The value of the quoted string opening at `start`, and the index after it."""
    text, at = reader.text, start + 1
    value: list[str] = []
    while at < len(text):
        char = text[at]
        if char == '"':
            return "".join(value), at + 1
        if char == "\\":
            if at + 1 == len(text) or text[at + 1] not in '"\\':
                raise reader.unreadable('a backslash in a string escapes only " and \\', at + 1)
            at += 1
        value.append(text[at])
        at += 1
    raise reader.unreadable("this string is never closed", start + 1)


def _location(token: _Token, reader: _Reader) -> Location:
    text = token.text
    parts = text.removesuffix("/").split("/")
    if len(parts) < 4 or parts[0] != "" or parts[1].lower() != "projects" or "" in parts[2:]:
        problem = f'location "{text}" is not "/Projects/<owner>/<project>[/<folder path>]"'
        raise reader.unreadable(problem, token.at)
    return Location(text, f"{parts[2]}/{parts[3]}", "/".join(parts[4:]))


def _condition(reader: _Reader) -> Condition:
    at = reader.current.at
    field = reader.expect_name("a condition (type, name or file_extension)").lower()
    if field in ("type", "name"):
        reader.expect("=")
        value = reader.expect_string(f"a quoted {field}")
        if field == "name":
            return Condition("name", (value.text,))
        if value.text.lower() not in TYPES:
            raise reader.unreadable(f'type is "FILE" or "FOLDER", not "{value.text}"', value.at)
        return Condition("type", (value.text.lower(),))
    if field == "file_extension":
        reader.expect_word("IN")
        reader.expect("(")
        extensions = [_extension(reader)]
        while reader.accept(","):
            extensions.append(_extension(reader))
            if len(extensions) > MAX_EXTENSIONS:
                raise reader.unreadable(f"at most {MAX_EXTENSIONS} extensions in one list", at)
        reader.expect(")")
        return Condition("file_extension", tuple(extensions))
    raise reader.unreadable(f"no condition on {field!r}; type, name or file_extension", at)


def _extension(reader: _Reader) -> str:
    value = reader.expect_string('a quoted extension ("BAM")')
    extension = value.text.removeprefix(".")
    if not extension:
        raise reader.unreadable("an extension cannot be empty", value.at)
    return extension


def parse(text: str) -> SearchQuery:
    if len(text) > MAX_QUERY_CHARS:
        raise bad_request(f"the query has {len(text)} characters; at most {MAX_QUERY_CHARS}")
    reader = _Reader(text)
    id_field = "id"
    if reader.accept_word("ID"):
        reader.expect_word("AS")
        id_field = reader.expect_name("a field name")
        if id_field in ("name", "type", "metadata", "tags"):
            raise reader.unreadable(f"id AS {id_field}: a result already has {id_field}")
    reader.expect_word("IN")
    locations = [_location(reader.expect_string("a location in double quotes"), reader)]
    while reader.accept(","):
        place = reader.expect_string("a location in double quotes")
        locations.append(_location(place, reader))
        if len(locations) > MAX_LOCATIONS:
            raise reader.unreadable(f"at most {MAX_LOCATIONS} locations", place.at)
    conditions = []
    if reader.accept_word("WHERE"):
        conditions.append(_condition(reader))
        while reader.accept_word("AND"):
            at = reader.current.at
            conditions.append(_condition(reader))
            if len(conditions) > MAX_CONDITIONS:
                raise reader.unreadable(f"at most {MAX_CONDITIONS} conditions", at)
    descending = False
    if reader.accept_word("ORDER", "ORDER BY"):
        reader.expect_word("BY")
        reader.expect_word("ID")
        if not reader.accept_word("ASC"):
            descending = reader.accept_word("DESC")
    limit = offset = token = None
    if reader.accept_word("LIMIT"):
        limit = reader.expect_number("LIMIT", 1, MAX_LIMIT)
    if reader.accept_word("OFFSET"):
        offset = reader.expect_number("OFFSET", 0, MAX_OFFSET)
    if reader.accept_word("TOKEN"):
        if reader.current.kind not in ("string", "word"):
            raise reader.fail("a continuation token")
        token = reader.advance().text
    recursive = reader.accept_word("RECURSIVE")
    stale = reader.accept_word("STALE")
    if reader.current.kind != "end":
        raise reader.fail("the end of the query")
    return SearchQuery(
        tuple(locations),
        tuple(conditions),
        id_field,
        descending,
        limit,
        offset,
        token,
        recursive,
        stale,
    )
