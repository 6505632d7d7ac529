"""After any successful apply, the next plan has nothing to do (issue 13, "done when").

Random small worlds and manifests (the strategies of `tests/test_live_property.py`, limited to
what can converge: writable volumes, no public files), seeded into the sandbox on a real port.
Whenever apply reports every item converged (exit 0), `plan --detailed-exitcode` must exit 0:
a plan that still wants to export, or blocks, something apply said was done would be a plan
users cannot trust. Fixed seed, bounded examples.
"""

from __future__ import annotations

import io
import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, reject, settings
from hypothesis import strategies as st

from reconciler.api.client import ApiClient
from reconciler.api.config import ApiConfig
from reconciler.api.trust import platform_key
from reconciler.apply.journal import read_history
from reconciler.apply.settings import EngineSettings
from reconciler.errors import ManifestError
from reconciler.manifest.load import load_manifests
from reconciler.plan.exit_codes import plan_exit_code
from reconciler.sandbox.server import start
from reconciler.usecases.apply import ApplyOptions, apply
from reconciler.usecases.plan import Connection, read_live
from tests.reliability.secret import SECRET_TOKEN
from tests.test_live_property import (
    GLOBS,
    LOCATIONS,
    PATHS,
    SIZES,
    TEMPLATES,
    jobs_st,
    manifest_body,
    objects_st,
    world_seed,
)

from .conftest import FAST_POLLS

WRITABLE = ("lab/out", "lab/other")
files_st = st.lists(
    st.tuples(
        st.sampled_from(PATHS),
        st.sampled_from(SIZES),
        st.sampled_from(("platform", "platform", "platform", "alias")),
        st.sampled_from(WRITABLE),
        st.sampled_from(LOCATIONS),
        st.booleans(),
    ),
    min_size=1,
    max_size=6,
    unique_by=lambda f: f[0],
)
rules_st = st.lists(
    st.tuples(
        st.sampled_from(("path", "glob", "file")),
        st.integers(0, min(len(PATHS), len(GLOBS)) - 1),
        st.sampled_from(TEMPLATES),
        st.sampled_from(WRITABLE),
        st.sampled_from(("copy", "move")),
        st.booleans(),
    ),
    min_size=1,
    max_size=4,
)


def convergeable(rules: list[Any], files: list[Any]) -> dict[str, Any]:
    """`manifest_body`, with selectors that find something: paths and ids of files that
    exist, globs that may match nothing."""
    body = manifest_body([(k, w % len(files), *rest) for k, w, *rest in rules], files)
    for entry, (kind, which, *_) in zip(body["exports"], rules, strict=True):
        if kind == "path":
            entry["path"] = files[which % len(files)][0]
        elif kind == "glob":
            entry["allow_empty"] = True
    return body


@settings(
    max_examples=50,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(files=files_st, objects=objects_st, jobs=jobs_st, rules=rules_st)
@pytest.mark.slow
def test_after_a_successful_apply_the_next_plan_has_nothing_to_do(
    files: list[Any], objects: list[Any], jobs: list[Any], rules: list[Any]
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = folder / "m.yaml"
        path.write_text(json.dumps(convergeable(rules, files)), encoding="utf-8")
        try:
            manifests = load_manifests([path], root=folder)
        except ManifestError:
            reject()
        seed = world_seed(files, objects, [j for j in jobs if j[4] == "FAILED"])
        sandbox = start(folder / "sandbox", seed=seed, job_pace=0.2)
        try:
            with ApiClient(ApiConfig(endpoint=sandbox.url, token=SECRET_TOKEN)) as client:
                settings_ = EngineSettings(
                    wait_timeout=60, schedule=FAST_POLLS, uncertain_grace=1.0, uncertain_margin=0.5
                )
                applied = apply(
                    manifests,
                    [Connection(platform_key(None), manifests, client)],
                    ApplyOptions(state_dir=folder / "state", engine=settings_),
                    confirm=lambda plan, outcomes: True,
                    stderr=io.StringIO(),
                )
                event(f"apply exit {applied.exit_code}")
                if applied.exit_code != 0:
                    return  # not converged (something blocked or failed): nothing to check
                failed = read_history(folder / "state").failed_jobs()
                again = read_live(
                    manifests, client, platform="aws-us", commit=None, failed_jobs=failed
                ).plan()
        finally:
            sandbox.stop()

    pending = [f"{i.key} {i.action} {i.reason}" for i in again.items if i.action != "in-sync"]
    assert plan_exit_code(again, detailed=True) == 0, "\n".join(pending)
