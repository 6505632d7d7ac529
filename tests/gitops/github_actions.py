"""A small GitHub Actions runner for the tests: it runs the jobs of the reusable workflow
(.github/workflows/reconciler.yml) step by step as a runner would, so the workflow file cannot
drift from what the tests prove.

A `run:` step's script is read out of the YAML and run with `bash -e` (GitHub's default shell)
in the manifests repository's work tree, with the variables GitHub sets (GITHUB_REPOSITORY,
GITHUB_SHA, GITHUB_EVENT_NAME, GITHUB_EVENT_PATH, GITHUB_API_URL, GITHUB_STEP_SUMMARY,
GITHUB_OUTPUT, GITHUB_RUN_ID, GITHUB_RUN_ATTEMPT, GITHUB_WORKFLOW_REF, ...) and the step's
`env:`, whose `${{ }}` expressions are looked up in the contexts given (an expression nobody
gave fails the test). `uses:` steps are played: checkout (git checkout of the ref), setup-python
(nothing: the tool is on the PATH), upload-artifact (a zip in the fake GitHub, under the run),
download-artifact (from the run). The job's own `if:` is not evaluated: the test picks the jobs
an event runs, and `job_if` lets it check the condition's text.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from .fake_github import TOKEN, FakeGitHub

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW_FILE = ROOT / ".github" / "workflows" / "reconciler.yml"
CALLER_PATH = ".github/workflows/reconciler.yml"  # where the manifests repository calls it
CALLER_JOB = "reconciler"
_EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def workflow() -> dict[str, Any]:
    loaded: dict[str, Any] = YAML(typ="safe").load(WORKFLOW_FILE.read_text(encoding="utf-8"))
    return loaded


def job_if(job: str) -> str:
    return " ".join(str(workflow()["jobs"][job].get("if", "")).split())


@dataclass
class Step:
    name: str
    code: int
    out: str
    err: str


@dataclass
class Job:
    name: str
    steps: list[Step] = field(default_factory=list)
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)
    summary: str = ""

    @property
    def ok(self) -> bool:
        return all(s.code == 0 for s in self.steps)

    @property
    def text(self) -> str:
        return "".join(f"--- {s.name} ({s.code})\n{s.out}{s.err}" for s in self.steps)


@dataclass
class Runner:
    """The repository (a git work tree), the fake GitHub, and what every job gets."""

    repo: Path
    fake: FakeGitHub
    sandbox_url: str
    plan_token: str
    apply_token: str
    work: Path
    target: dict[str, str] = field(
        default_factory=lambda: {"platform": "aws-us", "project": "lab/p", "manifests": "manifests"}
    )
    inputs: dict[str, str] = field(default_factory=dict)

    def run_job(
        self,
        job_id: str,
        *,
        event_name: str,
        event: dict[str, Any],
        sha: str,
        run_id: int,
        attempt: int = 1,
        ref: str = "refs/heads/main",
    ) -> Job:
        spec = workflow()["jobs"][job_id]
        folder = self.work / f"run-{run_id}-{attempt}-{job_id}"
        folder.mkdir(parents=True, exist_ok=True)
        event_path = folder / "event.json"
        event_path.write_text(json.dumps(event), encoding="utf-8")
        summary = folder / "summary.md"
        summary.touch()
        name = _resolve(str(spec.get("name", job_id)), self._contexts(event, {}, attempt, spec))
        job = Job(f"{CALLER_JOB} / {name}")
        environment = {
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            "HOME": str(folder),
            "LANG": "C.UTF-8",
            "SB_CREDENTIALS_FILE": str(folder / "no-credentials"),
            "GITHUB_ACTIONS": "true",
            "GITHUB_REPOSITORY": self.fake.repository,
            "GITHUB_SHA": sha,
            "GITHUB_REF": ref,
            "GITHUB_EVENT_NAME": event_name,
            "GITHUB_EVENT_PATH": str(event_path),
            "GITHUB_API_URL": self.fake.url,
            "GITHUB_SERVER_URL": "https://github.com",
            "GITHUB_RUN_ID": str(run_id),
            "GITHUB_RUN_ATTEMPT": str(attempt),
            "GITHUB_WORKFLOW_REF": f"{self.fake.repository}/{CALLER_PATH}@{ref}",
            "GITHUB_JOB": job_id,
            "GITHUB_STEP_SUMMARY": str(summary),
        }
        contexts = self._contexts(event, job.outputs, attempt, spec)
        for key, value in workflow().get("env", {}).items():
            environment[key] = _resolve(str(value), contexts)
        failed = False
        for number, step in enumerate(spec["steps"]):
            if failed and "always()" not in str(step.get("if", "")):
                continue
            output = folder / f"output-{number}"
            output.write_text("", encoding="utf-8")
            env = {**environment, "GITHUB_OUTPUT": str(output)}
            for key, value in (step.get("env") or {}).items():
                env[key] = _resolve(str(value), contexts)
            label = str(step.get("name") or step.get("uses"))
            if "run" in step:
                ran = self._run(str(step["run"]), env, folder / f"step-{number}.sh")
            else:
                ran = self._use(step, contexts, env, run_id)
            ran.name = label
            job.steps.append(ran)
            if "id" in step:
                job.outputs[str(step["id"])] = {
                    **_outputs(output.read_text(encoding="utf-8")),
                    **job.outputs.get(str(step["id"]), {}),
                }
            failed = failed or ran.code != 0
        job.summary = summary.read_text(encoding="utf-8")
        return job

    def _contexts(
        self, event: Mapping[str, Any], outputs: dict[str, dict[str, str]], attempt: int, spec: Any
    ) -> dict[str, Any]:
        inputs = {
            "install": "true",
            "manifests": "manifests",
            "reviewable": "",
            "python-version": "3.11",
            "environment": "sb-apply",
            **self.inputs,
        }
        # The apply token is an environment secret: only a job in the environment sees it.
        in_environment = "environment" in spec
        secrets = {
            "SB_PLAN_TOKEN": self.plan_token,
            "SB_APPLY_TOKEN": self.apply_token if in_environment else "",
            "SB_API_ENDPOINT": self.sandbox_url,
        }
        return {
            "inputs": inputs,
            "secrets": secrets,
            "matrix": {"target": self.target},
            "strategy": {"job-index": "0"},
            "github": {"token": TOKEN, "run_attempt": str(attempt), "event": event},
            "steps": _Steps(outputs),
        }

    def _run(self, script: str, env: dict[str, str], path: Path) -> Step:
        path.write_text(script, encoding="utf-8")
        done = subprocess.run(
            ["bash", "-e", str(path)],
            cwd=self.repo,
            env=env,
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
        )
        return Step("", done.returncode, done.stdout, done.stderr)

    def _use(self, step: Any, contexts: dict[str, Any], env: dict[str, str], run_id: int) -> Step:
        action = str(step["uses"]).partition("@")[0]
        given = {k: _resolve(str(v), contexts) for k, v in (step.get("with") or {}).items()}
        if action == "actions/checkout":
            ref = given.get("ref") or env["GITHUB_SHA"]
            # A fresh work tree, as each job's runner has: nothing left by an earlier job.
            subprocess.run(["git", "clean", "-ffdxq"], cwd=self.repo, check=True)
            done = subprocess.run(
                ["git", "checkout", "-q", "--detach", ref],
                cwd=self.repo,
                capture_output=True,
                text=True,
                check=False,
            )
            return Step("", done.returncode, done.stdout, done.stderr)
        if action == "actions/setup-python":
            return Step("", 0, "", "")
        if action == "actions/upload-artifact":
            files = {}
            for line in given["path"].split():
                path = self.repo / line
                if path.is_file():
                    files[line] = path.read_bytes()
                elif path.is_dir():
                    for item in sorted(p for p in path.rglob("*") if p.is_file()):
                        files[item.relative_to(self.repo).as_posix()] = item.read_bytes()
            if not files and given.get("if-no-files-found") == "error":
                return Step("", 1, "", f"no files found for {given['path']!r}\n")
            url = self.fake.upload(run_id, given["name"], files) if files else ""
            Path(env["GITHUB_OUTPUT"]).write_text(f"artifact-url={url}\n", encoding="utf-8")
            return Step("", 0, f"uploaded {given['name']}: {sorted(files)}\n", "")
        if action == "actions/download-artifact":
            found = [
                a for a in self.fake.state.artifacts.get(run_id, []) if a["name"] == given["name"]
            ]
            if not found:
                return Step("", 1, "", f"artifact {given['name']} not found\n")
            target = self.repo / given.get("path", ".")
            with zipfile.ZipFile(BytesIO(self.fake.state.blobs[found[-1]["id"]])) as archive:
                archive.extractall(target)
            return Step("", 0, "", "")
        raise AssertionError(f"the test runner does not know {action}")


class _Lenient(dict[str, str]):
    """A step's outputs: one it did not set is empty, as GitHub has it."""

    def __missing__(self, key: str) -> str:
        return ""


class _Steps(dict[str, Any]):
    """steps.<id>.outputs.<name>, read when the expression is."""

    def __init__(self, outputs: dict[str, dict[str, str]]) -> None:
        super().__init__()
        self.outputs = outputs

    def __missing__(self, key: str) -> dict[str, Any]:
        return {"outputs": _Lenient(self.outputs.get(key, {}))}


def _resolve(text: str, contexts: Mapping[str, Any]) -> str:
    def look_up(match: re.Match[str]) -> str:
        value: Any = contexts
        for part in match.group(1).split("."):
            if isinstance(value, (_Steps, _Lenient)) or (isinstance(value, dict) and part in value):
                value = value[part]
            else:
                raise AssertionError(f"the test runner cannot resolve {match.group(0)}")
        return str(value)

    return _EXPRESSION.sub(look_up, text)


def _outputs(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
