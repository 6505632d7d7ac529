"""Merge a manifest's defaults into each entry: the `ExportRule`s the planner consumes. The
merge rules (`setting`, `merge_key_by_key`) live here only; the audit trail's lenient reading of
old manifest versions (`gitops.declarations`) applies them to raw YAML.

An entry's keys override the defaults' keys (`discovery` too, which only glob entries use);
`properties` merge key by key (only the keys a mapping actually sets count, which is what
`model_fields_set` tells). Metadata filter values become strings, the way the API stores
metadata. A plain entry (see `entries`) gets what a model of it would get: no filters, and the
properties it inherits, shared by all such entries of the manifest.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TypeVar

from reconciler.manifest.entries import MODES, OVERWRITES, SELECTORS, Entries, Settings
from reconciler.manifest.models import (
    Discovery,
    ExportEntry,
    ExportProperties,
    ExportRule,
    Manifest,
    Mode,
    Position,
    Properties,
    export_properties,
)
from reconciler.manifest.positions import COLUMN_BITS, COLUMN_MASK, MapPos, start_of, unpack

_T = TypeVar("_T")
_V = TypeVar("_V")


# What an entry gets when neither it nor the defaults say.
UNSAID_MODE = Mode.MOVE
UNSAID_OVERWRITE = False
UNSAID_DISCOVERY: Discovery = "list"


def setting(own: _T | None, default: _T | None, unsaid: _T) -> _T:
    """One setting of an entry (volume, mode, overwrite): its own value, else the defaults',
    else `unsaid`. Null counts as not said, as the models read it."""
    if own is not None:
        return own
    return default if default is not None else unsaid


def merge_key_by_key(*layers: Mapping[str, _V] | None) -> dict[str, _V]:
    """Later layers override earlier ones key by key (`properties`: defaults, then the entry)."""
    merged: dict[str, _V] = {}
    for layer in layers:
        if layer is not None:
            merged.update(layer)
    return merged


def merge_properties(*layers: Properties | None) -> ExportProperties:
    """Later layers override earlier ones key by key; unset keys keep the API's defaults."""
    merged = merge_key_by_key(
        dataclasses.asdict(export_properties()),
        *(
            {key: getattr(layer, key) for key in layer.model_fields_set}
            for layer in layers
            if layer is not None
        ),
    )
    return ExportProperties(**merged)


def metadata_text(value: object) -> str:
    """A value as the API's metadata holds it, the one rule for the manifest's `where`, the live
    files' metadata and the audit trail's settings: YAML `true` is the text `true`, not Python's
    `True`, and nothing (null) is the empty text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _position(file: str, packed: int) -> Position:
    line, column = unpack(packed)
    return Position(file, line, column)


def export_rules(manifest: Manifest, entries: Entries, *, file: str) -> tuple[ExportRule, ...]:
    """The effective rules of one valid manifest: `manifest` is its header (the model of the
    document without its entries), `entries` the entries kept while it was parsed."""
    defaults = manifest.defaults
    default_volume = defaults.volume if defaults else None
    default_mode = defaults.mode if defaults else None
    default_overwrite = defaults.overwrite if defaults else None
    default_props = defaults.properties if defaults else None
    default_discovery = defaults.discovery if defaults else None
    # Most entries of a big manifest inherit the same properties: share one object.
    inherited = merge_properties(default_props)
    discovery = setting(None, default_discovery, UNSAID_DISCOVERY)
    project, platform = manifest.project, manifest.platform
    # What the codes of a plain row's mode and overwrite come to here, the defaults applied.
    modes = [setting(mode, default_mode, UNSAID_MODE) for mode in MODES]
    overwrites = [setting(over, default_overwrite, UNSAID_OVERWRITE) for over in OVERWRITES]
    # And what a plain row's properties come to, once per set of them.
    merged: dict[Settings | None, ExportProperties] = {None: inherited}
    rules = []
    rows = zip(
        entries.kinds,
        entries.selectors,
        entries.locations,
        entries.at,
        entries.location_at,
        entries.volumes,
        entries.modes,
        entries.overwrites,
        entries.properties,
        strict=True,
    )
    for index, (
        kind,
        selector,
        location,
        at,
        location_at,
        own_volume,
        mode,
        overwrite,
        own_properties,
    ) in enumerate(rows):
        if kind == 0:
            whole = entries.whole[index]
            entry = whole.model
            assert entry is not None and isinstance(whole.positions, MapPos)
            rules.append(
                _rule(
                    manifest,
                    entry,
                    index=index,
                    file=file,
                    entry_pos=whole.positions,
                    volume=setting(entry.volume, default_volume, None),
                    mode=setting(entry.mode, default_mode, UNSAID_MODE),
                    overwrite=setting(entry.overwrite, default_overwrite, UNSAID_OVERWRITE),
                    discovery=setting(entry.discovery, default_discovery, UNSAID_DISCOVERY),
                    properties=merge_properties(default_props, entry.properties)
                    if entry.properties is not None
                    else inherited,
                )
            )
            continue
        volume = own_volume if own_volume is not None else default_volume  # setting()
        properties = merged.get(own_properties)
        if properties is None:
            properties = merged[own_properties] = merge_properties(
                default_props, Properties.model_validate(dict(own_properties or ()))
            )
        # The loader refuses a manifest with an entry lacking a volume before getting here.
        assert volume is not None and selector is not None and location is not None
        # By position, in the order of ExportRule's fields (`_rule` names them): a million
        # rules are built here, and keywords cost a second of that.
        rules.append(
            ExportRule(
                file,
                index,
                project,
                platform,
                SELECTORS[kind],  # type: ignore[arg-type]
                selector,
                (),  # exclude
                (),  # where_metadata
                (),  # where_tags
                False,  # allow_empty
                location,
                volume,
                modes[mode],
                overwrites[overwrite],
                properties,
                Position(file, (at >> COLUMN_BITS) + 1, (at & COLUMN_MASK) + 1),  # unpack
                Position(file, (location_at >> COLUMN_BITS) + 1, (location_at & COLUMN_MASK) + 1),
                discovery,
            )
        )
    return tuple(rules)


def _rule(
    manifest: Manifest,
    entry: ExportEntry,
    *,
    index: int,
    file: str,
    entry_pos: MapPos,
    volume: str | None,
    mode: Mode,
    overwrite: bool,
    discovery: Discovery,
    properties: ExportProperties,
) -> ExportRule:
    if entry.file is not None:
        kind, selector = "file", entry.file
    elif entry.path is not None:
        kind, selector = "path", entry.path
    else:
        kind, selector = "glob", entry.glob or ""
    # The loader refuses a manifest with an entry lacking a volume before getting here.
    assert volume is not None
    where = entry.where
    return ExportRule(
        manifest=file,
        index=index,
        project=manifest.project,
        platform=manifest.platform,
        kind=kind,  # type: ignore[arg-type]
        selector=selector,
        exclude=tuple(entry.exclude),
        where_metadata=tuple(
            (key, metadata_text(value)) for key, value in (where.metadata.items() if where else ())
        ),
        where_tags=tuple(where.tags) if where else (),
        allow_empty=entry.allow_empty,
        location=entry.location,
        volume=volume,
        mode=mode,
        overwrite=overwrite,
        properties=properties,
        declared_at=_position(file, entry_pos.at),
        location_at=_position(file, start_of(entry_pos.values["location"])),
        discovery=discovery,
    )
