"""Globs over paths inside a project (wcmatch does the matching).

`*` and `?` stay within one folder level, `**` matches zero or more levels, `[abc]` classes
work, matching is case-sensitive and dot files are not special. Only files match, never
folders: that is the caller's filter, since a glob sees only paths.
"""

from __future__ import annotations

from collections.abc import Callable

from wcmatch import glob as _wcglob

_FLAGS = _wcglob.GLOBSTAR | _wcglob.DOTMATCH | _wcglob.CASE


def compile_glob(pattern: str, exclude: tuple[str, ...] = ()) -> Callable[[str], bool]:
    """A predicate that is true for paths matching `pattern` and none of `exclude`."""
    matcher = _wcglob.compile(pattern, flags=_FLAGS, exclude=list(exclude) or None)
    return matcher.match


def static_prefix(pattern: str) -> str:
    """The leading folders of `pattern` that hold no wildcard: the only place to look.

    `results/*/counts.tsv` -> `results`; `**/x` -> ``; `a/b/c.txt` -> `a/b`.
    """
    parts = pattern.split("/")[:-1]
    fixed: list[str] = []
    for part in parts:
        if _wcglob.is_magic(part, flags=_FLAGS):
            break
        fixed.append(part)
    return "/".join(fixed)
