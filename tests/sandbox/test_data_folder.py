"""A sandbox stays in its data folder (issue 22, point 4): a link, a FIFO or a folder planted
in place of its lock, database, journal or request log, or a link as `objects/`, is refused at
start with one line naming the file, and whatever the link points at is left untouched. Its
own faults (a file that is not a database, a seed it cannot write, a YAML error) name the file
and say what is wrong."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import requests

from reconciler import cli
from reconciler.sandbox.errors import SandboxError, SeedError
from reconciler.sandbox.server import Sandbox, start

from .helpers import control

pytestmark = pytest.mark.timeout(60)

OUTSIDE = "a file outside the data folder\n"
DATA_FILES = ["sandbox.lock", "sandbox.db", "sandbox.db-wal", "requests.jsonl"]


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    path = tmp_path / "outside" / "precious.txt"
    path.parent.mkdir()
    path.write_text(OUTSIDE)
    return path


@pytest.fixture
def data(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    return folder


def refused(data: Path) -> str:
    with pytest.raises(SandboxError) as caught:
        start(data, port=0).stop()
    message = str(caught.value)
    assert "\n" not in message and "internal error" not in message
    return message


@pytest.mark.parametrize("name", DATA_FILES)
def test_a_link_in_place_of_a_data_file_is_refused_and_its_target_untouched(
    data: Path, outside: Path, name: str
) -> None:
    (data / name).symlink_to(outside)
    message = refused(data)
    assert message.startswith(f"{data / name}: is a symbolic link"), message
    assert outside.read_text() == OUTSIDE


@pytest.mark.parametrize("name", DATA_FILES)
def test_a_dangling_link_creates_nothing_outside(data: Path, outside: Path, name: str) -> None:
    target = outside.parent / f"created-by-{name}"
    (data / name).symlink_to(target)
    assert f"{data / name}: is a symbolic link" in refused(data)
    assert not target.exists()
    assert sorted(p.name for p in outside.parent.iterdir()) == ["precious.txt"]


@pytest.mark.parametrize("name", ["requests.jsonl", "sandbox.lock"])
def test_a_fifo_is_refused_without_hanging(data: Path, name: str) -> None:
    os.mkfifo(data / name)
    assert refused(data).startswith(f"{data / name}: is a FIFO")


def test_a_folder_in_place_of_the_database_is_refused(data: Path) -> None:
    (data / "sandbox.db").mkdir()
    assert refused(data).startswith(f"{data / 'sandbox.db'}: is a directory")


def test_a_linked_objects_folder_is_refused(data: Path, outside: Path) -> None:
    (data / "objects").symlink_to(outside.parent, target_is_directory=True)
    assert refused(data).startswith(f"{data / 'objects'}: is a symbolic link")
    assert sorted(p.name for p in outside.parent.iterdir()) == ["precious.txt"]


def test_a_database_that_is_not_one_is_named(data: Path) -> None:
    (data / "sandbox.db").write_bytes(b"this is not an SQLite database, only text" * 100)
    message = refused(data)
    assert message.startswith(f"{data / 'sandbox.db'}: not a sandbox database"), message


def test_the_command_says_one_line(
    data: Path, outside: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (data / "sandbox.lock").symlink_to(outside)
    assert cli.main(["sandbox", "--port", "0", "--data", str(data)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ") and "symbolic link" in err, err
    assert outside.read_text() == OUTSIDE


def test_a_link_planted_as_the_request_log_while_running_is_not_written_through(
    sandbox: Sandbox, outside: Path
) -> None:
    log = sandbox.data_dir / "requests.jsonl"
    log.unlink(missing_ok=True)
    log.symlink_to(outside)
    answer = requests.get(f"{sandbox.url}/user", headers={"X-SBG-Auth-Token": sandbox.token})
    assert answer.status_code == 200
    assert outside.read_text() == OUTSIDE
    shown = control(sandbox, "requests")
    assert shown.status_code == 500
    assert OUTSIDE.strip() not in shown.text
    assert shown.json()["message"].startswith(f"{log}: is a symbolic link")


def test_a_seed_size_beyond_what_a_file_can_be_is_named(data: Path) -> None:
    seed = {
        "tokens": [{"token": "t" * 32, "username": "u"}],
        "projects": [{"id": "u/p", "location": "aws:us-east-1"}],
        "files": [{"project": "u/p", "path": "big.bam", "size": 10**17}],
    }
    with pytest.raises(SeedError, match=r"^seed: files\[0\]: size 100000000000000000 must be"):
        start(data, seed=seed, port=0).stop()


def test_a_yaml_error_in_a_seed_names_the_file_and_place(data: Path, tmp_path: Path) -> None:
    seed = tmp_path / "broken.yaml"
    seed.write_text("tokens:\n  - token: [unclosed\n    username: u\n")
    with pytest.raises(SeedError) as caught:
        start(data, seed=seed, port=0).stop()
    message = str(caught.value)
    assert message.startswith(f"{seed}:") and "<unicode string>" not in message, message
    assert "\n" not in message
