"""Saved plans edited by hand, written by another version, or not plans at all: `show` and
`apply --plan` refuse each with one line and exit 1, and apply makes not a single API call.
A plan only reformatted (indentation, key order) is still the reviewed plan and is accepted.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reconciler import cli
from reconciler.plan.model import FORMAT_VERSION
from reconciler.sandbox.server import Sandbox

from .secret import SECRET_TOKEN, with_secret_token
from .test_hostile_api import MANIFEST

Edit = Callable[[str], str | bytes]


def data_edit(change: Callable[[dict[str, Any]], None]) -> Edit:
    def edit(text: str) -> str:
        data = json.loads(text)
        change(data)
        return json.dumps(data, indent=2)

    return edit


def set_item(index: int, key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda data: data["items"][index].update({key: value})


def settings_of(index: int, key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """Change the export settings the item `index` points at."""
    return lambda data: data["settings"][data["items"][index]["settings"]].update({key: value})


def before_storage_classes(data: dict[str, Any]) -> None:
    """The plan as format 1 wrote it: no `aws_storage_class` in the properties."""
    data["format_version"] = 1
    for settings in data["settings"]:
        del settings["properties"]["aws_storage_class"]


DIGEST = "the plan's digest does not match its content (edited by hand or damaged)"

REFUSED: list[tuple[str, Edit, str]] = [
    ("destination edited", data_edit(set_item(0, "location", "elsewhere/x")), DIGEST),
    ("volume edited", data_edit(settings_of(0, "volume", "lab/elsewhere")), DIGEST),
    ("copy made a move", data_edit(settings_of(0, "mode", "move")), DIGEST),
    ("action edited", data_edit(set_item(0, "action", "move")), DIGEST),
    ("an item removed", data_edit(lambda d: d["items"].pop()), DIGEST),
    ("items reordered", data_edit(lambda d: d["items"].reverse()), DIGEST),
    ("guard loosened", data_edit(lambda d: d["guards"].update(max_moves=10**6)), DIGEST),
    ("manifests digest swapped", data_edit(lambda d: d.update(manifests_digest="0" * 64)),
     DIGEST),
    ("digest recomputed by a careless tool", data_edit(lambda d: d.update(digest="f" * 64)),
     DIGEST),
    ("newer format", data_edit(lambda d: d.update(format_version=FORMAT_VERSION + 1)),
     f"plan format_version {FORMAT_VERSION + 1} is not {FORMAT_VERSION}, the only one this "
     "reconciler reads; re-plan"),
    ("saved before storage classes", data_edit(before_storage_classes),
     "plan format_version 1 is not"),
    ("format as text", data_edit(lambda d: d.update(format_version=str(FORMAT_VERSION))),
     f"plan format_version '{FORMAT_VERSION}' is not {FORMAT_VERSION}"),
    ("format as boolean", data_edit(lambda d: d.update(format_version=True)),
     f"plan format_version True is not {FORMAT_VERSION}"),
    ("no digest", data_edit(lambda d: d.pop("digest")),
     "not a valid plan (digest: Field required)"),
    ("an unknown field", data_edit(lambda d: d.update(approved_by="me")),
     "not a valid plan (approved_by: "),
    ("size as text", data_edit(set_item(0, "size", "100")), "not a valid plan (items.0."),
    ("a negative size", data_edit(set_item(0, "size", -1)),
     "not a valid plan (items.0.size: Input should be greater than or equal to 0)"),
    ("a size of 400 digits", data_edit(set_item(0, "size", 10**400)),
     "not a valid plan (items.0.size: Input should be less than or equal to"),
    ("a negative guard", data_edit(lambda d: d["guards"].update(max_moves=-5)),
     "not a valid plan (guards.max_moves: Input should be greater than or equal to 0)"),
    ("a settings index of 400 digits", data_edit(set_item(0, "settings", 10**400)),
     "not a valid plan (items.0.settings: Input should be less than or equal to"),
    ("an unknown field in an item", data_edit(set_item(0, "approved", True)),
     "not a valid plan (items.0.approved: "),
    ("an unknown field in the settings", data_edit(settings_of(0, "approved", True)),
     "not a valid plan (settings.0.approved: "),
    ("a key twice", lambda text: text.replace('"location":', '"location":"x","location":', 1),
     "appears twice in one object"),
    ("truncated", lambda text: text[: len(text) // 2], "not a plan (not JSON)"),
    ("empty", lambda text: "", "not a plan (not JSON)"),
    ("UTF-16", lambda text: text.encode("utf-16"), "not a plan (not UTF-8 text)"),
    ("a manifest", lambda text: MANIFEST, "not a plan (not JSON)"),
    ("a Terraform plan", lambda text: json.dumps({"format_version": "1.2", "resource_changes": []}),
     "not a reconciler plan"),
    ("a JSON list", lambda text: "[1, 2, 3]", "not a reconciler plan"),
]  # fmt: skip


@pytest.fixture
def saved(
    make_sandbox: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> tuple[Sandbox, Path, Path]:
    sandbox = make_sandbox(seed=with_secret_token())
    monkeypatch.setenv("SB_API_ENDPOINT", sandbox.url)
    monkeypatch.setenv("SB_AUTH_TOKEN", SECRET_TOKEN)
    monkeypatch.setenv("SB_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    manifests = tmp_path / "manifests"
    manifests.mkdir()
    (manifests / "m.yaml").write_text(MANIFEST, encoding="utf-8")
    plan = tmp_path / "plan.json"
    assert cli.main(["plan", str(manifests), "--out", str(plan)]) == 0
    capsys.readouterr()
    return sandbox, manifests, plan


def one_line_error(err: str, fragment: str) -> None:
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert fragment in err, err
    assert "Traceback" not in err and SECRET_TOKEN not in err


def test_the_corpus_is_big_enough() -> None:
    assert len(REFUSED) >= 15


@pytest.mark.parametrize(
    ("edit", "fragment"), [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED]
)
def test_an_edited_or_foreign_plan_is_refused_before_any_call(
    edit: Edit,
    fragment: str,
    saved: tuple[Sandbox, Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sandbox, manifests, plan = saved
    changed = edit(plan.read_text(encoding="utf-8"))
    edited = tmp_path / "edited.json"
    if isinstance(changed, bytes):
        edited.write_bytes(changed)
    else:
        edited.write_text(changed, encoding="utf-8")

    assert cli.main(["show", str(edited)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    one_line_error(err, fragment)
    assert str(edited) in err  # the message leads with the file

    calls, jobs = len(sandbox.request_log()), sandbox.query("SELECT id FROM exports")
    state = tmp_path / "state"
    assert (
        cli.main(["apply", "--plan", str(edited), "--state-dir", str(state), str(manifests)]) == 1
    )
    out, err = capsys.readouterr()
    one_line_error(err, fragment)
    assert len(sandbox.request_log()) == calls  # not one call
    assert sandbox.query("SELECT id FROM exports") == jobs


def test_a_reformatted_plan_is_still_the_reviewed_plan(
    saved: tuple[Sandbox, Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, _, plan = saved
    data = json.loads(plan.read_text(encoding="utf-8"))
    shuffled = dict(reversed(list(data.items())))
    reformatted = tmp_path / "reformatted.json"
    reformatted.write_text(json.dumps(shuffled, indent=7) + "\n\n", encoding="utf-8")
    assert cli.main(["show", str(reformatted)]) == 0
    assert capsys.readouterr().out.startswith("Plan: 0 to move, 11 to copy")


def test_a_plan_of_other_manifests_is_refused_as_a_whole(
    saved: tuple[Sandbox, Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox, _, plan = saved
    other = tmp_path / "other"
    other.mkdir()
    (other / "m.yaml").write_text(MANIFEST.replace("hostile/vcf/", "vcf/"), encoding="utf-8")
    calls, jobs = len(sandbox.request_log()), sandbox.query("SELECT id FROM exports")
    state = tmp_path / "state"
    assert cli.main(["apply", "--plan", str(plan), "--state-dir", str(state), str(other)]) == 1
    _, err = capsys.readouterr()
    one_line_error(err, str(plan))
    assert "manifests" in err
    assert sandbox.query("SELECT id FROM exports") == jobs
    # The saved plan is checked before the live state is read.
    assert len(sandbox.request_log()) == calls
