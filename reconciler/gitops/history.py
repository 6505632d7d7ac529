"""The audit trail: every commit that added, changed or removed a declaration, from git alone.

Each commit that touched the manifests is compared with its first parent: the declarations of
the files it changed are parsed on both sides (`declarations.py`) and compared by key, so
reformatting, comments and reordering are not changes, and a renamed manifest file carries its
declarations along instead of removing and adding them. Working commit by commit against the
parent (rather than replaying a running state) keeps branches and merges correct.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from reconciler.gitops.declarations import Declaration, Key, matches, parse_declarations
from reconciler.gitops.gitlog import Commit, Repository

_RS, _FS = "\x1e", "\x1f"

# GitLab ends merge commit (and squash commit) messages with this line.
_MERGE_REQUEST = re.compile(r"See merge request (\S+![0-9]+)")
_MANIFEST_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True, slots=True)
class Event:
    """What one commit did to one declaration.

    action: added | changed | moved (only its manifest file changed, e.g. a rename) | removed |
    present (declared in the oldest commit a shallow clone has: when it was added is unknown).
    """

    action: str
    commit: Commit
    before: Declaration | None
    after: Declaration | None
    merge_request: str | None = None

    @property
    def key(self) -> Key:
        declaration = self.after or self.before
        assert declaration is not None
        return declaration.key

    def details(self) -> list[str]:
        before, after = self.before, self.after
        if before is None or after is None:
            kept = after or before
            assert kept is not None
            settings = ", ".join(f"{name} {value}" for name, value in kept.settings)
            return [
                f"{kept.key.destination} in {kept.manifest}"
                + (f" ({settings})" if settings else "")
            ]
        lines = []
        if before.key.destination != after.key.destination:
            lines.append(f"destination: {before.key.destination} -> {after.key.destination}")
        old, new = dict(before.settings), dict(after.settings)
        for name in sorted(old.keys() | new.keys()):
            if old.get(name) != new.get(name):
                lines.append(f"{name}: {old.get(name, '(unset)')} -> {new.get(name, '(unset)')}")
        if before.manifest != after.manifest:
            lines.append(f"manifest: {before.manifest} -> {after.manifest}")
        return lines


@dataclass(frozen=True, slots=True)
class History:
    events: tuple[Event, ...]  # newest first
    shallow: bool
    oldest_commit: Commit | None


def read_history(folder: Path, query: str | None = None) -> History:
    """The events touching declarations that match `query` (all when None), newest first."""
    repo = Repository(folder if folder.is_dir() else folder.parent)
    if not repo.has_commits():
        return History(events=(), shallow=False, oldest_commit=None)
    relative = folder.resolve().relative_to(repo.top.resolve()).as_posix()
    relative = "" if relative == "." else relative
    commits = repo.commits(_pathspecs(repo, relative))
    boundary = repo.shallow_boundary()
    events: list[Event] = []
    for commit, before, after in _compare_commits(repo, commits):
        for event in _diff(commit, before, after, first_known=commit.sha in boundary):
            if matches(event.key, query) or (
                event.before is not None and matches(event.before.key, query)
            ):
                events.append(event)
    mr_cache: dict[str, str | None] = {}
    events = [
        Event(e.action, e.commit, e.before, e.after, _merge_request(repo, e.commit, mr_cache))
        for e in reversed(events)
    ]
    return History(
        events=tuple(events),
        shallow=repo.is_shallow(),
        oldest_commit=commits[0] if commits else None,
    )


def _pathspecs(repo: Repository, folder: str) -> list[str]:
    """The folder, plus every earlier name of the manifests now in it (files moved in from
    elsewhere): a pathspec limited to the folder alone would lose their history."""
    specs = {folder or "."}
    prefix = f"{folder}/" if folder else ""
    for path in repo.files_at_head(folder or "."):
        if path.endswith(_MANIFEST_SUFFIXES):
            specs |= {p for p in repo.followed_paths(path) if not p.startswith(prefix)}
    return sorted(specs)


def _compare_commits(
    repo: Repository, commits: list[Commit]
) -> Iterable[tuple[Commit, dict[Key, Declaration], dict[Key, Declaration]]]:
    """Per commit, the declarations of the files it changed: at its first parent, and at it."""
    sides: list[tuple[Commit, list[tuple[str, str]], list[tuple[str, str]]]] = []
    for commit in commits:
        parent = commit.parents[0] if commit.parents else None
        old = [
            (c.old_path, f"{parent}:{c.old_path}")
            for c in commit.changes
            if parent and c.old_path and c.old_path.endswith(_MANIFEST_SUFFIXES)
        ]
        new = [
            (c.path, f"{commit.sha}:{c.path}")
            for c in commit.changes
            if c.path and c.path.endswith(_MANIFEST_SUFFIXES)
        ]
        sides.append((commit, old, new))
    blobs = repo.read_blobs(spec for _, old, new in sides for _, spec in old + new)
    for commit, old, new in sides:
        before: dict[Key, Declaration] = {}
        after: dict[Key, Declaration] = {}
        for path, spec in old:
            before.update(parse_declarations(path, blobs.get(spec)))
        for path, spec in new:
            after.update(parse_declarations(path, blobs.get(spec)))
        yield commit, before, after


def _diff(
    commit: Commit,
    before: dict[Key, Declaration],
    after: dict[Key, Declaration],
    *,
    first_known: bool,
) -> list[Event]:
    if first_known:  # a shallow clone's oldest commit: its parent is not here to compare with
        return [Event("present", commit, None, after[key]) for key in sorted(after)]
    events = []
    for key in sorted(before.keys() & after.keys()):
        old, new = before[key], after[key]
        if old.settings != new.settings:
            events.append(Event("changed", commit, old, new))
        elif old.manifest != new.manifest:
            events.append(Event("moved", commit, old, new))
    removed = defaultdict(list)
    added = defaultdict(list)
    for key in sorted(before.keys() - after.keys()):
        removed[key.source].append(before[key])
    for key in sorted(after.keys() - before.keys()):
        added[key.source].append(after[key])
    # One destination swapped for another for the same source is a change of destination.
    for source in sorted(removed.keys() & added.keys()):
        if len(removed[source]) == 1 and len(added[source]) == 1:
            events.append(Event("changed", commit, removed.pop(source)[0], added.pop(source)[0]))
    events += [Event("removed", commit, d, None) for ds in removed.values() for d in ds]
    events += [Event("added", commit, None, d) for ds in added.values() for d in ds]
    return events


def _merge_request(repo: Repository, commit: Commit, cache: dict[str, str | None]) -> str | None:
    """The merge request named by the commit's own message, else by the merge commit that
    brought it into the first-parent line of HEAD (a merge-commit workflow leaves the
    reference only there)."""
    if commit.sha in cache:
        return cache[commit.sha]
    found = _MERGE_REQUEST.search(commit.message)
    reference = found.group(1) if found else None
    if reference is None:
        if "mainline" not in cache:  # one walk of the first-parent line, shared by all calls
            cache["mainline"] = repo.git("rev-list", "--first-parent", "HEAD")
        mainline = set((cache["mainline"] or "").split())
        if commit.sha not in mainline:
            # The oldest mainline merge that descends from the commit is the one that brought
            # it in: any older one would have brought it in already.
            out = repo.git(
                "log", "--ancestry-path", "--merges", "--reverse",
                f"--format=%H{_FS}%B{_RS}", f"{commit.sha}..HEAD",
            )  # fmt: skip
            for record in out.split(_RS):
                sha, _, message = record.strip().partition(_FS)
                if sha in mainline:
                    found = _MERGE_REQUEST.search(message)
                    reference = found.group(1) if found else None
                    break
    cache[commit.sha] = reference
    return reference
