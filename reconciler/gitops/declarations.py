"""Declarations read leniently from one version of a manifest file, for the audit trail.

Old versions in git may be invalid under today's rules, so this does not run the validator: it
parses the YAML (ruamel, safe), merges `defaults` into each entry the way loading does, keeps
every entry that names a selector and a location, and ignores the rest. A declaration is keyed
by its project, selector and destination; everything else about it is its settings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from reconciler.manifest.effective import (
    UNSAID_MODE,
    UNSAID_OVERWRITE,
    merge_key_by_key,
    metadata_text,
    setting,
)
from reconciler.manifest.globs import compile_glob
from reconciler.manifest.models import FILE_ID_PATTERN

SELECTOR_KINDS = ("file", "path", "glob")
FILE_ID = re.compile(FILE_ID_PATTERN)
_PLACEHOLDER = re.compile(r"\{[^{}]*\}")


@dataclass(frozen=True, slots=True, order=True)
class Key:
    project: str
    kind: str  # file | path | glob
    selector: str
    volume: str
    location: str

    @property
    def source(self) -> tuple[str, str, str]:
        return (self.project, self.kind, self.selector)

    @property
    def destination(self) -> str:
        return f"{self.volume}:{self.location}"

    def __str__(self) -> str:
        return f"{self.kind} {self.selector} -> {self.destination}"


@dataclass(frozen=True, slots=True)
class Declaration:
    key: Key
    manifest: str  # the manifest file's path in the repository
    settings: tuple[tuple[str, str], ...]  # mode, overwrite, properties, filters: as text


def parse_declarations(manifest: str, content: bytes | None) -> dict[Key, Declaration]:
    """The declarations in one version of one manifest file; empty when unreadable."""
    return {d.key: d for d in declarations_by_index(manifest, content) if d is not None}


def declarations_by_index(manifest: str, content: bytes | None) -> list[Declaration | None]:
    """The declaration of each entry of `exports`, in order (None for an entry that declares
    nothing readable); empty when the file is unreadable."""
    if content is None:
        return []
    try:
        data = YAML(typ="safe", pure=True).load(content)
    except (YAMLError, ValueError):
        return []
    if not isinstance(data, dict) or not isinstance(data.get("exports"), list):
        return []
    project = str(data.get("project") or "")
    defaults = data.get("defaults")
    defaults = defaults if isinstance(defaults, dict) else {}
    return [_declaration(manifest, project, defaults, entry) for entry in data["exports"]]


def _declaration(
    manifest: str, project: str, defaults: dict[str, Any], entry: Any
) -> Declaration | None:
    if not isinstance(entry, dict) or "location" not in entry:
        return None
    kinds = [kind for kind in SELECTOR_KINDS if entry.get(kind) is not None]
    if len(kinds) != 1:
        return None
    kind = kinds[0]
    volume = setting(entry.get("volume"), defaults.get("volume"), "")
    key = Key(project, kind, str(entry[kind]), str(volume), str(entry["location"]))
    layers = (defaults.get("properties"), entry.get("properties"))
    properties = merge_key_by_key(*(layer for layer in layers if isinstance(layer, dict)))
    settings = {
        "mode": str(setting(entry.get("mode"), defaults.get("mode"), UNSAID_MODE.value)),
        "overwrite": metadata_text(
            setting(entry.get("overwrite"), defaults.get("overwrite"), UNSAID_OVERWRITE)
        ),
        "properties": metadata_text(dict(sorted(properties.items()))) if properties else "",
        "exclude": metadata_text(entry.get("exclude")) if entry.get("exclude") else "",
        "where": metadata_text(entry.get("where")) if entry.get("where") else "",
    }
    kept = tuple((name, value) for name, value in settings.items() if value)
    return Declaration(key=key, manifest=manifest, settings=kept)


def matches(key: Key, query: str | None) -> bool:
    """Whether a declaration concerns `query`: a file ID, a destination (`owner/vol:location`,
    placeholders in the declared location match anything), or a path inside the project (the
    declared path, a glob that matches it, or the declared location)."""
    if not query:
        return True
    if FILE_ID.match(query):
        return key.kind == "file" and key.selector == query
    volume, colon, location = query.partition(":")
    if colon and "/" in volume:
        return key.volume == volume and _location_matches(key.location, location)
    if key.kind == "path" and key.selector == query:
        return True
    if key.kind == "glob" and compile_glob(key.selector)(query):
        return True
    return _location_matches(key.location, query)


def _location_matches(template: str, location: str) -> bool:
    if template == location:
        return True
    if not _PLACEHOLDER.search(template):
        return False
    parts = _PLACEHOLDER.split(template)
    pattern = ".+".join(re.escape(part) for part in parts)
    return re.fullmatch(pattern, location) is not None
