"""The plan as one self-contained HTML page, for a reviewer who would rather look than read:
the summary (totals by action, moves marked irreversible, the plan's digest, platforms,
projects, endpoint hosts and manifests commit), two charts (bytes and files per destination
volume and top-level prefix, and per declaration, split by action), the capped risk lists
(the same as the text's), and the item list with search, filters and sort.

Self-contained: styles and the script are inline and the page loads nothing (its Content
Security Policy says so: no network, and only its own style and script, by hash, run). It
opens from a file on disk or a downloaded CI artifact.

Escaping: every text from manifests or the platform goes through `printable` (controls
spelt out, as in the text) and `html.escape`, and the item list is JSON in a
`<script type="application/json">` element with `<`, `>` and `&` escaped
(`report_data.script_json`); the script writes it with `textContent` only. The page is ASCII
(other characters as character references), whatever the encoding of the stream it is
written to.

A plan of more than `ITEM_LIST_LIMIT` items gets the summary, charts and risk lists, and is
told where the full list is (the saved plan and its CSV): the page of 1,000,000 items stays
small, and a browser opens it."""

from __future__ import annotations

import base64
import hashlib
import html
from collections.abc import Iterator
from functools import cache
from importlib import resources
from urllib.parse import urlsplit

from reconciler.plan.model import Action, Plan, RiskEntry, RiskList, UnmanagedAlias
from reconciler.plan.render_common import (
    LEGEND,
    NO_CHANGES,
    OBVIOUS_REASONS,
    destructive_warning,
    estimate_line,
    human_bytes,
    printable,
    size_label,
    summary_line,
)
from reconciler.plan.render_markdown import Artifacts
from reconciler.plan.render_review import entry_how, entry_origin, more_size, risk_title
from reconciler.plan.report_data import (
    ACTIONS,
    ITEM_LIST_LIMIT,
    Chart,
    ChartRow,
    declaration_chart,
    destination_chart,
    is_listed,
    items_document,
    script_json,
)

# What each action does, as the summary says it; a move cannot be undone.
ACTION_WORDS = {
    Action.BLOCKED: "cannot converge until the manifest or the platform changes",
    Action.REPLACE: "overwrites an object at the destination",
    Action.MOVE: "irreversible: the platform copy is deleted",
    Action.COPY: "the platform copy stays",
    Action.IN_FLIGHT: "a job is running; not submitted again",
    Action.IN_SYNC: "nothing to do",
}
UNMANAGED_SHOWN = 200
# The bars are drawn on this many units and stretched to the page's width.
BAR_UNITS = 1000


def text(value: str) -> str:
    """A value from a manifest or the platform, as text in HTML (element or attribute)."""
    return html.escape(printable(value), quote=True)


@cache
def _asset(name: str) -> str:
    return resources.files("reconciler.plan").joinpath(name).read_text(encoding="utf-8")


def _hash(source: str) -> str:
    digest = hashlib.sha256(source.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def render_html(plan: Plan, *, artifacts: Artifacts | None = None) -> str:
    """The whole page. `artifacts` names the saved plan and its CSV, which a page too long to
    list every item points at."""
    style, script = _asset("report.css"), _asset("report.js")
    listed = is_listed(plan)
    policy = f"default-src 'none'; style-src {_hash(style)}"
    if listed:
        policy += f"; script-src {_hash(script)}"
    title = "Plan: " + ", ".join(plan.projects or ("(no project)",))
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{policy}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{text(title)}</title>",
        f"<style>{style}</style>",
        "</head><body><main>",
        *_summary(plan),
        *_chart_section(
            "destinations",
            "Bytes and files per destination (volume and top-level prefix)",
            destination_chart(plan.items),
        ),
        *_chart_section(
            "declarations",
            "Bytes and files per declaration (manifest FILE:LINE and its selector)",
            declaration_chart(plan.declarations),
        ),
        *_risks(plan),
        *(_item_list(plan, script) if listed else _where_the_list_is(plan, artifacts)),
        *_unmanaged(plan.unmanaged_aliases),
        f"<footer><p>{text(LEGEND)}</p><p>{text(estimate_line(plan))}</p></footer>",
        "</main></body></html>",
    ]
    page = "\n".join(parts) + "\n"
    # ASCII only: the page reads the same whatever encoding the stream it goes to has.
    return page.encode("ascii", "xmlcharrefreplace").decode("ascii")


def _summary(plan: Plan) -> Iterator[str]:
    yield f"<h1>{text(_title(plan))}</h1>"
    yield f'<p id="summary-line"><strong>{text(summary_line(plan))}</strong></p>'
    if not plan.has_pending and not plan.has_blocked:
        yield f'<p class="ok">{text(NO_CHANGES)}</p>'
    warning = destructive_warning(plan)
    if warning:
        yield f'<p class="warning" id="destructive">{text(warning)}</p>'
    totals = {total.action: total for total in plan.summary}
    yield '<section class="cards" id="totals">'
    for action in ACTIONS:
        total = totals.get(action)
        count, size = (total.count, total.bytes) if total else (0, 0)
        words = ACTION_WORDS[action]
        note = f'<span class="irreversible">{words}</span>' if action is Action.MOVE else words
        yield (
            f'<div class="card {action.value}" data-action="{action.value}" '
            f'data-count="{count}" data-bytes="{size}">'
            f'<div class="muted">{action.value}</div><div class="n">{count:,}</div>'
            f'<div>{human_bytes(size)}</div><div class="muted">{note}</div></div>'
        )
    yield "</section>"
    yield '<dl class="facts" id="facts">'
    for name, value in _facts(plan):
        yield f"<dt>{name}</dt><dd>{value}</dd>"
    yield "</dl>"


def _title(plan: Plan) -> str:
    projects = ", ".join(plan.projects) or "(no project)"
    platforms = ", ".join(target.platform for target in plan.platforms) or "(no platform)"
    return f"Export plan for {projects} on {platforms}"


def _facts(plan: Plan) -> Iterator[tuple[str, str]]:
    yield "Plan digest", f"<code>{text(plan.digest)}</code>"
    for target in plan.platforms:
        host = _host(target.endpoint) if target.endpoint else "(no endpoint)"
        yield "Platform", f"{text(target.platform)} at <code>{text(host)}</code>"
    yield "Projects", text(", ".join(plan.projects) or "(none)")
    yield "Manifests commit", f"<code>{text(plan.manifests_commit or '(not recorded)')}</code>"
    yield "Manifests digest", f"<code>{text(plan.manifests_digest)}</code>"
    if plan.planned_at:
        yield "Planned at", text(plan.planned_at)
    yield "Tool version", text(plan.tool_version)
    guards = plan.guards
    if guards.max_moves is not None or guards.max_bytes is not None:
        moves = "no limit" if guards.max_moves is None else f"{guards.max_moves:,}"
        size = "no limit" if guards.max_bytes is None else human_bytes(guards.max_bytes)
        yield "Guards", text(f"at most {moves} moves, {size}")
    yield "Destructive items", f"{plan.destructive_count:,}"


def _host(endpoint: str) -> str:
    """The endpoint's host (and port), never its path or anything before the host."""
    try:
        parts = urlsplit(endpoint)
        host = parts.hostname
        port = parts.port
    except ValueError:
        return endpoint
    if not host:
        return endpoint
    return f"{host}:{port}" if port else host


def _legend() -> str:
    swatches = "".join(
        f'<span><span class="swatch a-{a.value}"></span>{a.value}</span>' for a in ACTIONS
    )
    return f'<div class="legend">{swatches}</div>'


def _chart_section(name: str, heading: str, chart: Chart) -> Iterator[str]:
    yield f'<h2 id="{name}">{heading}</h2>'
    if not chart.rows:
        yield '<p class="muted">Nothing to draw.</p>'
        return
    yield _legend()
    yield (
        '<p class="muted">Each row: bytes (upper bar) and files (lower bar), split by action; '
        "hover a bar for its numbers.</p>"
    )
    most_bytes = max(row.total_bytes for row in chart.rows) or 1
    most_files = max(row.total_files for row in chart.rows) or 1
    yield f'<div class="chart" id="chart-{name}" data-rows="{len(chart.rows)}">'
    for row in chart.rows:
        yield (
            f'<div class="chart-row" title="{text(row.detail)}" data-label="{text(row.label)}" '
            f'data-bytes="{row.total_bytes}" data-files="{row.total_files}">'
            f'<div class="label mono">{text(row.label)}</div><div class="bars">'
            f"{_bar(row, row.bytes, most_bytes, 'bytes')}"
            f"{_bar(row, row.files, most_files, 'files')}</div>"
            f'<div class="num">{human_bytes(row.total_bytes)}<br>'
            f"{row.total_files:,} files</div></div>"
        )
    yield "</div>"
    if chart.more:
        yield f'<p class="muted">The last row adds up the {chart.more:,} smallest.</p>'


def _bar(row: ChartRow, values: tuple[int, ...], most: int, unit: str) -> str:
    rects = []
    x = 0.0
    for action, value in zip(ACTIONS, values, strict=True):
        if not value:
            continue
        width = BAR_UNITS * value / most
        label = f"{action.value}: {row.files[ACTIONS.index(action)]:,} files, "
        label += human_bytes(row.bytes[ACTIONS.index(action)])
        rects.append(
            f'<rect class="a-{action.value}" x="{x:.2f}" y="0" width="{width:.2f}" '
            f'height="12"><title>{label}</title></rect>'
        )
        x += width
    return (
        f'<svg viewBox="0 0 {BAR_UNITS} 12" preserveAspectRatio="none" role="img" '
        f'aria-label="{unit} by action">{"".join(rects)}</svg>'
    )


def _risks(plan: Plan) -> Iterator[str]:
    yield '<h2 id="risks">Look at these first: overwrites, moves, blocked items</h2>'
    risky = [risk for risk in plan.risks if risk.count]
    if not risky:
        yield '<p class="muted">Nothing is overwritten, moved or blocked.</p>'
        return
    for risk in risky:
        yield from _risk(plan, risk)


def _risk(plan: Plan, risk: RiskList) -> Iterator[str]:
    first = f"; the first {len(risk.shown)}" if risk.more else ""
    yield f'<h3 id="risk-{risk.action.value}">{text(risk_title(risk) + first)}</h3>'
    yield f'<table class="risk" data-action="{risk.action.value}">'
    yield (
        "<thead><tr><th>Source</th><th>Destination</th><th class=num>Size</th><th>How</th>"
        "<th>Why</th><th>Declared at</th></tr></thead><tbody>"
    )
    for entry in risk.shown:
        yield _risk_row(plan, risk.action, entry)
    yield "</tbody></table>"
    if risk.more:
        where = (
            "filter the item list below by action"
            if is_listed(plan)
            else "the full list (see below) has every one"
        )
        yield f'<p class="muted">... and {risk.more:,} more{text(more_size(risk))}: {where}.</p>'


def _risk_row(plan: Plan, action: Action, entry: RiskEntry) -> str:
    origin = entry_origin(plan, entry)
    source = f"{origin}: {entry.source}" if origin else entry.source
    why = entry.reason if entry.reason_code not in OBVIOUS_REASONS else ""
    if action is Action.BLOCKED:
        why = f"[{entry.reason_code.value}] {why}"
    return (
        f'<tr><td class="mono">{text(source)}</td><td class="mono">{text(entry.destination)}</td>'
        f'<td class="num">{text(size_label(entry.size))}</td>'
        f"<td>{text(entry_how(action, entry) or entry.mode.value)}</td>"
        f'<td>{text(why)}</td><td class="mono">{text(entry.declared_at)}</td></tr>'
    )


def _item_list(plan: Plan, script: str) -> Iterator[str]:
    yield f'<h2 id="items">Every item ({len(plan.items):,})</h2>'
    yield '<div class="controls">'
    yield (
        '<input type="search" id="search" placeholder="Search source, destination, file ID, '
        'reason" aria-label="search">'
    )
    for name, every in (("action", "every action"), ("volume", "every volume")):
        yield (
            f'<select id="filter-{name}" aria-label="{name}">'
            f'<option value="-1">{every}</option></select>'
        )
    yield (
        '<select id="filter-decl" aria-label="declaration">'
        '<option value="-1">every declaration</option></select>'
    )
    yield '<strong id="items-count" data-shown="">loading...</strong></div>'
    yield (
        '<table id="items-table"><thead><tr>'
        '<th class="sortable" data-sort="action">Action</th>'
        '<th class="sortable" data-sort="source">Source</th>'
        '<th class="sortable" data-sort="destination">Destination</th>'
        '<th class="sortable num" data-sort="size">Size</th>'
        '<th class="sortable" data-sort="decl">Declared by</th>'
        '<th>Reason</th></tr></thead><tbody id="items-body"></tbody></table>'
    )
    yield (
        '<div class="pager"><button type="button" id="page-prev">previous</button>'
        '<button type="button" id="page-next">next</button><span id="page-info"></span></div>'
    )
    yield (
        '<script type="application/json" id="plan-items">'
        f"{script_json(items_document(plan))}</script>"
    )
    yield f"<script>{script}</script>"


def _where_the_list_is(plan: Plan, artifacts: Artifacts | None) -> Iterator[str]:
    yield f'<h2 id="items">Every item ({len(plan.items):,})</h2>'
    where = (
        f"More than {ITEM_LIST_LIMIT:,} items: too many to list on this page, which shows the "
        "summary, the charts and the risk lists."
    )
    if artifacts and artifacts.plan:
        full = artifacts.full_list or f"reconciler show {artifacts.plan} --format csv"
        where += (
            f" The full list is in the plan artifact <code>{text(artifacts.plan)}</code> and "
            f"its CSV <code>{text(full)}</code> (every item, one row each; it opens in a "
            "spreadsheet)."
        )
    else:
        where += (
            " Save the plan with <code>reconciler plan --out plan.json</code>: the CSV written "
            "beside it (<code>plan.csv</code>) lists every item, one row each."
        )
    yield f'<p id="full-list" class="warning">{where}</p>'


def _unmanaged(aliases: tuple[UnmanagedAlias, ...]) -> Iterator[str]:
    if not aliases:
        return
    yield f'<h2 id="unmanaged">Unmanaged aliases on managed volumes ({len(aliases):,})</h2>'
    yield '<p class="muted">No manifest declares them; the plan leaves them alone.</p>'
    yield "<table><thead><tr><th>Source</th><th>Alias</th><th class=num>Size</th></tr></thead>"
    yield "<tbody>"
    for alias in aliases[:UNMANAGED_SHOWN]:
        yield (
            f'<tr><td class="mono">{text(f"{alias.project}:{alias.path}")}</td>'
            f'<td class="mono">{text(f"{alias.volume}:{alias.location}")}</td>'
            f'<td class="num">{text(size_label(alias.size))}</td></tr>'
        )
    yield "</tbody></table>"
    if len(aliases) > UNMANAGED_SHOWN:
        yield f'<p class="muted">... and {len(aliases) - UNMANAGED_SHOWN:,} more.</p>'
