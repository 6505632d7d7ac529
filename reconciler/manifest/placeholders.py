"""Location templates: `{name}`, `{stem}`, `{ext}`, `{path}`, `{parent}`, `{id}`.

`a.vcf.gz` has stem `a` and ext `vcf.gz` (split at the first dot that does not start the
name). `{parent}` is empty for a file at the project root; an empty segment that a placeholder
leaves collapses, so `counts/{parent}/{name}` gives `counts/x.tsv` for a root file.
"""

from __future__ import annotations

import re

PLACEHOLDERS = ("name", "stem", "ext", "path", "parent", "id")
_FIELD = re.compile(r"\{([^{}]*)\}")


def placeholder_problems(template: str) -> list[str]:
    """What is wrong with the placeholders of `template` (empty when nothing is)."""
    if "{" not in template and "}" not in template:
        return []
    problems = []
    for match in _FIELD.finditer(template):
        if match.group(1) not in PLACEHOLDERS:
            known = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
            problems.append(f"unknown placeholder {match.group(0)}: use {known}")
    leftover = _FIELD.sub("", template)
    if "{" in leftover or "}" in leftover:
        problems.append("unbalanced '{' or '}' in location")
    return problems


def has_placeholders(template: str) -> bool:
    return "{" in template and _FIELD.search(template) is not None


def uses_path(template: str) -> bool:
    """Whether `template` needs the file's path (not only its name and id)."""
    return "{path}" in template or "{parent}" in template


def split_name(name: str) -> tuple[str, str]:
    """`a.vcf.gz` -> (`a`, `vcf.gz`); `.env` -> (`.env`, ``); `README` -> (`README`, ``)."""
    dot = name.find(".", 1)
    if dot == -1:
        return name, ""
    return name[:dot], name[dot + 1 :]


def render_location(template: str, *, path: str, file_id: str) -> str:
    """The location for the project file at `path` (inside its project) with id `file_id`."""
    if "{" not in template:
        return template
    parent, _, name = path.rpartition("/")
    stem, ext = split_name(name)
    values = {"name": name, "stem": stem, "ext": ext, "path": path, "parent": parent, "id": file_id}
    rendered = _FIELD.sub(lambda m: values[m.group(1)], template)
    return "/".join(segment for segment in rendered.split("/") if segment)
