"""Source positions of a parsed manifest: a tree parallel to the data, and the lookup that turns
a path into the data (such as a pydantic error's `loc`) into the place an editor should jump to.

Positions are packed into one int (line << 24 | column, 0-based) because a manifest of 100,000
entries holds a few hundred thousand of them and tuples would cost four times the memory.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

COLUMN_BITS = 24
COLUMN_MASK = (1 << COLUMN_BITS) - 1


def pack(line0: int, column0: int) -> int:
    """Pack a 0-based line and column (as the YAML parser counts) into one int."""
    return (line0 << COLUMN_BITS) | min(column0, COLUMN_MASK)


def unpack(packed: int) -> tuple[int, int]:
    """The 1-based (line, column) of a packed position, as editors count."""
    return (packed >> COLUMN_BITS) + 1, (packed & COLUMN_MASK) + 1


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem at a packed position of one manifest; the loader adds the file name."""

    at: int
    message: str
    rule: str


@dataclass(slots=True)
class MapPos:
    """A mapping: where it starts, where each key is, and the positions of its values."""

    at: int
    keys: dict[str, int] = field(default_factory=dict)
    values: dict[str, Pos] = field(default_factory=dict)


@dataclass(slots=True)
class SeqPos:
    """A sequence: where it starts and the positions of its items."""

    at: int
    items: list[Pos] = field(default_factory=list)


Pos = int | MapPos | SeqPos


def start_of(pos: Pos) -> int:
    return pos if isinstance(pos, int) else pos.at


def walk(root: Pos, loc: Sequence[str | int]) -> tuple[Pos, Sequence[str | int], str | None]:
    """Follow `loc` as far as the document goes.

    Returns the deepest node reached, the part of `loc` left over (a missing key, or a pydantic
    union member name), and the last mapping key followed (so a caller can point at the key
    rather than its value).
    """
    node = root
    last_key: str | None = None
    for depth, part in enumerate(loc):
        if isinstance(node, MapPos) and isinstance(part, str) and part in node.values:
            last_key = part
            node = node.values[part]
        elif isinstance(node, SeqPos) and isinstance(part, int) and 0 <= part < len(node.items):
            last_key = None
            node = node.items[part]
        else:
            return node, loc[depth:], last_key
    return node, (), last_key


def key_position(root: Pos, loc: Sequence[str | int]) -> int:
    """The position of the last key of `loc` (the key itself, not its value)."""
    parent, rest, _ = walk(root, loc[:-1])
    if not rest and isinstance(parent, MapPos) and isinstance(loc[-1], str):
        return parent.keys.get(loc[-1], parent.at)
    return start_of(parent)


def dotted(loc: Sequence[str | int]) -> str:
    """`('exports', 3, 'mode')` -> `exports[3].mode`, the way messages name a place."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out or "manifest"
