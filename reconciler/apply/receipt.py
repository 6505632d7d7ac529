"""The receipt: one JSON document per apply, written next to the journal (`receipt.json`).

It says who applied what and what came of it: tool version, the manifests' commit and digest,
the CI pipeline and user from GitLab's variables when present, every job with its final state,
and for each exported file the object's URI and size. Written atomically and redacted.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler.apply.outcome import ItemOutcome, Result
from reconciler.errors import StateError
from reconciler.redact import redact

RECEIPT_NAME = "receipt.json"
RECEIPT_VERSION = 1
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


def ci_info(env: Mapping[str, str]) -> dict[str, str] | None:
    found = {name: env[var] for name, var in GITLAB_VARIABLES.items() if env.get(var)}
    return found or None


def item_record(outcome: ItemOutcome) -> dict[str, Any]:
    item = outcome.item
    record: dict[str, Any] = {
        "key": item.key,
        "platform": item.platform,
        "file": item.source.file_id,
        "project": item.source.project,
        "path": item.source.path,
        "volume": item.destination.volume,
        "location": item.destination.location,
        "mode": str(item.mode),
        "action": str(item.action),
        "result": str(outcome.result) if outcome.result else None,
        "job": outcome.job_id,
        "job_state": outcome.job_state,
        "error": outcome.error,
    }
    if outcome.result in (Result.COMPLETED, Result.IN_SYNC):
        size = outcome.object_size if outcome.object_size is not None else item.source.size
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
        "ci": ci_info(os.environ),
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "exit_code": exit_code,
    }


def _jobs(outcomes: Sequence[ItemOutcome]) -> Iterator[dict[str, Any]]:
    jobs = {o.job_id: o.job_state for o in outcomes if o.job_id}
    return ({"id": job, "state": state} for job, state in jobs.items())


def write(
    state_dir: Path, outcomes: Sequence[ItemOutcome], run: RunInfo, *, exit_code: int
) -> Path:
    """Write the receipt atomically. The text is exactly `json.dumps(receipt, indent=2)`, but
    the job and item lists are written record by record: built whole, a receipt of 100,000
    items cost about 300 MB at the end of an apply (the dicts, their JSON and its redacted
    copy), more than the rest of the run."""
    path = state_dir / RECEIPT_NAME
    tmp = path.with_suffix(".json.tmp")
    lists = {"jobs": _jobs(outcomes), "items": (item_record(o) for o in outcomes)}
    try:
        with open(tmp, "w", encoding="utf-8") as handle:
            head = json.dumps(header(run, exit_code=exit_code), indent=2)
            handle.write(redact(head[: -len("\n}")]))
            for name, records in lists.items():
                handle.write(f',\n  "{name}": [')
                # Redacted a batch at a time: a secret lies inside one record's strings,
                # and one `redact` per record would cost more than the JSON itself.
                batch: list[str] = []
                written = 0
                for record in records:
                    text = json.dumps(record, indent=2).replace("\n", "\n    ")
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
        raise StateError(f"{path}: cannot write the receipt: {exc.strerror}") from exc
    return path
