"""Which declarations a change adds or changes, against its merge base: the places
(`FILE:LINE:COL`) of the manifests' entries that are not declared so at the base commit, for
`plan --base REF` (in a merge request pipeline, `CI_MERGE_REQUEST_DIFF_BASE_SHA`).

A manifest file whose content is the same at the base declares nothing new. Any other is read
leniently in both versions (`declarations.py`) and an entry counts as changed when no
declaration of the changed files at the base has its key (project, selector, destination)
and its settings (mode, overwrite, properties, filters). An entry moved from a file the change
deletes or renames is counted as changed: the label errs toward "this merge request", never
toward "earlier". The only git here is `gitlog.Repository`.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from reconciler.errors import ConfigError
from reconciler.gitops.declarations import Declaration, declarations_by_index
from reconciler.gitops.gitlog import HistoryError, Repository
from reconciler.manifest.models import ExportRule, ManifestSet


def changed_places(manifests: ManifestSet, base: str) -> frozenset[str]:
    """The `declared_at` of every rule of `manifests` that `base` does not declare so."""
    paths = sorted({rule.manifest for rule in manifests.rules})
    if not paths:
        return frozenset()
    repo = Repository(Path(paths[0]).resolve().parent)
    try:
        commit = repo.git("rev-parse", "--verify", "--quiet", f"{base}^{{commit}}").strip()
    except HistoryError:
        raise ConfigError(
            f"{base} is not a commit of this clone (a shallow clone may lack the merge base: "
            "fetch it, or clone with more depth)"
        ) from None
    relative = {path: _in_repository(repo, path) for path in paths}
    before = repo.read_blobs(f"{commit}:{rel}" for rel in relative.values() if rel)
    changed_files: dict[str, bytes] = {}
    for path, rel in relative.items():
        now = Path(path).read_bytes()
        if rel is None or before.get(f"{commit}:{rel}") != now:
            changed_files[path] = now
    if not changed_files:
        return frozenset()
    at_base = {
        _identity(d)
        for path in changed_files
        for d in declarations_by_index(path, before.get(f"{commit}:{relative[path]}"))
        if d is not None
    }
    now_by_file = {path: declarations_by_index(path, now) for path, now in changed_files.items()}
    return frozenset(_changed(manifests.rules, now_by_file, at_base))


def _changed(
    rules: Iterable[ExportRule],
    now_by_file: dict[str, list[Declaration | None]],
    at_base: set[tuple[object, ...]],
) -> Iterable[str]:
    for rule in rules:
        declared = now_by_file.get(rule.manifest)
        if declared is None:
            continue  # a file the change leaves as it was
        now = declared[rule.index] if rule.index < len(declared) else None
        if now is None or _identity(now) not in at_base:
            yield str(rule.declared_at)


def _identity(declaration: Declaration) -> tuple[object, ...]:
    return (declaration.key, declaration.settings)


def _in_repository(repo: Repository, path: str) -> str | None:
    try:
        return Path(path).resolve().relative_to(repo.top.resolve()).as_posix()
    except ValueError:
        return None
