"""The files GitLab's merge request widgets read, checked against GitLab's documented formats.

Terraform widget (`artifacts:reports:terraform`):
https://docs.gitlab.com/ee/user/infrastructure/iac/mr_integration.html documents the object
`{"create": N, "update": N, "delete": N}`; GitLab's parser
(`lib/gitlab/ci/parsers/terraform/tfplan.rb`) accepts exactly those keys in that order.

Code Quality (`artifacts:reports:codequality`):
https://docs.gitlab.com/ee/ci/testing/code_quality.html#code-quality-report-format documents a
JSON array of objects with `description`, `check_name`, `fingerprint` (unique per issue),
`severity` (info, minor, major, critical, blocker), `location.path` (relative to the
repository, without a leading `./`) and `location.lines.begin` (an integer); no byte order mark.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from reconciler.cli import main
from reconciler.gitops.reports import terraform_report
from reconciler.plan.io import dump_plan
from reconciler.plan.model import (
    Action,
    ActionTotal,
    Plan,
)
from tests.plan.helpers import bare_plan

TERRAFORM_REPORT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "create": {"type": "integer", "minimum": 0},
        "update": {"type": "integer", "minimum": 0},
        "delete": {"type": "integer", "minimum": 0},
    },
    "required": ["create", "update", "delete"],
    "additionalProperties": False,
}

CODE_QUALITY_SCHEMA: dict[str, Any] = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["description", "check_name", "fingerprint", "severity", "location"],
        "properties": {
            "description": {"type": "string", "minLength": 1},
            "check_name": {"type": "string", "minLength": 1},
            "fingerprint": {"type": "string", "minLength": 1},
            "severity": {"enum": ["info", "minor", "major", "critical", "blocker"]},
            "location": {
                "type": "object",
                "required": ["path", "lines"],
                "properties": {
                    "path": {"type": "string", "pattern": r"^(?!\./)(?!/)\S"},
                    "lines": {
                        "type": "object",
                        "required": ["begin"],
                        "properties": {"begin": {"type": "integer", "minimum": 1}},
                    },
                },
            },
        },
    },
}


def make_plan(counts: dict[Action, int]) -> Plan:
    summary = tuple(ActionTotal(action=a, count=n, bytes=0) for a, n in counts.items())
    return bare_plan(summary=summary)


def test_the_terraform_report_maps_actions_to_the_widget_columns() -> None:
    plan = make_plan(
        {
            Action.MOVE: 5,
            Action.COPY: 2,
            Action.REPLACE: 1,
            Action.IN_SYNC: 40,
            Action.IN_FLIGHT: 3,
            Action.BLOCKED: 1,
        }
    )
    report = terraform_report(plan)
    jsonschema.validate(report, TERRAFORM_REPORT_SCHEMA)
    assert report == {"create": 7, "update": 1, "delete": 0}
    assert list(report) == ["create", "update", "delete"]  # GitLab compares the key order


def test_the_gitlab_report_command_writes_the_widget_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(dump_plan(make_plan({Action.MOVE: 3, Action.IN_SYNC: 1})))
    out = tmp_path / "tfplan.json"
    assert main(["gitlab-report", str(plan_file), "--out", str(out)]) == 0
    raw = out.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    data = json.loads(raw)
    jsonschema.validate(data, TERRAFORM_REPORT_SCHEMA)
    assert data == {"create": 3, "update": 0, "delete": 0}

    assert main(["gitlab-report", str(plan_file)]) == 0
    assert json.loads(capsys.readouterr().out) == data


def test_an_edited_plan_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan_file = tmp_path / "plan.json"
    text = dump_plan(make_plan({Action.MOVE: 3}))
    edited = text.replace('"count":3', '"count":0')
    assert edited != text
    plan_file.write_text(edited)
    assert main(["gitlab-report", str(plan_file)]) == 1
    assert "plan" in capsys.readouterr().err


@pytest.mark.slow
def test_validate_writes_a_code_quality_report_gitlab_reads(tmp_path: Path) -> None:
    manifests = tmp_path / "manifests"
    manifests.mkdir()
    (manifests / "a.yaml").write_text(
        "version: 1\n"
        "project: lab/p\n"
        "exports:\n"
        "  - file: 0123456789abcdef01234567\n"
        "    location: a.bam\n"
        "    volume: lab/v\n"
        "    overwrit: true\n"
        "  - file: 0123456789abcdef01234568\n"
        "    location: b.bam\n"
        "    volume: lab/v\n"
        "    overwrit: true\n"
    )
    (manifests / "b.yaml").write_text("version: 1\nproject: lab/p\nexports: [\n")
    result = subprocess.run(
        [sys.executable, "-m", "reconciler", "validate", "--format", "codequality"],
        cwd=tmp_path,
        capture_output=True,
    )
    assert result.returncode == 1
    assert not result.stdout.startswith(b"\xef\xbb\xbf")
    issues = json.loads(result.stdout)
    jsonschema.validate(issues, CODE_QUALITY_SCHEMA)
    paths = {issue["location"]["path"] for issue in issues}
    assert paths == {"manifests/a.yaml", "manifests/b.yaml"}
    # GitLab shows only the first of issues sharing a fingerprint.
    fingerprints = [issue["fingerprint"] for issue in issues]
    assert len(set(fingerprints)) == len(fingerprints) >= 3


@pytest.mark.slow
def test_validate_writes_an_empty_report_when_valid(tmp_path: Path) -> None:
    manifests = tmp_path / "manifests"
    manifests.mkdir()
    (manifests / "a.yaml").write_text(
        "version: 1\nproject: lab/p\nexports:\n"
        "  - file: 0123456789abcdef01234567\n    location: a.bam\n    volume: lab/v\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "reconciler", "validate", "--format", "codequality"],
        cwd=tmp_path,
        capture_output=True,
    )
    assert result.returncode == 0, result.stderr
    issues = json.loads(result.stdout)
    jsonschema.validate(issues, CODE_QUALITY_SCHEMA)
    assert issues == []


def test_validate_writes_a_valid_report_when_there_is_no_manifests_folder(
    tmp_path: Path,
) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "reconciler", "validate", "--format", "codequality"],
        cwd=tmp_path,
        capture_output=True,
    )
    assert result.returncode == 1
    issues = json.loads(result.stdout)
    jsonschema.validate(issues, CODE_QUALITY_SCHEMA)
    assert issues == []
    assert b"manifests: no such file or folder" in result.stderr
