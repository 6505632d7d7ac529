"""The short soak (CI): plan/apply cycles under random faults, checked from the sandbox's own
state after every cycle (see soak_engine.py); every fault type fires at least once, as the
sandbox's request log (and, for failed jobs, its job table) shows. `benchmarks/soak.py` runs the
same engine for 200 cycles and more.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from .soak_engine import FAULTS, Soak, soak_seed

CYCLES = 16
FILES = 80


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_short_soak_under_faults(make_sandbox: Any, tmp_path: Path) -> None:
    sandbox = make_sandbox(seed=soak_seed(FILES))
    soak = Soak(sandbox, tmp_path, seed=8, files=FILES, kill_rate=0.3)
    figures = soak.run(CYCLES, deadline=time.monotonic() + 200)
    report = "\n".join(figures.lines())
    print(report)

    assert figures.cycles == CYCLES, report
    for name in FAULTS:
        assert figures.fired[name] >= 1, f"{name} never fired\n{report}"
    assert figures.jobs >= CYCLES, report
    assert figures.results["completed"] >= CYCLES and figures.results["in-sync"] >= 1, report
    assert figures.violations == [], report
