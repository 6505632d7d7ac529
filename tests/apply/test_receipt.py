"""The receipt is streamed record by record; its text must be exactly what one `json.dumps`
of the whole document gives, whatever the number of jobs and items."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.apply import receipt
from reconciler.apply.outcome import ItemOutcome, Result
from reconciler.manifest.models import Mode
from reconciler.plan.model import (
    Action,
    ExportProperties,
    ExportSettings,
    PlanItem,
    ReasonCode,
)
from reconciler.redact import register_secret

RUN = receipt.RunInfo(
    run_id="20261122T000000Z-abcdef",
    tool_version="0.test",
    endpoint="https://api.example/v2",
    manifests_commit=None,
    manifests_digest="d" * 64,
    plan_digest="p" * 64,
    saved_plan=None,
    started_at="2026-11-22T00:00:00+00:00",
    finished_at="2026-11-22T00:01:00+00:00",
)


SETTINGS = ExportSettings(
    platform="aws-us",
    project="lab/p",
    volume="lab/out",
    mode=Mode.MOVE,
    overwrite=False,
    properties=ExportProperties("AES256", None, None, None),
    object_uri_prefix="s3://out/",
)


def outcome(n: int, result: Result, job: str | None) -> ItemOutcome:
    item = PlanItem(
        action=Action.MOVE,
        reason_code=ReasonCode.DESTINATION_EMPTY,
        reason="nothing at the destination",
        file_id=f"{n:024x}",
        path=f"a/f{n}.bam",
        size=10 + n,
        location=f"a/f{n}.bam",
        settings=SETTINGS,
        declared_at=("m.yaml:3:5",),
        fingerprint="f",
    )
    return ItemOutcome(item, result=result, job_id=job, job_state="COMPLETED" if job else None)


@pytest.mark.parametrize("count", [0, 1, 3, 2001])
def test_the_streamed_receipt_is_json_with_an_item_a_line(tmp_path: Path, count: int) -> None:
    outcomes = [outcome(n, Result.COMPLETED, f"job-{n}") for n in range(count)]
    outcomes.append(outcome(count, Result.BLOCKED, None))  # no job: none in its record
    path = receipt.write(tmp_path, outcomes, RUN, exit_code=1)
    text = path.read_text(encoding="utf-8")
    document = json.loads(text)
    lines = text.splitlines()
    items_at = lines.index('  "items": [')
    assert len(lines) == items_at + 1 + len(outcomes) + 2  # an item a line, then "]" and "}"
    assert [(i["file"], i["volume"], i["location"]) for i in document["items"]] == [
        (f"{n:024x}", "lab/out", f"a/f{n}.bam") for n in range(count + 1)
    ]
    assert [i.get("job") for i in document["items"]] == [
        *(f"job-{n}" for n in range(count)),
        None,
    ]
    assert "job" not in document["items"][-1] and "error" not in document["items"][-1]
    assert document["items"][0]["result"] == ("completed" if count else "blocked")
    if count:
        assert document["items"][0]["object"] == {"uri": "s3://out/a/f0.bam", "size": 10}
    assert document["exit_code"] == 1 and document["run"] == RUN.run_id
    assert not (tmp_path / "receipt.json.tmp").exists()


def test_a_secret_in_an_item_is_redacted(tmp_path: Path) -> None:
    secret = "s3cr3t-receipt-value-0123456789"
    register_secret(secret)
    broken = outcome(0, Result.FAILED, "job-0")
    broken.error = f"the platform said: token {secret} refused"
    text = receipt.write(tmp_path, [broken], RUN, exit_code=1).read_text(encoding="utf-8")
    assert secret not in text
    assert "refused" in json.loads(text)["items"][0]["error"]
