"""The digest of a set of manifests: sha256 over their parsed, canonical content.

Comments, key order, quoting, anchors and `fmt` do not change it; any change of what the
manifests say does. Saved plans record it so that apply can refuse a plan made from other
manifests. Hashing the parsed data (not the models) keeps it cheap for 100,000 entries.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any


def content_digest(data: Any) -> str:
    """sha256 hex of one manifest's parsed data in canonical JSON (sorted keys)."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def set_digest(files: Iterable[tuple[str, str]]) -> str:
    """`sha256:<hex>` over (path relative to the root, content digest) pairs, in path order."""
    digest = hashlib.sha256()
    for path, content in sorted(files):
        digest.update(f"{path}\0{content}\n".encode())
    return f"sha256:{digest.hexdigest()}"
