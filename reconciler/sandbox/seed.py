"""Seed loading: a YAML (or JSON) document, or an already-parsed mapping, into a fresh store.

    tokens:   [{token, username, email?, first_name?, last_name?, advance_access?: true}]
    projects: [{id: owner/name, location: aws:us-east-1, name?, members?: [username]}]
    volumes:  [{id: owner/name, location, access_mode?: RW, active?: true, members?,
                service: {type: s3|gcs, bucket, prefix?, endpoint?, properties?}}]
    files:    [{project, path, id?, size?, type?: file|folder, metadata?, tags?, storage?}]
    objects:  [{volume, location, size?}]
    exports:  [{file, volume, location, id?, state?, copy_only?, overwrite?, properties?,
                owner?, error?}]

Folders come from the paths (a path ending in `/` is an empty folder). Missing ids are derived
from the project and path, so a seed always yields the same ids. Storage defaults to the
platform in the project's location; `{type: VOLUME, volume, location}` makes an alias, whose
object is written too. `advance_access: false` makes the token's account one without the
platform's advance-access features: `POST /v2/files/search` answers it 403 (the flag is the
account's, so the tokens of one username must agree).
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from .errors import SandboxError, SeedError, unexpected
from .ids import derived_id, iso, new_export_id
from .objects import ObjectStore, key_problem, prefix_problem
from .seed_files import SEED_TIME, seed_files, size_of
from .seed_files import require as _require
from .store import OBJECTS_LAYOUT, Store, decode, encode

DEMO_SEED = "demo_seed.yaml"


def load_seed(source: Path | str | Mapping[str, Any] | None) -> Mapping[str, Any]:
    """The seed document; None means the demo seed shipped with the package."""
    if isinstance(source, Mapping):
        return source
    if source is None:
        text = resources.files(__package__).joinpath(DEMO_SEED).read_text(encoding="utf-8")
        name = DEMO_SEED
    else:
        try:
            text = Path(source).read_text(encoding="utf-8")
        except OSError as exc:
            raise SeedError(f"{source}: cannot read the seed: {exc.strerror}") from exc
        name = str(source)
    try:
        document = json.loads(text) if name.endswith(".json") else YAML(typ="safe").load(text)
    except YAMLError as exc:
        where, problem = _where(name, exc), _problem(exc, text)
        raise SeedError(f"{where}: not a valid seed document: {problem}") from None
    except ValueError as exc:  # JSON's message says where
        raise SeedError(f"{name}: not a valid seed document: {exc}") from None
    if not isinstance(document, Mapping):
        raise SeedError(f"{name}: a seed is a mapping with tokens, projects, files, ...")
    return document


def _where(name: str, exc: YAMLError) -> str:
    """`FILE:LINE:COLUMN` of a YAML error (the parser itself names a string it was given
    `<unicode string>`)."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line, column = getattr(mark, "line", None), getattr(mark, "column", None)
    if isinstance(line, int) and isinstance(column, int):
        return f"{name}:{line + 1}:{column + 1}"
    return name


def _problem(exc: YAMLError, text: str) -> str:
    """What went wrong, in one line; a tab where the parser stopped is named (YAML's own
    words, "found character that cannot start any token", never say "tab")."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line = getattr(mark, "line", None)
    if isinstance(line, int) and line < len(lines := text.split("\n")):
        at = lines[line]
        column = getattr(mark, "column", 0)
        indent = at[: len(at) - len(at.lstrip(" \t"))]
        if at[column : column + 1] == "\t" or "\t" in indent:
            return "tab character: YAML indents with spaces"
    problem = getattr(exc, "problem", None) or getattr(exc, "context", None)
    text = str(problem) if problem else str(exc).replace("<unicode string>", "the seed")
    return " ".join(text.split())


def _entries(seed: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    entries = seed.get(key) or []
    if not isinstance(entries, list) or not all(isinstance(e, Mapping) for e in entries):
        raise SeedError(f"seed: {key} must be a list of mappings")
    return entries


def _owner_id(value: Any, where: str) -> str:
    if not isinstance(value, str) or value.count("/") != 1 or "" in value.split("/"):
        raise SeedError(f"seed: {where}: id {value!r} must be owner/name")
    return value


def apply_seed(store: Store, objects: ObjectStore, seed: Mapping[str, Any]) -> None:
    """Write the whole seed in one transaction, then mark the store as seeded."""
    try:
        _apply_seed(store, objects, seed)
    except OSError as exc:  # an object's file (a full disk, a link planted under objects/)
        raise SandboxError(
            f"{objects.root}: cannot write the seed's objects: {exc.strerror or exc}"
        ) from None


def _apply_seed(store: Store, objects: ObjectStore, seed: Mapping[str, Any]) -> None:
    tokens = _entries(seed, "tokens")
    if not tokens:
        raise SeedError("seed: tokens: at least one {token, username} is needed")
    with store.transaction() as conn:
        _seed_tokens(conn, tokens)
        locations = _seed_projects(conn, seed)
        volumes = _seed_volumes(conn, seed)
        seed_files(conn, objects, _entries(seed, "files"), locations, volumes)
        for index, entry in enumerate(_entries(seed, "objects")):
            where = f"objects[{index}]"
            volume = volumes.get(str(_require(entry, where, "volume")))
            if volume is None:
                raise SeedError(f"seed: {where}: unknown volume {entry['volume']!r}")
            location = _require(entry, where, "location")
            if problem := key_problem(volume["prefix"], location):
                raise SeedError(f"seed: {where}: {problem}")
            objects.write(volume["bucket"], volume["prefix"], location, size_of(entry, where))
        _seed_exports(conn, seed, str(tokens[0]["username"]))
        conn.execute("INSERT INTO meta VALUES ('seeded', ?)", (iso(time.time()),))
        conn.execute("INSERT INTO meta VALUES ('objects_layout', ?)", (OBJECTS_LAYOUT,))


def _seed_tokens(conn: sqlite3.Connection, tokens: list[Mapping[str, Any]]) -> None:
    advance: dict[str, bool] = {}  # the account's, whichever of its tokens calls
    for position, entry in enumerate(tokens):
        where = f"tokens[{position}]"
        username = str(_require(entry, where, "username"))
        token = str(_require(entry, where, "token"))
        access = entry.get("advance_access", True)
        if not isinstance(access, bool):
            raise SeedError(f"seed: {where}: advance_access must be true or false")
        if advance.setdefault(username, access) != access:
            raise SeedError(
                f"seed: {where}: advance_access belongs to the account {username};"
                " its tokens must agree"
            )
        conn.execute("INSERT INTO tokens VALUES (?, ?, ?)", (token, username, position))
        conn.execute(
            "INSERT OR IGNORE INTO users VALUES (?, ?, ?, ?, ?)",
            (
                username,
                entry.get("email", f"{username}@example.org"),
                entry.get("first_name", username.capitalize()),
                entry.get("last_name", "Sandbox"),
                int(access),
            ),
        )


def _seed_projects(conn: sqlite3.Connection, seed: Mapping[str, Any]) -> dict[str, str]:
    locations: dict[str, str] = {}
    for index, entry in enumerate(_entries(seed, "projects")):
        where = f"projects[{index}]"
        project = _owner_id(_require(entry, where, "id"), where)
        locations[project] = str(_require(entry, where, "location"))
        conn.execute(
            "INSERT INTO projects VALUES (?, ?, ?, ?, ?, ?)",
            (
                project,
                entry.get("name", project.split("/")[1]),
                locations[project],
                derived_id(project, "root"),
                encode(list(entry.get("members", []))),
                str(entry.get("created_on", SEED_TIME)),
            ),
        )
    return locations


def _seed_volumes(conn: sqlite3.Connection, seed: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    volumes: dict[str, dict[str, str]] = {}
    for index, entry in enumerate(_entries(seed, "volumes")):
        where = f"volumes[{index}]"
        volume = _owner_id(_require(entry, where, "id"), where)
        service = dict(_require(entry, where, "service"))
        bucket = str(_require(service, f"{where}.service", "bucket"))
        if "/" in bucket or bucket in (".", ".."):
            raise SeedError(f"seed: {where}.service: bucket {bucket!r} is not a bucket name")
        service.setdefault("type", "s3")
        service.setdefault("prefix", "")
        if problem := prefix_problem(service["prefix"]):
            raise SeedError(f"seed: {where}.service: {problem}")
        service.setdefault("properties", {"sse_algorithm": "AES256"})
        service.pop("credentials", None)
        volumes[volume] = {"bucket": bucket, "prefix": str(service["prefix"])}
        access_mode = entry.get("access_mode", "RW")
        if access_mode not in ("RO", "RW"):
            raise SeedError(f"seed: {where}: access_mode must be RO or RW")
        conn.execute(
            "INSERT INTO volumes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                volume,
                volume.split("/")[1],
                str(entry.get("description", "")),
                access_mode,
                1 if entry.get("active", True) else 0,
                str(_require(entry, where, "location")),
                encode(service),
                encode(list(entry.get("members", []))),
                str(entry.get("created_on", SEED_TIME)),
            ),
        )
    return volumes


def _seed_exports(conn: sqlite3.Connection, seed: Mapping[str, Any], default_owner: str) -> None:
    now = time.time()
    for index, entry in enumerate(_entries(seed, "exports")):
        where = f"exports[{index}]"
        file_id = str(_require(entry, where, "file"))
        state = str(entry.get("state", "COMPLETED"))
        if state not in ("PENDING", "RUNNING", "COMPLETED", "FAILED"):
            raise SeedError(f"seed: {where}: unknown state {state!r}")
        found = conn.execute("SELECT * FROM files WHERE id = ?", (file_id,)).fetchone()
        result = None
        if state == "COMPLETED" and found is not None:
            result = encode(decode(found))
        error = None
        if state == "FAILED":
            error = encode(unexpected(str(entry.get("error", "export failed"))).body())
        terminal = state in ("COMPLETED", "FAILED")
        conn.execute(
            "INSERT INTO exports (id, owner, file_id, volume, location, overwrite, copy_only,"
            " properties, state, created_at, run_at, done_at, started_on, finished_on, result,"
            " error, doomed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
            (
                str(entry.get("id") or new_export_id()),
                str(entry.get("owner", default_owner)),
                file_id,
                str(_require(entry, where, "volume")),
                str(_require(entry, where, "location")),
                1 if entry.get("overwrite") else 0,
                1 if entry.get("copy_only") else 0,
                encode(
                    entry.get("properties")
                    or {
                        "sse_algorithm": "AES256",
                        "sse_aws_kms_key_id": None,
                        "aws_canned_acl": None,
                    }
                ),
                state,
                now,
                now,
                now,
                SEED_TIME if state != "PENDING" else None,
                SEED_TIME if terminal else None,
                result,
                error,
            ),
        )
