"""Export jobs: the per-item rules that accept or refuse an item, and what a finished job does.

An item is checked against the state at creation time (docs/api.md): the file (exists and in
reach, not a folder, not an alias, not public), the volume (exists and in reach, active, RW,
not GCS, same location as the project), the key (at most 1,024 bytes with the volume's
prefix), the properties (encryption, canned ACL, storage class) and the destination (free, or
`overwrite`). Each refusal carries the platform's published code (see errors.py). Accepted
items become PENDING jobs with their deadlines fixed at creation, so a restart changes nothing.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from . import access, errors, lookups
from .errors import ApiFailure, bad_request, not_found
from .faults import Settings
from .ids import new_export_id
from .objects import ObjectStore, key_problem, location_problem
from .store import Row, Store, decode, encode

PUBLIC_KEY = "sbg_public_files_category"
DEFAULT_PROPERTIES: dict[str, Any] = {
    "sse_algorithm": "AES256",
    "sse_aws_kms_key_id": None,
    "aws_canned_acl": None,
}
STORAGE_CLASS = "aws_storage_class"  # recorded when given or a volume default; never invented
SSE_ALGORITHMS = ("AES256", "aws:kms", None)
# S3 canned ACLs (AWS S3 user guide, "Canned ACL") and storage classes (S3 API reference,
# PutObject x-amz-storage-class).
CANNED_ACLS = (
    "private", "public-read", "public-read-write", "aws-exec-read", "authenticated-read",
    "bucket-owner-read", "bucket-owner-full-control", "log-delivery-write",
)  # fmt: skip
STORAGE_CLASSES = (
    "STANDARD", "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING",
    "GLACIER", "DEEP_ARCHIVE", "OUTPOSTS", "GLACIER_IR", "SNOW", "EXPRESS_ONEZONE",
)  # fmt: skip


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
    """The item's properties over the volume's defaults; invalid values are refused per item
    with the platform's codes (9032 encryption, 9022 canned ACL, 9024 storage class)."""
    defaults = volume["service"].get("properties") or {}
    merged = {
        key: given.get(key, defaults.get(key, value)) for key, value in DEFAULT_PROPERTIES.items()
    }
    storage_class = given.get(STORAGE_CLASS, defaults.get(STORAGE_CLASS))
    if storage_class is not None:
        merged[STORAGE_CLASS] = storage_class
    if merged["sse_algorithm"] not in SSE_ALGORITHMS:
        raise bad_request(
            f"properties.sse_algorithm {merged['sse_algorithm']!r} is not supported",
            errors.INVALID_SSE,
        )
    kms_key = merged["sse_aws_kms_key_id"]
    if kms_key is not None and (
        not isinstance(kms_key, str) or merged["sse_algorithm"] != "aws:kms"
    ):
        raise bad_request(
            "properties.sse_aws_kms_key_id needs sse_algorithm aws:kms", errors.INVALID_SSE
        )
    if merged["aws_canned_acl"] is not None and merged["aws_canned_acl"] not in CANNED_ACLS:
        raise bad_request(
            f"properties.aws_canned_acl {merged['aws_canned_acl']!r} is not an S3 canned ACL",
            errors.INVALID_CANNED_ACL,
        )
    if storage_class is not None and storage_class not in STORAGE_CLASSES:
        raise bad_request(
            f"properties.aws_storage_class {storage_class!r} is not an S3 storage class",
            errors.INVALID_STORAGE_CLASS,
        )
    return merged


def check_item(
    store: Store, objects: ObjectStore, username: str, item: ExportItem
) -> tuple[Row, Row, dict[str, Any]]:
    """The file, volume and properties of an acceptable item; ApiFailure otherwise."""
    file = access.file_for(store, username, item.file_id)
    if file is None:
        raise not_found(
            f"file {item.file_id} not found or not accessible",
            errors.EXPORT_FILE_NOT_FOUND,
        )
    not_exportable = errors.NOT_EXPORTABLE
    if file["type"] == "folder":
        raise bad_request(
            f"file {item.file_id} is a folder; folders cannot be exported", not_exportable
        )
    if file["storage"]["type"] != "PLATFORM":
        raise bad_request(f"file {item.file_id} is an alias; it cannot be exported", not_exportable)
    if PUBLIC_KEY in file["metadata"]:
        message = f"file {item.file_id} is a public file; it cannot be exported"
        raise ApiFailure(403, not_exportable, message)
    volume = lookups.VOLUME.get(store, username, item.volume)
    if not volume["active"]:
        message = f"volume {item.volume} is not active; it is not configured for writing"
        raise bad_request(message, errors.VOLUME_INACTIVE)
    if volume["access_mode"] != "RW":
        message = f"volume {item.volume} is read-only (access_mode RO)"
        raise ApiFailure(403, errors.VOLUME_NOT_WRITABLE, message)
    service = volume["service"]
    if service.get("type") == "gcs":
        raise bad_request(
            f"volume {item.volume}: export to Google Cloud Storage is not supported",
            errors.CROSS_CLOUD,
        )
    project = store.read_one("SELECT location FROM projects WHERE id = ?", (file["project"],))
    if project is None or project["location"] != volume["location"]:
        raise bad_request(
            f"volume {item.volume} is not in the project's location; "
            "export only to a volume in the same cloud provider and region",
            errors.CROSS_LOCATION,
        )
    bucket, prefix = str(service["bucket"]), str(service.get("prefix", ""))
    if problem := key_problem(prefix, item.location):
        raise bad_request(f"destination.{problem}")
    properties = _properties(item.properties, volume)
    if not item.overwrite and objects.occupied(bucket, prefix, item.location):
        raise ApiFailure(
            409,
            errors.DESTINATION_EXISTS,
            f"{item.volume}:{item.location} already exists and overwrite is false",
        )
    return file, volume, properties


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
