"""Turn the text of one manifest into plain data (dicts, lists, scalars) and a parallel tree of
source positions, in one pass over ruamel.yaml's parser events.

Why not ruamel's own constructors: the round-trip loader is about ten times too slow for a
manifest of 100,000 entries, and even the safe loader spends most of its time in its resolver.
The parser itself runs in C (ruamel.yaml.clib) when installed, and what is built here is only
what a manifest can hold, resolved as YAML 1.2's core schema (the same as ruamel's round-trip
loader, so `fmt` and `validate` agree on what a value means). Duplicate keys, aliases that
expand too far, explicit tags and merge keys are reported here with their positions.

A manifest may list 1,000,000 entries: given a sink, the items of the top-level `exports` list
are handed to it one at a time, as each is complete, and not kept, so the whole list never
exists at once (the loader keeps what it needs of each entry, far less than the entry itself).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)

from reconciler.manifest.positions import MapPos, Pos, Problem, SeqPos, pack, unpack

try:  # the C parser (ruamel.yaml.clib), driven directly: no generator between it and the loop
    from ruamel.yaml.cyaml import CParser  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - only where ruamel.yaml.clib cannot be installed
    CParser = None

# Alias uses may add at most this many nodes: enough for any sane reuse, far too few for
# "billion laughs", whose expansion would exhaust memory in the model validation.
MAX_NESTING = 64
ALIAS_EXPANSION_LIMIT = 100_000

_NULL = frozenset(("", "~", "null", "Null", "NULL"))
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_WORDS: dict[str, bool | None] = {**dict.fromkeys(_NULL), **_BOOL}  # one lookup for both
# YAML 1.2 core schema as ruamel.yaml resolves it (ruamel/yaml/resolver.py, version 1.2).
_INT = re.compile(r"[-+]?(?:0b[0-1_]+|0o?[0-7_]+|[0-9_]+|0x[0-9a-fA-F_]+)\Z")
_FLOAT = re.compile(
    r"""(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
    |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
    |[-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))\Z""",
    re.X,
)
_NUMBER_START = frozenset("-+0123456789.")
_STR_TAGS = frozenset(("!", "tag:yaml.org,2002:str"))
_COLLECTION_TAGS = frozenset(("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"))


class EntrySink(Protocol):
    """Where the items of the top-level `exports` list go, one at a time, when streamed."""

    def begin(self, header: dict[str, Any]) -> None:
        """The list opens; `header` is the top-level mapping so far (the keys before it)."""

    def entry(self, value: Any, pos: Pos) -> None:
        """One item, complete, in document order."""


@dataclass(slots=True)
class Parsed:
    data: Any = None
    positions: Pos = 0
    problems: list[Problem] = field(default_factory=list)
    # The items of `exports` went to the sink, not into `data` (which holds an empty list there).
    streamed: bool = False


class _Refused(Exception):
    """Stops the event loop: the rest of the document cannot be read meaningfully."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem


def _to_int(text: str) -> int:
    digits = text.replace("_", "")
    sign = -1 if digits[0] == "-" else 1
    digits = digits.lstrip("+-")
    for prefix, base in (("0b", 2), ("0o", 8), ("0x", 16)):
        if digits.startswith(prefix):
            return sign * int(digits[2:], base)
    return sign * int(digits, 10)


def _to_float(text: str) -> float:
    lowered = text.replace("_", "").lower()
    if lowered.endswith(".inf"):
        return float("-inf") if lowered.startswith("-") else float("inf")
    if lowered == ".nan":
        return float("nan")
    return float(lowered)


def resolve_plain(text: str) -> Any:
    """The value of a plain (unquoted, untagged) scalar under YAML 1.2's core schema."""
    if text in _WORDS:
        return _WORDS[text]
    if text[0] in _NUMBER_START:
        if _INT.match(text):
            try:
                return _to_int(text)
            except ValueError:  # `0o_`, `_`: digits that are only underscores
                return text
        if _FLOAT.match(text):
            return _to_float(text)
    return text


def _scalar(event: ScalarEvent, at: int) -> Any:
    tag = event.tag
    if tag is None:
        return resolve_plain(event.value) if event.implicit[0] else event.value
    tag = str(tag)
    if tag in _STR_TAGS:
        return event.value
    raise _Refused(
        Problem(at, f"explicit YAML tag {tag} is not supported: remove it", "yaml-unsupported")
    )


def _events(parser: Any, source: str | bytes) -> Iterable[Any]:
    if parser is not None:
        return iter(parser.get_event, None)  # None once the stream has ended
    events: Iterable[Any] = YAML(typ="safe", pure=True).parse(source)  # pragma: no cover
    return events  # pragma: no cover


def parse_manifest(source: str | bytes, *, sink: EntrySink | None = None) -> Parsed:
    """Parse one manifest: its text, or the UTF-8 bytes of it (no BOM; the C parser reads them
    as they are instead of encoding a copy). Never raises for bad input: problems are returned
    with positions. With a `sink`, the items of the top-level `exports` list go to it."""
    result = Parsed()
    parser = CParser(source) if CParser is not None else None
    try:
        _build(_events(parser, source), result, sink)
    except _Refused as refused:
        result.problems.append(refused.problem)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        at = pack(mark.line, mark.column) if mark is not None else 0
        what = exc.problem or exc.context or "invalid YAML"
        tab = _tab_at(source, mark.line, mark.column) if mark is not None else None
        if tab is not None:
            result.problems.append(
                Problem(tab, "tab character: YAML indents with spaces", "yaml-tab")
            )
        else:
            result.problems.append(Problem(at, f"invalid YAML: {what}", "yaml-syntax"))
    except YAMLError as exc:  # reader errors: characters YAML does not allow
        text = source.decode("utf-8") if isinstance(source, bytes) else source
        at = _reader_position(text, exc)
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else "invalid YAML"
        result.problems.append(Problem(at, f"invalid YAML: {first_line}", "yaml-syntax"))
    finally:
        if parser is not None:
            parser.dispose()
    return result


def _tab_at(source: str | bytes, line0: int, column0: int) -> int | None:
    """Where the tab is that the parser stopped at (YAML says "found character that cannot
    start any token", never "tab"): the character it points at, or one in the indentation of
    its line; None when no tab is to blame."""
    text = source.decode("utf-8", "replace") if isinstance(source, bytes) else source
    lines = text.split("\n")
    if line0 >= len(lines):
        return None
    text = lines[line0]
    if text[column0 : column0 + 1] == "\t":
        return pack(line0, column0)
    indent = text[: len(text) - len(text.lstrip(" \t"))]
    return pack(line0, indent.index("\t")) if "\t" in indent else None


def _reader_position(text: str, exc: YAMLError) -> int:
    offset = getattr(exc, "position", None)
    if not isinstance(offset, int) or offset < 0:
        return 0
    before = text[:offset]
    line0 = before.count("\n")
    return pack(line0, offset - (before.rfind("\n") + 1))


class _Frame:
    """A mapping or list being built: its container and positions, the key waiting for its
    value (with where it is), how many nodes it holds so far (aliases count what they repeat),
    its anchor, where it starts, and the sink (only on the streamed `exports` list). Slots:
    read as fast as a list's items, by name."""

    __slots__ = ("anchor", "container", "key", "key_at", "positions", "sink", "size", "start")

    def __init__(
        self, container: Any, positions: Any, anchor: str | None, start: int, sink: Any = None
    ) -> None:
        self.container = container
        self.positions = positions
        self.key: str | None = None
        self.key_at = 0
        self.size = 1
        self.anchor = anchor
        self.start = start
        self.sink: EntrySink | None = sink


def _build(events: Iterable[Any], result: Parsed, sink: EntrySink | None) -> None:
    """Fold the event stream into data and positions, with an explicit stack (no recursion, so
    deeply nested input cannot overflow Python's stack)."""
    stack: list[_Frame] = []
    anchors: dict[str, tuple[Any, Pos, int]] = {}
    expanded = 0
    documents = 0
    root_set = False

    def attach(value: Any, pos: Pos, at: int, size: int) -> None:
        nonlocal root_set
        if not stack:
            result.data, result.positions, root_set = value, pos, True
            return
        frame = stack[-1]
        frame.size += size
        container = frame.container
        if type(container) is list:
            if frame.sink is not None:
                frame.sink.entry(value, pos)
                return
            container.append(value)
            frame.positions.items.append(pos)
            return
        key = frame.key
        if key is None:  # this node is a key
            if type(value) is not str:
                shown = "a mapping" if isinstance(value, dict) else "a list"
                if not isinstance(value, dict | list):
                    shown = repr(value)
                raise _Refused(
                    Problem(at, f"mapping keys must be text, not {shown}", "yaml-unsupported")
                )
            if value == "<<":
                raise _Refused(
                    Problem(
                        at,
                        "YAML merge keys (<<) are not supported: use `defaults`",
                        "yaml-unsupported",
                    )
                )
            frame.key, frame.key_at = value, at
            return
        frame.key = None
        if key in container:
            line, _ = unpack(frame.positions.keys[key])
            result.problems.append(
                Problem(
                    frame.key_at,
                    f"duplicate key `{key}`: also declared at line {line}; keep one",
                    "duplicate-key",
                )
            )
            return
        container[key] = value
        positions = frame.positions
        positions.keys[key] = frame.key_at
        positions.values[key] = pos

    def streams(anchor: str | None) -> bool:
        """Whether a list opening here is the top-level `exports` to hand to the sink: the
        first of that name, and not anchored (an alias could not repeat what is not kept)."""
        if sink is None or anchor is not None or len(stack) != 1:
            return False
        top = stack[0].container
        return type(top) is dict and stack[0].key == "exports" and "exports" not in top

    for event in events:
        kind = type(event)
        if kind is MappingEndEvent or kind is SequenceEndEvent:
            done = stack.pop()
            if done.anchor is not None:
                anchors[done.anchor] = (done.container, done.positions, done.size)
            attach(done.container, done.positions, done.start, done.size)
            continue
        mark = event.start_mark
        column = mark.column
        at = (mark.line << 24) | column if column < 16777216 else pack(mark.line, column)
        if kind is ScalarEvent:
            # `ctag` is what the `tag` property converts, at the cost of a call per event.
            if event.ctag is not None:
                value = _scalar(event, at)
            elif event.implicit[0]:  # resolve_plain, without a call for plain text
                value = event.value
                if value in _WORDS:
                    value = _WORDS[value]
                elif value[0] in _NUMBER_START:
                    value = resolve_plain(value)
            else:
                value = event.value
            if event.anchor is not None:
                anchors[event.anchor] = (value, at, 1)
            frame = stack[-1] if stack else None
            if frame is not None and type(frame.container) is dict:
                # The common case inline (a key, or a value whose key is new); `attach` does
                # the same with every check.
                key = frame.key
                if key is None:
                    if type(value) is str and value != "<<":
                        frame.key, frame.key_at = value, at
                        frame.size += 1
                        continue
                elif key not in frame.container:
                    frame.container[key] = value
                    positions = frame.positions
                    positions.keys[key] = frame.key_at
                    positions.values[key] = at
                    frame.key = None
                    frame.size += 1
                    continue
            attach(value, at, at, 1)
        elif kind is MappingStartEvent or kind is SequenceStartEvent:
            if event.ctag is not None and str(event.tag) not in _COLLECTION_TAGS:
                raise _Refused(
                    Problem(
                        at,
                        f"explicit YAML tag {event.tag} is not supported: remove it",
                        "yaml-unsupported",
                    )
                )
            if len(stack) >= MAX_NESTING:
                # A manifest is a handful of levels deep; stopping here also spares the parser
                # its time on pathological depths, which grows faster than linearly.
                raise _Refused(
                    Problem(
                        at,
                        f"nested more than {MAX_NESTING} levels deep: a manifest needs a few",
                        "nesting",
                    )
                )
            anchor = event.anchor
            if kind is MappingStartEvent:
                stack.append(_Frame({}, MapPos(at, {}, {}), anchor, at))
            elif streams(anchor):
                assert sink is not None
                sink.begin(stack[0].container)
                result.streamed = True
                stack.append(_Frame([], SeqPos(at), anchor, at, sink))
            else:
                stack.append(_Frame([], SeqPos(at), anchor, at))
        elif kind is AliasEvent:
            if event.anchor not in anchors:
                raise _Refused(
                    Problem(
                        at,
                        f"alias *{event.anchor} is used before its anchor is complete",
                        "yaml-syntax",
                    )
                )
            value, pos, size = anchors[event.anchor]
            expanded += size
            if expanded > ALIAS_EXPANSION_LIMIT:
                raise _Refused(
                    Problem(
                        at,
                        f"aliases expand to more than {ALIAS_EXPANSION_LIMIT} values: refusing a "
                        "possible alias bomb; write the values out or use `defaults`",
                        "alias-bomb",
                    )
                )
            attach(value, pos, at, size)
        elif kind is DocumentStartEvent:
            documents += 1
            if documents > 1:
                raise _Refused(
                    Problem(
                        at, "more than one YAML document: put one manifest per file", "document"
                    )
                )
    if not root_set:
        result.problems.append(
            Problem(
                0,
                "empty manifest: it needs at least `version`, `project` and `exports`",
                "document",
            )
        )
