"""One entry point for every rendering of a plan, shared by `plan` and `show`."""

from __future__ import annotations

from reconciler.errors import ConfigError
from reconciler.plan.io import dump_plan
from reconciler.plan.model import Plan
from reconciler.plan.render_markdown import render_markdown
from reconciler.plan.render_text import render_text

FORMATS = ("text", "json", "markdown")


def render(plan: Plan, fmt: str, *, show_all: bool = False) -> str:
    """The plan as `fmt` (one of FORMATS); JSON is the saved-plan format itself. Any other
    `fmt` is refused, never shown as text: a caller asking for a format gets that format."""
    if fmt == "json":
        return dump_plan(plan)
    if fmt == "markdown":
        return render_markdown(plan, show_all=show_all)
    if fmt == "text":
        return render_text(plan, show_all=show_all)
    raise ConfigError(f"--format {fmt}: not a plan format; use one of {', '.join(FORMATS)}")
