"""Running one subject against a fresh copy of a seeded sandbox, and reading what happened.

A scenario is seeded once per size into a template folder; every run gets its own copy
(`cp --sparse=always`: the in-sync objects are sparse files), its own sandbox process (so a
full rate budget and untouched state) and its own subject process (so CPU and peak memory are
the subject's alone).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ledger

HERE = Path(__file__).resolve().parent
# Subjects import the reconciler of the tree this benchmark is in (a clean checkout of a commit
# measures that commit, whatever the virtualenv's editable install points at).
ROOT = HERE.parents[1]
SERVE = HERE / "serve.py"
SUBJECT = HERE / "subject.py"
START_TIMEOUT = 120.0


@dataclass(frozen=True)
class Settings:
    latency: float
    job_pace: float
    rate_limit: int
    rate_window: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "latency": self.latency,
            "job_pace": self.job_pace,
            "rate_limit": self.rate_limit,
            "rate_window": self.rate_window,
        }


def seed_template(seed: Path, template: Path) -> float:
    """Seed `template` from `seed`; returns the seconds it took."""
    done = subprocess.run(
        [sys.executable, str(SERVE), "--data", str(template), "--seed", str(seed), "--seed-only"],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    return float(json.loads(done.stdout)["seeded"])


def _moved(data_dir: Path) -> int:
    """Project files that are aliases now (the in-sync ones included)."""
    with sqlite3.connect(data_dir / "sandbox.db") as db:
        row = db.execute(
            "SELECT COUNT(*) FROM files WHERE type = 'file'"
            " AND json_extract(storage, '$.type') = 'VOLUME'"
        ).fetchone()
    return int(row[0])


def run(
    kind: str,
    *,
    template: Path,
    scenario: Path,
    work: Path,
    settings: Settings,
    token: str,
    timeout: float,
) -> dict[str, Any]:
    """One subject against a fresh sandbox: the subject's own figures, the sandbox's tally of
    requests and how many files ended up as aliases."""
    data = work / "sandbox"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    subprocess.run(["cp", "-a", "--sparse=always", str(template), str(data)], check=True)
    server = subprocess.Popen(
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        args=[
            sys.executable,
            str(SERVE),
            "--data",
            str(data),
            "--settings",
            json.dumps(settings.as_dict()),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=(work / "sandbox.log").open("w"),
        text=True,
    )
    try:
        assert server.stdout is not None
        url = json.loads(server.stdout.readline())["url"]
        done = subprocess.run(
            [
                *(sys.executable, str(SUBJECT), kind, "--url", url, "--token", token),
                *("--scenario", str(scenario), "--work", str(work / "subject")),
            ],
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        (work / "subject.log").write_text(done.stderr, encoding="utf-8")
        if done.returncode != 0:
            raise RuntimeError(f"{kind} failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
        result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        assert server.stdin is not None
        server.stdin.close()
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.terminate()
            server.wait(timeout=30)
    tally = ledger.tally(data)
    result["requests"] = tally.as_dict()
    result["aliases_after"] = _moved(data)
    shutil.rmtree(data, ignore_errors=True)
    return result
