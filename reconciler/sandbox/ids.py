"""Identifiers and timestamps in the platform's formats."""

from __future__ import annotations

import hashlib
import re
import secrets
import string
import time
import uuid

FILE_ID = re.compile(r"^[0-9a-f]{24}$")
_EXPORT_ID_ALPHABET = string.ascii_letters + string.digits


def derived_id(*parts: str) -> str:
    """A stable 24-hex id for a seeded file or folder, so a seed always yields the same ids."""
    return hashlib.sha1("\0".join(parts).encode()).hexdigest()[:24]


def new_export_id() -> str:
    # Never from the seedable fault generator: ids must stay unique across restarts.
    return "".join(secrets.choice(_EXPORT_ID_ALPHABET) for _ in range(32))


def new_request_id() -> str:
    return uuid.uuid4().hex


def iso(timestamp: float) -> str:
    """UTC, second precision, `Z` suffix: the format sevenbridges-python parses."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(timestamp))
