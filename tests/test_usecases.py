"""The use cases' own rules, without a server: manifests grouped by platform, the pin, and
platforms run side by side (every one waited for; Ctrl-C reaches each)."""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from reconciler.errors import ConfigError
from reconciler.manifest.load import load_manifests
from reconciler.usecases import plan as planning
from reconciler.usecases.apply import _cancellable
from tests.platforms import write_manifest


def test_manifests_are_grouped_by_the_platform_they_name(tmp_path: Path) -> None:
    write_manifest(tmp_path, "cgc")
    write_manifest(tmp_path / "url", "https://cgc-api.sbgenomics.com/v2")  # cgc's official URL
    write_manifest(tmp_path, "cavatica")
    loaded = load_manifests([str(tmp_path)], root=tmp_path)

    groups = planning.by_platform(loaded)

    assert list(groups) == ["cavatica", "cgc"]
    assert [len(g.manifests) for g in groups.values()] == [1, 2]
    assert {g.digest for g in groups.values()} == {loaded.digest}


def test_the_pin_names_the_platform_line_of_the_first_other_manifest(tmp_path: Path) -> None:
    write_manifest(tmp_path, "cgc")
    other = write_manifest(tmp_path, "cavatica")
    loaded = load_manifests([str(tmp_path)], root=tmp_path)

    planning.check_pin(loaded, None)
    with pytest.raises(ConfigError) as caught:
        planning.check_pin(loaded, "cgc")
    assert str(caught.value).startswith(f"{other}:2:1: platform cavatica (cavatica) is not")
    with pytest.raises(ConfigError, match=r"cgc\.yaml:2:1: platform cgc"):
        planning.check_pin(loaded, "https://cavatica-api.sbgenomics.com/v2")


def test_side_by_side_waits_for_every_platform_then_raises_the_first_error() -> None:
    finished: list[str] = []
    release = threading.Event()

    def work(name: str) -> str:
        if name == "a":
            raise ConfigError("a failed")
        assert release.wait(10) or name == "c"
        finished.append(name)
        return name

    def work_releasing(name: str) -> str:
        if name == "c":
            release.set()
        return work(name)

    with pytest.raises(ConfigError, match="a failed"):
        planning.side_by_side(["a", "b", "c"], work_releasing)
    assert sorted(finished) == ["b", "c"]
    assert planning.side_by_side(["b", "c"], work_releasing) == ["b", "c"]


def test_ctrl_c_while_waiting_cancels_every_platform(monkeypatch: pytest.MonkeyPatch) -> None:
    cancel = threading.Event()
    stopped: list[str] = []
    waited = planning.futures.wait
    calls = 0

    def interrupted_once(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise KeyboardInterrupt
        return waited(*args, **kwargs)

    monkeypatch.setattr(planning.futures, "wait", interrupted_once)
    pause = _cancellable(time.sleep, cancel)  # then a pause is a wait on `cancel`

    def engine(name: str) -> None:
        for _ in range(1000):  # at most 10 s, if cancelling did not work
            try:
                pause(0.01)
            except KeyboardInterrupt:
                stopped.append(name)
                raise
        raise AssertionError("never cancelled")

    with pytest.raises(KeyboardInterrupt):
        planning.side_by_side(["cgc", "cavatica"], engine, cancel=cancel)
    assert cancel.is_set() and sorted(stopped) == ["cavatica", "cgc"]


def test_a_plan_names_the_commit_its_manifests_are_checked_out_at(tmp_path: Path) -> None:
    write_manifest(tmp_path / "repo" / "manifests", "cgc")
    loaded = load_manifests([str(tmp_path / "repo")], root=tmp_path)
    assert planning.manifests_commit(loaded) is None  # not in a repository yet

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
            cwd=tmp_path / "repo",
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout.strip()

    git("init", "-q")
    git("add", ".")
    git("commit", "-q", "-m", "manifests")

    assert planning.manifests_commit(loaded) == git("rev-parse", "HEAD")
