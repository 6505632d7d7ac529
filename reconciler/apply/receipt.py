"""The receipt: one JSON document per apply, written next to the journal (`receipt.json`).

It says who applied what and what came of it: tool version, the manifests' commit and digest,
the plan's digest, the CI pipeline and user from GitLab's variables when present, and every
item with its result, its job and the job's final state, and for each exported file the
object's URI and size. Written atomically and redacted, one item per line (a receipt of
1,000,000 items must stay a few hundred bytes an item); an item leaves out what it does not
have (no job, no error). Each item carries its `reason` code beside its `result`
(docs/reference/reasons.md lists them). A receipt that cannot be written leaves no temporary
file behind.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler.apply.outcome import ItemOutcome, Result
from reconciler.errors import StateError
from reconciler.redact import redact

RECEIPT_NAME = "receipt.json"
# 2: no `jobs` list (each item names its job and state); items one per line, without `key`
# (the file, volume and location are the key) and without empty fields.
RECEIPT_VERSION = 2
_RECORDS_PER_WRITE = 1000
# GitLab's predefined CI/CD variables, as the receipt names them.
GITLAB_VARIABLES = {
    "pipeline_id": "CI_PIPELINE_ID",
    "pipeline_url": "CI_PIPELINE_URL",
    "user": "GITLAB_USER_LOGIN",
    "commit_sha": "CI_COMMIT_SHA",
    "job_url": "CI_JOB_URL",
}


@dataclass(frozen=True, slots=True)
class RunInfo:
    run_id: str
    tool_version: str
    endpoint: str  # several platforms: `platform=endpoint` for each, comma-separated
    manifests_commit: str | None
    manifests_digest: str
    plan_digest: str
    saved_plan: str | None
    started_at: str
    finished_at: str
    ci: dict[str, str] | None = None  # `ci_info` of the run's environment
    # apply --reviewed-sources: every plan the reviewed plan was agreed from, and the exports
    # not every one of them showed (never sent).
    reviewed: Mapping[str, Any] | None = None


def ci_info(env: Mapping[str, str]) -> dict[str, str] | None:
    found = {name: env[var] for name, var in GITLAB_VARIABLES.items() if env.get(var)}
    return found or None


def item_record(outcome: ItemOutcome) -> dict[str, Any]:
    """One item as the receipt and the JSON report show it: what it is, its result and the
    reason code, then what it has of its job, the platform's code, the error and the object."""
    item = outcome.item
    record: dict[str, Any] = {
        "platform": item.platform,
        "file": item.file_id,
        "project": item.settings.project,
        "path": item.path,
        "volume": item.settings.volume,
        "location": item.location,
        "mode": str(item.mode),
        "action": str(item.action),
        "result": str(outcome.result) if outcome.result else None,
        "reason": str(outcome.reason) if outcome.reason else None,
    }
    for name, value in (
        ("job", outcome.job_id),
        ("job_state", outcome.job_state),
        ("platform_code", outcome.platform_code),
        ("error", outcome.error),
    ):
        if value is not None:
            record[name] = value
    if outcome.result in (Result.COMPLETED, Result.IN_SYNC):
        size = outcome.object_size if outcome.object_size is not None else item.size
        record["object"] = {"uri": item.object_uri, "size": size}
    return record


def header(run: RunInfo, *, exit_code: int) -> dict[str, Any]:
    """Everything but the two long lists (`jobs`, `items`), which `write` streams."""
    return {
        "receipt_version": RECEIPT_VERSION,
        "run": run.run_id,
        "tool_version": run.tool_version,
        "endpoint": run.endpoint,
        "manifests": {"commit": run.manifests_commit, "digest": run.manifests_digest},
        "plan": {"digest": run.plan_digest, "file": run.saved_plan},
        **({"reviewed": dict(run.reviewed)} if run.reviewed is not None else {}),
        "ci": run.ci,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "exit_code": exit_code,
    }


def write(
    state_dir: Path, outcomes: Sequence[ItemOutcome], run: RunInfo, *, exit_code: int
) -> Path:
    """Write the receipt atomically: the header indented, then the items, a compact line
    each, written record by record (built whole, a receipt of 100,000 items cost about 300 MB
    at the end of an apply, more than the rest of the run)."""
    path = state_dir / RECEIPT_NAME
    tmp = path.with_suffix(".json.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as handle:
            head = json.dumps(header(run, exit_code=exit_code), indent=2)
            handle.write(redact(head[: -len("\n}")]))
            handle.write(',\n  "items": [')
            # Redacted a batch at a time: a secret lies inside one record's strings, and one
            # `redact` per record would cost more than the JSON itself.
            batch: list[str] = []
            written = 0
            for outcome in outcomes:
                text = json.dumps(item_record(outcome), separators=(",", ":"), ensure_ascii=False)
                batch.append(f"{',' if written else ''}\n    {text}")
                written += 1
                if len(batch) == _RECORDS_PER_WRITE:
                    handle.write(redact("".join(batch)))
                    batch.clear()
            handle.write(redact("".join(batch)))
            handle.write("\n  ]" if written else "]")
            handle.write("\n}\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        # A full disk leaves a partial (or empty) temporary file: it is not a receipt.
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise StateError(f"{path}: cannot write the receipt: {exc.strerror or exc}") from exc
    return path
