"""Manifests of two platforms and two projects in one run, against real sandboxes on real ports:
one plan, one apply, both platforms converge, a second plan has nothing to do; a saved plan of
both applies with `apply --plan`. The platforms are reached three ways: credentials profiles,
`SB_AUTH_TOKEN_<P>` + `SB_API_ENDPOINT_<P>`, and one sandbox behind `SB_API_ENDPOINT`.

Each sandbox accepts only its own platform's token: a token sent to the other platform's host
would be refused, so converging proves every token went where its pair says.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from reconciler.plan.io import load_plan
from reconciler.sandbox.server import Sandbox
from tests.apply.helpers import report_lines, run_cli
from tests.conftest import MakeSandbox
from tests.platforms import (
    FILES,
    PROJECTS,
    TOKENS,
    VOLUME,
    clean_environment,
    pair_by_variables,
    seed,
    write_manifest,
)

Capsys = pytest.CaptureFixture[str]


def two_platforms(make_sandbox: MakeSandbox, folder: Path) -> dict[str, Sandbox]:
    for platform in ("cgc", "cavatica"):
        write_manifest(folder, platform)
    return {p: make_sandbox(seed=seed(p)) for p in ("cgc", "cavatica")}


def objects_on(sandbox: Sandbox) -> set[str]:
    rows = sandbox.query("SELECT location FROM exports WHERE state = 'COMPLETED'")
    return {r["location"] for r in rows}


def converge_in_one_run(capsys: Capsys, folder: Path, state: Path) -> str:
    """plan (changes pending), apply, plan again (none): the plan's text."""
    planned = run_cli(capsys, "plan", "--detailed-exitcode", str(folder))
    assert planned.code == 2, planned.err
    applied = run_cli(capsys, "apply", "--yes", "--state-dir", str(state), str(folder))
    assert applied.code == 0, applied.err + applied.out
    again = run_cli(capsys, "plan", "--detailed-exitcode", "--state-dir", str(state), str(folder))
    assert again.code == 0, again.out + again.err
    assert again.out.startswith(f"Plan: 0 to move, 0 to copy, 0 to replace, {2 * FILES} in sync")
    return planned.out


def assert_each_platform_converged(labs: dict[str, Sandbox]) -> None:
    for platform, sandbox in labs.items():
        assert objects_on(sandbox) == {f"{platform}/{platform}-{n}.dat" for n in range(FILES)}


def test_two_platforms_through_credentials_profiles(
    make_sandbox: MakeSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Capsys
) -> None:
    labs = two_platforms(make_sandbox, tmp_path / "manifests")
    credentials = clean_environment(monkeypatch, tmp_path)
    credentials.write_text(
        "".join(f"[{p}]\napi_endpoint = {labs[p].url}\nauth_token = {TOKENS[p]}\n\n" for p in labs),
        encoding="utf-8",
    )
    credentials.chmod(0o600)
    try:
        text = converge_in_one_run(capsys, tmp_path / "manifests", tmp_path / "state")
    finally:
        credentials.unlink()  # it holds the test secret, which the secret guard looks for

    assert text.startswith(f"Plan: 0 to move, {2 * FILES} to copy")
    assert sum(line.startswith("Plan:") for line in text.splitlines()) == 1
    for platform, sandbox in labs.items():
        assert f"== {platform}, project {PROJECTS[platform]}: " in text
        assert f": {FILES} to copy (3.0 kB)\n   at {sandbox.url}\n" in text
    assert_each_platform_converged(labs)


def test_two_platforms_through_their_own_variables_and_a_saved_plan(
    make_sandbox: MakeSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Capsys
) -> None:
    folder = tmp_path / "manifests"
    labs = two_platforms(make_sandbox, folder)
    clean_environment(monkeypatch, tmp_path)
    pair_by_variables(monkeypatch, labs)
    plan_file = tmp_path / "plan.json"

    saved = run_cli(capsys, "plan", "--detailed-exitcode", "--out", str(plan_file), str(folder))
    assert saved.code == 2, saved.err
    data = json.loads(plan_file.read_text(encoding="utf-8"))
    assert data["platforms"] == [
        {"platform": p, "endpoint": labs[p].url} for p in ("cavatica", "cgc")
    ]
    assert {(i.platform, i.source.project) for i in load_plan(plan_file).items} == {
        (p, PROJECTS[p]) for p in labs
    }
    shown = run_cli(capsys, "show", str(plan_file))
    assert shown.code == 0 and shown.out == saved.out

    applied = run_cli(
        capsys, "apply", "--plan", str(plan_file), "--state-dir", str(tmp_path / "s"), str(folder)
    )
    assert applied.code == 0, applied.err + applied.out
    assert_each_platform_converged(labs)
    again = run_cli(capsys, "plan", "--verbose", "--detailed-exitcode", str(folder))
    assert again.code == 0, again.out
    for platform, sandbox in labs.items():
        name = platform.upper()
        assert (
            f"{platform}: {sandbox.url} (endpoint from SB_API_ENDPOINT_{name}, token from "
            f"SB_AUTH_TOKEN_{name})"
        ) in again.err

    receipt = json.loads((tmp_path / "s" / "receipt.json").read_text(encoding="utf-8"))
    assert {i["platform"] for i in receipt["items"]} == {"cgc", "cavatica"}
    journal = (tmp_path / "s" / "journal.jsonl").read_text(encoding="utf-8").splitlines()
    runs = [json.loads(line) for line in journal if '"kind":"run"' in line]
    assert sorted(r["platform"] for r in runs) == ["cavatica", "cgc"]
    assert len({r["run"] for r in runs}) == 2


def test_a_saved_plan_is_refused_when_one_platform_moved(
    make_sandbox: MakeSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Capsys
) -> None:
    folder = tmp_path / "manifests"
    labs = two_platforms(make_sandbox, folder)
    clean_environment(monkeypatch, tmp_path)
    pair_by_variables(monkeypatch, labs)
    plan_file = tmp_path / "plan.json"
    assert run_cli(capsys, "plan", "--out", str(plan_file), str(folder)).code == 0
    elsewhere = make_sandbox(seed=seed("cavatica"))
    monkeypatch.setenv("SB_API_ENDPOINT_CAVATICA", elsewhere.url)

    applied = run_cli(capsys, "apply", "--plan", str(plan_file), str(folder))

    assert applied.code == 1
    assert f"made against {labs['cavatica'].url} for cavatica, not {elsewhere.url}" in applied.err
    assert [objects_on(s) for s in (*labs.values(), elsewhere)] == [set(), set(), set()]


def test_two_platforms_through_one_sandbox_endpoint(
    make_sandbox: MakeSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Capsys
) -> None:
    folder = tmp_path / "manifests"
    for platform in ("cgc", "cavatica"):
        write_manifest(folder, platform)
    sandbox = make_sandbox(seed=seed("cgc", "cavatica"))
    clean_environment(monkeypatch, tmp_path)
    monkeypatch.setenv("SB_API_ENDPOINT", sandbox.url)
    monkeypatch.setenv("SB_AUTH_TOKEN", sandbox.token)

    text = converge_in_one_run(capsys, folder, tmp_path / "state")

    for platform in ("cgc", "cavatica"):
        assert f"== {platform}, project {PROJECTS[platform]}: {FILES} to copy" in text
    assert text.count(f"   at {sandbox.url}\n") == 2
    assert objects_on(sandbox) == {
        f"{p}/{p}-{n}.dat" for p in ("cgc", "cavatica") for n in range(FILES)
    }


def test_target_narrows_to_one_platform(
    make_sandbox: MakeSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Capsys
) -> None:
    folder = tmp_path / "manifests"
    labs = two_platforms(make_sandbox, folder)
    clean_environment(monkeypatch, tmp_path)
    # Only cgc has a token: a run narrowed to cgc needs no other.
    monkeypatch.setenv("SB_API_ENDPOINT_CGC", labs["cgc"].url)
    monkeypatch.setenv("SB_AUTH_TOKEN_CGC", TOKENS["cgc"])

    applied = run_cli(
        capsys, "apply", "--yes", "--target", str(folder / "cgc.yaml"), "--state-dir",
        str(tmp_path / "s"), str(folder),
    )  # fmt: skip

    assert applied.code == 0, applied.err
    assert objects_on(labs["cgc"]) == {f"cgc/cgc-{n}.dat" for n in range(FILES)}
    assert labs["cavatica"].request_log() == []


def test_a_platform_without_a_token_plans_nothing_at_all(
    make_sandbox: MakeSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Capsys
) -> None:
    """Nothing is planned half: the cgc sandbox is never asked while cavatica has no token."""
    folder = tmp_path / "manifests"
    labs = two_platforms(make_sandbox, folder)
    credentials = clean_environment(monkeypatch, tmp_path)
    monkeypatch.setenv("SB_API_ENDPOINT_CGC", labs["cgc"].url)
    monkeypatch.setenv("SB_AUTH_TOKEN_CGC", TOKENS["cgc"])

    planned = run_cli(capsys, "plan", str(folder))

    assert planned.code == 1 and planned.out == ""
    assert planned.err.count("\n") == 1
    assert (
        "no API token for cavatica: looked in SB_AUTH_TOKEN_CAVATICA, SB_AUTH_TOKEN, "
        f"[cavatica] and [default] in {credentials} (the file does not exist)"
    ) in planned.err
    assert "SB_AUTH_TOKEN_CGC" not in planned.err  # cgc's token was found: not listed
    assert [s.request_log() for s in labs.values()] == [[], []]


def test_the_missing_token_error_names_the_profiles_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Capsys
) -> None:
    folder = tmp_path / "manifests"
    write_manifest(folder, "cgc")
    credentials = clean_environment(monkeypatch, tmp_path)
    credentials.write_text("[work]\nauth_token = \n[other]\nauth_token = x\n", encoding="utf-8")
    credentials.chmod(0o600)

    planned = run_cli(capsys, "plan", "--profile", "work", str(folder))

    assert planned.code == 1
    assert (
        f"{folder / 'cgc.yaml'}:2:1: no API token for cgc: looked in SB_AUTH_TOKEN_CGC, "
        f"SB_AUTH_TOKEN, [work], [cgc] and [default] in {credentials}; set "
        f"SB_AUTH_TOKEN_CGC or put auth_token under [cgc] in {credentials} "
        "(profile 'work' from --profile)"
    ) in planned.err
    assert "[other]" not in planned.err


def test_one_general_token_is_not_sent_to_two_platforms(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Capsys
) -> None:
    folder = tmp_path / "manifests"
    for platform in ("cgc", "cavatica"):
        write_manifest(folder, platform)
    clean_environment(monkeypatch, tmp_path)
    monkeypatch.setenv("SB_AUTH_TOKEN", TOKENS["cgc"])

    planned = run_cli(capsys, "plan", str(folder))

    # Unpinned, the general token serves only the default platform: neither gets it, and
    # the one line names each manifest and the variable to set.
    assert planned.code == 1 and planned.err.count("\n") == 1
    for platform in ("cgc", "cavatica"):
        assert f"{folder / (platform + '.yaml')}:2:1: no API token for {platform}" in planned.err
        assert f"set SB_AUTH_TOKEN_{platform.upper()} or put auth_token" in planned.err
    assert planned.err.count("SB_AUTH_TOKEN serves only aws-us") == 2


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_renderers_show_a_part_per_platform_and_project(
    make_sandbox: MakeSandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: Capsys,
    fmt: str,
) -> None:
    folder = tmp_path / "manifests"
    sandbox = make_sandbox(seed=seed("cgc", "cavatica"))
    write_manifest(folder, "cgc")
    write_manifest(folder / "more", "cgc", project=PROJECTS["cavatica"])  # a second project
    clean_environment(monkeypatch, tmp_path)
    monkeypatch.setenv("SB_API_ENDPOINT", sandbox.url)
    monkeypatch.setenv("SB_AUTH_TOKEN", sandbox.token)

    text = run_cli(capsys, "plan", "--format", fmt, str(folder)).out

    found: Callable[[str], int] = text.find
    # The note shows names from the manifests as code.
    part = "`cgc`, project `{}`" if fmt == "markdown" else "cgc, project {}"
    first, second = (found(part.format(p)) for p in PROJECTS.values())
    assert 0 < first < second, text
    assert sum("Plan: " in line for line in text.splitlines()) == 1
    assert text.count(sandbox.url) == 2  # the endpoint, with each part
    assert VOLUME in text


def test_one_platform_blocked_does_not_stop_the_other(
    make_sandbox: MakeSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Capsys
) -> None:
    folder = tmp_path / "manifests"
    for platform in ("cgc", "cavatica"):
        write_manifest(folder, platform)
    without_volume = {**seed("cavatica"), "volumes": []}
    labs = {"cgc": make_sandbox(seed=seed("cgc")), "cavatica": make_sandbox(seed=without_volume)}
    clean_environment(monkeypatch, tmp_path)
    pair_by_variables(monkeypatch, labs)

    applied = run_cli(
        capsys, "apply", "--yes", "--format", "json", "--state-dir", str(tmp_path / "s"),
        str(folder),
    )  # fmt: skip

    assert applied.code == 1
    assert objects_on(labs["cgc"]) == {f"cgc/cgc-{n}.dat" for n in range(FILES)}
    report = json.loads(applied.out)
    assert report["summary"] == {"blocked": FILES, "completed": FILES}
    assert {(i["platform"], i["result"]) for i in report["items"]} == {
        ("cavatica", "blocked"),
        ("cgc", "completed"),
    }
    text = run_cli(capsys, "apply", "--yes", "--state-dir", str(tmp_path / "s"), str(folder))
    assert text.code == 1
    assert text.out.startswith(f"Apply: {FILES} blocked, {FILES} in-sync")
    lines = report_lines(text.out)
    assert sum(line.startswith("  cavatica: file ") and "blocked" in line for line in lines) == 3
    assert sum(line.startswith("  cgc: file ") and "in-sync" in line for line in lines) == 3
