"""The canonical layout of a manifest, like `terraform fmt`: 2-space indent, lists indented
under their key, block style, keys in the order of the reference; comments are kept (ruamel.yaml
round-trip). Formatting never changes what a manifest says, so the digest stays the same.
"""

from __future__ import annotations

import io
from typing import Any

from pydantic import BaseModel
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from reconciler.manifest.models import Defaults, ExportEntry, Guards, Manifest, Properties, Where


def _keys(model: type[BaseModel]) -> tuple[str, ...]:
    """A model's keys in the order it declares them: the reference's order (the schema's too)."""
    return tuple(field.alias or name for name, field in model.model_fields.items())


TOP_ORDER = _keys(Manifest)
ENTRY_ORDER = _keys(ExportEntry)
DEFAULTS_ORDER = _keys(Defaults)
PROPERTIES_ORDER = _keys(Properties)
WHERE_ORDER = _keys(Where)
GUARDS_ORDER = _keys(Guards)


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 100
    yaml.preserve_quotes = True
    return yaml


def _reorder(mapping: CommentedMap, order: tuple[str, ...]) -> None:
    """Keys of the reference first, in its order; any others after, as they were. Comments are
    stored per key, so they move with their key."""
    rank = {key: index for index, key in enumerate(order)}
    wanted = sorted(mapping, key=lambda k: (rank.get(k, len(order)), list(mapping).index(k)))
    for key in wanted:
        mapping.move_to_end(key)


def _block(node: Any) -> None:
    if isinstance(node, CommentedMap | CommentedSeq):
        node.fa.set_block_style()
        for child in node.values() if isinstance(node, CommentedMap) else node:
            _block(child)


def _sub(mapping: CommentedMap, key: str) -> CommentedMap | None:
    value = mapping.get(key)
    return value if isinstance(value, CommentedMap) else None


def format_text(text: str) -> str:
    """The canonical layout of a manifest that loading accepted."""
    yaml = _yaml()
    document = yaml.load(text)
    if isinstance(document, CommentedMap):
        _reorder(document, TOP_ORDER)
        defaults = _sub(document, "defaults")
        if defaults is not None:
            _reorder(defaults, DEFAULTS_ORDER)
            props = _sub(defaults, "properties")
            if props is not None:
                _reorder(props, PROPERTIES_ORDER)
        guards = _sub(document, "guards")
        if guards is not None:
            _reorder(guards, GUARDS_ORDER)
        for entry in document.get("exports") or ():
            if isinstance(entry, CommentedMap):
                _reorder(entry, ENTRY_ORDER)
                for key, order in (("properties", PROPERTIES_ORDER), ("where", WHERE_ORDER)):
                    sub = _sub(entry, key)
                    if sub is not None:
                        _reorder(sub, order)
    _block(document)
    out = io.StringIO()
    yaml.dump(document, out)
    return out.getvalue()
