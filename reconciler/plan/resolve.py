"""Selectors to desired items: each `ExportRule` resolved against the project files read.

A rule by ID names one file (`live.files_by_id`); by path, one entry of its project's tree; a
glob, every file (never a folder) whose path matches and that passes the `where` filters.
Each match becomes a `Desired` (file, rendered location); what cannot be resolved becomes an
`Unresolved` with the blocked reason. Folders found by ID or path are passed on as desired:
`decide.py` blocks them, with the rest of the per-file checks.

This is the one place where manifests meet files: globs are matched and locations rendered
here only. `resolve_all` runs once per plan, between reading the files and reading the
destinations: the live reader reads the destinations of its `Resolution`, and the planner
decides on the same `Resolution`. Only what the files read says is used (never the objects),
so resolving before the destinations are read gives the same result as after.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from reconciler.core.live import LiveFile, LiveState
from reconciler.manifest.globs import compile_glob
from reconciler.manifest.models import ExportRule
from reconciler.manifest.placeholders import PLACEHOLDERS, render_location, split_name
from reconciler.plan.model import BlockedReason

_NOT_READ = object()
_FIELD_SPLIT = re.compile(r"\{([^{}]*)\}")


class Desired(NamedTuple):
    """One file a rule selects, and its rendered location (a NamedTuple: one per item)."""

    rule: ExportRule
    file: LiveFile
    location: str


@dataclass(frozen=True, slots=True)
class Unresolved:
    """A rule, or one file of it, that resolves to nothing that can be exported. `location` is
    rendered for the file when the file is known."""

    rule: ExportRule
    reason: BlockedReason
    sentence: str
    file: LiveFile | None = None
    location: str | None = None


@dataclass(frozen=True, slots=True)
class Resolution:
    """Every rule of a manifest set resolved: its items in declaration order, and the files
    that a selector names but that resolve to no item (`passed_over`: a glob's matches that
    its `where` filters leave out, a file named by ID in a project that was not found); the
    reader counts both as declared when it looks for unmanaged aliases."""

    items: Sequence[Desired | Unresolved]
    passed_over: frozenset[str] = frozenset()

    def declared(self) -> set[str]:
        """The ids of every file a rule's selector names."""
        return {i.file.id for i in self.items if i.file is not None} | self.passed_over


def resolve_all(rules: Iterable[ExportRule], live: LiveState) -> Resolution:
    """Every rule resolved against the files of `live` (see the module docstring)."""
    items: list[Desired | Unresolved] = []
    passed_over: set[str] = set()
    for rule in rules:
        items.extend(_resolve(rule, live, passed_over))
    return Resolution(items, frozenset(passed_over))  # no copy: 100,000 items at times


def _resolve(
    rule: ExportRule, live: LiveState, passed_over: set[str]
) -> Sequence[Desired | Unresolved]:
    """The desired items of one rule, or why it resolves to nothing exportable."""
    files = live.projects.get(rule.project)
    if files is not None and not files.found:
        if rule.kind == "file" and live.files_by_id.get(rule.selector) is not None:
            passed_over.add(rule.selector)
        return (
            Unresolved(
                rule,
                BlockedReason.PROJECT_NOT_FOUND,
                f"project {rule.project} not found or out of the token's reach",
            ),
        )
    if rule.kind == "file":
        return (_by_id(rule, live),)
    if files is None:
        # The live reader reads every declared project; one it did not read is reported, not
        # guessed at.
        return (
            Unresolved(
                rule, BlockedReason.PROJECT_NOT_FOUND, f"project {rule.project} was not read"
            ),
        )
    if rule.kind == "path":
        found = files.by_path.get(rule.selector)
        if found is None:
            return (
                Unresolved(
                    rule, BlockedReason.NOT_FOUND, f"no file at {rule.project}:{rule.selector}"
                ),
            )
        return (desired(rule, found),)
    return _by_glob(rule, live, passed_over)


def desired(rule: ExportRule, file: LiveFile) -> Desired:
    return Desired(rule, file, location_for(rule.location, file))


def location_for(template: str, file: LiveFile) -> str:
    """`render_location` for this file, through a renderer compiled once per template."""
    if "{" not in template:
        return template
    render = _RENDERERS.get(template)
    if render is None:
        render = _RENDERERS[template] = _compile_template(template)
    return render(file.path or file.name, file.id)


_RENDERERS: dict[str, Callable[[str, str], str]] = {}


def _compile_template(template: str) -> Callable[[str, str], str]:
    """The same result as `placeholders.render_location`, without a regex per call: a plan
    renders 100,000 locations from a handful of templates."""
    # Literal text sits at even indexes, placeholder names at odd ones; with no other brace in
    # the literal text, the template is a valid `str.format` template.
    parts = _FIELD_SPLIT.split(template)
    names = set(parts[1::2])
    is_path = template == "{path}"
    if not names <= set(PLACEHOLDERS) or "{" in "".join(parts[::2]) or "}" in "".join(parts[::2]):
        # Validation refuses such templates; should one get here, the reference renderer
        # decides what happens.
        return lambda path, file_id: render_location(template, path=path, file_id=file_id)

    def render(path: str, file_id: str) -> str:
        # `{path}`: the file's own path string, not a copy of it, when it needs no tidying.
        if is_path and "//" not in path and not path.startswith("/") and not path.endswith("/"):
            return path
        parent, _, name = path.rpartition("/")
        stem, ext = split_name(name) if names & {"stem", "ext"} else ("", "")
        rendered = template.format_map(
            {"name": name, "stem": stem, "ext": ext, "path": path, "parent": parent, "id": file_id}
        )
        if "//" not in rendered and not rendered.startswith("/") and not rendered.endswith("/"):
            return rendered
        return "/".join(segment for segment in rendered.split("/") if segment)

    return render


def file_not_found(file_id: str) -> str:
    return f"file {file_id} not found or out of the token's reach"


def file_elsewhere(file_id: str, project: str, declared: str) -> str:
    return f"file {file_id} is in project {project}, not in the manifest's project {declared}"


def _by_id(rule: ExportRule, live: LiveState) -> Desired | Unresolved:
    found = live.files_by_id.get(rule.selector, _NOT_READ)
    if found is _NOT_READ or found is None:
        return Unresolved(rule, BlockedReason.NOT_FOUND, file_not_found(rule.selector))
    assert isinstance(found, LiveFile)
    if found.project != rule.project:
        return Unresolved(
            rule,
            BlockedReason.NOT_IN_PROJECT,
            file_elsewhere(rule.selector, found.project, rule.project),
            file=found,
            location=location_for(rule.location, found),
        )
    return desired(rule, found)


def _by_glob(
    rule: ExportRule, live: LiveState, passed_over: set[str]
) -> Sequence[Desired | Unresolved]:
    files = live.projects[rule.project]
    matches = compile_glob(rule.selector, rule.exclude)
    wanted_metadata = rule.where_metadata
    wanted_tags = rule.where_tags
    matched: list[Desired | Unresolved] = []
    for path in sorted(files.by_path):
        file = files.by_path[path]
        if file.is_folder or not matches(path):
            continue
        if (wanted_metadata or wanted_tags) and not _passes(rule, file):
            passed_over.add(file.id)
            continue
        matched.append(desired(rule, file))
    if not matched and not rule.allow_empty:
        what = f"glob {rule.selector!r}"
        if rule.exclude or wanted_metadata or wanted_tags:
            what += " (with its exclude/where filters)"
        return (
            Unresolved(
                rule,
                BlockedReason.GLOB_EMPTY,
                f"{what} matches no file in {rule.project}; set allow_empty: true if that is "
                "expected",
            ),
        )
    return matched


class Declarations:
    """The rules of a manifest set, looked up by the file they select: `apply --reviewed`
    reads only the reviewed items' files and must know whether the manifests (which may have
    moved on since the review) still declare each of those exports. A file is selected here
    exactly as `resolve_all` selects it, on the path the reviewed plan shows for it."""

    def __init__(self, rules: Iterable[ExportRule]) -> None:
        self._by_id: dict[str, list[ExportRule]] = {}
        self._by_path: dict[tuple[str, str], list[ExportRule]] = {}
        self._globs: list[tuple[ExportRule, Callable[[str], bool]]] = []
        for rule in rules:
            if rule.kind == "file":
                self._by_id.setdefault(rule.selector, []).append(rule)
            elif rule.kind == "path":
                self._by_path.setdefault((rule.project, rule.selector), []).append(rule)
            else:
                self._globs.append((rule, compile_glob(rule.selector, rule.exclude)))

    def selecting(self, file: LiveFile) -> list[Desired]:
        """Every rule that selects `file` (at `file.path`), with the location it renders."""
        rules = [r for r in self._by_id.get(file.id, ()) if r.project == file.project]
        if file.path:
            rules += self._by_path.get((file.project, file.path), ())
            if not file.is_folder:
                rules += [
                    rule
                    for rule, matches in self._globs
                    if rule.project == file.project and matches(file.path) and _passes(rule, file)
                ]
        return [desired(rule, file) for rule in rules]


def _passes(rule: ExportRule, file: LiveFile) -> bool:
    """The glob's `where` filters."""
    return all(file.metadata.get(k) == v for k, v in rule.where_metadata) and all(
        tag in file.tags for tag in rule.where_tags
    )
