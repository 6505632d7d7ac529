"""`apply --plan FILE`: the saved plan is the approval, checked against manifests and live state."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .helpers import (
    MOVES,
    PROJECT,
    VOLUME,
    creates,
    ids_in,
    jobs_per_destination,
    report_lines,
    run_cli,
    save_plan,
    seed,
    session,
    use_sandbox,
    write_manifest,
)


@pytest.fixture
def saved(tmp_path: Path, lab: Any) -> Any:
    """A sandbox with three files to move, their manifest, and a saved plan for them."""
    sandbox, data, manifest = lab({"moves": 3}, [MOVES])
    return sandbox, data, manifest, save_plan(tmp_path / "plan.json", manifest)


def apply_saved(capsys: Any, manifest: Path, plan_file: Path) -> Any:
    state = str(manifest.parent.parent / "state")
    return run_cli(capsys, "apply", "--plan", str(plan_file), "--state-dir", state, str(manifest))


def test_a_saved_plan_applies_without_yes(saved: Any, capsys: Any) -> None:
    sandbox, _, manifest, plan_file = saved

    ran = apply_saved(capsys, manifest, plan_file)

    assert ran.code == 0, ran.err
    assert "3 completed" in ran.out
    assert creates(sandbox) == {"move": 1}


def test_items_whose_live_state_changed_are_skipped_as_stale(saved: Any, capsys: Any) -> None:
    sandbox, data, manifest, plan_file = saved
    moved_by_hand = ids_in(data, "moves")[0]
    body = {
        "source": {"file": moved_by_hand},
        "destination": {"volume": VOLUME, "location": "by-hand/f.dat"},
        "properties": {"sse_algorithm": "AES256"},
    }
    answer = session(sandbox).post(f"{sandbox.url}/storage/exports", json=body)
    assert answer.status_code in (200, 201), answer.text
    sandbox.wait_for_jobs()

    ran = apply_saved(capsys, manifest, plan_file)

    assert ran.code == 1
    assert "2 completed" in ran.out and "1 stale" in ran.out
    stale = next(line for line in report_lines(ran.out) if moved_by_hand in line)
    assert "skipped: the live state changed since the plan" in stale
    rows = sandbox.query("SELECT file_id FROM exports WHERE file_id = ?", (moved_by_hand,))
    assert len(rows) == 1  # only the export made by hand


def test_a_plan_made_from_other_manifests_is_refused_before_any_call(
    saved: Any, capsys: Any
) -> None:
    sandbox, _, manifest, plan_file = saved
    write_manifest(manifest.parent, [{**MOVES, "location": "elsewhere/{name}"}])
    calls_before = len(sandbox.request_log())

    ran = apply_saved(capsys, manifest, plan_file)

    assert ran.code == 1
    assert "the manifests changed since this plan was made" in ran.err
    assert len(sandbox.request_log()) == calls_before
    assert not sandbox.query("SELECT id FROM exports")


def test_a_hand_edited_plan_is_refused(saved: Any, capsys: Any) -> None:
    sandbox, _, manifest, plan_file = saved
    plan_file.write_text(plan_file.read_text().replace("m/f0000.dat", "m/evil.dat"))

    ran = apply_saved(capsys, manifest, plan_file)

    assert ran.code == 1
    assert "digest does not match" in ran.err
    assert not sandbox.query("SELECT id FROM exports")


@pytest.mark.slow
def test_a_saved_plan_is_applied_reading_only_its_items(
    tmp_path: Path, make_sandbox: Any, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    """450 files in 150 sample folders, one glob: planning lists the folders; applying the
    saved plan lists none, and makes at most 3 x ceil(N/100) + 20 requests (issue 20)."""
    data = seed({})
    data["files"] = [
        {
            "id": f"{s:012x}{n:012x}",
            "project": PROJECT,
            "path": f"results/s{s:03d}/f{n}.dat",
            "size": 1000,
        }
        for s in range(150)
        for n in range(3)
    ]
    sandbox = make_sandbox(seed=data)
    use_sandbox(monkeypatch, sandbox, tmp_path)
    manifest = write_manifest(
        tmp_path / "manifests", [{"glob": "results/**/*.dat", "location": "r/{path}"}]
    )
    plan_file = save_plan(tmp_path / "plan.json", manifest)
    planning = sandbox.request_log()
    assert sum(r["path"].startswith("/v2/files?") for r in planning) > 150  # a folder a call

    ran = apply_saved(capsys, manifest, plan_file)

    assert ran.code == 0, ran.out + ran.err
    assert "450 completed" in ran.out
    applying = sandbox.request_log()[len(planning) :]
    assert not [r for r in applying if r["path"].startswith("/v2/files?")]
    assert len(applying) <= 3 * 5 + 20, sorted(r["path"].split("?")[0] for r in applying)
    assert creates(sandbox) == {"move": 5}


def test_a_file_renamed_since_the_plan_is_stale(saved: Any, capsys: Any) -> None:
    """apply --plan reads files by id only: a file renamed since the plan is no longer the one
    the reviewer saw at that path (its name and folder are in the fingerprint)."""
    sandbox, data, manifest, plan_file = saved
    renamed = ids_in(data, "moves")[1]
    sandbox.query("UPDATE files SET name = 'renamed.dat' WHERE id = ?", (renamed,))

    ran = apply_saved(capsys, manifest, plan_file)

    assert ran.code == 1
    assert "2 completed" in ran.out and "1 stale" in ran.out
    assert renamed not in {file_id for file_id, _, _ in jobs_per_destination(sandbox)}
