"""The two scripts a careful user writes today with the official client, `sevenbridges-python`.

Both start from the resolved list of exports (`baseline.jsonl`: file id, volume, location),
skip what cannot or need not be exported (already an alias at its destination: in sync; an
alias elsewhere or a public file: skipped), record per-item refusals, and wait until every
job is COMPLETED or FAILED. The client is used as shipped, built the way its documentation
shows for scripts that must survive the rate limit: `error_handlers=[rate_limit_sleeper,
maintenance_sleeper]` (without them a 429 raises `TooManyRequests`). `rate_limit_sleeper`
sleeps until `X-RateLimit-Reset` and sends the request again; it does not pace ahead of time.

- `per_file`: for each file `api.files.get`, `api.exports.submit_export`; then for each job
  `export.reload()` until it is final (sleeping `RELOAD_PAUSE` between reloads of an unfinished
  job): about 3 calls per file.
- `bulk`: `api.files.bulk_get` in chunks of 100, `api.exports.bulk_submit` in chunks of 100,
  then rounds of `api.exports.bulk_get` over the unfinished jobs every `POLL_INTERVAL`.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import sevenbridges as sbg
from sevenbridges.errors import SbgError
from sevenbridges.http.error_handlers import maintenance_sleeper, rate_limit_sleeper

BULK = 100
POLL_INTERVAL = 5.0  # seconds between polling rounds; about as long as a job takes
RELOAD_PAUSE = 1.0  # seconds before reloading a job that was not final yet
FINAL = ("COMPLETED", "FAILED")
PUBLIC_KEY = "sbg_public_files_category"

_T = TypeVar("_T")


def read_entries(scenario: Path) -> list[dict[str, str]]:
    with (scenario / "baseline.jsonl").open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines]


def _api(url: str, token: str) -> sbg.Api:
    return sbg.Api(
        url=url,
        token=token,
        debug=True,  # plain http, for the loopback sandbox
        error_handlers=[rate_limit_sleeper, maintenance_sleeper],
    )


def _chunks(items: Sequence[_T], size: int = BULK) -> Iterator[Sequence[_T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _verdict(file: Any, entry: dict[str, str]) -> str | None:
    """Why this file is not submitted, or None when it is."""
    storage = file.storage
    if storage is not None and storage.type == "VOLUME":
        same = storage.volume == entry["volume"] and storage.location == entry["location"]
        return "in-sync" if same else "skipped: alias elsewhere"
    if PUBLIC_KEY in (file.metadata or {}):
        return "skipped: public file"
    return None


def per_file(url: str, token: str, entries: list[dict[str, str]]) -> dict[str, Any]:
    api = _api(url, token)
    outcome: Counter[str] = Counter()
    jobs = []
    for entry in entries:
        try:
            file = api.files.get(entry["file"])
        except SbgError:
            outcome["skipped: not found"] += 1
            continue
        verdict = _verdict(file, entry)
        if verdict is not None:
            outcome[verdict] += 1
            continue
        try:
            jobs.append(
                api.exports.submit_export(
                    file=file,
                    volume=entry["volume"],
                    location=entry["location"],
                    copy_only=False,
                )
            )
        except SbgError:
            outcome["refused"] += 1
    for job in jobs:
        while True:
            job.reload()
            if job.state in FINAL:
                break
            time.sleep(RELOAD_PAUSE)
        outcome[job.state.lower()] += 1
    return {"results": dict(outcome)}


def bulk(url: str, token: str, entries: list[dict[str, str]]) -> dict[str, Any]:
    api = _api(url, token)
    outcome: Counter[str] = Counter()
    to_submit: list[dict[str, Any]] = []
    for chunk in _chunks(entries):
        records = api.files.bulk_get([entry["file"] for entry in chunk])
        for entry, record in zip(chunk, records, strict=True):
            if not record.valid:
                outcome["skipped: not found"] += 1
                continue
            verdict = _verdict(record.resource, entry)
            if verdict is not None:
                outcome[verdict] += 1
                continue
            to_submit.append({**entry, "overwrite": False})
    pending: list[str] = []
    for chunk in _chunks(to_submit):
        for record in api.exports.bulk_submit(list(chunk), copy_only=False):
            if record.valid:
                pending.append(record.resource.id)
            else:
                outcome["refused"] += 1
    while pending:
        time.sleep(POLL_INTERVAL)
        still: list[str] = []
        for chunk in _chunks(pending):
            for job_id, record in zip(chunk, api.exports.bulk_get(list(chunk)), strict=True):
                state = record.resource.state if record.valid else "UNREADABLE"
                if state in FINAL or state == "UNREADABLE":
                    outcome[state.lower()] += 1
                else:
                    still.append(job_id)
        pending = still
    return {"results": dict(outcome)}
