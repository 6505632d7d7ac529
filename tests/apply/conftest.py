"""Apply tests poll fast: the sandbox's jobs end in a fraction of a second."""

from __future__ import annotations

import pytest

from reconciler.apply.engine import EngineSettings
from reconciler.apply.poll import Schedule
from reconciler.commands import apply as apply_command

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
