"""Apply tests poll fast (the sandbox's jobs end in a fraction of a second), and a lab: a
sandbox seeded with groups of files, the environment pointing at it, and their manifest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reconciler.apply.engine import EngineSettings
from reconciler.apply.poll import Schedule
from reconciler.commands import apply as apply_command

from .helpers import seed, use_sandbox, write_manifest

FAST_POLLS = Schedule(first=0.2, backoff=1.5, maximum=1.0)
# Longer than any sandbox latency a test sets: a create still in the server has landed by then.
SETTLE_SECONDS = 1.0


@pytest.fixture(autouse=True)
def fast_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    def settings(wait_timeout: float) -> EngineSettings:
        return EngineSettings(
            wait_timeout=wait_timeout,
            schedule=FAST_POLLS,
            uncertain_grace=SETTLE_SECONDS,
            uncertain_margin=0.5,
        )

    monkeypatch.setattr(apply_command, "EngineSettings", settings)


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
