"""The rate limit and every fault switch, observed over HTTP (settings via the control endpoint
or the handle's `configure`, which share one validation)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import requests

from reconciler.sandbox import control as control_routes
from reconciler.sandbox.errors import ApiFailure
from reconciler.sandbox.exports import create_exports
from reconciler.sandbox.faults import Faults
from reconciler.sandbox.jobs import advance
from reconciler.sandbox.ratelimit import Quota, RateLimiter
from reconciler.sandbox.requestlog import RequestLog
from reconciler.sandbox.server import Sandbox, open_state

from .helpers import OUTPUT, MakeSandbox, bam, control, counts, item, session, two_user_seed

pytestmark = pytest.mark.timeout(30)

BULK = "/bulk/storage/exports/create"


def set_config(sandbox: Sandbox, **settings: Any) -> requests.Response:
    return control(sandbox, "config", settings)


def test_rate_limit_headers_and_429(make_sandbox: MakeSandbox) -> None:
    sandbox = make_sandbox(two_user_seed(), rate_limit=3, rate_window=60)
    alice = requests.Session()
    alice.headers["X-SBG-Auth-Token"] = "alice-token"
    for _ in range(2):  # refused with 401: they do not count
        assert (
            requests.get(f"{sandbox.url}/user", headers={"X-SBG-Auth-Token": "x"}).status_code
            == 401
        )
    opened = time.time()  # the window opens with the next call
    remaining = [
        alice.get(f"{sandbox.url}/user").headers["X-RateLimit-Remaining"] for _ in range(3)
    ]
    assert remaining == ["2", "1", "0"]
    over = alice.get(f"{sandbox.url}/user")
    assert over.status_code == 429
    assert over.json()["code"] == 1000
    assert over.headers["X-RateLimit-Limit"] == "3"
    assert over.headers["X-RateLimit-Remaining"] == "0"
    # Unix seconds, rounded up: the end of a 60 s window opened by the first counted call.
    assert opened + 60 <= int(over.headers["X-RateLimit-Reset"]) <= time.time() + 61
    bob = requests.get(f"{sandbox.url}/user", headers={"X-SBG-Auth-Token": "bob-token"})
    assert bob.status_code == 200  # every token has its own window
    statuses = [entry["status"] for entry in sandbox.request_log()]
    assert statuses == [401, 401, 200, 200, 200, 429, 200]


def test_rate_limit_window_on_a_fake_clock() -> None:
    limiter = RateLimiter()
    calls = [  # (now, expected quota): 2 calls per 10 s window
        (100.0, Quota(2, 1, 110, False)),  # the first call opens the window
        (105.0, Quota(2, 0, 110, False)),
        (109.99, Quota(2, 0, 110, True)),  # refused until the window ends (and still counted)
        (110.0, Quota(2, 1, 120, False)),  # a new window opens exactly at its end
    ]
    assert [limiter.hit("t", now, 2, 10) for now, _ in calls] == [quota for _, quota in calls]
    assert limiter.peek("t", 119.0, 2, 10) == Quota(2, 1, 120, False)  # peeking does not count
    assert limiter.peek("t", 120.0, 2, 10) == Quota(2, 2, 130, False)
    assert limiter.hit("other", 119.0, 2, 10) == Quota(2, 1, 129, False)  # one window per token


def test_rate_limit_window_resets(make_sandbox: MakeSandbox) -> None:
    # A window far longer than the test: the second call is refused however slow the machine.
    sandbox = make_sandbox(rate_limit=1, rate_window=600)
    http = session(sandbox)
    assert http.get(f"{sandbox.url}/user").status_code == 200
    assert http.get(f"{sandbox.url}/user").status_code == 429  # counts as well
    # The window, now shorter, has ended: calls go through again (waited for, with a bound).
    assert set_config(sandbox, rate_window=0.2).status_code == 200
    deadline = time.monotonic() + 10
    while (status := http.get(f"{sandbox.url}/user").status_code) == 429:
        assert time.monotonic() < deadline, "still refused 10 s after the window ended"
    assert status == 200


def test_latency(sandbox: Sandbox) -> None:
    assert set_config(sandbox, latency=0.3).json()["latency"] == 0.3
    started = time.monotonic()
    assert session(sandbox).get(f"{sandbox.url}/user").status_code == 200
    assert time.monotonic() - started >= 0.3


def test_read_error_rate_hits_reads_only(sandbox: Sandbox) -> None:
    sandbox.configure(read_error_rate=1.0)
    http = session(sandbox)
    broken = http.get(f"{sandbox.url}/files/{bam(1)}")
    assert broken.status_code == 500
    assert broken.headers["X-Request-Id"]
    assert (
        http.post(f"{sandbox.url}/bulk/files/get", json={"file_ids": [bam(1)]}).status_code == 500
    )
    created = http.post(
        f"{sandbox.url}{BULK}?copy_only=true", json={"items": [item(counts(1), OUTPUT, "r.tsv")]}
    )
    assert created.status_code == 200


def test_write_error_rate_hits_writes_only_and_changes_nothing(sandbox: Sandbox) -> None:
    sandbox.configure(write_error_rate=1.0)
    http = session(sandbox)
    refused = http.post(f"{sandbox.url}{BULK}", json={"items": [item(counts(1), OUTPUT, "w.tsv")]})
    assert refused.status_code == 500
    assert sandbox.query("SELECT COUNT(*) AS n FROM exports")[0]["n"] == 2  # the seeded two
    assert http.get(f"{sandbox.url}/files/{bam(1)}").status_code == 200


def test_error_rates_are_deterministic_with_a_random_seed(make_sandbox: MakeSandbox) -> None:
    def statuses(sandbox: Sandbox) -> list[int]:
        http = session(sandbox)
        return [http.get(f"{sandbox.url}/user").status_code for _ in range(30)]

    first = statuses(make_sandbox(read_error_rate=0.5, random_seed=7))
    second = statuses(make_sandbox(read_error_rate=0.5, random_seed=7))
    assert first == second
    assert set(first) == {200, 500}


def test_maintenance(sandbox: Sandbox) -> None:
    set_config(sandbox, maintenance=True)
    down = session(sandbox).get(f"{sandbox.url}/user")
    assert down.status_code == 503
    assert down.json()["code"] == 0
    assert down.headers["Content-Type"].startswith("application/json")
    set_config(sandbox, maintenance=False)
    assert session(sandbox).get(f"{sandbox.url}/user").status_code == 200


def test_lost_response_after_commit(sandbox: Sandbox) -> None:
    assert set_config(sandbox, lose_responses=1).json()["lose_responses"] == 1
    http = session(sandbox)
    with pytest.raises(requests.ConnectionError):
        http.post(
            f"{sandbox.url}{BULK}?copy_only=true",
            json={"items": [item(counts(1), OUTPUT, "l.tsv")]},
        )
    committed = sandbox.query("SELECT location FROM exports WHERE location = 'l.tsv'")
    assert len(committed) == 1  # the work was done
    again = http.post(
        f"{sandbox.url}{BULK}?copy_only=true", json={"items": [item(counts(2), OUTPUT, "m.tsv")]}
    )
    assert again.status_code == 200  # only the next N lose their response
    assert sandbox.settings()["lose_responses"] == 0
    lost = [e for e in sandbox.request_log() if e.get("lost")]
    assert len(lost) == 1 and lost[0]["status"] is None


def test_job_pace(sandbox: Sandbox) -> None:
    sandbox.configure(job_pace=1.0)
    http = session(sandbox)
    entries = http.post(
        f"{sandbox.url}{BULK}?copy_only=true", json={"items": [item(counts(1), OUTPUT, "p.tsv")]}
    ).json()["items"]
    job_id = entries[0]["resource"]["id"]
    assert entries[0]["resource"]["state"] == "PENDING"
    seen = ["PENDING"]
    deadline = time.monotonic() + 30
    while seen[-1] != "COMPLETED":
        assert time.monotonic() < deadline, f"job {job_id} never completed: {seen}"
        state = http.get(f"{sandbox.url}/storage/exports/{job_id}").json()["state"]
        if state != seen[-1]:
            seen.append(state)
        time.sleep(0.02)  # the polling pace (the rate limit counts every call)
    # States only move forward; how many polls see RUNNING depends on the machine's speed.
    assert seen in (["PENDING", "RUNNING", "COMPLETED"], ["PENDING", "COMPLETED"])
    job = sandbox.export(job_id)
    assert job is not None
    # The pace is stored with the job: half of it PENDING, the rest RUNNING.
    assert job["run_at"] - job["created_at"] == pytest.approx(0.5)
    assert job["done_at"] - job["created_at"] == pytest.approx(1.0)
    assert job["started_on"] is not None and job["finished_on"] >= job["started_on"]


def test_jobs_follow_their_pace_on_a_fake_clock(tmp_path: Path) -> None:
    store, objects = open_state(tmp_path, None, reset=False)
    try:
        settings = Faults(job_pace=1.0).settings
        [job] = create_exports(
            store, objects, "rfranklin", [item(counts(1), OUTPUT, "p.tsv")], True, settings, 100.0
        )
        assert not isinstance(job, ApiFailure), job

        def state_at(now: float) -> str:
            advance(store, objects, Faults(), now)
            return str(store.scalar("SELECT state FROM exports WHERE id = ?", (job["id"],)))

        assert [state_at(t) for t in (100.0, 100.49, 100.5, 100.99, 101.0, 200.0)] == [
            "PENDING",
            "PENDING",
            "RUNNING",
            "RUNNING",
            "COMPLETED",
            "COMPLETED",
        ]
    finally:
        store.close()


def test_jobs_of_given_files_fail_after_acceptance(sandbox: Sandbox) -> None:
    sandbox.configure(fail_files=[bam(1)])
    http = session(sandbox)
    entries = http.post(
        f"{sandbox.url}{BULK}",
        json={"items": [item(bam(1), OUTPUT, "f.bam"), item(bam(2), OUTPUT, "g.bam")]},
    ).json()["items"]
    assert [e["resource"]["state"] for e in entries] == ["PENDING", "PENDING"]
    sandbox.wait_for_jobs()
    failed, done = (
        http.get(f"{sandbox.url}/storage/exports/{e['resource']['id']}").json() for e in entries
    )
    assert failed["state"] == "FAILED"
    assert set(failed["error"]) == {"status", "code", "message", "more_info"}
    assert "result" not in failed
    assert done["state"] == "COMPLETED"
    file = sandbox.file(bam(1))
    assert file is not None and file["storage"]["type"] == "PLATFORM"
    assert not sandbox.object_path(OUTPUT, "f.bam").exists()


def test_control_config_round_trip_and_validation(sandbox: Sandbox) -> None:
    current = control(sandbox, "config").json()
    assert current["rate_limit"] == 1000 and current["rate_window"] == 300.0
    assert set_config(sandbox, nonsense=1).status_code == 400
    assert set_config(sandbox, read_error_rate=2).status_code == 400
    assert set_config(sandbox, fail_files=["short"]).status_code == 400
    assert set_config(sandbox, maintenance="yes").status_code == 400
    assert control(sandbox, "config").json() == current
    changed = set_config(sandbox, rate_limit=7).json()
    assert changed["rate_limit"] == 7
    assert session(sandbox).get(f"{sandbox.url}/user").headers["X-RateLimit-Limit"] == "7"


def test_request_log(sandbox: Sandbox) -> None:
    session(sandbox).get(f"{sandbox.url}/files/{bam(1)}?fields=id")
    control(sandbox, "config")  # control calls are not logged
    [entry] = control(sandbox, "requests").json()
    assert entry["method"] == "GET"
    assert entry["path"] == f"/v2/files/{bam(1)}?fields=id"
    assert entry["status"] == 200
    assert 0 <= entry["duration"] < 5
    assert abs(entry["time"] - time.time()) < 60
    assert (sandbox.data_dir / "requests.jsonl").read_text().count("\n") == 1


def test_control_endpoints_answer_loopback_only(tmp_path: Any) -> None:
    faults, log = Faults(), RequestLog(tmp_path)
    local = {"host": "127.0.0.1:8080", "x-sbg-auth-token": "t"}

    def status(client: str, headers: dict[str, str]) -> int:
        return control_routes.handle(
            faults, log, "GET", "/_sandbox/config", b"", client, headers, "t"
        ).status

    assert status("10.1.2.3", local) == 403
    assert status("127.0.0.1", local) == 200
    assert status("::1", {**local, "host": "[::1]:8080"}) == 200
    assert status("127.0.0.1", {**local, "host": "localhost:1"}) == 200
    assert status("127.0.0.1", {**local, "origin": "http://127.0.0.1:8080"}) == 200
    assert status("127.0.0.1", {**local, "host": "evil.example:8080"}) == 403
    assert status("127.0.0.1", {**local, "host": "127.0.0.1.evil.example"}) == 403
    assert status("127.0.0.1", {"x-sbg-auth-token": "t"}) == 403
    assert status("127.0.0.1", {**local, "origin": "https://evil.example"}) == 403
    assert status("127.0.0.1", {**local, "x-sbg-auth-token": "wrong"}) == 401
    assert status("127.0.0.1", {"host": "127.0.0.1:8080"}) == 401
    assert status("127.0.0.1", {**local, "x-sbg-auth-token": ""}) == 401


@pytest.mark.parametrize("name", ["config", "requests", "anything-added-later"])
def test_every_control_route_needs_the_token_and_a_loopback_host(
    sandbox: Sandbox, name: str
) -> None:
    url = sandbox.url.removesuffix("/v2") + f"/_sandbox/{name}"
    no_token = requests.get(url)
    assert no_token.status_code == 401
    assert no_token.json()["code"] == 90001
    wrong = control(sandbox, name, headers={"X-SBG-Auth-Token": "sandbox-demo-token-guess"})
    assert wrong.status_code == 401
    in_query = requests.get(url, params={"token": sandbox.token})
    assert in_query.status_code == 401  # the query is never read
    rebound = control(sandbox, name, headers={"Host": f"attacker.example:{sandbox.port}"})
    assert rebound.status_code == 403
    assert rebound.json()["code"] == 90002
    changed = requests.post(url, json={"maintenance": True})
    assert changed.status_code == 401
    assert sandbox.settings()["maintenance"] is False
    allowed = control(sandbox, name)
    assert allowed.status_code == (404 if name == "anything-added-later" else 200)


def test_a_host_other_than_loopback_is_warned_about(
    tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from reconciler import cli

    # 192.0.2.1 (TEST-NET-1) is on no interface here: the warning comes, then binding fails,
    # so nothing ever listens beyond loopback.
    code = cli.main(["sandbox", "--host", "192.0.2.1", "--port", "0", "--data", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 1
    assert "--host 192.0.2.1 is not a loopback address" in err
    assert "reachable from the network" in err
    assert "Traceback" not in err
