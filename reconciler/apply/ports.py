"""The calls the apply engine makes, as a Protocol: `api.ApiClient` provides them, and the
engine depends on nothing else of the client (tests may pass a fake for edge cases)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from reconciler.api.resources import Export, File, ItemError, VolumeObject


class ExportsApi(Protocol):
    def bulk_create_exports(
        self, items: Sequence[dict[str, Any]], *, copy_only: bool
    ) -> list[Export | ItemError]: ...

    def bulk_get_exports(self, export_ids: Sequence[str]) -> list[Export | ItemError]: ...

    def bulk_get_files(self, file_ids: Sequence[str]) -> list[File | ItemError]: ...

    def list_exports(self, volume_id: str | None, state: str) -> Iterable[Export]: ...

    def get_volume_object(self, volume_id: str, location: str) -> VolumeObject | None: ...
