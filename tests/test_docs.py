"""The documentation holds: a short README whose commands and example work, every page in the
site's navigation, and the reference's generated parts (scripts/docs_hooks.py) covering every
command, option, manifest key and plan field the code has today. `mkdocs build --strict` itself
runs in scripts/check.py."""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
from pathlib import Path
from types import ModuleType

import pytest
from ruamel.yaml import YAML

from reconciler import cli
from reconciler.manifest.schema import schema_text

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
DOCS = ROOT / "docs"


def _hooks() -> ModuleType:
    spec = importlib.util.spec_from_file_location("docs_hooks", ROOT / "scripts/docs_hooks.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


hooks = _hooks()


def test_the_readme_is_short_and_its_links_lead_somewhere() -> None:
    assert len(README) < 8000
    links = re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", README)
    assert "docs/tutorial.md" in links
    missing = [link for link in links if "://" not in link and not (ROOT / link).exists()]
    assert missing == []


def test_the_readme_test_command_is_the_one_ci_runs() -> None:
    run = (ROOT / ".ci/run").read_text(encoding="utf-8")
    ci = run.split("# README test command:\n", 1)[1].splitlines()[0]
    assert ci == "python -m pip install -e '.[test]' && python scripts/check.py"
    assert ci.replace("python ", "python3 ") in README


def test_the_readme_manifest_validates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    example = re.search(r"## A manifest\n\n```yaml\n(.*?)```", README, re.S)
    assert example is not None
    assert len(example.group(1).splitlines()) <= 10
    (tmp_path / "manifests").mkdir()
    (tmp_path / "manifests/example.yaml").write_text(example.group(1), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert cli.main(["validate"]) == 0
    assert "valid" in capsys.readouterr().out


def _nav_pages(nav: object) -> list[str]:
    if isinstance(nav, str):
        return [nav]
    if isinstance(nav, list):
        return [page for entry in nav for page in _nav_pages(entry)]
    if isinstance(nav, dict):
        return [page for value in nav.values() for page in _nav_pages(value)]
    return []


def test_every_page_is_in_the_navigation_once() -> None:
    config = YAML(typ="safe").load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    assert config["theme"]["name"] == "material" and config["strict"] is True
    pages = _nav_pages(config["nav"])
    on_disk = sorted(p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md"))
    assert sorted(pages) == on_disk


def test_every_generated_part_is_known_and_filled_in() -> None:
    marks = {
        name: page
        for page in DOCS.rglob("*.md")
        for name in hooks.MARK.findall(page.read_text(encoding="utf-8"))
    }
    assert set(marks) == set(hooks.GENERATORS)
    for page in set(marks.values()):
        filled = hooks.on_page_markdown(page.read_text(encoding="utf-8"), page=None)
        assert "<!-- generated:" not in filled
    with pytest.raises(ValueError, match="no generated part named 'nope'"):
        hooks.generate("nope")


def test_the_commands_reference_has_every_command_and_option() -> None:
    page = hooks.commands_reference()
    parser = cli.build_parser()
    (commands,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    assert "init" in commands.choices
    for name, command in commands.choices.items():
        assert f"## `reconciler {name}`" in page
        for action in command._actions:
            if isinstance(action, argparse._HelpAction):
                continue  # every command has -h; the usage line shows it
            for option in action.option_strings:
                assert f"`{option}`" in page, (name, option)


def _keys(schema: dict[str, object]) -> set[str]:
    found = set(schema.get("properties", {}))  # type: ignore[arg-type]
    for definition in schema.get("$defs", {}).values():  # type: ignore[attr-defined]
        found |= set(definition.get("properties", {}))
    return found


def test_the_manifest_reference_has_every_key_of_the_schema() -> None:
    page = hooks.manifest_reference()
    schema = json.loads(schema_text())
    assert {key for key in _keys(schema) if f"| `{key}` |" not in page} == set()
    assert "| `glob` |" in page and "`Properties`" in page


def test_the_plan_reference_has_every_field_of_the_plan_schema() -> None:
    page = hooks.plan_reference()
    schema = json.loads((ROOT / "schemas/plan.schema.json").read_text(encoding="utf-8"))
    assert {key for key in _keys(schema) if f"| `{key}` |" not in page} == set()


def test_the_changelog_page_is_the_changelog() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "## 0.1.0 (2026-12-06)" in changelog
    assert hooks.changelog() in changelog
    assert not hooks.changelog().startswith("# ")
