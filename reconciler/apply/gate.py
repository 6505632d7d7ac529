"""The move gate: which moves of a file may be sent, given the copies of that same file.

A move deletes the platform copy of its file, so every copy of that file must be made first.
A move waits while any copy of its file is still open (to be sent, or running); it goes once
the last one has completed, and is held for good when one did not (moving first would make
that copy impossible forever). A file with no open copy lets its moves go at once, unless a
copy of it already failed in this run.

Pure bookkeeping: no I/O, no clock. Items are of any type; the gate reads their file and their
key through the two functions it is given, so it can be tested with tables of plain strings.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(slots=True)
class Release(Generic[T]):
    """What a gate event lets through: moves that may be sent now, in the order they were
    offered, and moves held with the copy that did not complete."""

    go: list[T] = field(default_factory=list)
    held: list[tuple[T, T]] = field(default_factory=list)  # (move, copy)


class MoveGate(Generic[T]):
    def __init__(self, *, file_of: Callable[[T], str], key_of: Callable[[T], str]) -> None:
        self._file_of = file_of
        self._key_of = key_of
        self._open: Counter[str] = Counter()  # file -> copies not ended yet
        self._copies: set[str] = set()  # keys of the open copies
        self._failed: dict[str, T] = {}  # file -> its first copy that did not complete
        self._waiting: dict[str, list[T]] = {}  # file -> moves waiting for its copies

    def expect_copy(self, copy: T) -> None:
        """A copy that will be sent or is running: moves of its file wait for it. Announcing
        one twice changes nothing (a saved plan's copies are announced before they are read,
        and again when they arrive)."""
        key = self._key_of(copy)
        if key in self._copies:
            return
        self._open[self._file_of(copy)] += 1
        self._copies.add(key)

    def offer(self, move: T) -> Release[T]:
        """A move ready to be sent: it goes, waits for its file's copies, or is held."""
        file = self._file_of(move)
        if self._open[file]:
            self._waiting.setdefault(file, []).append(move)
            return Release()
        if file in self._failed:
            return Release(held=[(move, self._failed[file])])
        return Release(go=[move])

    def copy_ended(self, copy: T, *, ok: bool) -> Release[T]:
        """A copy completed (`ok`) or ended otherwise; anything not an open copy is ignored.
        When it was its file's last open copy, that file's waiting moves go, or are held if
        any of its copies did not complete."""
        key = self._key_of(copy)
        if key not in self._copies:
            return Release()
        self._copies.discard(key)
        file = self._file_of(copy)
        if not ok:
            self._failed.setdefault(file, copy)
        self._open[file] -= 1
        if self._open[file]:
            return Release()
        moves = self._waiting.pop(file, [])
        failed = self._failed.get(file)
        if failed is None:
            return Release(go=moves)
        return Release(held=[(move, failed) for move in moves])

    def __bool__(self) -> bool:
        """True while some move waits: a partial call of moves may still fill up."""
        return bool(self._waiting)

    def give_up(self) -> list[T]:
        """The moves still waiting (their copies did not end in time), no longer waited for."""
        waiting = [move for moves in self._waiting.values() for move in moves]
        self._waiting.clear()
        return waiting
