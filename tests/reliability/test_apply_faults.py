"""Faults the soak found in apply, pinned down one by one (each failed before its fix)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reconciler import cli

from .secret import SECRET_TOKEN
from .soak_engine import PROJECT, VOLUME, file_id, soak_seed
from .soak_runner import SOAK


@pytest.fixture
def lab(make_sandbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    sandbox = make_sandbox(seed=soak_seed(4))
    monkeypatch.setenv("SB_API_ENDPOINT", sandbox.url)
    monkeypatch.setenv("SB_AUTH_TOKEN", SECRET_TOKEN)
    monkeypatch.setenv("SB_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.delenv("CI", raising=False)
    manifest = tmp_path / "manifests" / "m.yaml"
    manifest.parent.mkdir()
    body = {
        "version": 1,
        "project": PROJECT,
        "defaults": {"volume": VOLUME},
        "exports": [{"file": file_id(0), "location": "copied/a.dat", "mode": "copy"}],
    }
    manifest.write_text(json.dumps(body), encoding="utf-8")
    return sandbox, manifest


@pytest.mark.slow
def test_a_refused_copy_create_is_not_reported_completed(
    lab: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox, manifest = lab
    sandbox.configure(write_error_rate=1.0)  # every create: HTTP 500, nothing created
    state = tmp_path / "state"
    code = cli.main(["apply", "--yes", "--state-dir", str(state), str(manifest)], runtime=SOAK)
    capsys.readouterr()
    assert sandbox.query("SELECT id FROM exports") == []  # nothing was ever created
    [item] = json.loads((state / "receipt.json").read_text())["items"]
    assert not sandbox.object_path(VOLUME, "copied/a.dat").exists()
    assert item["result"] != "completed", item
    assert code == 1
