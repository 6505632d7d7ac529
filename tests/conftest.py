"""Shared fixtures: a real sandbox server on a real loopback port, in a temporary data folder.

    sandbox                     a fresh sandbox with the demo seed (function scope)
    make_sandbox(seed=None, data_dir=None, reset=False, **settings) -> Sandbox
                                more sandboxes: `seed` is a YAML/JSON path or a mapping (None:
                                the demo seed); `settings` are those of /_sandbox/config
                                (job_pace, search_lag, latency, read_error_rate,
                                write_error_rate, maintenance, lose_responses, fail_files,
                                rate_limit, rate_window, random_seed). Every sandbox made is
                                stopped after the test.

Jobs run at FAST_JOB_PACE unless a test says otherwise. A `Sandbox` offers `.url` (ending in
/v2), `.token`, `.data_dir`, `.db_path`, `.configure(**settings)`, `.settings()`,
`.request_log()`, `.query(sql, params)`, `.file(id)`, `.export(id)`,
`.object_path(volume, location)`, `.wait_for_jobs()` and `.stop()`
(see reconciler/sandbox/server.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from reconciler.sandbox.server import Sandbox, start

FAST_JOB_PACE = 0.2  # seconds from a job's creation to its end, in tests

MakeSandbox = Callable[..., Sandbox]


@pytest.fixture(autouse=True)
def _no_merge_request_base(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run in a GitLab merge request pipeline, the suite would see its merge base, and every
    `plan` would mark its items against a commit of this repository: the tests that want a
    base set one."""
    monkeypatch.delenv("CI_MERGE_REQUEST_DIFF_BASE_SHA", raising=False)
    monkeypatch.delenv("CI_MERGE_REQUEST_TARGET_BRANCH_SHA", raising=False)


@pytest.fixture
def make_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MakeSandbox]:
    started: list[Sandbox] = []

    def make(
        seed: Path | str | dict[str, Any] | None = None,
        *,
        data_dir: Path | None = None,
        reset: bool = False,
        **settings: Any,
    ) -> Sandbox:
        settings.setdefault("job_pace", FAST_JOB_PACE)
        folder = data_dir if data_dir is not None else tmp_path_factory.mktemp("sandbox")
        running = start(folder, seed=seed, reset=reset, port=0, **settings)
        started.append(running)
        return running

    yield make
    for running in started:
        running.stop()


@pytest.fixture
def sandbox(make_sandbox: MakeSandbox) -> Sandbox:
    return make_sandbox()
