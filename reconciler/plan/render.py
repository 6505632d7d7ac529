"""One entry point for every rendering of a plan, shared by `plan` and `show`."""

from __future__ import annotations

import io
from typing import TextIO

from reconciler.errors import ConfigError
from reconciler.plan.io import write_plan
from reconciler.plan.model import Plan
from reconciler.plan.render_csv import write_csv
from reconciler.plan.render_html import render_html
from reconciler.plan.render_markdown import Artifacts, render_markdown
from reconciler.plan.render_text import render_text

FORMATS = ("text", "json", "markdown", "csv", "html")


def write(
    plan: Plan,
    fmt: str,
    out: TextIO,
    *,
    show_all: bool = False,
    artifacts: Artifacts | None = None,
) -> None:
    """Write the plan as `fmt` (one of FORMATS) to `out`; JSON (the saved-plan format itself)
    and CSV (the full list) item by item; HTML is one self-contained page. Any other `fmt` is
    refused, never shown as text: a caller asking for a format gets that format. `artifacts`
    names, in Markdown and HTML, where the saved plan and its full list are."""
    if fmt == "json":
        write_plan(plan, out)
    elif fmt == "csv":
        write_csv(plan, out)
    elif fmt == "html":
        out.write(render_html(plan, artifacts=artifacts))
    elif fmt == "markdown":
        out.write(render_markdown(plan, show_all=show_all, artifacts=artifacts))
    elif fmt == "text":
        out.write(render_text(plan, show_all=show_all))
    else:
        raise ConfigError(f"--format {fmt}: not a plan format; use one of {', '.join(FORMATS)}")


def render(
    plan: Plan, fmt: str, *, show_all: bool = False, artifacts: Artifacts | None = None
) -> str:
    """`write` into a string."""
    text = io.StringIO(newline="")
    write(plan, fmt, text, show_all=show_all, artifacts=artifacts)
    return text.getvalue()
