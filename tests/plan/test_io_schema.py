"""Saved plans: dump/load round trip, refusals without tracebacks, the committed schema."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.errors import PlanFileError
from reconciler.manifest.models import Mode
from reconciler.plan.io import (
    dump_plan,
    load_plan,
    plan_digest,
    plan_json_schema,
    plan_schema_text,
)
from reconciler.plan.model import FORMAT_VERSION, Plan, PlatformTarget
from reconciler.plan.planner import PlanContext, build_plan
from reconciler.plan.records import LIST_FIELDS

from .helpers import VOLUME, fid, file, job, live, manifests, rule

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_FILE = ROOT / "schemas" / "plan.schema.json"


def sample_plan() -> Plan:
    rules = (
        rule(fid(1), location="a/{name}"),
        rule(fid(2), mode=Mode.COPY, location="ü/{name}"),
        rule(fid(3)),
        rule(fid(4), location="x"),
    )
    state = live(
        [file(1), file(2), file(3)],
        missing_ids=[fid(4)],
        jobs=[job("j1", 3, "out/f3.bam", properties={"sse_algorithm": None})],
        unmanaged=[file(9, "old/x.bam", alias=(VOLUME, "old/x.bam"))],
    )
    return build_plan(manifests(*rules), state, context=PlanContext("1.0", manifests_commit="c0"))


def test_round_trip() -> None:
    plan = sample_plan()
    assert load_plan(dump_plan(plan)) == plan


def test_round_trip_through_a_file(tmp_path: Path) -> None:
    plan = sample_plan()
    target = tmp_path / "plan.json"
    target.write_text(dump_plan(plan), encoding="utf-8")
    assert load_plan(target) == plan
    assert load_plan(str(target)) == plan


def test_reformatting_a_plan_keeps_it_valid() -> None:
    plan = sample_plan()
    assert load_plan(json.dumps(json.loads(dump_plan(plan)), indent=4, sort_keys=True)) == plan


def _item_lines(text: str) -> list[str]:
    lines = text.splitlines()
    start = lines.index('  "items": [') + 1
    return lines[start : lines.index("  ],", start)]


def test_the_saved_form_is_one_item_per_line() -> None:
    plan = sample_plan()
    item_lines = _item_lines(dump_plan(plan))
    assert len(item_lines) == len(plan.items)
    first = json.loads(item_lines[0].rstrip(","))
    assert "settings" in first and "job_id" not in first  # unset fields are left out


def test_canonical_text_is_read_line_by_line_not_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    import reconciler.plan.io as plan_io

    def whole(*_args: object) -> Plan:
        raise AssertionError("a canonical plan was read whole")

    monkeypatch.setattr(plan_io, "_read_whole", whole)
    plan = sample_plan()
    assert load_plan(dump_plan(plan)) == plan


# Edits of the data, applied both to the reformatted JSON (read whole) and, where the edit
# keeps one item per line, to the saved text itself (read line by line).
EDITS = [
    lambda d: d["items"][0].update(location="elsewhere"),
    lambda d: d["items"][0].update(settings=1),
    lambda d: d["items"][0].update(action="copy"),
    lambda d: d["items"].pop(),
    lambda d: d["settings"][0].update(overwrite=True),
    lambda d: d["summary"][0].update(count=0),
    lambda d: d.update(manifests_digest="0" * 64),
    lambda d: d["items"][0].update(fingerprint="0" * 16),
]


@pytest.mark.parametrize("edit", EDITS)
def test_a_hand_edit_is_refused(edit: object) -> None:
    data = json.loads(dump_plan(sample_plan()))
    edit(data)  # type: ignore[operator]
    with pytest.raises(PlanFileError, match="edited by hand"):
        load_plan(json.dumps(data))


@pytest.mark.parametrize("edit", EDITS)
def test_a_hand_edit_of_the_saved_text_is_refused(edit: object) -> None:
    text = dump_plan(sample_plan())
    data = json.loads(text)
    edit(data)  # type: ignore[operator]
    edited = _canonical_layout(data)
    assert edited != text
    with pytest.raises(PlanFileError, match="edited by hand"):
        load_plan(edited)


def _canonical_layout(data: dict[str, object]) -> str:
    """`data` laid out as `write_plan` lays out a plan (compact values, a line per entry)."""
    lines = []
    for key, value in data.items():
        compact = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
        if key in LIST_FIELDS and isinstance(value, list) and value:
            inner = ",\n".join(
                "    " + json.dumps(v, separators=(",", ":"), ensure_ascii=False) for v in value
            )
            compact = "[\n" + inner + "\n  ]"
        lines.append(f"  {json.dumps(key)}: {compact}")
    return "{\n" + ",\n".join(lines) + "\n}\n"


def test_the_layout_helper_reproduces_the_saved_text() -> None:
    text = dump_plan(sample_plan())
    assert _canonical_layout(json.loads(text)) == text


def test_a_duplicated_key_is_refused_even_when_its_last_value_is_the_planned_one() -> None:
    """What a reviewer reads first must be what is applied: a second `location` that repeats
    the planned value after a different one is still refused."""
    text = dump_plan(sample_plan())
    line = _item_lines(text)[0]
    planned = json.loads(line.rstrip(","))["location"]
    doubled = line.replace(
        f'"location":{json.dumps(planned)}',
        f'"location":"elsewhere/x.bam","location":{json.dumps(planned)}',
    )
    assert doubled != line
    with pytest.raises(PlanFileError, match="'location' appears twice"):
        load_plan(text.replace(line, doubled))


def test_a_settings_index_out_of_range_is_refused() -> None:
    data = json.loads(dump_plan(sample_plan()))
    data["items"][0]["settings"] = 99
    for text in (json.dumps(data), _canonical_layout(data)):
        with pytest.raises(PlanFileError, match=r"items\.0\.settings: no settings 99"):
            load_plan(text)


def test_an_added_key_is_refused() -> None:
    data = json.loads(dump_plan(sample_plan()))
    data["items"][0]["note"] = "looks fine to me"
    for text in (json.dumps(data), _canonical_layout(data)):
        with pytest.raises(PlanFileError, match="not a valid plan"):
            load_plan(text)


def test_a_coerced_value_is_refused() -> None:
    data = json.loads(dump_plan(sample_plan()))
    data["items"][0]["size"] = str(data["items"][0]["size"])
    for text in (json.dumps(data), _canonical_layout(data)):
        with pytest.raises(PlanFileError, match="not a valid plan"):
            load_plan(text)


@pytest.mark.parametrize("version", [FORMAT_VERSION - 1, FORMAT_VERSION + 1])
def test_another_format_version_is_refused(version: int) -> None:
    """Version 1 plans (one endpoint, items without a platform) are older: re-plan."""
    data = json.loads(dump_plan(sample_plan()))
    data["format_version"] = version
    with pytest.raises(PlanFileError, match=f"is not {FORMAT_VERSION}, .*; re-plan"):
        load_plan(json.dumps(data))


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "{",
        "[]",
        "{}",
        "null",
        '{"format_version": 1}',
        '{"format_version": 1, "items": "x", "digest": 3}',
        '{"format_version": true, "items": []}',
        '{"format_version": 1, "items": [], "digest": "' + "0" * 64 + '"}',
        "[" * 100_000,
        "{" + '"a":' * 50_000,
        "\x00\xff",
    ],
)
def test_garbage_is_one_line_error(garbage: str, tmp_path: Path) -> None:
    saved = tmp_path / "plan.json"
    saved.write_text(garbage, encoding="utf-8")
    for source in (saved, garbage):
        if isinstance(source, str) and not source.lstrip().startswith(("{", "[")):
            continue  # a string that is not JSON is taken as a path
        with pytest.raises(PlanFileError) as info:
            load_plan(source)
        assert "\n" not in str(info.value)


def test_unreadable_paths(tmp_path: Path) -> None:
    with pytest.raises(PlanFileError, match="cannot read"):
        load_plan(tmp_path / "missing.json")
    with pytest.raises(PlanFileError, match="cannot read"):
        load_plan(tmp_path)
    binary = tmp_path / "binary"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(PlanFileError, match="not UTF-8"):
        load_plan(binary)


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_arbitrary_text_never_raises_anything_else(text: str) -> None:
    if not text.lstrip().startswith(("{", "[")):
        text = "{" + text
    with pytest.raises(PlanFileError):
        load_plan(text)


@settings(max_examples=100, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(),
        lambda c: st.lists(c) | st.dictionaries(st.text(), c),
    )
)
@pytest.mark.slow
def test_arbitrary_json_never_raises_anything_else(value: object) -> None:
    with pytest.raises(PlanFileError):
        load_plan(json.dumps({"format_version": 1, "items": value, "digest": "x"}))


def test_committed_schema_is_current() -> None:
    if os.environ.get("RECONCILER_UPDATE_SCHEMAS"):
        SCHEMA_FILE.write_text(plan_schema_text(), encoding="utf-8")
    assert SCHEMA_FILE.read_text(encoding="utf-8") == plan_schema_text(), (
        "schemas/plan.schema.json is stale: run "
        "RECONCILER_UPDATE_SCHEMAS=1 .venv/bin/pytest tests/plan/test_io_schema.py"
    )


def test_a_saved_plan_validates_against_the_schema(tmp_path: Path) -> None:
    saved = tmp_path / "plan.json"
    saved.write_text(dump_plan(sample_plan()), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--schemafile", str(SCHEMA_FILE), str(saved)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_schema_describes_every_action() -> None:
    schema = plan_json_schema()
    assert schema["$defs"]["Action"]["enum"] == [
        "move",
        "copy",
        "replace",
        "in-sync",
        "in-flight",
        "blocked",
    ]
    assert schema["properties"]["format_version"]["type"] == "integer"


@pytest.mark.parametrize("count", [0, 1, 4, 4999])
def test_the_digest_is_the_sha256_of_the_canonical_text_before_it(count: int) -> None:
    """What the schema's description promises: the digest covers the saved text up to the
    digest field, whatever a value holds (a URL that spells a field name included)."""
    plan = sample_plan()
    items = (plan.items * (count // len(plan.items) + 1))[:count]
    odd = PlatformTarget('https://x/"items":[]/v2', 'https://x/"items":[]/v2')
    plan = dataclasses.replace(plan, items=items, platforms=(odd,))
    text = dump_plan(dataclasses.replace(plan, digest=plan_digest(plan)))
    before, found, _ = text.rpartition(',\n  "digest": ')
    assert found
    assert plan_digest(plan) == hashlib.sha256(before.encode()).hexdigest()
