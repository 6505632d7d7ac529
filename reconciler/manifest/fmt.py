"""The canonical layout of a manifest, like `terraform fmt`: 2-space indent, lists indented
under their key, block style, keys in the order of the reference; comments are kept (ruamel.yaml
round-trip). Formatting never changes what a manifest says, so the digest stays the same.
"""

from __future__ import annotations

import io
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

TOP_ORDER = (
    "version",
    "platform",
    "project",
    "description",
    "labels",
    "guards",
    "defaults",
    "exports",
)
ENTRY_ORDER = (
    "file",
    "path",
    "glob",
    "exclude",
    "where",
    "allow_empty",
    "location",
    "volume",
    "mode",
    "overwrite",
    "properties",
    "description",
)
DEFAULTS_ORDER = ("volume", "mode", "overwrite", "properties")
PROPERTIES_ORDER = ("sse_algorithm", "sse_aws_kms_key_id", "aws_canned_acl", "aws_storage_class")
WHERE_ORDER = ("metadata", "tags")


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
    """The canonical layout of a manifest that `load_text` accepted."""
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
            _reorder(guards, ("max_moves", "max_bytes"))
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
