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

from reconciler.core import stopping
from reconciler.sandbox.server import Sandbox, start

# Modules that measure time or the pace of output (silences, ticks a second, rate-limit
# windows, a run's deadline) or drive a terminal, a browser or a whole wheel: scripts/check.py
# runs them in one process after the rest, which runs in several, so that nothing else
# competes for the CPU while they measure.
SERIAL_MODULES = frozenset(
    {
        "tests/api/test_client_sandbox.py",
        "tests/api/test_transport.py",
        "tests/api/test_waits.py",
        "tests/apply/test_apply_sandbox.py",
        "tests/apply/test_concurrent_submit.py",
        "tests/apply/test_guards_progress.py",
        "tests/apply/test_kill.py",
        "tests/apply/test_never_silent.py",
        "tests/apply/test_progress_terminal.py",
        "tests/plan/test_render_html_browser.py",
        "tests/reliability/test_hostile_servers.py",
        "tests/reliability/test_safe_defaults.py",
        "tests/reliability/test_soak.py",
        "tests/reliability/test_time_limit.py",
        "tests/sandbox/test_faults.py",
        "tests/test_converge_cli.py",
        "tests/test_live_estimate.py",
        "tests/test_live_progress.py",
        "tests/test_packaging.py",
        "tests/test_ticker.py",
        "tests/test_tutorial.py",
    }
)


@pytest.fixture(autouse=True)
def _not_stopping() -> Iterator[None]:
    """A run stopped in this process (Ctrl-C, SIGTERM, a time limit) leaves `stopping` set for
    its worker threads; the next test starts with it clear."""
    yield
    stopping.clear()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    root = Path(str(config.rootpath))
    for item in items:
        if Path(str(item.path)).relative_to(root).as_posix() in SERIAL_MODULES:
            item.add_marker(pytest.mark.serial)


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
