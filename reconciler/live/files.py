"""The walk of a project's folders: only those the rules' paths and globs can reach.

From the project root down the fixed folder names (with a `name=` filter, one call per level),
then the glob's static prefix fully, and below it only folders whose names the next pattern
segment can match, as deep as the pattern reaches (`**`: everything below). With `everything`
(`--unmanaged`), every folder. Each file and folder found is kept with its path; the walk is
read by `tree.walk`, so a folder is listed as soon as its parent's listing says it is needed.

A glob discovered by search (`search.py`) is walked down to its static prefix by name like any
other; there, instead of listing, one search finds every file below, and the files a listing
would have met (`reachable`) join the walk's values. A search that cannot be used falls back
to listing that glob's folders here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial

from wcmatch import fnmatch as _fnmatch

from reconciler.api.client import MAX_NAMES_PER_QUERY, ApiClient
from reconciler.core.live import LiveFile
from reconciler.live.convert import live_file
from reconciler.live.progress import ReadWatch
from reconciler.live.tree import Node
from reconciler.manifest.globs import static_prefix
from reconciler.manifest.models import Discovery, ExportRule

_SEGMENT_FLAGS = _fnmatch.DOTMATCH | _fnmatch.CASE

Found = tuple[str, LiveFile]  # a file or folder, with its path in the project
Tree = Found | Node[Found]
Rest = tuple[str, ...]  # what is left of a glob below a folder, one pattern per level
# Finds the files below a folder by search: (folder id or None for the project root, its
# path, the globs whose static prefix it is) -> the files a listing of those globs would meet,
# or None: the search cannot be used, list instead.
Searcher = Callable[[str | None, str, Sequence[ExportRule]], list[Found] | None]


@dataclass
class Need:
    """What one folder of a project must be read for."""

    names: set[str] = field(default_factory=set)  # children wanted by exact name
    children: dict[str, Need] = field(default_factory=dict)  # folders to descend into
    patterns: list[Rest] = field(default_factory=list)  # glob rests: list fully
    searches: list[ExportRule] = field(default_factory=list)  # globs to find by search here
    listed: list[ExportRule] = field(default_factory=list)  # globs listed from here

    def child(self, name: str) -> Need:
        self.names.add(name)
        return self.children.setdefault(name, Need())

    @property
    def full(self) -> bool:
        """Whether this folder is listed whole (not only by name)."""
        return bool(self.patterns) or len(self.names) > MAX_NAMES_PER_QUERY


def needs(
    rules: Sequence[ExportRule], *, everything: bool, discovery: Discovery | None = None
) -> Need:
    """What the project root must be read for, and (as its children) every folder below it
    that the rules name; `discovery` overrides each glob's own (`--discovery`)."""
    root = Need()
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
            # What is left below the prefix, one pattern per level; `descend` follows it down
            # only into folders it can match, so the walk goes no deeper than the pattern
            # reaches (unbounded below a `**`).
            # With `everything` the whole tree is listed anyway: a search would add to it.
            if (discovery or rule.discovery) == "search" and not everything:
                node.searches.append(rule)
            else:
                node.patterns.append(glob_rest(rule.selector, prefix))
                node.listed.append(rule)
    return root


def glob_rest(pattern: str, prefix: str) -> Rest:
    """What is left of `pattern` below its static `prefix`, one pattern per level."""
    return tuple(pattern.split("/")[len(prefix.split("/")) if prefix else 0 :])


def rests(rules: Sequence[ExportRule]) -> list[Rest]:
    return [glob_rest(rule.selector, static_prefix(rule.selector)) for rule in rules]


def project_walk(
    client: ApiClient,
    project_id: str,
    root: Need,
    *,
    search: Searcher | None = None,
    watch: ReadWatch | None = None,
) -> list[Tree]:
    """The walk (for `tree.walk`) that reads the folders of `project_id` that `root` (see
    `needs`) reaches; its values are the files and folders found, with their paths."""
    walker = _Walker(client, project_id, search, watch or ReadWatch())
    return walker.visit(None, "", root)


class _Walker:
    def __init__(
        self, client: ApiClient, project_id: str, search: Searcher | None, watch: ReadWatch
    ) -> None:
        self.client = client
        self.project_id = project_id
        self.search = search
        self.watch = watch

    def visit(self, folder_id: str | None, path: str, need: Need) -> list[Tree]:
        reads: list[Tree] = []
        searches = need.searches
        if searches and self.search is None:
            need = Need(need.names, need.children, [*need.patterns, *rests(searches)])
            searches = []
        if need.full or need.names:
            names = () if need.full else sorted(need.names)
            reads.append(Node(partial(self.list, folder_id, path, need, names)))
            if need.full:
                self.watch.to_list(1)
        if searches:
            reads.append(Node(partial(self.searched, folder_id, path, searches)))
        return reads

    def searched(self, folder_id: str | None, path: str, rules: list[ExportRule]) -> list[Tree]:
        assert self.search is not None
        found = self.search(folder_id, path, rules)
        if found is None:
            return self.visit(folder_id, path, Need(patterns=rests(rules)))
        return list(found)

    def list(
        self, folder_id: str | None, path: str, need: Need, names: Sequence[str]
    ) -> list[Tree]:
        if folder_id is None:
            listed = self.client.list_files(project=self.project_id, names=names)
        else:
            listed = self.client.list_files(parent=folder_id, names=names)
        out: list[Tree] = []
        files = 0
        for item in listed:
            child_path = f"{path}/{item.name}" if path else item.name
            out.append((child_path, live_file(item, child_path)))
            if not item.is_folder:
                files += 1
                continue
            below = Need()
            if item.name in need.children:
                wanted = need.children[item.name]
                below.names |= wanted.names
                below.children.update(wanted.children)
                below.patterns.extend(wanted.patterns)
                below.searches.extend(wanted.searches)
            below.patterns.extend(descend(need.patterns, item.name))
            if below.names or below.patterns or below.searches:
                out.extend(self.visit(item.id, child_path, below))
        if need.full:
            self.watch.listed(files=files)
        return out


def descend(patterns: Sequence[Rest], folder: str) -> list[Rest]:
    """The pattern rests that apply inside `folder` (a child of where `patterns` apply)."""
    out: list[Rest] = []
    for rest in patterns:
        if "**" in rest[0]:
            out.append(rest)  # `**` may swallow this folder and any below it (even at the end)
        elif len(rest) < 2:
            continue  # only the file name is left: nothing below can match
        elif _fnmatch.fnmatch(folder, rest[0], flags=_SEGMENT_FLAGS):
            out.append(rest[1:])
    return list(dict.fromkeys(out))


def reachable(rests: Sequence[Rest], folders: Sequence[str]) -> bool:
    """Whether a listing that starts where `rests` apply lists the folder reached through
    `folders` (names, one per level below): what it lists is what a search may keep."""
    patterns = list(rests)
    for folder in folders:
        patterns = descend(patterns, folder)
        if not patterns:
            return False
    return bool(patterns)
