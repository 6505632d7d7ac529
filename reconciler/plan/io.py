"""Saved plans: the JSON form of a `Plan`, its digest, and loading that refuses what is not ours.

The digest is the sha256 of the canonical JSON of every field but `digest` itself: compact,
UTF-8, fields in the order of the schema. `load_plan` validates strictly (unknown or missing
keys, a string where a number belongs: refused) and recomputes the digest over what it read,
so any edit of a value is refused, as are other format versions and anything that is not a
plan; reformatting the file or reordering its keys changes nothing that matters and passes.
Every refusal is a one-line `PlanFileError` that says what to do.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from reconciler.errors import PlanFileError
from reconciler.plan.model import FORMAT_VERSION, Plan, PlanItem

_PLAN = TypeAdapter(Plan)
_ITEMS = TypeAdapter(tuple[PlanItem, ...])
_ITEMS_PER_SLICE = 2000
_REPLAN = "run `reconciler plan --out FILE` again"


def plan_to_data(plan: Plan) -> dict[str, Any]:
    """The plan as JSON-ready data (what `dump_plan` writes)."""
    data: dict[str, Any] = _PLAN.dump_python(plan, mode="json")
    return data


def plan_digest(plan: Plan) -> str:
    """sha256 of the canonical JSON of every field but `digest`: compact, fields in the
    schema's order, UTF-8 (pydantic's serializer).

    The items are serialised and hashed a slice at a time: the JSON of 100,000 items in one
    piece was the peak of a whole plan (about 150 MB). The bytes hashed are the same."""
    digest = hashlib.sha256()
    outline = _PLAN.dump_json(dataclasses.replace(plan, items=()), exclude={"digest"})
    # The outline's first `"items":[]` is the field itself: a string value before it would
    # hold its quotes escaped.
    before, found, after = outline.partition(b'"items":[]')
    assert found, "a plan's JSON always has its items"
    digest.update(before + b'"items":[')
    for start in range(0, len(plan.items), _ITEMS_PER_SLICE):
        chunk = _ITEMS.dump_json(plan.items[start : start + _ITEMS_PER_SLICE])
        digest.update((b"," if start else b"") + chunk[1:-1])
    digest.update(b"]" + after)
    return digest.hexdigest()


def dump_plan(plan: Plan) -> str:
    """The saved form: top-level fields one per line, one item per line (reviewable diffs)."""
    data = plan_to_data(plan)
    lines = []
    for key, value in data.items():
        if key in ("items", "unmanaged_aliases") and value:
            inner = ",\n".join("    " + json.dumps(v, ensure_ascii=False) for v in value)
            lines.append(f"  {json.dumps(key)}: [\n{inner}\n  ]")
        else:
            lines.append(f"  {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}")
    return "{\n" + ",\n".join(lines) + "\n}\n"


def load_plan(text_or_path: str | os.PathLike[str]) -> Plan:
    """A plan from its JSON text, or from a file when given a path (or a string that is not
    JSON). Refuses, with a one-line `PlanFileError`, anything that is not an unedited plan of
    this format version."""
    origin, text = _read(text_or_path)
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise PlanFileError(f"{origin}: not a plan (not JSON); {_REPLAN}") from None
    if not isinstance(data, dict) or "format_version" not in data or "items" not in data:
        raise PlanFileError(f"{origin}: not a reconciler plan; {_REPLAN}")
    version = data["format_version"]
    if version != FORMAT_VERSION or isinstance(version, bool):
        raise PlanFileError(
            f"{origin}: plan format_version {version!r} is not {FORMAT_VERSION}, the only one "
            f"this reconciler reads; re-plan: {_REPLAN} with this version"
        )
    try:
        # Strict: "100" is not a size; an edit must not slip through by coercion.
        plan = _PLAN.validate_json(text, strict=True)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise PlanFileError(
            f"{origin}: not a valid plan ({where}: {first['msg']}); {_REPLAN}"
        ) from None
    if plan.digest != plan_digest(plan):
        raise PlanFileError(
            f"{origin}: the plan's digest does not match its content (edited by hand or "
            f"damaged); {_REPLAN} and review that"
        )
    return plan


def _read(source: str | os.PathLike[str]) -> tuple[str, str]:
    if isinstance(source, str) and source.lstrip().startswith(("{", "[")):
        return "plan", source
    path = Path(source)
    try:
        return str(path), path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise PlanFileError(f"{path}: not a plan (not UTF-8 text); {_REPLAN}") from None
    except OSError as exc:
        raise PlanFileError(f"{path}: cannot read the plan: {exc.strerror or exc}") from None


def plan_json_schema() -> dict[str, Any]:
    """The JSON Schema of a saved plan (committed as `schemas/plan.schema.json`)."""
    schema: dict[str, Any] = _PLAN.json_schema(mode="serialization")
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}
    schema["title"] = "reconciler plan"
    schema["description"] = (
        "A saved plan of `reconciler plan --out`: what apply will do, item by item. "
        f"format_version {FORMAT_VERSION}; `digest` is the sha256 of the canonical JSON "
        "(compact, UTF-8, fields in this schema's order) of every other field."
    )
    return schema


def plan_schema_text() -> str:
    """The committed form of `plan_json_schema()`."""
    return json.dumps(plan_json_schema(), indent=2, ensure_ascii=False) + "\n"
