"""Apply tests poll fast (the sandbox's jobs end in a fraction of a second: `helpers.run_cli`
runs the CLI with the runtime `fast_runtime` makes), and a lab: a sandbox seeded with groups of
files, the environment pointing at it, and their manifest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .helpers import FAST_POLLS, SETTLE_SECONDS, seed, use_sandbox, write_manifest

__all__ = ["FAST_POLLS", "SETTLE_SECONDS"]


@pytest.fixture
def lab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_sandbox: Any) -> Any:
    """`lab(groups, exports, **settings)`: a sandbox seeded with `groups` (`seed`), the
    environment pointing at it, the manifest of `exports`; returns (sandbox, seed, manifest).
    The test runs in `tmp_path`; the manifest is in `manifests/`, the state folder beside it."""

    def make(groups: dict[str, int], exports: list[dict[str, Any]], **settings: Any) -> Any:
        data = seed(groups)
        sandbox = make_sandbox(seed=data, **settings)
        use_sandbox(monkeypatch, sandbox, tmp_path)
        manifest = write_manifest(tmp_path / "manifests", exports)
        return sandbox, data, manifest

    monkeypatch.chdir(tmp_path)
    return make
