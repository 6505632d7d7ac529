"""Lines that fit a terminal of 100 columns, for the plan and the apply report.

A long line wraps between its pieces onto continuation lines indented under it. A piece is never
split or shortened: a destination or a path is one piece, so a reviewer always sees all of it on
one line (a piece longer than the width stands alone on its line and overflows).
"""

from __future__ import annotations

from collections.abc import Sequence

WIDTH = 100
HANGING = 4  # how much further than the first line a continuation line is indented


def fit(
    pieces: Sequence[str], *, indent: str = "", hanging: str | None = None, width: int = WIDTH
) -> list[str]:
    """Join `pieces` with single spaces into lines of at most `width` columns."""
    continuation = indent + " " * HANGING if hanging is None else hanging
    lines: list[str] = []
    current = ""
    for piece in pieces:
        if not piece:
            continue
        if not current:
            current = (continuation if lines else indent) + piece
        elif len(current) + 1 + len(piece) <= width:
            current += " " + piece
        else:
            lines.append(current)
            current = continuation + piece
    return [*lines, current] if current or not lines else lines


def fit_text(text: str, *, hanging: str | None = None, width: int = WIDTH) -> list[str]:
    """Free text wrapped between words; its leading spaces indent every line."""
    indent = text[: len(text) - len(text.lstrip(" "))]
    return fit(text.split(), indent=indent, hanging=hanging, width=width)


def clauses(text: str, separator: str = ", ") -> list[str]:
    """`a, b, c` as the pieces `a,` `b,` `c`: a list wraps between its entries, not inside."""
    parts = text.split(separator)
    ending = separator.rstrip()
    return [part + ending for part in parts[:-1]] + parts[-1:]
