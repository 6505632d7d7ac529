"""State survives a clean stop and a SIGKILL; jobs that were running carry on; the command
prints its two export lines, refuses a seed on existing state and exits 0 on SIGINT/SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from reconciler.sandbox.errors import SandboxError
from reconciler.sandbox.server import start

from .helpers import OUTPUT, MakeSandbox, bam, counts, item

pytestmark = pytest.mark.timeout(60)

BULK = "/bulk/storage/exports/create"


@dataclass
class Process:
    popen: subprocess.Popen[str]
    url: str
    token: str

    def http(self) -> requests.Session:
        http = requests.Session()
        http.headers["X-SBG-Auth-Token"] = self.token
        return http


def launch(data: Path, *flags: str) -> Process:
    popen = subprocess.Popen(
        [sys.executable, "-m", "reconciler", "sandbox", "--port", "0", "--data", str(data), *flags],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert popen.stdout is not None
    first, second = popen.stdout.readline(), popen.stdout.readline()
    assert first.startswith("export SB_API_ENDPOINT=http://127.0.0.1:"), first
    assert first.rstrip().endswith("/v2")
    assert second.startswith("export SB_AUTH_TOKEN="), second
    return Process(popen, first.split("=", 1)[1].strip(), second.split("=", 1)[1].strip())


@pytest.fixture
def processes() -> Iterator[list[Process]]:
    started: list[Process] = []
    yield started
    for process in started:
        if process.popen.poll() is None:
            process.popen.kill()
        process.popen.communicate(timeout=10)


def wait_state(http: requests.Session, url: str, job_id: str, wanted: str) -> None:
    deadline = time.monotonic() + 15
    while http.get(f"{url}/storage/exports/{job_id}").json()["state"] != wanted:
        assert time.monotonic() < deadline, f"{job_id} never reached {wanted}"
        time.sleep(0.05)


def test_state_survives_a_clean_stop(make_sandbox: MakeSandbox, tmp_path: Path) -> None:
    first = make_sandbox(data_dir=tmp_path, job_pace=0.1)
    http = requests.Session()
    http.headers["X-SBG-Auth-Token"] = first.token
    moved = http.post(f"{first.url}{BULK}", json={"items": [item(bam(1), OUTPUT, "a.bam")]})
    first.wait_for_jobs()
    first.configure(job_pace=1.0)
    running = http.post(f"{first.url}{BULK}", json={"items": [item(bam(2), OUTPUT, "b.bam")]})
    running_id = running.json()["items"][0]["resource"]["id"]
    first.stop()

    second = make_sandbox(data_dir=tmp_path)
    assert second.token == first.token
    done = http.get(f"{second.url}/storage/exports/{moved.json()['items'][0]['resource']['id']}")
    assert done.json()["state"] == "COMPLETED"
    assert http.get(f"{second.url}/files/{bam(1)}").json()["storage"]["type"] == "VOLUME"
    assert second.object_path(OUTPUT, "a.bam").is_file()
    wait_state(http, second.url, running_id, "COMPLETED")
    assert http.get(f"{second.url}/files/{bam(2)}").json()["storage"]["location"] == "b.bam"


def test_state_survives_sigkill_and_running_jobs_carry_on(
    tmp_path: Path, processes: list[Process]
) -> None:
    first = launch(tmp_path, "--job-pace", "0.2")
    processes.append(first)
    http = first.http()
    moved = http.post(f"{first.url}{BULK}", json={"items": [item(bam(3), OUTPUT, "k.bam")]})
    moved_id = moved.json()["items"][0]["resource"]["id"]
    wait_state(http, first.url, moved_id, "COMPLETED")
    http.post(f"{first.url}/_sandbox/config".replace("/v2", ""), json={"job_pace": 1.5})
    copied = http.post(
        f"{first.url}{BULK}?copy_only=true", json={"items": [item(counts(3), OUTPUT, "c.tsv")]}
    )
    copied_id = copied.json()["items"][0]["resource"]["id"]
    wait_state(http, first.url, copied_id, "RUNNING")
    first.popen.send_signal(signal.SIGKILL)
    first.popen.wait(timeout=10)

    second = launch(tmp_path)
    processes.append(second)
    http = second.http()
    assert http.get(f"{second.url}/storage/exports/{moved_id}").json()["state"] == "COMPLETED"
    alias = http.get(f"{second.url}/files/{bam(3)}").json()["storage"]
    assert alias == {"type": "VOLUME", "volume": OUTPUT, "location": "k.bam"}
    found = http.get(f"{second.url}/storage/volumes/{OUTPUT}/object", params={"location": "k.bam"})
    assert found.status_code == 200
    wait_state(http, second.url, copied_id, "COMPLETED")
    assert http.get(f"{second.url}/files/{counts(3)}").json()["storage"]["type"] == "PLATFORM"
    for location in ("c.tsv", "k.bam"):
        found = http.get(f"{second.url}/storage/volumes/{OUTPUT}/object?location={location}")
        assert found.json()["metadata"]["size"] > 0


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_command_exits_cleanly_on_signals(
    tmp_path: Path, processes: list[Process], signum: int
) -> None:
    process = launch(tmp_path, "--rate-limit", "5", "--maintenance")
    processes.append(process)
    answer = process.http().get(f"{process.url}/user")
    assert answer.status_code == 503
    assert answer.headers["X-RateLimit-Limit"] == "5"
    process.popen.send_signal(signum)
    out, err = process.popen.communicate(timeout=10)
    assert process.popen.returncode == 0
    assert out == ""  # nothing after the two export lines
    assert "stopped" in err


def test_command_refuses_a_seed_on_existing_state(tmp_path: Path) -> None:
    start(tmp_path, port=0).stop()
    demo = Path(__file__).parents[2] / "reconciler" / "sandbox" / "demo_seed.yaml"
    command = [sys.executable, "-m", "reconciler", "sandbox", "--data", str(tmp_path)]
    refused = subprocess.run([*command, "--seed", str(demo)], capture_output=True, text=True)
    assert refused.returncode == 1
    assert refused.stdout == ""
    [line] = refused.stderr.strip().splitlines()
    assert line.startswith("error: ") and "--reset" in line


def test_reset_starts_over_from_the_seed(make_sandbox: MakeSandbox, tmp_path: Path) -> None:
    first = make_sandbox(data_dir=tmp_path, job_pace=0.0)
    http = requests.Session()
    http.headers["X-SBG-Auth-Token"] = first.token
    http.post(f"{first.url}{BULK}", json={"items": [item(bam(4), OUTPUT, "r.bam")]})
    first.wait_for_jobs()
    first.stop()
    second = make_sandbox(data_dir=tmp_path, seed=None, reset=True)
    file = second.file(bam(4))
    assert file is not None and file["storage"]["type"] == "PLATFORM"
    assert not second.object_path(OUTPUT, "r.bam").exists()


def test_one_sandbox_per_data_folder(make_sandbox: MakeSandbox, tmp_path: Path) -> None:
    make_sandbox(data_dir=tmp_path)
    with pytest.raises(SandboxError, match="another sandbox"):
        start(tmp_path, port=0)


def test_reads_and_writes_are_safe_under_concurrency(make_sandbox: MakeSandbox) -> None:
    from concurrent.futures import ThreadPoolExecutor

    sandbox = make_sandbox(job_pace=0.05)

    def work(n: int) -> int:
        http = requests.Session()
        http.headers["X-SBG-Auth-Token"] = sandbox.token
        created = http.post(
            f"{sandbox.url}{BULK}?copy_only=true",
            json={"items": [item(counts(1 + n % 8), OUTPUT, f"conc/{n}.tsv")]},
        )
        listed = http.get(f"{sandbox.url}/storage/exports", params={"limit": 100})
        return created.status_code + listed.status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert set(pool.map(work, range(40))) == {400}
    sandbox.wait_for_jobs()
    rows = sandbox.query("SELECT state FROM exports WHERE location LIKE 'conc/%'")
    assert len(rows) == 40 and {r["state"] for r in rows} == {"COMPLETED"}
    assert os.path.isdir(sandbox.object_path(OUTPUT, "conc/0.tsv").parent)
