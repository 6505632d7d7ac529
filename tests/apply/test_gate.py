"""The move gate as a table: copies expected, then a script of events (a move offered, a copy
ended), and which moves went, which were held (by which copy) and which still wait.

Items are plain strings `file:name`; the gate reads the file before the colon."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from reconciler.apply.gate import MoveGate


@dataclass(frozen=True)
class Offer:
    move: str


@dataclass(frozen=True)
class CopyEnded:
    copy: str
    ok: bool


@dataclass(frozen=True)
class Row:
    copies: tuple[str, ...]
    events: tuple[Offer | CopyEnded, ...]
    went: tuple[str, ...] = ()
    held: tuple[tuple[str, str], ...] = ()  # (move, copy that did not complete)
    waiting: tuple[str, ...] = ()


ROWS = {
    "no copy of the file: the move goes at once": Row(
        copies=(),
        events=(Offer("f:m"),),
        went=("f:m",),
    ),
    "a copy of another file does not gate the move": Row(
        copies=("g:c",),
        events=(Offer("f:m"),),
        went=("f:m",),
    ),
    "the move waits for the copy, and goes when it completes": Row(
        copies=("f:c",),
        events=(Offer("f:m"), CopyEnded("f:c", ok=True)),
        went=("f:m",),
    ),
    "the move waits for every copy of its file": Row(
        copies=("f:c1", "f:c2"),
        events=(Offer("f:m"), CopyEnded("f:c1", ok=True)),
        waiting=("f:m",),
    ),
    "the last copy completing lets every waiting move go, in the order offered": Row(
        copies=("f:c1", "f:c2"),
        events=(
            Offer("f:m2"),
            Offer("f:m1"),
            CopyEnded("f:c2", ok=True),
            CopyEnded("f:c1", ok=True),
        ),
        went=("f:m2", "f:m1"),
    ),
    "a failed copy holds the move once the last copy has ended": Row(
        copies=("f:c1", "f:c2"),
        events=(Offer("f:m"), CopyEnded("f:c1", ok=False), CopyEnded("f:c2", ok=True)),
        held=(("f:m", "f:c1"),),
    ),
    "a failed copy holds a move offered after it": Row(
        copies=("f:c",),
        events=(CopyEnded("f:c", ok=False), Offer("f:m")),
        held=(("f:m", "f:c"),),
    ),
    "the first copy that failed is the one named": Row(
        copies=("f:c1", "f:c2"),
        events=(Offer("f:m"), CopyEnded("f:c2", ok=False), CopyEnded("f:c1", ok=False)),
        held=(("f:m", "f:c2"),),
    ),
    "a completed copy lets a move offered after it go": Row(
        copies=("f:c",),
        events=(CopyEnded("f:c", ok=True), Offer("f:m")),
        went=("f:m",),
    ),
    "a copy that ends twice counts once": Row(
        copies=("f:c1", "f:c2"),
        events=(Offer("f:m"), CopyEnded("f:c1", ok=True), CopyEnded("f:c1", ok=True)),
        waiting=("f:m",),
    ),
    "anything not an expected copy ending is ignored": Row(
        copies=("f:c",),
        events=(Offer("f:m"), CopyEnded("f:other", ok=False)),
        waiting=("f:m",),
    ),
    "a copy that never ends leaves its moves waiting": Row(
        copies=("f:c", "g:c"),
        events=(Offer("f:m"), Offer("g:m"), CopyEnded("g:c", ok=True)),
        went=("g:m",),
        waiting=("f:m",),
    ),
}


def _file(item: str) -> str:
    return item.split(":")[0]


@pytest.mark.parametrize("row", ROWS.values(), ids=ROWS.keys())
def test_move_gate(row: Row) -> None:
    gate: MoveGate[str] = MoveGate(file_of=_file, key_of=lambda item: item)
    for copy in row.copies:
        gate.expect_copy(copy)
    went: list[str] = []
    held: list[tuple[str, str]] = []
    for event in row.events:
        if isinstance(event, Offer):
            release = gate.offer(event.move)
        else:
            release = gate.copy_ended(event.copy, ok=event.ok)
        went += release.go
        held += release.held
    assert tuple(went) == row.went
    assert tuple(held) == row.held
    assert bool(gate) is bool(row.waiting)
    assert tuple(gate.give_up()) == row.waiting
    assert not gate
