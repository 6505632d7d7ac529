"""The documentation's generated parts, filled in when MkDocs builds the site (`hooks:` in
mkdocs.yml): a page holds a mark `<!-- generated: NAME -->` and the build puts there what the
code says today, so the reference cannot drift from it.

- `commands`: every subcommand and option, from the argument parser (`reconciler/cli.py`);
- `manifest-schema`: every key of the manifest language, from its JSON schema (the models);
- `plan-schema`: the top-level fields of a saved plan, from `schemas/plan.schema.json`;
- `changelog`: CHANGELOG.md at the top of the repository.

tests/test_docs.py calls these functions as well, without building the site.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MARK = re.compile(r"<!-- generated: ([a-z-]+) -->")


def on_page_markdown(markdown: str, **_: Any) -> str:
    return MARK.sub(lambda found: generate(found.group(1)), markdown)


def generate(name: str) -> str:
    if name not in GENERATORS:
        raise ValueError(f"no generated part named {name!r} (docs hooks: {sorted(GENERATORS)})")
    return GENERATORS[name]()


def commands_reference() -> str:
    from reconciler.cli import build_parser

    parser = build_parser()
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    summaries = {action.dest: action.help or "" for action in subparsers._choices_actions}
    parts = []
    for name, command in subparsers.choices.items():
        parts.append(f"## `reconciler {name}`\n")
        parts.append(f"{_cell(summaries.get(name, ''))}\n")
        if command.description:
            parts.append(f"{command.description}\n")
        usage = " ".join(command.format_usage().split())
        parts.append(f"```\n{usage.removeprefix('usage: ')}\n```\n")
        rows = [_option_row(action) for action in command._actions if action.help != "==SUPPRESS=="]
        rows = [row for row in rows if row]
        if rows:
            parts.append("| argument | meaning | default |\n|---|---|---|")
            parts.append("\n".join(rows) + "\n")
    return "\n".join(parts)


def _option_row(action: argparse.Action) -> str:
    if isinstance(action, argparse._HelpAction):
        return ""
    if action.option_strings:
        names = ", ".join(f"`{option}`" for option in action.option_strings)
        takes = action.nargs != 0
        if takes:
            names += f" `{_metavar(action)}`"
    else:
        names = f"`{_metavar(action)}`"
    default = action.default
    shown = "" if default in (None, False, [], argparse.SUPPRESS) else f"`{default}`"
    return f"| {names} | {_cell(action.help or '')} | {shown} |"


def _metavar(action: argparse.Action) -> str:
    if action.metavar is not None:
        return str(action.metavar)
    if action.choices is not None:
        return "{" + ",".join(str(c) for c in action.choices) + "}"
    return action.dest.upper() if action.option_strings else action.dest


def manifest_reference() -> str:
    from reconciler.manifest.schema import schema_text

    schema = json.loads(schema_text())
    parts = [_schema_table("The manifest (top level)", schema, schema)]
    for name, definition in schema.get("$defs", {}).items():
        if "properties" in definition:
            parts.append(_schema_table(f"`{name}`", definition, schema))
        elif "enum" in definition:
            values = ", ".join(f"`{v}`" for v in definition["enum"])
            parts.append(f"### `{name}`\n\n{_cell(definition.get('description', ''))} {values}\n")
    return "\n".join(parts)


def plan_reference() -> str:
    schema = json.loads((ROOT / "schemas/plan.schema.json").read_text(encoding="utf-8"))
    parts = [_schema_table("A saved plan (top level)", schema, schema)]
    for name, definition in schema.get("$defs", {}).items():
        if "properties" in definition:
            parts.append(_schema_table(f"`{name}`", definition, schema))
    return "\n".join(parts)


def _schema_table(title: str, node: dict[str, Any], schema: dict[str, Any]) -> str:
    required = set(node.get("required", []))
    rows = ["| key | type | required | default | meaning |", "|---|---|---|---|---|"]
    for key, prop in node.get("properties", {}).items():
        default = f"`{json.dumps(prop['default'])}`" if "default" in prop else ""
        rows.append(
            f"| `{key}` | {_type(prop, schema)} | {'yes' if key in required else ''} | "
            f"{default} | {_cell(_description(prop, schema))} |"
        )
    intro = _cell(node.get("description", ""))
    return f"### {title}\n\n{intro}\n\n" + "\n".join(rows) + "\n"


def _description(prop: dict[str, Any], schema: dict[str, Any]) -> str:
    """The key's own description, else its one alternative's or its referenced definition's."""
    if prop.get("description"):
        return str(prop["description"])
    for option in prop.get("anyOf", []):
        if option.get("description"):
            return str(option["description"])
        if "$ref" in option:
            target = schema.get("$defs", {}).get(option["$ref"].rsplit("/", 1)[-1], {})
            if target.get("description"):
                return str(target["description"])
    return ""


def _type(prop: dict[str, Any], schema: dict[str, Any]) -> str:
    if "$ref" in prop:
        name = prop["$ref"].rsplit("/", 1)[-1]
        return f"`{name}`"
    if "const" in prop:
        return f"`{json.dumps(prop['const'])}`"
    if "enum" in prop:
        return " \\| ".join(f"`{json.dumps(v)}`" for v in prop["enum"])
    if "anyOf" in prop:
        return " or ".join(_type(option, schema) for option in prop["anyOf"])
    kind = prop.get("type", "any")
    if kind == "array" and "items" in prop:
        return f"list of {_type(prop['items'], schema)}"
    if "pattern" in prop:  # a short one says it all; a long one is the rules below in regex
        short = len(prop["pattern"]) <= 48 and "|" not in prop["pattern"]
        return f"{kind} matching `{prop['pattern']}`" if short else f"{kind} (a checked pattern)"
    return str(kind)


def changelog() -> str:
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    return text.partition("\n")[2]  # the page has its own title


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


GENERATORS = {
    "commands": commands_reference,
    "manifest-schema": manifest_reference,
    "plan-schema": plan_reference,
    "changelog": changelog,
}
