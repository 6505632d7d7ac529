"""A `--state-dir` that cannot be a folder is one clear line (issue 22): it said "cannot open
the lock: File exists"."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reconciler import cli
from reconciler.apply.lock import StateLock
from reconciler.errors import StateError
from tests.reliability.secret import SECRET_TOKEN, with_secret_token

MANIFEST = """\
version: 1
project: rfranklin/rna-seq
defaults:
  volume: rfranklin/output
exports:
  - path: results/sample1/counts.tsv
    location: state-dir/counts.tsv
"""


@pytest.mark.parametrize("inside", [False, True], ids=["the folder", "a folder above"])
def test_a_file_in_place_of_the_state_folder_is_named(tmp_path: Path, inside: bool) -> None:
    blocker = tmp_path / "state"
    blocker.write_text("not a folder\n")
    state = blocker / "deeper" if inside else blocker
    with pytest.raises(StateError) as caught:
        StateLock(state).acquire()
    message = str(caught.value)
    assert message.startswith(f"{state}: the state folder (--state-dir) is not a folder")
    assert "File exists" not in message and "\n" not in message
    assert blocker.read_text() == "not a folder\n"


def test_apply_with_a_file_as_state_dir_says_one_line(
    make_sandbox: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sandbox = make_sandbox(seed=with_secret_token())
    monkeypatch.setenv("SB_API_ENDPOINT", sandbox.url)
    monkeypatch.setenv("SB_AUTH_TOKEN", SECRET_TOKEN)
    monkeypatch.setenv("SB_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    (tmp_path / "m.yaml").write_text(MANIFEST, encoding="utf-8")
    state = tmp_path / "state"
    state.write_text("")
    jobs = sandbox.query("SELECT COUNT(*) AS n FROM exports")[0]["n"]
    code = cli.main(["apply", "--yes", "--state-dir", str(state), str(tmp_path / "m.yaml")])
    err = capsys.readouterr().err
    assert code == 1
    last = err.splitlines()[-1]
    assert last.startswith(f"error: {state}: the state folder (--state-dir) is not a folder")
    assert sandbox.query("SELECT COUNT(*) AS n FROM exports")[0]["n"] == jobs  # nothing sent
