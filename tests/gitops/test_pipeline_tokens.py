"""The token each job of .gitlab-ci.yml hands the tool, and where the tool sends it.

The `.reconciler` lines that pick the token run in a real shell with the CI/CD variables that
docs/how-to/gitlab.md tells an operator to set; the tool then resolves the job's pinned
platform from the environment the shell left (no connection is made): the planning or apply
token goes to the pinned platform's official host, or to SB_API_ENDPOINT when the operator set
it, and a manifest for another platform or an untrusted URL is refused before any client
exists."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.core.platforms import PLATFORMS
from reconciler.errors import ConfigError
from reconciler.usecases.plan import load, resolve
from tests.gitops.test_pipeline_rules import CONFIG
from tests.platforms import clean_environment, write_manifest

# After `eval "$RECONCILER_INSTALL"` and `reconciler --version`: the lines that pick the token.
TOKEN_LINES = CONFIG[".reconciler"]["before_script"][2:]
PLAN_TOKEN = "planning-token-of-a-read-only-account"
APPLY_TOKEN = "apply-token-that-exports"
OPERATOR = {"SB_PLAN_TOKEN_AWS_US": PLAN_TOKEN, "SB_APPLY_TOKEN_AWS_US": APPLY_TOKEN}
DUMP = f"'{sys.executable}' -c 'import json, os; print(json.dumps(dict(os.environ)))'"


def run_job_lines(kind: str, variables: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The token lines of a job of TOKEN_KIND `kind` for the matrix entry aws-us, then a dump
    of the environment they leave for the tool."""
    return subprocess.run(
        ["sh", "-ec", "\n".join([*TOKEN_LINES, DUMP])],
        env={"PATH": "/usr/bin:/bin", "PLATFORM": "aws-us", "TOKEN_KIND": kind, **variables},
        capture_output=True,
        text=True,
        check=False,
    )


def job_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, kind: str, variables: dict[str, str]
) -> None:
    """This process's environment as the tool in that job sees it (no credentials file)."""
    ran = run_job_lines(kind, variables)
    assert ran.returncode == 0, ran.stderr
    clean_environment(monkeypatch, tmp_path)
    for name, value in json.loads(ran.stdout).items():
        if name.startswith(("SB_", "RECONCILER_")):
            monkeypatch.setenv(name, value)


@pytest.mark.parametrize(("kind", "token"), [("PLAN", PLAN_TOKEN), ("APPLY", APPLY_TOKEN)])
def test_a_job_sends_its_own_token_to_the_official_host_of_its_platform(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, kind: str, token: str
) -> None:
    job_environment(monkeypatch, tmp_path, kind, OPERATOR)
    write_manifest(tmp_path / "manifests", "aws-us", "rfranklin/rna-seq")

    configs = resolve(load([str(tmp_path / "manifests")]), pin="aws-us")

    assert list(configs) == ["aws-us"]
    assert configs["aws-us"].endpoint == PLATFORMS["aws-us"]
    assert configs["aws-us"].token == token
    assert configs["aws-us"].token_source == "SB_AUTH_TOKEN"


def test_sb_api_endpoint_set_by_the_operator_serves_the_job(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    sandbox = "http://127.0.0.1:8080/v2"
    job_environment(monkeypatch, tmp_path, "PLAN", {**OPERATOR, "SB_API_ENDPOINT": sandbox})
    write_manifest(tmp_path / "manifests", "aws-us", "rfranklin/rna-seq")

    configs = resolve(load([str(tmp_path / "manifests")]), pin="aws-us")

    assert configs["aws-us"].endpoint == sandbox
    assert configs["aws-us"].token == PLAN_TOKEN


@pytest.mark.parametrize(
    ("platform", "refusal"),
    [
        # Without the pin, SB_AUTH_TOKEN alone would go to cgc's official host.
        ("cgc", "platform cgc (cgc) is not this run's platform aws-us"),
        (
            "https://127.0.0.1:9/v2",
            "platform https://127.0.0.1:9/v2 (https://127.0.0.1:9/v2) is not this run's "
            "platform aws-us",
        ),
    ],
)
def test_a_manifest_for_another_platform_is_refused_in_the_job(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, platform: str, refusal: str
) -> None:
    job_environment(monkeypatch, tmp_path, "PLAN", OPERATOR)
    write_manifest(tmp_path / "manifests", "aws-us", "rfranklin/rna-seq")
    other = write_manifest(tmp_path / "manifests", platform)

    with pytest.raises(ConfigError) as raised:
        resolve(load([str(tmp_path / "manifests")]), pin="aws-us")

    assert str(raised.value).startswith(f"{other}:2:1: {refusal}")


def test_a_platform_token_variable_is_refused_rather_than_used() -> None:
    ran = run_job_lines("PLAN", {**OPERATOR, "SB_AUTH_TOKEN_AWS_US": APPLY_TOKEN})

    assert ran.returncode == 1 and ran.stdout == ""
    assert ran.stderr.startswith("error: SB_AUTH_TOKEN_AWS_US is set; this pipeline uses ")
    assert APPLY_TOKEN not in ran.stderr


def test_a_missing_token_is_named() -> None:
    ran = run_job_lines("APPLY", {"SB_PLAN_TOKEN_AWS_US": PLAN_TOKEN})

    assert ran.returncode == 0
    assert ran.stderr == "warning: SB_APPLY_TOKEN_AWS_US is not set\n"
    assert json.loads(ran.stdout)["SB_AUTH_TOKEN"] == ""


def test_every_plan_and_apply_of_a_platform_job_is_pinned() -> None:
    commands = 0
    for name, job in CONFIG.items():
        if not isinstance(job, dict) or ".reconciler" not in job.get("extends", []):
            continue
        for line in job["script"]:
            if line.startswith(("reconciler plan", "reconciler apply")):
                commands += 1
                assert '--platform "$PLATFORM"' in line, f"{name}: {line}"
    assert commands == 5
