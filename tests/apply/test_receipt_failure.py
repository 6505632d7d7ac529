"""A receipt that cannot be written (a folder in its place, a full disk) after the exports
completed: the per-item report is already on stdout, the error is one line, the journal's
`end` record holds the real exit code (1, and why), and no temporary file is left behind."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from .helpers import MOVES, ids_in, report_lines, run_cli


def apply_args(manifest: Path) -> list[str]:
    return ["apply", "--yes", "--state-dir", str(manifest.parent.parent / "state"), str(manifest)]


def journal_end(state: Path) -> dict[str, Any]:
    records = [json.loads(line) for line in (state / "journal.jsonl").read_text().splitlines()]
    return next(r for r in reversed(records) if r["kind"] == "end")


def test_a_folder_in_place_of_the_receipt_leaves_the_report_and_a_true_journal(
    lab: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    _, data, manifest = lab({"moves": 3}, [MOVES])
    state = manifest.parent.parent / "state"
    (state / "receipt.json").mkdir(parents=True)

    ran = run_cli(capsys, *apply_args(manifest))

    assert ran.code == 1
    assert ran.out.startswith("Apply: 3 completed")
    listed = report_lines(ran.out)
    for file_id in ids_in(data, "moves"):
        assert any(file_id in line and "move completed" in line for line in listed), file_id
    last = ran.err.splitlines()[-1]
    assert last.startswith("error: ") and "cannot write the receipt: Is a directory" in last
    end = journal_end(state)
    assert end["exit_code"] == 1 and "cannot write the receipt" in end["error"]
    assert sorted(p.name for p in state.iterdir()) == [
        "apply.lock",
        "journal.jsonl",
        "receipt.json",
    ]


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (Linux)")
def test_a_full_disk_leaves_the_report_and_no_temporary_file(
    lab: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    _, _, manifest = lab({"moves": 2}, [MOVES])
    state = manifest.parent.parent / "state"
    state.mkdir()
    # The receipt's temporary file is written to a device that is always full.
    (state / "receipt.json.tmp").symlink_to("/dev/full")

    ran = run_cli(capsys, *apply_args(manifest), "--format", "json")

    assert ran.code == 1
    report = json.loads(ran.out)
    assert report["summary"] == {"completed": 2}
    assert {i["reason"] for i in report["items"]} == {"result-checked"}
    assert "cannot write the receipt: No space left on device" in ran.err.splitlines()[-1]
    assert journal_end(state)["exit_code"] == 1
    assert not (state / "receipt.json.tmp").exists() and not (state / "receipt.json").exists()
