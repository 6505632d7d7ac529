"""`reconciler apply` end to end against the sandbox on a real port."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import requests

from reconciler.plan.exit_codes import plan_exit_code

from .helpers import (
    COPIES,
    FAR_VOLUME,
    MOVES,
    VOLUME,
    creates,
    ids_in,
    jobs_per_destination,
    plan_now,
    report_lines,
    run_cli,
    write_manifest,
)


def apply_args(manifest: Path, *extra: str) -> list[str]:
    state = manifest.parent.parent / "state"
    return ["apply", "--yes", "--state-dir", str(state), str(manifest), *extra]


def test_moves_and_copies_converge_and_a_second_apply_sends_nothing(lab, capsys) -> None:
    sandbox, data, manifest = lab({"moves": 3, "copies": 2}, [MOVES, COPIES])

    first = run_cli(capsys, *apply_args(manifest))

    assert first.code == 0, first.err
    assert "5 completed" in first.out
    for file in ids_in(data, "moves"):
        storage = sandbox.file(file)["storage"]
        assert storage["type"] == "VOLUME" and storage["volume"] == VOLUME
    for n in range(2):
        assert sandbox.object_path(VOLUME, f"c/f{n:04d}.dat").exists()
    receipt = json.loads((manifest.parent.parent / "state" / "receipt.json").read_text())
    jobs = {i["job"]: i["job_state"] for i in receipt["items"]}
    assert set(jobs.values()) == {"COMPLETED"} and len(jobs) == 5
    uris = sorted(i["object"]["uri"] for i in receipt["items"])
    assert uris[0] == "s3://out/x/c/f0000.dat"
    assert all(i["object"]["size"] == 1000 for i in receipt["items"])
    assert creates(sandbox) == {"move": 1, "copy": 1}

    second = run_cli(capsys, *apply_args(manifest))

    assert second.code == 0, second.err
    assert creates(sandbox) == {"move": 1, "copy": 1}  # nothing new sent
    assert "5 in-sync" in second.out
    assert plan_exit_code(plan_now(manifest), detailed=True) == 0


def test_250_items_of_each_mode_take_three_create_calls_each(lab, capsys) -> None:
    sandbox, _, manifest = lab({"moves": 250, "copies": 250}, [MOVES, COPIES])

    ran = run_cli(capsys, *apply_args(manifest))

    assert ran.code == 0, ran.err
    assert creates(sandbox) == {"move": 3, "copy": 3}
    assert max(jobs_per_destination(sandbox).values()) == 1
    assert len(jobs_per_destination(sandbox)) == 500


def test_every_copy_of_a_file_completes_before_its_move_is_submitted(lab, capsys) -> None:
    both = [
        {"glob": "both/*.dat", "location": "keep/{name}", "mode": "copy"},
        {"glob": "both/*.dat", "location": "copy2/{name}", "mode": "copy", "volume": VOLUME},
        {"glob": "both/*.dat", "location": "moved/{name}", "mode": "move"},
    ]
    sandbox, data, manifest = lab({"both": 120}, both)

    ran = run_cli(capsys, *apply_args(manifest))

    assert ran.code == 0, ran.err
    rows = sandbox.query("SELECT file_id, copy_only, created_at, done_at, state FROM exports")
    assert {r["state"] for r in rows} == {"COMPLETED"} and len(rows) == 360
    for file in ids_in(data, "both"):
        copies = [r for r in rows if r["file_id"] == file and r["copy_only"]]
        move = next(r for r in rows if r["file_id"] == file and not r["copy_only"])
        assert len(copies) == 2
        assert all(c["done_at"] <= move["created_at"] for c in copies)
    # 240 copies in 3 calls; the 120 moves are released as copies finish, still 2 calls.
    assert creates(sandbox) == {"copy": 3, "move": 2}


def test_a_lost_create_answer_leaves_exactly_one_job_per_file(lab, capsys) -> None:
    sandbox, _, manifest = lab({"moves": 150, "copies": 30}, [MOVES, COPIES], lose_responses=2)

    ran = run_cli(capsys, *apply_args(manifest))

    assert ran.code == 0, ran.err
    lost = [e for e in sandbox.request_log() if e.get("lost")]
    assert len(lost) == 2
    per_destination = jobs_per_destination(sandbox)
    assert len(per_destination) == 180 and max(per_destination.values()) == 1
    journal = (manifest.parent.parent / "state" / "journal.jsonl").read_text().splitlines()
    kinds = [json.loads(line)["kind"] for line in journal]
    assert kinds.count("uncertain") == 2 and kinds.count("resolved") == 2


@pytest.mark.slow
def test_rate_limit_and_failing_reads_still_converge(lab, capsys) -> None:
    sandbox, _, manifest = lab(
        {"moves": 120, "copies": 40},
        [MOVES, COPIES],
        read_error_rate=0.2,
        rate_limit=4,
        rate_window=1.0,
        random_seed=7,
    )

    # Someone else with the same token spends the window first: apply starts on a 429.
    http = requests.Session()
    http.headers["X-SBG-Auth-Token"] = sandbox.token
    while http.get(f"{sandbox.url}/user").status_code != 429:
        pass

    ran = run_cli(capsys, *apply_args(manifest))

    assert ran.code == 0, ran.err
    statuses = [e.get("status") for e in sandbox.request_log() if e["path"] != "/v2/user"]
    assert 500 in statuses and 429 in statuses  # the faults did fire, on apply's calls
    assert max(jobs_per_destination(sandbox).values()) == 1
    assert len(jobs_per_destination(sandbox)) == 160


def test_failures_are_reported_per_item_while_the_rest_converges(lab, capsys) -> None:
    data_groups = {"moves": 5, "copies": 3}
    exports = [
        MOVES,
        COPIES,
        # Same cloud, other region: the plan cannot see it, the create refuses this item.
        {"path": "copies/f0000.dat", "location": "far/x.dat", "mode": "copy", "volume": FAR_VOLUME},
    ]
    sandbox, data, manifest = lab(data_groups, exports)
    doomed = ids_in(data, "moves")[1]
    sandbox.configure(fail_files=[doomed])

    ran = run_cli(capsys, *apply_args(manifest))

    assert ran.code == 1
    assert "7 completed" in ran.out and "2 failed" in ran.out
    failed = [line for line in report_lines(ran.out) if " failed" in line or "failed (" in line]
    assert any(doomed in line and "job FAILED" in line for line in failed)
    assert any(FAR_VOLUME in line and "refused" in line for line in failed)
    receipt = json.loads((manifest.parent.parent / "state" / "receipt.json").read_text())
    results = {(i["file"], i["volume"], i["location"]): i["result"] for i in receipt["items"]}
    assert list(results.values()).count("completed") == 7


def test_the_next_plan_quotes_the_failure_the_journal_knows(lab, capsys) -> None:
    sandbox, data, manifest = lab({"moves": 2}, [MOVES])
    doomed = ids_in(data, "moves")[0]
    sandbox.configure(fail_files=[doomed])
    assert run_cli(capsys, *apply_args(manifest)).code == 1
    sandbox.configure(fail_files=[])

    state = manifest.parent.parent / "state"
    ran = run_cli(capsys, "plan", str(manifest), "--state-dir", str(state), "--format", "json")

    items = {i["file_id"]: i for i in json.loads(ran.out)["items"]}
    assert items[doomed]["action"] == "move"
    assert items[doomed]["reason_code"] == "retry-after-failure"
    assert items[doomed]["last_failure"]
    assert ran.code == 0


def test_max_moves_refuses_before_any_write(lab, capsys) -> None:
    sandbox, _, manifest = lab({"moves": 3}, [MOVES])

    ran = run_cli(capsys, *apply_args(manifest, "--max-moves", "2"))

    assert ran.code == 1
    assert "moves 3 files, more than the limit of 2" in ran.err
    assert not any(e["method"] == "POST" and "create" in e["path"] for e in sandbox.request_log())
    assert not sandbox.query("SELECT id FROM exports")


def test_guards_in_the_manifest_and_max_bytes_refuse_too(lab, capsys, tmp_path) -> None:
    sandbox, _, manifest = lab({"moves": 3}, [MOVES])
    write_manifest(manifest.parent, [MOVES], guards={"max_moves": 10, "max_bytes": "2KB"})

    ran = run_cli(capsys, *apply_args(manifest, "--max-bytes", "1.5TiB"))

    assert ran.code == 1
    assert "more than the limit of 2.0 kB" in ran.err
    assert not sandbox.query("SELECT id FROM exports")


def test_without_a_terminal_and_without_yes_apply_refuses_before_any_call(lab, capsys) -> None:
    sandbox, _, manifest = lab({"moves": 1}, [MOVES])

    ran = run_cli(capsys, "apply", str(manifest))

    assert ran.code == 1
    assert "pass --yes" in ran.err and "--plan" in ran.err
    assert sandbox.request_log() == []


def test_an_invalid_manifest_makes_no_call(lab, capsys) -> None:
    sandbox, _, manifest = lab({"moves": 1}, [MOVES])
    manifest.write_text(manifest.read_text().replace('"mode": "move"', '"mode": "teleport"'))

    ran = run_cli(capsys, *apply_args(manifest))

    assert ran.code == 1
    assert sandbox.request_log() == []


def test_jobs_still_running_at_the_timeout_exit_1_and_a_rerun_picks_them_up(lab, capsys) -> None:
    sandbox, _, manifest = lab({"moves": 3}, [MOVES], job_pace=3.0)

    first = run_cli(capsys, *apply_args(manifest, "--wait-timeout", "0.5", "--format", "json"))

    assert first.code == 1
    report = json.loads(first.out)
    assert report["summary"] == {"running": 3} and report["exit_code"] == 1
    assert all(i["job"] and i["job_state"] in ("PENDING", "RUNNING") for i in report["items"])

    second = run_cli(capsys, *apply_args(manifest))

    assert second.code == 0, second.err
    assert "3 completed" in second.out
    assert creates(sandbox) == {"move": 1}  # the jobs were watched, not sent again


def test_a_failed_copy_holds_the_move_of_its_file(lab, capsys) -> None:
    both = [
        {"glob": "both/*.dat", "location": "keep/{name}", "mode": "copy"},
        {"glob": "both/*.dat", "location": "moved/{name}", "mode": "move"},
    ]
    sandbox, data, manifest = lab({"both": 2}, both)
    doomed = ids_in(data, "both")[0]
    sandbox.configure(fail_files=[doomed])

    ran = run_cli(capsys, *apply_args(manifest))

    assert ran.code == 1
    held = next(line for line in report_lines(ran.out) if doomed in line and "moved/" in line)
    assert "held: not moved: the copy to lab/out:keep/f0000.dat did not complete" in held
    assert sandbox.file(doomed)["storage"]["type"] == "PLATFORM"  # still on the platform
    assert "3 completed" not in ran.out and "2 completed" in ran.out


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("answer", "code", "sent"), [("no\n", 1, {}), ("yes\n", 0, {"move": 1})])
def test_on_a_terminal_apply_shows_the_plan_and_asks(
    lab, capsys, monkeypatch, answer, code, sent
) -> None:
    sandbox, _, manifest = lab({"moves": 2}, [MOVES])
    monkeypatch.setattr("sys.stdin", Terminal(answer))
    args = [a for a in apply_args(manifest) if a != "--yes"]

    ran = run_cli(capsys, *args)

    assert ran.code == code
    assert "Plan: 2 to move" in ran.err and "Only 'yes' will be accepted" in ran.err
    assert creates(sandbox) == sent
    if code:
        assert "apply cancelled; nothing was applied" in ran.err


def test_a_declared_storage_class_is_sent_and_recorded_an_undeclared_one_is_not(
    lab, capsys
) -> None:
    cold = {**COPIES, "properties": {"aws_storage_class": "GLACIER_IR"}}
    sandbox, _, manifest = lab({"moves": 1, "copies": 2}, [MOVES, cold])

    ran = run_cli(capsys, *apply_args(manifest))

    assert ran.code == 0, ran.err
    jobs = sandbox.query("SELECT location, properties FROM exports ORDER BY location")
    by_location = {j["location"]: j["properties"] for j in jobs}
    assert by_location["c/f0000.dat"]["aws_storage_class"] == "GLACIER_IR"
    assert by_location["c/f0001.dat"]["aws_storage_class"] == "GLACIER_IR"
    assert set(by_location["m/f0000.dat"]) == {
        "sse_algorithm",
        "sse_aws_kms_key_id",
        "aws_canned_acl",
    }


def test_a_location_with_a_300_byte_segment_converges(lab, capsys) -> None:
    segment = "long-" + "é" * 147 + "x"  # 300 bytes of UTF-8
    assert len(segment.encode()) == 300
    deep = {**COPIES, "location": f"{segment}/{{name}}"}
    sandbox, _, manifest = lab({"copies": 2}, [deep])

    first = run_cli(capsys, *apply_args(manifest))
    second = run_cli(capsys, *apply_args(manifest))

    assert first.code == 0, first.err
    assert "2 completed" in first.out
    assert sandbox.object_path(VOLUME, f"{segment}/f0001.dat").stat().st_size == 1000
    assert second.code == 0, second.err
    assert "2 in-sync" in second.out


def test_a_file_copied_and_moved_converges_and_the_next_plan_is_empty(lab, capsys) -> None:
    # After apply the file is an alias at its move destination; its copy stays in sync through
    # the object at the copy destination, which the live reader must therefore read.
    both = [
        {"glob": "both/*.dat", "location": "kept/{name}", "mode": "copy"},
        {"glob": "both/*.dat", "location": "moved/{name}", "mode": "move"},
    ]
    sandbox, data, manifest = lab({"both": 3}, both)

    ran = run_cli(capsys, *apply_args(manifest))

    assert ran.code == 0, ran.err
    for file in ids_in(data, "both"):
        assert sandbox.file(file)["storage"]["type"] == "VOLUME"
    planned = run_cli(capsys, "plan", "--detailed-exitcode", str(manifest))
    assert planned.code == 0, planned.out + planned.err
    assert "alias" not in planned.err
