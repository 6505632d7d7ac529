"""Destinations that differ only by characters that look alike: a warning, not an error.

`results/а.vcf` with a Cyrillic `а` and `results/a.vcf` with a Latin one are two objects on the
volume, but a reviewer reading the plan sees one name twice. Two destinations are look-alikes
when their skeletons are equal and their text is not: the skeleton is the NFKC form (which folds
fullwidth letters, ligatures and other compatibility forms) with the commonest confusable
letters of the Cyrillic and Greek alphabets mapped to the Latin letter they look like (a small
part of Unicode's confusables table, the part that turns up in file names).

Only a destination with a character outside ASCII can look like another without being it (an
ASCII text is its own skeleton), so only the skeletons of those are collected first, and only
the destinations that share one are compared: a million ASCII destinations cost a set lookup
each, not a table of their skeletons.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from reconciler.errors import Diagnostic
from reconciler.manifest.models import ExportRule

_CONFUSABLE = str.maketrans(
    {
        # Cyrillic
        "а": "a", "в": "b", "е": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p",
        "с": "c", "т": "t", "у": "y", "х": "x", "і": "i", "ј": "j", "ѕ": "s", "ԁ": "d",
        "ԛ": "q", "ԝ": "w", "ү": "y", "һ": "h",
        "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P",
        "С": "C", "Т": "T", "Х": "X", "І": "I", "Ј": "J", "Ѕ": "S", "Ү": "Y",
        # Greek
        "α": "a", "ο": "o", "ν": "v", "ρ": "p", "ι": "i", "κ": "k", "τ": "t", "υ": "u",
        "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M",
        "Ν": "N", "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X",
    }
)  # fmt: skip


def skeleton(text: str) -> str:
    """What `text` looks like: equal skeletons read the same to a reviewer."""
    return unicodedata.normalize("NFKC", text).translate(_CONFUSABLE)


def _key(rule: ExportRule) -> tuple[str, str]:
    return (skeleton(rule.volume), skeleton(rule.location))


def lookalike_warnings(rules: Sequence[ExportRule]) -> list[Diagnostic]:
    """One warning per destination (volume and location as declared) that looks like an
    earlier one without being it, at the later declaration."""
    suspects = {
        _key(rule) for rule in rules if not (rule.volume.isascii() and rule.location.isascii())
    }
    if not suspects:
        return []
    seen: dict[tuple[str, str], tuple[str, str, ExportRule]] = {}
    found: list[Diagnostic] = []
    for rule in rules:
        ascii_text = rule.volume.isascii() and rule.location.isascii()
        key = (rule.volume, rule.location) if ascii_text else _key(rule)
        if key not in suspects:
            continue
        first = seen.setdefault(key, (rule.volume, rule.location, rule))
        if (first[0], first[1]) == (rule.volume, rule.location):
            continue
        at, other = rule.location_at, first[2].location_at
        found.append(
            Diagnostic(
                at.file,
                at.line,
                at.column,
                f"destination {rule.volume}:{rule.location!a} looks like "
                f"{first[0]}:{first[1]!a} ({other.file}:{other.line}) but differs in "
                "look-alike characters; they are two different objects",
                "lookalike-destination",
            )
        )
    return found
