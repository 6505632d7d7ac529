"""Rendering stored rows as the API's JSON resources, and `fields=` selection."""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import quote

from .ids import iso
from .objects import StoredObject
from .store import Row


def select_fields(resource: dict[str, Any], fields: str | None) -> dict[str, Any]:
    """`fields=_all` or no `fields`: everything; `fields=a,b`: only those keys."""
    if not fields or fields == "_all":
        return resource
    wanted = {name.strip() for name in fields.split(",") if name.strip()}
    return {key: value for key, value in resource.items() if key in wanted}


def user_resource(user: Row, base: str) -> dict[str, Any]:
    return {
        "href": f"{base}/users/{user['username']}",
        "username": user["username"],
        "email": user["email"],
        "first_name": user["first_name"],
        "last_name": user["last_name"],
        "affiliation": "Sandbox",
    }


def project_resource(project: Row, base: str) -> dict[str, Any]:
    # The API shows no location for a project; it shows in its files' storage.
    return {
        "href": f"{base}/projects/{project['id']}",
        "id": project["id"],
        "name": project["name"],
        "type": "v2",
        "root_folder": project["root_folder"],
        "created_by": project["id"].split("/")[0],
        "created_on": project["created_on"],
        "modified_on": project["created_on"],
        "tags": [],
        "settings": {},
    }


def file_resource(file: Row, base: str) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "href": f"{base}/files/{file['id']}",
        "id": file["id"],
        "name": file["name"],
        "type": file["type"],
        "project": file["project"],
        "parent": file["parent"],
        "created_on": file["created_on"],
        "modified_on": file["modified_on"],
        "metadata": file["metadata"],
        "tags": file["tags"],
    }
    if file["type"] == "file":
        resource["size"] = file["size"]
        resource["storage"] = file["storage"]
    return resource


def volume_resource(volume: Row, base: str) -> dict[str, Any]:
    # The API shows no location for a volume, and never its credentials.
    service = {"endpoint": None, "properties": {}, **volume["service"]}
    return {
        "href": f"{base}/storage/volumes/{volume['id']}",
        "id": volume["id"],
        "name": volume["name"],
        "description": volume["description"],
        "access_mode": volume["access_mode"],
        "active": bool(volume["active"]),
        "service": service,
        "created_on": volume["created_on"],
        "modified_on": volume["created_on"],
    }


def object_resource(volume_id: str, stored: StoredObject, base: str) -> dict[str, Any]:
    etag = hashlib.md5(f"{stored.location}:{stored.size}".encode(), usedforsecurity=False)
    return {
        "href": f"{base}/storage/volumes/{volume_id}/object?location={quote(stored.location)}",
        "location": stored.location,
        "volume": volume_id,
        "type": "FILE",
        "metadata": {
            "size": stored.size,
            "etag": etag.hexdigest(),
            "last_modified": iso(stored.mtime),
            "content_type": "application/octet-stream",
        },
    }


def prefix_resource(volume_id: str, prefix: str, base: str) -> dict[str, Any]:
    return {
        "href": f"{base}/storage/volumes/{volume_id}/list?prefix={quote(prefix)}",
        "prefix": prefix,
        "volume": volume_id,
    }


def export_resource(job: Row, base: str) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "href": f"{base}/storage/exports/{job['id']}",
        "id": job["id"],
        "state": job["state"],
        "source": {"file": job["file_id"]},
        "destination": {"volume": job["volume"], "location": job["location"]},
        "properties": job["properties"],
        "overwrite": bool(job["overwrite"]),
    }
    if job["started_on"]:
        resource["started_on"] = job["started_on"]
    if job["finished_on"]:
        resource["finished_on"] = job["finished_on"]
    if job["result"] is not None:
        resource["result"] = file_resource(job["result"], base)
    if job["error"] is not None:
        resource["error"] = job["error"]
    return resource
