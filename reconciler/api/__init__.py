"""The HTTP client of the Seven Bridges API v2 (see docs/api.md): configuration,
transport (sessions, TLS, pacing, retries, error translation), pagination, typed resources."""

from __future__ import annotations

from reconciler.api.client import ApiClient, VolumeListing
from reconciler.api.config import ApiConfig, resolve_config
from reconciler.api.resources import Export, File, ItemError, Project, User, Volume, VolumeObject
from reconciler.api.retry import RetryPolicy
from reconciler.api.stats import RequestStats

__all__ = [
    "ApiClient",
    "ApiConfig",
    "Export",
    "File",
    "ItemError",
    "Project",
    "RequestStats",
    "RetryPolicy",
    "User",
    "Volume",
    "VolumeListing",
    "VolumeObject",
    "resolve_config",
]
