"""`reconciler plan` end to end against the sandbox on a real port: one seed built so that every
action and every blocked reason the planner knows shows up, planned through the CLI exactly as a
user runs it, and the saved plan rendered again by `show`."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any

import pytest
import requests

from reconciler import cli
from reconciler.plan.io import load_plan
from reconciler.plan.model import Action, BlockedReason, PlanItem
from reconciler.plan.render_csv import plain
from reconciler.sandbox.server import Sandbox
from tests.reliability.secret import SECRET_TOKEN

US = "aws:us-east-1"
SIZE = 1000
LONG_PREFIX = "p" * 1020 + "/"


def _volume(vid: str, **extra: Any) -> dict[str, Any]:
    service = {"type": "s3", "bucket": vid.replace("/", "-"), "prefix": ""}
    service.update(extra.pop("service", {}))
    return {"id": vid, "location": US, "service": service, **extra}


def _file(path: str, project: str = "lab/p", **extra: Any) -> dict[str, Any]:
    return {"project": project, "path": path, "size": SIZE, **extra}


SEED: dict[str, Any] = {
    "tokens": [{"token": SECRET_TOKEN, "username": "lab"}],
    "projects": [
        {"id": "lab/p", "location": US},
        {"id": "lab/other", "location": US},
        {"id": "lab/gcp", "location": "gcp:us-central1"},
    ],
    "volumes": [
        _volume("lab/out", service={"prefix": "x/"}),
        _volume("lab/ro", access_mode="RO"),
        _volume("lab/off", active=False),
        _volume("lab/gcs", location="gcp:us-central1", service={"type": "gcs"}),
        _volume("lab/long", service={"prefix": LONG_PREFIX}),
    ],
    "files": [
        _file("m/move.dat"),
        _file("c/copy.dat"),
        _file("r/replace.dat"),
        _file(
            "s/alias.dat",
            storage={"type": "VOLUME", "volume": "lab/out", "location": "s/alias.dat"},
        ),
        _file("s/copied.dat"),
        _file("f/flight.dat"),
        _file("b/public.dat", metadata={"sbg_public_files_category": "reference"}),
        _file(
            "b/moved.dat",
            storage={"type": "VOLUME", "volume": "lab/out", "location": "old/moved.dat"},
        ),
        _file("b/dir/inner.dat"),
        _file("b/exists.dat"),
        _file("b/ro.dat"),
        _file("b/off.dat"),
        _file("b/gcs.dat"),
        _file("b/long.dat"),
        _file("b/twice.dat"),
        _file("b/dup1.dat"),
        _file("b/dup2.dat"),
        _file("o/x.dat", project="lab/other", id="0f0000000000000000000001"),
        _file("g/x.dat", project="lab/gcp"),
    ],
    "objects": [
        {"volume": "lab/out", "location": "r/replace.dat", "size": 5},
        {"volume": "lab/out", "location": "s/copied.dat", "size": SIZE},
        {"volume": "lab/out", "location": "b/exists.dat", "size": 5},
    ],
}

MAIN = {
    "version": 1,
    "project": "lab/p",
    "defaults": {"volume": "lab/out"},
    "exports": [
        {"path": "m/move.dat", "location": "m/move.dat"},
        {"path": "c/copy.dat", "location": "c/copy.dat", "mode": "copy"},
        {"path": "r/replace.dat", "location": "r/replace.dat", "overwrite": True},
        {"path": "s/alias.dat", "location": "s/alias.dat", "overwrite": True},
        {"path": "s/copied.dat", "location": "s/copied.dat", "mode": "copy"},
        {"path": "f/flight.dat", "location": "f/flight.dat"},
        {"path": "b/public.dat", "location": "b/public.dat"},
        {"path": "b/moved.dat", "location": "b/moved.dat"},
        {"path": "b/dir", "location": "b/dir"},
        {"path": "b/missing.dat", "location": "b/missing.dat"},
        {"file": "0f0000000000000000000001", "location": "b/other.dat"},
        {"file": "ffffffffffffffffffffffff", "location": "b/nothing.dat"},
        {"path": "b/exists.dat", "location": "b/exists.dat"},
        {"path": "b/ro.dat", "location": "b/ro.dat", "volume": "lab/ro"},
        {"path": "b/off.dat", "location": "b/off.dat", "volume": "lab/off"},
        {"path": "b/gcs.dat", "location": "b/gcs.dat", "volume": "lab/gcs"},
        {"path": "b/long.dat", "location": "b/long.dat", "volume": "lab/long"},
        {"path": "b/ro.dat", "location": "b/nope.dat", "volume": "lab/nope", "mode": "copy"},
        {"glob": "nothing/*", "location": "n/{name}"},
        # Conflicts that only resolving the globs can show (validate cannot see them).
        {"glob": "b/twice.dat", "location": "t1/{name}"},
        {"glob": "b/tw?ce.dat", "location": "t2/{name}"},
        {"glob": "b/dup*.dat", "location": "dup/same.dat", "mode": "copy"},
    ],
}
GCP = {
    "version": 1,
    "project": "lab/gcp",
    "exports": [{"path": "g/x.dat", "location": "g/x.dat", "volume": "lab/out"}],
}
MISSING_PROJECT = {
    "version": 1,
    "project": "lab/missing",
    "exports": [{"path": "a.dat", "location": "a.dat", "volume": "lab/out"}],
}

EXPECTED_BLOCKED = {
    "b/public.dat": BlockedReason.PUBLIC_FILE,
    "b/moved.dat": BlockedReason.ALIAS_ELSEWHERE,
    "b/dir": BlockedReason.FOLDER,
    "b/missing.dat": BlockedReason.NOT_FOUND,
    "b/other.dat": BlockedReason.NOT_IN_PROJECT,
    "b/nothing.dat": BlockedReason.NOT_FOUND,
    "b/exists.dat": BlockedReason.DESTINATION_EXISTS,
    "b/ro.dat": BlockedReason.VOLUME_READ_ONLY,
    "b/off.dat": BlockedReason.VOLUME_INACTIVE,
    "b/gcs.dat": BlockedReason.VOLUME_GCS,
    "b/long.dat": BlockedReason.LOCATION_TOO_LONG,
    "b/nope.dat": BlockedReason.VOLUME_MISSING,
    "n/{name}": BlockedReason.GLOB_EMPTY,
    "t1/twice.dat": BlockedReason.MOVED_TWICE,
    "t2/twice.dat": BlockedReason.MOVED_TWICE,
    "dup/same.dat": BlockedReason.DUPLICATE_DESTINATION,
    "g/x.dat": BlockedReason.CLOUD_MISMATCH,
    "a.dat": BlockedReason.PROJECT_NOT_FOUND,
}


@pytest.fixture
def planned(
    make_sandbox: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> tuple[Sandbox, dict[str, Any], Path]:
    sandbox: Sandbox = make_sandbox(seed=SEED, job_pace=600)
    # A job still PENDING for f/flight.dat: submitted by someone else, not yet finished.
    flight = next(r["id"] for r in sandbox.query("SELECT id FROM files WHERE name = 'flight.dat'"))
    answer = requests.post(
        f"{sandbox.url}/storage/exports",
        json={
            "source": {"file": flight},
            "destination": {"volume": "lab/out", "location": "f/flight.dat"},
            "overwrite": False,
            "properties": {
                "sse_algorithm": "aws:kms",
                "sse_aws_kms_key_id": None,
                "aws_canned_acl": None,
            },
        },
        headers={"X-SBG-Auth-Token": sandbox.token},
        timeout=10,
    )
    assert answer.status_code in (200, 201), answer.text
    folder = tmp_path / "manifests"
    folder.mkdir()
    for name, body in (("main", MAIN), ("gcp", GCP), ("missing", MISSING_PROJECT)):
        (folder / f"{name}.yaml").write_text(json.dumps(body), encoding="utf-8")
    monkeypatch.setenv("SB_API_ENDPOINT", sandbox.url)
    monkeypatch.setenv("SB_AUTH_TOKEN", sandbox.token)
    monkeypatch.setenv("SB_CREDENTIALS_FILE", str(tmp_path / "none"))
    saved = tmp_path / "plan.json"
    code = cli.main(["plan", str(folder), "--out", str(saved), "--format", "json",
                     "--state-dir", str(tmp_path / "state")])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 1  # blocked items make the plan an error, and the plan is still printed
    return sandbox, json.loads(out), saved


def _by_location(plan: dict[str, Any]) -> dict[str, PlanItem]:
    items: dict[str, PlanItem] = {}
    for item in load_plan(json.dumps(plan)).items:
        items.setdefault(item.location, item)
    return items


def test_every_action_shows_up_with_its_reason(planned: Any) -> None:
    _, plan, _ = planned
    items = _by_location(plan)
    assert items["m/move.dat"].action == Action.MOVE
    assert items["m/move.dat"].destructive is True
    assert items["m/move.dat"].object_uri == "s3://lab-out/x/m/move.dat"
    assert items["c/copy.dat"].action == Action.COPY
    assert items["c/copy.dat"].destructive is False
    assert items["r/replace.dat"].action == Action.REPLACE
    assert items["s/alias.dat"].action == Action.IN_SYNC  # overwrite: true changes nothing
    assert items["s/copied.dat"].action == Action.IN_SYNC
    flight = items["f/flight.dat"]
    assert flight.action == Action.IN_FLIGHT and flight.job_id
    # The running job encrypts with aws:kms, the manifest says AES256: the plan says so.
    assert any("sse_algorithm" in d for d in flight.job_differences)


def test_every_blocked_reason_shows_up(planned: Any) -> None:
    _, plan, _ = planned
    items = _by_location(plan)
    for location, reason in EXPECTED_BLOCKED.items():
        assert location in items, location
        assert items[location].action == Action.BLOCKED, (location, items[location])
        assert items[location].reason_code == reason, (location, items[location].reason)
        assert items[location].declared_at, location


def test_the_saved_plan_renders_again_and_costs_few_calls(
    planned: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox, plan, saved = planned
    assert cli.main(["show", str(saved)]) == 0
    text = capsys.readouterr().out
    summary = text.replace("\n    ", " ").splitlines()[0]  # wrapped at 100 columns
    assert summary.startswith("Plan: 1 to move")
    assert "1 to replace" in summary and "1 in flight" in summary
    # Both files of the duplicate destination are blocked: one more item than locations.
    assert f"{len(EXPECTED_BLOCKED) + 1} blocked" in summary
    assert "x b/public.dat" in text or "public" in text
    # Reading the live state: no call per file. 20 declared files, 3 projects, 6 volumes.
    reads = [e for e in sandbox.request_log() if e["method"] == "GET" or "get" in e["path"]]
    assert len(reads) < 45, len(reads)
    assert plan["apply_estimate"]["create_calls"] == 2


def test_the_full_list_is_saved_beside_the_plan_and_named_by_its_note(
    planned: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    _, _, saved = planned
    full_list = saved.with_suffix(".csv")
    with full_list.open(encoding="utf-8", newline="") as text:
        rows = [{k: plain(v) for k, v in row.items()} for row in csv.DictReader(text)]
    items = load_plan(saved).items
    assert [(r["file_id"], r["location"], r["action"], r["reason"]) for r in rows] == [
        (i.file_id or "", i.location, str(i.action), i.reason) for i in items
    ]
    assert cli.main(["show", str(saved), "--format", "csv"]) == 0
    assert capsys.readouterr().out == full_list.read_bytes().decode()
    assert cli.main(["show", str(saved), "--format", "markdown"]) == 0
    assert f"in `{full_list}` (it opens in a spreadsheet)" in capsys.readouterr().out


def test_plan_and_show_write_the_same_page(
    planned: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, _, saved = planned
    folder = str(tmp_path / "manifests")
    assert cli.main(["plan", folder, "--format", "html", "--state-dir", str(tmp_path)]) == 1
    made = capsys.readouterr().out
    assert cli.main(["show", str(saved), "--format", "html"]) == 0
    shown = capsys.readouterr().out
    summary = re.compile(r'<p id="summary-line"><strong>(Plan: [^<]+)</strong>')
    found = [summary.search(page) for page in (made, shown)]
    assert found[0] and found[1] and found[0][1] == found[1][1]
    assert "1 to replace" in found[0][1]
    for page in (made, shown):
        assert page.startswith("<!DOCTYPE html>") and page.endswith("</html>\n")
        assert 'id="plan-items"' in page  # a small plan lists every item
