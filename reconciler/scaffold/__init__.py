"""What `reconciler init` writes: a new manifests repository as a table of relative paths and
their texts, filled from the templates kept beside this module (package data).

Nothing here touches the target folder: the command checks every path first and writes them
all, or none. A template's `{{name}}` marks are replaced by plain text; no other syntax is
read, so the CI files' own `$VARIABLES` and `${{ }}` pass through untouched.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from urllib.parse import urlsplit

CI_CHOICES = ("gitlab", "github", "none")
DEFAULT_SOURCE = "https://gitlab.example.org/tools/reconciler.git"

MANIFEST = "manifests/first-export.yaml"
CI_FILES = {"gitlab": ".gitlab-ci.yml", "github": ".github/workflows/reconciler.yml"}
_CI_TEMPLATES = {"gitlab": "gitlab-ci.yml", "github": "github-workflow.yml"}


@dataclass(frozen=True)
class Choices:
    """What the user chose (or the defaults): every value is written as given."""

    ci: str
    project: str
    volume: str
    platform: str
    source: str
    version: str


def scaffold(choices: Choices) -> dict[str, str]:
    """The files of a new manifests repository, relative POSIX path -> text, in writing order."""
    values = _values(choices)
    files = {MANIFEST: _fill("manifest.yaml", values)}
    if choices.ci in CI_FILES:
        files[CI_FILES[choices.ci]] = _fill(_CI_TEMPLATES[choices.ci], values)
    if choices.ci == "github":
        files[CI_FILES["github"]] = _personal_caller(files[CI_FILES["github"]], choices)
    files[".pre-commit-config.yaml"] = _fill("pre-commit-config.yaml", values)
    files[".gitignore"] = _fill("gitignore", values)
    pinned = [f"`{path}`" for path in files if path in CI_FILES.values()]
    values["pins"] = ", ".join([*pinned, "`.pre-commit-config.yaml`"])
    values["ci_section"] = _fill(f"readme-{choices.ci}.md", values)
    files["README.md"] = _fill("readme.md", values)
    return files


def component_path(source: str) -> str:
    """The GitLab component's project path from the URL of the repository hosting reconciler
    (`https://gitlab.example.org/tools/reconciler.git` -> `tools/reconciler`)."""
    path = urlsplit(source).path.strip("/")
    return path.removesuffix(".git") or "tools/reconciler"


def platform_variable(platform: str) -> str:
    """A platform's short name as CI variable names carry it: `aws-us` -> `AWS_US`."""
    return platform.upper().replace("-", "_")


def _values(choices: Choices) -> dict[str, str]:
    return {
        "project": choices.project,
        "volume": choices.volume,
        "platform": choices.platform,
        "platform_variable": platform_variable(choices.platform),
        "source": choices.source,
        "component": component_path(choices.source),
        "version": choices.version,
    }


# The packaged GitHub caller is a complete workflow as it stands (actionlint checks it, and the
# docs show it to copy by hand), so it carries an example's values, not `{{marks}}`; `init`
# puts the user's in their place.
GITHUB_EXAMPLE_TARGET = '"platform": "aws-us", "project": "lab/rna-seq"'
GITHUB_EXAMPLE_INSTALL = "git+https://github.com/OWNER/reconciler@v0.1.0"


def _personal_caller(text: str, choices: Choices) -> str:
    target = f'"platform": "{choices.platform}", "project": "{choices.project}"'
    install = f"git+{choices.source}@{choices.version}"
    return text.replace(GITHUB_EXAMPLE_TARGET, target).replace(GITHUB_EXAMPLE_INSTALL, install)


def _fill(template: str, values: dict[str, str]) -> str:
    text = resources.files("reconciler.scaffold").joinpath(template).read_text(encoding="utf-8")
    for name, value in values.items():
        text = text.replace("{{" + name + "}}", value)
    return text
