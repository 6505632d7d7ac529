"""The soak: plan/apply cycles against the sandbox under random (seeded) faults, with manifests
that change between cycles, checked after every cycle from the sandbox's own state.

Shared by the short soak in CI (`test_soak.py`) and the long one (`benchmarks/soak.py`).

A cycle: change the manifest (add and remove entries, switch copy/move for files never
exported), switch on some faults, run `reconciler apply --yes` as a real process (killed with
SIGKILL at a random moment in some cycles, then run again), switch the faults off, wait for the
sandbox's jobs, and check:

- duplicates: for every (file, volume, location) at most one export job that did not fail
  (a FAILED job is retried by design; anything else twice is a duplicate);
- approval: every job created during the cycle is an export the manifest of that cycle
  declares (file, destination and mode);
- convergence: every declared item is in the cycle's receipt; an item reported completed or
  in sync is there in the sandbox (the object, of the file's size; for a move the file is now
  an alias at that location); every other item carries its reason;
- the process: exit 0 or 1, no traceback, no "internal error", never the secret token.

Faults: latency spikes, 5xx on reads and on creates, 429 bursts (a tiny rate-limit window), a
maintenance window opening during the apply, a lost answer after a committed create, jobs that
fail after acceptance, and the apply killed and restarted. The first cycles force each fault
once, so a short run covers them all; later cycles draw them at random.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from reconciler.sandbox.server import Sandbox

from .secret import SECRET_TOKEN

ROOT = Path(__file__).resolve().parents[2]
PROJECT = "soak/p"
VOLUME = "soak/out"
FILE_SIZE = 4096
FAULTS = (
    "latency", "read_5xx", "write_5xx", "rate_limit", "maintenance", "lost_response",
    "job_failure", "kill",
)  # fmt: skip
LATENCY_SPIKE = 0.15  # seconds per request while the spike lasts
CONVERGED = {"completed", "in-sync"}


def file_id(number: int) -> str:
    return f"50a1{number:020x}"


def soak_seed(files: int) -> dict[str, Any]:
    return {
        "tokens": [{"token": SECRET_TOKEN, "username": "soak"}],
        "projects": [{"id": PROJECT, "location": "aws:us-east-1"}],
        "volumes": [
            {
                "id": VOLUME,
                "location": "aws:us-east-1",
                "service": {"type": "s3", "bucket": "soak-out", "prefix": "p/"},
            }
        ],
        "files": [
            {"id": file_id(n), "project": PROJECT, "path": f"data/f{n:04d}.dat", "size": FILE_SIZE}
            for n in range(files)
        ],
    }


@dataclass(frozen=True)
class Entry:
    file: str
    mode: str  # copy | move

    @property
    def location(self) -> str:
        return f"{'moved' if self.mode == 'move' else 'copied'}/{self.file}.dat"

    @property
    def export(self) -> tuple[str, str, str, bool]:
        return (self.file, VOLUME, self.location, self.mode == "copy")


@dataclass
class Figures:
    cycles: int = 0
    apply_runs: int = 0
    faults: Counter[str] = field(default_factory=Counter)  # cycles each fault was switched on
    fired: Counter[str] = field(default_factory=Counter)  # seen to take effect (request log)
    jobs: int = 0
    jobs_failed: int = 0
    results: Counter[str] = field(default_factory=Counter)
    exit_codes: Counter[int] = field(default_factory=Counter)
    whole_run_errors: int = 0
    violations: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def lines(self) -> list[str]:
        fired = ", ".join(f"{name} {self.fired[name]}" for name in FAULTS)
        switched = ", ".join(f"{name} {self.faults[name]}" for name in FAULTS)
        results = ", ".join(f"{k} {v}" for k, v in sorted(self.results.items()))
        exits = ", ".join(f"{k}: {v}" for k, v in sorted(self.exit_codes.items()))
        return [
            f"cycles: {self.cycles} in {self.seconds:.0f} s; apply processes: {self.apply_runs} "
            f"(exit codes {exits})",
            f"faults switched on (cycles): {switched}",
            f"faults seen firing: {fired}",
            f"export jobs: {self.jobs} ({self.jobs_failed} FAILED, retried by design)",
            f"item results over all cycles: {results}",
            f"applies that stopped as a whole with a one-line error: {self.whole_run_errors}",
            f"violations: {len(self.violations)}",
            *(f"  {v}" for v in self.violations[:50]),
        ]


class Soak:
    def __init__(
        self,
        sandbox: Sandbox,
        workdir: Path,
        *,
        seed: int,
        files: int,
        max_entries: int = 24,
        kill_rate: float = 0.25,
        wait_timeout: float = 60.0,
        log: Any = None,
    ) -> None:
        self.sandbox = sandbox
        self.rng = random.Random(seed)
        self.files = [file_id(n) for n in range(files)]
        self.max_entries = max_entries
        self.kill_rate = kill_rate
        self.wait_timeout = wait_timeout
        self.log = log
        self.manifests = workdir / "manifests"
        self.manifests.mkdir(parents=True, exist_ok=True)
        self.state = workdir / "state"
        self.entries: dict[str, Entry] = {}
        self.exported: dict[str, str] = {}  # file -> mode of a completed export
        self.figures = Figures()
        self.last_receipt_run: str | None = None
        self.log_offset = 0
        self.env = {
            **os.environ,
            "SB_API_ENDPOINT": sandbox.url,
            "SB_AUTH_TOKEN": SECRET_TOKEN,
            "SB_CREDENTIALS_FILE": str(workdir / "no-credentials"),
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        }
        for name in ("CI", "SB_PROFILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
            self.env.pop(name, None)
        sandbox.configure(random_seed=seed, job_pace=0.3)

    # ---- the run ---------------------------------------------------------------------------

    def run(self, cycles: int, *, deadline: float | None = None) -> Figures:
        started = time.monotonic()
        for number in range(cycles):
            if deadline is not None and time.monotonic() > deadline:
                self.figures.violations.append(f"stopped after {number} cycles: out of time")
                break
            self.cycle(number)
            if self.log is not None:
                self.log(
                    f"cycle {number + 1}/{cycles}: {len(self.entries)} entries, "
                    f"{self.figures.jobs} jobs, {len(self.figures.violations)} violations"
                )
        self.figures.seconds = time.monotonic() - started
        return self.figures

    def cycle(self, number: int) -> None:
        self.figures.cycles += 1
        new = self.change_manifest()
        faults = self.pick_faults(number, new)
        declared = {entry.export for entry in self.entries.values()}
        before = {row["id"] for row in self.sandbox.query("SELECT id FROM exports")}
        first_seq = self.max_seq()
        self.switch_on(faults, new)
        background = []
        if "maintenance" in faults:
            background.append(self.maintenance_window())
        if "rate_limit" in faults:
            background.append(self.rate_limit_burst())
        try:
            runs = self.apply_with(kill="kill" in faults)
        finally:
            for thread in background:
                thread.join(timeout=30)
            self.sandbox.configure(
                latency=0.0, read_error_rate=0.0, write_error_rate=0.0, maintenance=False,
                lose_responses=0, fail_files=[], rate_limit=1000, rate_window=300.0,
            )  # fmt: skip
        self.sandbox.wait_for_jobs(timeout=60)
        self.check(number, declared, before, runs)
        self.count_fired(faults, first_seq)

    # ---- manifests -------------------------------------------------------------------------

    def change_manifest(self) -> list[Entry]:
        """Remove some entries, add at least one new file (so creates happen), switch the
        mode of a declared file never exported; write the manifest. Returns the new entries."""
        rng = self.rng
        if self.entries and rng.random() < 0.6:
            for key in rng.sample(
                sorted(self.entries), k=min(len(self.entries), rng.randint(1, 3))
            ):
                del self.entries[key]
        while len(self.entries) > self.max_entries - 3:
            del self.entries[rng.choice(sorted(self.entries))]
        never = [f for f in self.files if f not in self.exported and f not in self.entries]
        again = [f for f in self.exported if f not in self.entries]
        new: list[Entry] = []
        for _ in range(rng.randint(1, 3)):
            if never:
                chosen = never.pop(rng.randrange(len(never)))
                entry = Entry(chosen, rng.choice(("copy", "move")))
                new.append(entry)
            elif again:
                chosen = again.pop(rng.randrange(len(again)))
                entry = Entry(chosen, self.exported[chosen])
            else:
                break
            self.entries[chosen] = entry
        if again and rng.random() < 0.5:  # an exported file declared again: in sync
            chosen = rng.choice(again)
            self.entries[chosen] = Entry(chosen, self.exported[chosen])
        switchable = [f for f, e in self.entries.items() if f not in self.exported and e not in new]
        if switchable and rng.random() < 0.5:
            chosen = rng.choice(switchable)
            old = self.entries[chosen]
            self.entries[chosen] = Entry(chosen, "move" if old.mode == "copy" else "copy")
        self.write_manifest()
        return new

    def write_manifest(self) -> None:
        body = {
            "version": 1,
            "project": PROJECT,
            "defaults": {"volume": VOLUME},
            "exports": [
                {"file": e.file, "location": e.location, "mode": e.mode}
                for e in sorted(self.entries.values(), key=lambda e: e.file)
            ],
        }
        path = self.manifests / "soak.yaml"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(body, indent=2), encoding="utf-8")
        tmp.replace(path)

    # ---- faults ----------------------------------------------------------------------------

    def pick_faults(self, number: int, new: list[Entry]) -> set[str]:
        if number < len(FAULTS):
            return {FAULTS[number]}  # each fault alone once, first
        picked = {name for name in FAULTS if name != "kill" and self.rng.random() < 0.3}
        if self.rng.random() < self.kill_rate:
            picked.add("kill")
        if not new:
            picked -= {"lost_response", "job_failure", "write_5xx"}
        return picked

    def switch_on(self, faults: set[str], new: list[Entry]) -> None:
        rng = self.rng
        settings: dict[str, Any] = {}
        if "latency" in faults:
            settings["latency"] = LATENCY_SPIKE
        if "read_5xx" in faults:
            settings["read_error_rate"] = rng.choice((0.1, 0.2, 0.3))
        if "write_5xx" in faults:
            settings["write_error_rate"] = rng.choice((0.3, 0.5))
        if "rate_limit" in faults:
            settings.update(rate_limit=rng.choice((3, 5)), rate_window=rng.choice((0.5, 1.0)))
        if "lost_response" in faults:
            settings["lose_responses"] = 1
        if "job_failure" in faults and new:
            settings["fail_files"] = [rng.choice(new).file]
        for name in faults:
            self.figures.faults[name] += 1
        if settings:
            self.sandbox.configure(**settings)

    def maintenance_window(self) -> threading.Thread:
        opens, lasts = self.rng.uniform(0.0, 0.8), self.rng.uniform(0.5, 2.0)

        def window() -> None:
            time.sleep(opens)
            self.sandbox.configure(maintenance=True)
            time.sleep(lasts)
            self.sandbox.configure(maintenance=False)

        thread = threading.Thread(target=window, daemon=True)
        thread.start()
        return thread

    def rate_limit_burst(self) -> threading.Thread:
        """Another client on the same token (a parallel CI job) spends the tiny budget, so the
        apply meets 429s its own pacing could not have avoided."""
        opens, calls = self.rng.uniform(0.3, 1.2), self.rng.randint(10, 30)
        url = self.sandbox.url + "/user"

        def burst() -> None:
            time.sleep(opens)
            with requests.Session() as session:
                session.headers["X-SBG-Auth-Token"] = SECRET_TOKEN
                for _ in range(calls):
                    session.get(url, timeout=5).close()
                    time.sleep(0.02)

        thread = threading.Thread(target=burst, daemon=True)
        thread.start()
        return thread

    # ---- apply -----------------------------------------------------------------------------

    def command(self) -> list[str]:
        return [
            sys.executable, "-m", "tests.reliability.soak_runner", "apply", "--yes",
            "--state-dir", str(self.state), "--wait-timeout", str(self.wait_timeout),
            "--format", "json", str(self.manifests),
        ]  # fmt: skip

    def apply_with(self, *, kill: bool) -> list[tuple[int, str, str]]:
        """(exit code, stdout, stderr) of each apply process of the cycle."""
        runs: list[tuple[int, str, str]] = []
        if kill:
            process = subprocess.Popen(
                self.command(), cwd=ROOT, env=self.env, text=True,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            )  # fmt: skip
            # Imports take ~0.5 s; then plan, creates, polls: anywhere from before the first
            # call to the last poll.
            try:
                out, err = process.communicate(timeout=self.rng.uniform(0.4, 2.5))
                runs.append((process.returncode, out, err))  # finished before the kill
            except subprocess.TimeoutExpired:
                process.send_signal(signal.SIGKILL)
                out, err = process.communicate(timeout=30)
                runs.append((process.returncode, out, err))
                self.figures.fired["kill"] += 1
        ran = subprocess.run(
            self.command(), cwd=ROOT, env=self.env, text=True, capture_output=True,
            timeout=self.wait_timeout + 400, check=False,
        )  # fmt: skip
        runs.append((ran.returncode, ran.stdout, ran.stderr))
        self.figures.apply_runs += len(runs)
        return runs

    # ---- checks ----------------------------------------------------------------------------

    def violation(self, number: int, text: str) -> None:
        self.figures.violations.append(f"cycle {number + 1}: {text}")

    def check(
        self,
        number: int,
        declared: set[tuple[str, str, str, bool]],
        before: set[str],
        runs: list[tuple[int, str, str]],
    ) -> None:
        for code, out, err in runs:
            killed = code == -signal.SIGKILL
            if not killed:
                self.figures.exit_codes[code] += 1
            if not killed and code not in (0, 1):
                self.violation(number, f"apply exited {code}: {err.strip()[-300:]}")
            for text in (out, err):
                if "Traceback" in text or "internal error" in text:
                    self.violation(number, f"apply printed a traceback: {text.strip()[-300:]}")
                if SECRET_TOKEN in text:
                    self.violation(number, "the secret token is in apply's output")
        jobs = self.sandbox.query(
            "SELECT id, file_id, volume, location, copy_only, state FROM exports"
        )
        self.figures.jobs = len(jobs)
        self.figures.jobs_failed = sum(1 for j in jobs if j["state"] == "FAILED")
        alive = Counter(
            (j["file_id"], j["volume"], j["location"]) for j in jobs if j["state"] != "FAILED"
        )
        for target, count in alive.items():
            if count > 1:
                self.violation(number, f"duplicate: {count} jobs that did not fail for {target}")
        for job in jobs:
            if job["id"] in before:
                continue
            export = (job["file_id"], job["volume"], job["location"], bool(job["copy_only"]))
            if export not in declared:
                self.violation(number, f"job {job['id']} exports {export}, not declared")
            if job["state"] == "COMPLETED":
                self.exported.setdefault(job["file_id"], "copy" if job["copy_only"] else "move")
        self.check_receipt(number, runs[-1])

    def check_receipt(self, number: int, last: tuple[int, str, str]) -> None:
        code, _out, err = last
        path = self.state / "receipt.json"
        receipt = json.loads(path.read_text(encoding="utf-8")) if path.exists() else None
        if receipt is None or receipt["run"] == self.last_receipt_run:
            # No new receipt: the apply stopped as a whole; its one line is the report.
            lines = [line for line in err.splitlines() if line.startswith("error: ")]
            if code == 1 and lines:
                self.figures.whole_run_errors += 1
            else:
                self.violation(number, f"no receipt and no error line (exit {code})")
            return
        self.last_receipt_run = receipt["run"]
        items = {(i["file"], i["location"]): i for i in receipt["items"]}
        files = {r["id"]: r for r in self.sandbox.query("SELECT id, size, storage FROM files")}
        for entry in self.entries.values():
            item = items.get((entry.file, entry.location))
            if item is None:
                self.violation(number, f"{entry.file} -> {entry.location}: not in the receipt")
                continue
            result = item["result"]
            self.figures.results[str(result)] += 1
            if result is None:
                self.violation(number, f"{entry.file}: in the receipt without a result")
            if result not in CONVERGED:
                continue  # reported: failed, blocked, running, ... with the report's reason
            where = self.sandbox.object_path(VOLUME, entry.location)
            size = files[entry.file]["size"]
            if not where.exists() or where.stat().st_size != size:
                self.violation(number, f"{entry.file}: reported {result}, no object of its size")
            storage = files[entry.file]["storage"] or {}
            if entry.mode == "move" and storage.get("location") != entry.location:
                self.violation(number, f"{entry.file}: reported moved, not an alias there")

    def count_fired(self, faults: set[str], first_seq: int) -> None:
        entries = self.sandbox.request_log()
        fresh, self.log_offset = entries[self.log_offset :], len(entries)
        creates = [e for e in fresh if "/bulk/storage/exports/create" in e["path"]]
        reads = [e for e in fresh if e not in creates]
        seen = {
            "latency": any(e.get("duration", 0) >= LATENCY_SPIKE for e in fresh),
            "read_5xx": any(e["status"] == 500 for e in reads),
            "write_5xx": any(e["status"] == 500 for e in creates),
            "rate_limit": any(e["status"] == 429 for e in fresh),
            "maintenance": any(e["status"] == 503 for e in fresh),
            "lost_response": any(e.get("lost") for e in fresh),
        }
        for name, happened in seen.items():
            if happened:
                self.figures.fired[name] += 1
        failed = self.sandbox.query(
            "SELECT id FROM exports WHERE state = 'FAILED' AND seq > ?", (first_seq,)
        )
        if "job_failure" in faults and failed:
            self.figures.fired["job_failure"] += 1

    def max_seq(self) -> int:
        rows = self.sandbox.query("SELECT MAX(seq) AS seq FROM exports")
        return int(rows[0]["seq"] or 0)
