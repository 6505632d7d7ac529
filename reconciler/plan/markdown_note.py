"""What a Markdown note is built of: code spans that keep text from manifests and the platform
text, and a note with a hard size budget whose sections are cut to fit, each saying how many
of its entries it left out.

A merge request's author writes the manifests and the platform names the files, so none of
their text may become markup. It is only ever written inside a code span: a code span is
shown as it is (no HTML, no emphasis, no links), and GitLab's references (`@user`, `#12`,
`!3`, `:emoji:`) are not looked for inside one. The span's fence is longer than any run of
backticks in the text, so no backtick ends it early, and control characters (a line break
would end the list item or the table row) are spelt as escapes (`render_common.printable`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence

from reconciler.plan.render_common import printable

# The longest text one code span shows: an object key is at most 1,024 bytes, and a reason
# that lists a thousand paths is cut (the CSV has it whole).
SPAN_CHARS = 1_200
_BACKTICKS = re.compile("`+")


def code(text: str, *, limit: int = SPAN_CHARS) -> str:
    """`text` as a code span, at most `limit` characters of it (then how many were left)."""
    text = printable(text)
    cut = ""
    if len(text) > limit:
        cut = f" (+{len(text) - limit} characters)"
        text = text[:limit] + "…"
    if not text:
        return "` `"
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
    fence = "`" * (longest + 1)
    # One space inside each end is dropped by the renderer: it keeps a backtick at an end of
    # the text from joining the fence, and a space there from being lost.
    pad = " " if text[0] in "` " or text[-1] in "` " else ""
    return f"{fence}{pad}{text}{pad}{fence}{cut}"


def size_of(lines: Iterable[str]) -> int:
    """Characters `lines` take in the note, a line break after each."""
    return sum(len(line) + 1 for line in lines)


class Note:
    """Lines under a budget of characters: a line that does not fit is not written."""

    def __init__(self, budget: int) -> None:
        self.lines: list[str] = []
        self.size = 0
        self.budget = budget

    @property
    def room(self) -> int:
        return self.budget - self.size

    def add(self, *lines: str) -> bool:
        """Write all of `lines`, or none of them when they do not fit."""
        size = size_of(lines)
        if size > self.room:
            return False
        self.lines += lines
        self.size += size
        return True

    def section(
        self,
        head: Sequence[str],
        entries: Iterable[tuple[str, int]],
        *,
        total: int,
        more: Callable[[int], str],
        allot: int,
        tail: Sequence[str] = (),
    ) -> int:
        """`head`, then `entries` (a line and how many of `total` it shows) while they fit in
        `allot` characters and the note, then, when some of `total` are left out, the line
        `more(left)`, then `tail` (closing lines, always written with the head). Returns how
        many were left out; the whole section is left out when not even its head, tail and
        `more` line fit. `more(n)` is no longer for a smaller `n`."""
        limit = min(allot, self.room)
        closing = size_of([*tail, more(total)])
        used = size_of(head)
        if used + closing > limit:
            return total
        self.add(*head)
        shown = 0
        for line, weight in entries:
            cost = len(line) + 1
            if used + cost + closing > limit:
                break
            self.add(line)
            used += cost
            shown += weight
        left = total - shown
        if left:
            self.add(more(left))
        self.add(*tail)
        return left
