"""Guards: limits on how much one apply may move, checked before any write.

Limits come from the command line (`--max-moves`, `--max-bytes`) and from the manifests
(`guards`, already reduced to the smallest by the planner into `Plan.guards`); the smallest
of each wins. All three are one type, the manifests' `Guards`, and a size on the command line
is read by the same validator as in a manifest. Only moves count: a move deletes the platform
copy, a copy loses nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from pydantic import ByteSize, ValidationError

from reconciler.errors import ConfigError, GuardError
from reconciler.manifest.models import Mode
from reconciler.plan.model import Guards, PlanItem
from reconciler.plan.render_common import human_bytes

Limit = TypeVar("Limit", bound=int)


def parse_size(text: str) -> ByteSize:
    """`500GB`, `1.5TiB`, `1024` -> bytes, as a manifest's `guards.max_bytes` reads them (a
    ConfigError naming the value otherwise)."""
    try:
        size = Guards.model_validate({"max_bytes": text.strip()}).max_bytes
    except ValidationError:
        size = None
    if size is None:
        raise ConfigError(
            f"--max-bytes {text!r}: not a size; use a number of bytes or e.g. 500GB, 1.5TiB"
        )
    return size


def smallest(*limits: Limit | None) -> Limit | None:
    present = [limit for limit in limits if limit is not None]
    return min(present) if present else None


NONE = Guards(max_moves=None, max_bytes=None)


def tightest(*found: Guards) -> Guards:
    """The smallest of each limit among `found`."""
    return Guards(
        max_moves=smallest(*(g.max_moves for g in found)),
        max_bytes=smallest(*(g.max_bytes for g in found)),
    )


def check(items: Iterable[PlanItem], limits: Guards) -> None:
    """Raise GuardError when the moves among `items` exceed a limit."""
    moves = [item for item in items if item.mode == Mode.MOVE]
    count = len(moves)
    size = sum(item.source.size or 0 for item in moves)
    if limits.max_moves is not None and count > limits.max_moves:
        raise GuardError(
            f"the plan moves {count} file{'s' if count != 1 else ''}, more than the limit of "
            f"{limits.max_moves} (--max-moves / guards.max_moves); nothing was applied"
        )
    if limits.max_bytes is not None and size > limits.max_bytes:
        raise GuardError(
            f"the plan moves {human_bytes(size)} ({size} bytes), more than the limit of "
            f"{human_bytes(limits.max_bytes)} (--max-bytes / guards.max_bytes); "
            "nothing was applied"
        )
