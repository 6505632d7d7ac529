"""The walk of a project's folders: only those the rules' paths and globs can reach.

From the project root down the fixed folder names (with a `name=` filter, one call per level),
then the glob's static prefix fully, and below it only folders whose names the next pattern
segment can match, as deep as the pattern reaches (`**`: everything below). With `everything`
(`--unmanaged`), every folder. Each file and folder found is kept with its path; the walk is
read by `tree.walk`, so a folder is listed as soon as its parent's listing says it is needed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial

from wcmatch import fnmatch as _fnmatch

from reconciler.api.client import MAX_NAMES_PER_QUERY, ApiClient
from reconciler.core.live import LiveFile
from reconciler.live.convert import live_file
from reconciler.live.tree import Node
from reconciler.manifest.globs import static_prefix
from reconciler.manifest.models import ExportRule

_SEGMENT_FLAGS = _fnmatch.DOTMATCH | _fnmatch.CASE

Found = tuple[str, LiveFile]  # a file or folder, with its path in the project
Tree = Found | Node[Found]


@dataclass
class _Need:
    """What one folder of a project must be listed for."""

    names: set[str] = field(default_factory=set)  # children wanted by exact name
    children: dict[str, _Need] = field(default_factory=dict)  # folders to descend into
    patterns: list[tuple[str, ...]] = field(default_factory=list)  # glob rests: list fully

    def child(self, name: str) -> _Need:
        self.names.add(name)
        return self.children.setdefault(name, _Need())


def project_walk(
    client: ApiClient, project_id: str, rules: Sequence[ExportRule], *, everything: bool
) -> list[Tree]:
    """The walk (for `tree.walk`) that lists the folders of `project_id` that `rules` can
    reach; its values are the files and folders found, with their paths."""
    root = _Need()
    if everything:
        root.patterns.append(("**", "*"))
    for rule in rules:
        if rule.kind == "path":
            parts = rule.selector.strip("/").split("/")
            node = root
            for part in parts[:-1]:
                node = node.child(part)
            node.names.add(parts[-1])
        elif rule.kind == "glob":
            prefix = static_prefix(rule.selector)
            node = root
            for part in prefix.split("/") if prefix else ():
                node = node.child(part)
            # What is left below the prefix, one pattern per level; `_descend` follows it down
            # only into folders it can match, so the walk goes no deeper than the pattern
            # reaches (unbounded below a `**`).
            rest = tuple(rule.selector.split("/")[len(prefix.split("/")) if prefix else 0 :])
            node.patterns.append(rest)
    return _visit(client, project_id, None, "", root)


def _visit(
    client: ApiClient, project_id: str, folder_id: str | None, path: str, need: _Need
) -> list[Tree]:
    full = bool(need.patterns) or len(need.names) > MAX_NAMES_PER_QUERY
    names = () if full else sorted(need.names)
    if not full and not names:
        return []
    return [Node(partial(_list, client, project_id, folder_id, path, need, names))]


def _list(
    client: ApiClient,
    project_id: str,
    folder_id: str | None,
    path: str,
    need: _Need,
    names: Sequence[str],
) -> list[Tree]:
    if folder_id is None:
        listed = client.list_files(project=project_id, names=names)
    else:
        listed = client.list_files(parent=folder_id, names=names)
    out: list[Tree] = []
    for item in listed:
        child_path = f"{path}/{item.name}" if path else item.name
        out.append((child_path, live_file(item, child_path)))
        if not item.is_folder:
            continue
        below = _Need()
        if item.name in need.children:
            wanted = need.children[item.name]
            below.names |= wanted.names
            below.children.update(wanted.children)
            below.patterns.extend(wanted.patterns)
        below.patterns.extend(_descend(need.patterns, item.name))
        if below.names or below.patterns:
            out.extend(_visit(client, project_id, item.id, child_path, below))
    return out


def _descend(patterns: list[tuple[str, ...]], folder: str) -> list[tuple[str, ...]]:
    """The pattern rests that apply inside `folder` (a child of where `patterns` apply)."""
    out: list[tuple[str, ...]] = []
    for rest in patterns:
        if "**" in rest[0]:
            out.append(rest)  # `**` may swallow this folder and any below it (even at the end)
        elif len(rest) < 2:
            continue  # only the file name is left: nothing below can match
        elif _fnmatch.fnmatch(folder, rest[0], flags=_SEGMENT_FLAGS):
            out.append(rest[1:])
    return list(dict.fromkeys(out))
