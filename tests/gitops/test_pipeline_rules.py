"""The rules of .gitlab-ci.yml on a table of pipelines. gitlab-ci-local (the pipeline check)
ignores `workflow:rules`, so they are evaluated here, with the job rules, the way GitLab does:
the first rule whose `if`, `changes` and `exists` all hold decides; no rule holding means no
pipeline (workflow) or no job. The `if` language needs only what the file uses: variables,
strings, `==`, `!=`, `&&`, `||` and parentheses.

.gitlab-ci.yml includes the component (templates/reconciler.yml) with its inputs: `CONFIG` is
the configuration GitLab would run, the component's `spec: inputs` interpolated the way
GitLab does it (`$[[ inputs.NAME ]]` as a whole value keeps the input's type, inside a string
it is its text) and the including file's own jobs beside its jobs."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from reconciler.plan.render_csv import full_list_path

ROOT = Path(__file__).resolve().parents[2]
COMPONENT = "templates/reconciler.yml"
_INPUT = re.compile(r"\$\[\[\s*inputs\.([\w-]+)\s*\]\]")


def component(path: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The component's `spec` and its configuration, not interpolated."""
    spec, body = YAML(typ="safe").load_all((ROOT / path).read_text())
    return spec["spec"], body


def interpolate(value: Any, inputs: dict[str, Any]) -> Any:
    if isinstance(value, dict):
        return {k: interpolate(v, inputs) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, inputs) for v in value]
    if not isinstance(value, str):
        return value
    whole = _INPUT.fullmatch(value.strip())
    if whole:
        return inputs[whole.group(1)]
    return _INPUT.sub(lambda m: str(inputs[m.group(1)]), value)


def effective_config() -> dict[str, Any]:
    main: dict[str, Any] = YAML(typ="safe").load((ROOT / ".gitlab-ci.yml").read_text())
    config: dict[str, Any] = {}
    for include in main.pop("include", []):
        spec, body = component(include["local"])
        given = include.get("inputs", {})
        assert set(given) <= set(spec["inputs"]), (
            f"unknown inputs: {set(given) - set(spec['inputs'])}"
        )
        inputs = {}
        for name, declared in spec["inputs"].items():
            assert name in given or "default" in declared, f"input {name} is required"
            inputs[name] = given.get(name, declared.get("default"))
        config.update(interpolate(body, inputs))
    assert not set(config) & set(main), "the including file redefines a job of the component"
    return {**config, **main}


CONFIG: dict[str, Any] = effective_config()
_TOKEN = re.compile(r"\s*(\$\w+|\"[^\"]*\"|'[^']*'|==|!=|&&|\|\||\(|\)|null)")


def _tokens(text: str) -> list[str]:
    found, at = [], 0
    while at < len(text.rstrip()):
        match = _TOKEN.match(text, at)
        assert match, f"cannot read {text[at:]!r} in {text!r}"
        found.append(match.group(1))
        at = match.end()
    return found


def evaluate(expression: str, env: dict[str, str]) -> bool:
    tokens = _tokens(expression)

    def value(token: str) -> str | None:
        if token.startswith("$"):
            return env.get(token[1:]) or None
        return None if token == "null" else token[1:-1]

    def primary() -> Any:
        token = tokens.pop(0)
        if token == "(":
            result = either()
            assert tokens.pop(0) == ")"
            return bool(result)
        left = value(token)
        if tokens and tokens[0] in ("==", "!="):
            op, right = tokens.pop(0), value(tokens.pop(0))
            return (left == right) == (op == "==")
        return bool(left)

    def both() -> bool:
        result = bool(primary())
        while tokens and tokens[0] == "&&":
            tokens.pop(0)
            result = bool(primary()) and result
        return result

    def either() -> bool:
        result = both()
        while tokens and tokens[0] == "||":
            tokens.pop(0)
            result = both() or result
        return result

    result = either()
    assert not tokens, f"left over in {expression!r}: {tokens}"
    return result


def _glob(pattern: str) -> re.Pattern[str]:
    parts = re.split(r"(\*\*/|\*|\?)", pattern)
    regex = "".join(
        {"**/": "(?:.*/)?", "*": "[^/]*", "?": "[^/]"}.get(p, re.escape(p)) for p in parts
    )
    return re.compile(regex + r"\Z")


def decide(rules: list[dict[str, Any]], env: dict[str, str], changed: list[str]) -> str | None:
    """`when` of the first rule that holds, None when none does."""
    for rule in rules:
        if "if" in rule and not evaluate(rule["if"], env):
            continue
        if "changes" in rule and not any(
            _glob(p).match(path) for p in rule["changes"] for path in changed
        ):
            continue
        if "exists" in rule and not any((ROOT / p).exists() for p in rule["exists"]):
            continue
        return str(rule.get("when", "on_success"))
    return None


def pipeline(env: dict[str, str], changed: list[str]) -> dict[str, str] | None:
    """The jobs of a pipeline and their `when`, or None when workflow:rules make none."""
    env = {"CI_DEFAULT_BRANCH": "main", **env}
    if decide(CONFIG["workflow"]["rules"], env, changed) in (None, "never"):
        return None
    jobs = {}
    for name, job in CONFIG.items():
        if name.startswith(".") or not isinstance(job, dict) or "script" not in job:
            continue
        when = decide(job["rules"], env, changed) if "rules" in job else "on_success"
        if when not in (None, "never"):
            jobs[name] = when
    return jobs


MR = {"CI_PIPELINE_SOURCE": "merge_request_event", "CI_MERGE_REQUEST_IID": "4"}
PUSH_MAIN = {"CI_PIPELINE_SOURCE": "push", "CI_COMMIT_BRANCH": "main"}
MANUAL = {"plan-current": "manual", "apply-current": "manual"}
CASES = [
    # name, variables, changed files, expected jobs (None: no pipeline)
    (
        "a merge request that changes a manifest is planned",
        MR,
        ["manifests/a.yaml"],
        {"test": "on_success", "validate": "on_success", "plan": "on_success"},
    ),
    (
        "a merge request that changes only the pipeline file is planned too",
        MR,
        [".gitlab-ci.yml"],
        {"test": "on_success", "validate": "on_success", "plan": "on_success"},
    ),
    (
        "a merge request that changes only the README is not planned",
        MR,
        ["README.md"],
        {"test": "on_success", "validate": "on_success"},
    ),
    (
        "a push to main applies",
        PUSH_MAIN,
        ["manifests/a.yaml"],
        {"test": "on_success", "validate": "on_success", "apply": "on_success", **MANUAL},
    ),
    (
        "a push to main applies while main is the source of an open merge request",
        {**PUSH_MAIN, "CI_OPEN_MERGE_REQUESTS": "lab/manifests!9"},
        ["README.md"],
        {"test": "on_success", "validate": "on_success", "apply": "on_success", **MANUAL},
    ),
    (
        "a push to a branch with an open merge request makes no branch pipeline",
        {
            "CI_PIPELINE_SOURCE": "push",
            "CI_COMMIT_BRANCH": "feature",
            "CI_OPEN_MERGE_REQUESTS": "lab/manifests!4",
        },
        ["manifests/a.yaml"],
        None,
    ),
    (
        "a push to a branch without a merge request only checks",
        {"CI_PIPELINE_SOURCE": "push", "CI_COMMIT_BRANCH": "feature"},
        ["manifests/a.yaml"],
        {"test": "on_success", "validate": "on_success"},
    ),
    (
        "a schedule checks drift and applies nothing",
        {"CI_PIPELINE_SOURCE": "schedule", "CI_COMMIT_BRANCH": "main"},
        [],
        {"validate": "on_success", "drift": "on_success"},
    ),
    (
        "a tag makes no pipeline",
        {"CI_PIPELINE_SOURCE": "push", "CI_COMMIT_TAG": "v1"},
        [],
        None,
    ),
    (
        "SKIP_TEST_JOB skips the test job",
        {**PUSH_MAIN, "SKIP_TEST_JOB": "true"},
        [],
        {"validate": "on_success", "apply": "on_success", **MANUAL},
    ),
]


@pytest.mark.parametrize(
    ("variables", "changed", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_rules(variables: dict[str, str], changed: list[str], expected: Any) -> None:
    assert pipeline(variables, changed) == expected


def test_the_evaluator_reads_what_the_file_uses() -> None:
    env = {"A": "x", "B": "x", "C": ""}
    assert evaluate('$A == "x" && $B', env) and not evaluate("$C", env)
    assert evaluate("$A == $B", env) and not evaluate("$A != $B", env)
    assert evaluate('$NOPE || ($A == "x" && $A != "y")', env)
    assert not evaluate("$C == $A", env) and evaluate("$NOPE == null", env)
    assert _glob("manifests/**/*").match("manifests/a.yaml")
    assert _glob("manifests/**/*").match("manifests/cgc/deep/b.yaml")
    assert not _glob("manifests/**/*").match("docs/manifests.md")


def test_only_default_branch_jobs_get_the_apply_token() -> None:
    for name, job in CONFIG.items():
        if isinstance(job, dict) and job.get("variables", {}).get("TOKEN_KIND") == "APPLY":
            for rule in job["rules"]:
                assert "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH" in rule["if"], name
            assert job["environment"]["name"] == "$PLATFORM/$PROJECT", name
            assert job["resource_group"] == "reconciler-$PLATFORM", name
    assert CONFIG["plan"].get("variables", {}).get("TOKEN_KIND", "PLAN") == "PLAN"
    assert CONFIG[".reconciler"]["variables"]["TOKEN_KIND"] == "PLAN"
    assert CONFIG["validate"]["interruptible"] and CONFIG["plan"]["interruptible"]


def test_reconciler_install_is_run_as_a_shell_command_so_quotes_work() -> None:
    lines = [CONFIG[".reconciler"]["before_script"][0], CONFIG["validate"]["script"][0]]
    for line in lines:
        done = subprocess.run(
            ["sh", "-c", line],
            env={"RECONCILER_INSTALL": 'printf "%s|" "reconciler @ git+https://h/r.git" -q'},
            capture_output=True,
            text=True,
            check=True,
        )
        assert done.stdout == "reconciler @ git+https://h/r.git|-q|", line


def test_the_plan_jobs_keep_the_full_list_their_note_names() -> None:
    """`plan --out FILE` writes the full list beside FILE; the note names it; the artifacts
    keep it."""
    for name in ("plan", "drift"):
        saved = re.search(r"--out (\S+)", " ".join(CONFIG[name]["script"]))
        assert saved is not None, name
        paths = CONFIG[name]["artifacts"]["paths"]
        assert {saved.group(1), full_list_path(saved.group(1))} <= set(paths), name
    assert any("show plan.json --format markdown" in line for line in CONFIG["plan"]["script"])
    current = " ".join(CONFIG["plan-current"]["script"])
    assert '--out "$current/plan.json"' in current and 'mkdir -p "$current"' in current
    assert CONFIG["plan-current"]["artifacts"]["paths"] == ["current/"]  # both files in it


def test_the_component_takes_the_inputs_a_manifests_repository_sets() -> None:
    spec, body = component(COMPONENT)
    assert set(spec["inputs"]) == {"targets", "manifests", "reviewable", "install", "image"}
    assert all(declared.get("description") for declared in spec["inputs"].values())
    # No default: a repository of manifests names its targets and pins the tool it installs.
    assert "default" not in spec["inputs"]["targets"] and "default" not in spec["inputs"]["install"]
    inputs = {
        "targets": [{"PLATFORM": "cgc", "PROJECT": "lab/x", "MANIFESTS": "exports/cgc"}],
        "manifests": "exports",
        "reviewable": "docs",
        "install": "pip install 'reconciler==1.0'",
        "image": "registry.example.org/python:3.12",
    }
    config = interpolate(body, inputs)
    assert config[".targets"]["parallel"]["matrix"] == inputs["targets"]
    assert config[".reconciler-tool"]["image"] == inputs["image"]
    assert ".reconciler-tool" in config["validate"]["extends"] + config[".reconciler"]["extends"]
    assert config[".reconciler-tool"]["variables"]["RECONCILER_INSTALL"] == inputs["install"]
    assert config["plan"]["rules"][0]["changes"] == ["exports/**/*", ".gitlab-ci.yml"]
    assert '--reviewable "exports docs"' in " ".join(config["apply"]["script"])
    assert not _INPUT.search(str(config)), "an input left uninterpolated"


def test_apply_takes_every_plan_and_only_a_change_of_the_manifests() -> None:
    script = " ".join(CONFIG["apply"]["script"])
    assert "gitlab-reviewed-plan --out reviewed-plan.json --sources reviewed-plans.json" in script
    assert "--reviewed reviewed-plan.json --reviewed-sources reviewed-plans.json" in script
    assert '--reviewable "manifests "' in script
    assert "reviewed-plans.json" in CONFIG["apply"]["artifacts"]["paths"]
    assert "--plan plan.json" in " ".join(CONFIG["plan"]["script"])  # the note's digest
