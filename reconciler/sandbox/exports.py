"""Export jobs: the per-item rules that accept or refuse an item, and what a finished job does.

An item is checked against the state at creation time (sbg-api.md): the file (exists and in
reach, not a folder, not an alias, not public), the volume (exists and in reach, active, RW,
not GCS, same location as the project) and the destination (free, or `overwrite`). Accepted
items become PENDING jobs with their deadlines fixed at creation, so a restart changes nothing.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from . import access
from .errors import ApiFailure, bad_request
from .faults import Settings
from .ids import new_export_id
from .objects import ObjectStore, location_problem
from .store import Row, Store, decode, encode

PUBLIC_KEY = "sbg_public_files_category"
DEFAULT_PROPERTIES: dict[str, Any] = {
    "sse_algorithm": "AES256",
    "sse_aws_kms_key_id": None,
    "aws_canned_acl": None,
}
SSE_ALGORITHMS = ("AES256", "aws:kms", None)


@dataclass(frozen=True)
class ExportItem:
    file_id: str
    volume: str
    location: str
    overwrite: bool
    properties: dict[str, Any]


def parse_item(item: Any) -> ExportItem:
    """The item as the API takes it; its shape problems are a 400 for this item."""
    if not isinstance(item, dict):
        raise bad_request("an export item must be an object")
    source, destination = item.get("source"), item.get("destination")
    if not isinstance(source, dict) or not isinstance(source.get("file"), str):
        raise bad_request("source.file (a file id) is required")
    if not isinstance(destination, dict) or not isinstance(destination.get("volume"), str):
        raise bad_request("destination.volume (owner/volume) is required")
    if problem := location_problem(destination.get("location")):
        raise bad_request(f"destination.{problem}")
    overwrite = item.get("overwrite", False)
    if not isinstance(overwrite, bool):
        raise bad_request("overwrite must be true or false")
    properties = item.get("properties") or {}
    if not isinstance(properties, dict):
        raise bad_request("properties must be an object")
    return ExportItem(
        source["file"], destination["volume"], destination["location"], overwrite, properties
    )


def _properties(given: dict[str, Any], volume: Row) -> dict[str, Any]:
    defaults = volume["service"].get("properties") or {}
    merged = {
        key: given.get(key, defaults.get(key, value)) for key, value in DEFAULT_PROPERTIES.items()
    }
    if merged["sse_algorithm"] not in SSE_ALGORITHMS:
        raise bad_request(f"properties.sse_algorithm {merged['sse_algorithm']!r} is not supported")
    if merged["sse_aws_kms_key_id"] is not None and merged["sse_algorithm"] != "aws:kms":
        raise bad_request("properties.sse_aws_kms_key_id needs sse_algorithm aws:kms")
    return merged


def check_item(
    store: Store, objects: ObjectStore, username: str, item: ExportItem
) -> tuple[Row, Row, dict[str, Any]]:
    """The file, volume and properties of an acceptable item; ApiFailure otherwise."""
    file = access.file_for(store, username, item.file_id)
    if file is None:
        raise ApiFailure(404, 5002, f"file {item.file_id} not found")
    if file["type"] == "folder":
        raise ApiFailure(400, 9101, f"file {item.file_id} is a folder; folders cannot be exported")
    if file["storage"]["type"] != "PLATFORM":
        raise ApiFailure(400, 9102, f"file {item.file_id} is an alias; it cannot be exported")
    if PUBLIC_KEY in file["metadata"]:
        raise ApiFailure(403, 9103, f"file {item.file_id} is a public file; it cannot be exported")
    volume = access.volume_for(store, username, item.volume)
    if volume is None:
        raise ApiFailure(404, 9104, f"volume {item.volume} not found")
    if not volume["active"]:
        raise ApiFailure(400, 9106, f"volume {item.volume} is not active")
    if volume["access_mode"] != "RW":
        raise ApiFailure(403, 9105, f"volume {item.volume} is read-only (access_mode RO)")
    service = volume["service"]
    if service.get("type") == "gcs":
        raise ApiFailure(
            400, 9107, f"volume {item.volume}: export to Google Cloud Storage is not supported"
        )
    project = store.read_one("SELECT location FROM projects WHERE id = ?", (file["project"],))
    if project is None or project["location"] != volume["location"]:
        raise ApiFailure(
            400,
            9108,
            f"volume {item.volume} is not in the project's location; "
            "export only to a volume in the same cloud provider and region",
        )
    bucket, prefix = str(service["bucket"]), str(service.get("prefix", ""))
    if objects.path(bucket, prefix, item.location).is_dir():
        raise ApiFailure(409, 9109, f"{item.volume}:{item.location} is a prefix of other objects")
    if blocker := objects.blocked_by_object(bucket, prefix, item.location):
        raise ApiFailure(409, 9109, f"{item.volume}:{blocker} is an object, not a prefix")
    if not item.overwrite and objects.occupied(bucket, prefix, item.location):
        raise ApiFailure(
            409, 9109, f"{item.volume}:{item.location} already exists and overwrite is false"
        )
    return file, volume, _properties(item.properties, volume)


def insert_job(
    conn: sqlite3.Connection,
    username: str,
    item: ExportItem,
    properties: dict[str, Any],
    copy_only: bool,
    settings: Settings,
    now: float,
) -> Row:
    job_id = new_export_id()
    conn.execute(
        "INSERT INTO exports (id, owner, file_id, volume, location, overwrite, copy_only,"
        " properties, state, created_at, run_at, done_at, doomed)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'PENDING', ?, ?, ?, ?)",
        (
            job_id,
            username,
            item.file_id,
            item.volume,
            item.location,
            int(item.overwrite),
            int(copy_only),
            encode(properties),
            now,
            now + settings.job_pace / 2,
            now + settings.job_pace,
            int(item.file_id in settings.fail_files),
        ),
    )
    row = conn.execute("SELECT * FROM exports WHERE id = ?", (job_id,)).fetchone()
    return decode(row)


def create_exports(
    store: Store,
    objects: ObjectStore,
    username: str,
    items: list[Any],
    copy_only: bool,
    settings: Settings,
    now: float,
) -> list[Row | ApiFailure]:
    """Check and create every item in one transaction; each entry is a job or its error."""
    outcomes: list[Row | ApiFailure] = []
    with store.transaction() as conn:
        for raw in items:
            try:
                item = parse_item(raw)
                _, _, properties = check_item(store, objects, username, item)
            except ApiFailure as failure:
                outcomes.append(failure)
                continue
            outcomes.append(insert_job(conn, username, item, properties, copy_only, settings, now))
    return outcomes
