"""The one value the whole test run treats as the user's secret, and seeds that accept it.

Tests that run the client set `SB_AUTH_TOKEN` to `SECRET_TOKEN`; the secret guard
(`secret_guard.py`) fails the session if this value shows up in anything the tool wrote or
printed. The sandbox's own demo token (`sandbox-demo-token-rfranklin`) is printed on purpose
and is not a secret.
"""

from __future__ import annotations

import copy
from typing import Any

from reconciler.sandbox.seed import load_seed

SECRET_TOKEN = "sbg-user-secret-7f3a9c2e5b1d4086e1a2"
SECRET_USER = "rfranklin"


def with_secret_token(
    seed: dict[str, Any] | None = None, username: str = SECRET_USER
) -> dict[str, Any]:
    """`seed` (default: the demo seed) with `SECRET_TOKEN` added as a token of `username`,
    first, so the sandbox handle's `.token` is the secret too."""
    document = copy.deepcopy(dict(seed if seed is not None else load_seed(None)))
    tokens = list(document.get("tokens") or [])
    document["tokens"] = [{"token": SECRET_TOKEN, "username": username}, *tokens]
    return document
