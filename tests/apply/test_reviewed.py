"""`apply --reviewed FILE`: after the merge, send only the exports the merge request's plan
showed, reading only those items; a file that appeared since is not even looked for (the next
plan shows it); anything that does not belong (another endpoint, project or platform, an
edited or missing plan) fails closed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from .helpers import (
    MOVES,
    PROJECT,
    creates,
    jobs_per_destination,
    run_cli,
    save_plan,
    seed,
    session,
    use_sandbox,
    write_manifest,
)


@pytest.fixture
def reviewed(tmp_path: Path, lab: Any) -> Any:
    """A sandbox with three files to move, their manifest, and the plan a reviewer saw."""
    sandbox, _, manifest = lab({"moves": 3}, [MOVES])
    return sandbox, manifest, save_plan(tmp_path / "reviewed.json", manifest)


def apply_reviewed(capsys: Any, manifest: Path, plan_file: Path | str) -> Any:
    state = str(manifest.parent.parent / "state")
    argv = ["apply", "--reviewed", str(plan_file), "--state-dir", state, str(manifest)]
    return run_cli(capsys, *argv)


def add_file(sandbox: Any, path: str) -> str:
    answer = session(sandbox).post(
        sandbox.url.removesuffix("/v2") + "/_sandbox/files",
        json={"project": PROJECT, "path": path, "size": 1000},
    )
    assert answer.status_code == 200, answer.text
    file_id: str = answer.json()["id"]
    return file_id


def test_a_file_added_after_the_review_is_not_moved_and_the_next_plan_shows_it(
    reviewed: Any, capsys: Any
) -> None:
    sandbox, manifest, plan_file = reviewed
    late = add_file(sandbox, "moves/f0099.dat")  # matches the reviewed glob
    before = len(sandbox.request_log())

    ran = apply_reviewed(capsys, manifest, plan_file)

    assert ran.code == 0, ran.out + ran.err
    assert "3 completed" in ran.out and late not in ran.out
    assert sandbox.file(late)["storage"]["type"] == "PLATFORM"  # still on the platform
    assert len(jobs_per_destination(sandbox)) == 3
    assert all(file_id != late for file_id, _, _ in jobs_per_destination(sandbox))
    # apply --reviewed read the three reviewed items only: no folder was listed.
    applied = sandbox.request_log()[before:]
    assert applied and not [r for r in applied if r["path"].startswith("/v2/files?")]
    planned = run_cli(capsys, "plan", str(manifest), "--detailed-exitcode")
    assert planned.code == 2 and "1 to move" in planned.out


def test_the_manifests_may_move_on_after_the_review_when_the_exports_are_the_same(
    reviewed: Any, capsys: Any
) -> None:
    sandbox, manifest, plan_file = reviewed
    write_manifest(manifest.parent, [MOVES], description="merged with another change")

    ran = apply_reviewed(capsys, manifest, plan_file)

    assert ran.code == 0, ran.out + ran.err
    assert "3 completed" in ran.out and creates(sandbox) == {"move": 1}


def test_an_export_that_changed_since_the_review_is_not_reviewed(
    reviewed: Any, capsys: Any
) -> None:
    sandbox, manifest, plan_file = reviewed
    write_manifest(manifest.parent, [{**MOVES, "overwrite": True}])

    ran = apply_reviewed(capsys, manifest, plan_file)

    assert ran.code == 1 and "3 not-reviewed" in ran.out
    assert creates(sandbox) == {}


def test_an_export_no_longer_declared_is_not_sent(reviewed: Any, capsys: Any) -> None:
    sandbox, manifest, plan_file = reviewed
    write_manifest(manifest.parent, [{**MOVES, "location": "elsewhere/{name}"}])

    ran = apply_reviewed(capsys, manifest, plan_file)

    assert ran.code == 1 and "3 stale" in ran.out
    assert "no longer declare this export" in ran.out
    assert creates(sandbox) == {}


def _refused(ran: Any, sandbox: Any, *phrases: str) -> None:
    assert ran.code == 1
    errors = [line for line in ran.err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, ran.err
    for phrase in phrases:
        assert phrase in errors[0], errors[0]
    assert creates(sandbox) == {}
    assert ran.out == ""


def test_a_missing_reviewed_plan_fails_closed(reviewed: Any, capsys: Any, tmp_path: Path) -> None:
    sandbox, manifest, _ = reviewed

    ran = apply_reviewed(capsys, manifest, tmp_path / "nowhere.json")

    _refused(ran, sandbox, "nowhere.json: cannot read the plan")


def test_an_edited_reviewed_plan_fails_closed(reviewed: Any, capsys: Any) -> None:
    sandbox, manifest, plan_file = reviewed
    plan_file.write_text(plan_file.read_text().replace('"m/f0000.dat"', '"m/else.dat"'))

    ran = apply_reviewed(capsys, manifest, plan_file)

    _refused(ran, sandbox, "digest does not match", "run `reconciler plan --out FILE`")


def test_a_plan_of_another_endpoint_fails_closed(
    reviewed: Any, capsys: Any, make_sandbox: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, manifest, plan_file = reviewed
    other = make_sandbox(seed=seed({"moves": 3}))
    use_sandbox(monkeypatch, other, manifest.parent.parent)

    ran = apply_reviewed(capsys, manifest, plan_file)

    _refused(ran, other, "endpoint check", "gitlab-reviewed-plan", "apply --plan")
    assert other.request_log() == []  # refused before any call


def test_a_plan_of_another_project_fails_closed(reviewed: Any, capsys: Any, tmp_path: Path) -> None:
    sandbox, manifest, _ = reviewed
    elsewhere = write_manifest(tmp_path / "other", [MOVES], project="lab/elsewhere")
    plan_file = save_plan(tmp_path / "other.json", elsewhere)
    assert json.loads(plan_file.read_text())["projects"] == ["lab/elsewhere"]
    calls = len(sandbox.request_log())

    ran = apply_reviewed(capsys, manifest, plan_file)

    _refused(ran, sandbox, "project check", "lab/elsewhere")
    assert len(sandbox.request_log()) == calls


def test_a_plan_of_another_platform_fails_closed(
    reviewed: Any, capsys: Any, tmp_path: Path
) -> None:
    sandbox, manifest, _ = reviewed
    # SB_API_ENDPOINT serves every platform (the sandbox): only the platform tells them apart.
    cgc = write_manifest(tmp_path / "cgc", [MOVES], platform="cgc")
    plan_file = save_plan(tmp_path / "cgc.json", cgc)

    ran = apply_reviewed(capsys, manifest, plan_file)

    _refused(ran, sandbox, "platform check", "cgc")


def test_reviewed_and_plan_cannot_be_combined(reviewed: Any, capsys: Any) -> None:
    _, _, plan_file = reviewed
    with pytest.raises(SystemExit) as exited:
        run_cli(capsys, "apply", "--reviewed", str(plan_file), "--plan", str(plan_file))
    assert exited.value.code == 2
