"""Adopting exports made by hand: find the aliases a project already has on a volume and write
a manifest that declares exactly them, so that planning it shows everything in sync.

Finding walks the project's folders (one listing per folder: the API cannot filter files by
storage); writing is pure and keeps the manifest in the layout `reconciler fmt` produces.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

from reconciler.api.client import ApiClient
from reconciler.api.resources import File
from reconciler.errors import ConfigError

# Scalars written without quotes; anything else is quoted the JSON way, which YAML reads too.
_PLAIN = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_./@+=-]*$")
_RESERVED = {"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"}


@dataclass(frozen=True, slots=True)
class Alias:
    file_id: str
    path: str  # inside the project
    location: str  # on the volume
    size: int | None


def find_aliases(client: ApiClient, *, project: str, volume: str) -> list[Alias]:
    """Files of `project` whose bytes live on `volume` (storage VOLUME), by path."""
    if client.get_project(project) is None:
        raise ConfigError(f"project {project}: not found or out of the token's reach")
    if client.get_volume(volume) is None:
        raise ConfigError(f"volume {volume}: not found or out of the token's reach")
    found = [
        Alias(file.id, path, file.storage.location or "", file.size)
        for path, file in _walk(client, project)
        if file.storage.type == "VOLUME" and file.storage.volume == volume
    ]
    return sorted(found, key=lambda alias: alias.path)


def _walk(client: ApiClient, project: str) -> Iterator[tuple[str, File]]:
    folders: list[tuple[str, str | None]] = [("", None)]
    while folders:
        prefix, parent = folders.pop()
        if parent is None:
            listing = client.list_files(project=project)
        else:
            listing = client.list_files(parent=parent)
        for file in listing:
            path = f"{prefix}{file.name}"
            if file.is_folder:
                folders.append((f"{path}/", file.id))
            else:
                yield path, file


def render_manifest(
    aliases: list[Alias],
    *,
    project: str,
    volume: str,
    platform: str | None,
    by: str = "file",
) -> str:
    """The manifest declaring `aliases` (mode move: that is what made them aliases)."""
    lines = [
        f"# Adopted with `reconciler import --project {project} --volume {volume}`: the",
        f"# {len(aliases)} file{'s' if len(aliases) != 1 else ''} of {project} whose bytes "
        f"already live on {volume}.",
        "# Planning this manifest shows them in sync and applying it changes nothing; from now on",
        "# git is where these exports are decided. Review, then commit.",
        "version: 1",
    ]
    if platform:
        lines.append(f"platform: {_scalar(platform)}")
    lines += [
        f"project: {_scalar(project)}",
        "defaults:",
        f"  volume: {_scalar(volume)}",
        "  mode: move",
    ]
    declarable = [a for a in aliases if "{" not in a.location and "}" not in a.location]
    skipped = [a for a in aliases if a not in declarable]
    if not declarable:
        lines.append("exports: []")
    else:
        lines.append("exports:")
    for alias in declarable:
        size = f" ({alias.size} bytes)" if alias.size is not None else ""
        if by == "path":
            lines += [f"  # file {alias.file_id}{size}", f"  - path: {_scalar(alias.path)}"]
        else:
            lines += [f"  # {alias.path}{size}", f"  - file: {alias.file_id}"]
        lines.append(f"    location: {_scalar(alias.location)}")
    for alias in skipped:
        # A brace would read as a placeholder, and the language has no escape for it.
        lines.append(f"# not declarable (braces in the location): {alias.path} at {alias.location}")
    return "\n".join(lines) + "\n"


def _scalar(value: str) -> str:
    if _PLAIN.match(value) and value.lower() not in _RESERVED:
        return value
    return json.dumps(value, ensure_ascii=False)
