"""`reconciler demo`: the whole cycle on a throw-away sandbox, with no credentials and no set-up.

It starts the sandbox on a free loopback port with the demo seed in a temporary folder, then
runs validate, plan, apply and plan again on the example manifests, showing each step as the
command a user would type, and finally plans the separate example of blocked items to show how
they are reported (that step exits 1 on purpose). The demo exits 0 when every step exited as
expected. Each step runs in a child process, exactly as a user's shell would run it, in the
temporary folder, which holds a copy of the examples that ship with reconciler (so the demo
works in any folder), apply's state and the sandbox's data. It is removed at the end unless
--keep is given.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler.api.trust import TRUSTED_ENDPOINTS_VARIABLE
from reconciler.commands.demo_examples import EXAMPLES, copy_example, packaged_example
from reconciler.commands.sandbox import DEFAULT_DATA as DEFAULT_SANDBOX_DATA
from reconciler.errors import ConfigError
from reconciler.usecases.apply import DEFAULT_STATE_DIR
from reconciler.usecases.plan import PIN_VARIABLE

# Jobs finish about a second after submission: fast enough for a demo, slow enough that
# apply's progress and polling are visible.
DEMO_JOB_SECONDS = 1.0
# In the demo's folder, apply's state and the sandbox's data are where those commands look by
# default, so a user can carry on there (`--keep`) with the commands as they are.
STATE_DIR = DEFAULT_STATE_DIR
SANDBOX_DATA = DEFAULT_SANDBOX_DATA
EXAMPLE_ROLES = {
    "manifests": "the example manifests that validate, plan and apply ran on",
    "blocked": "the example of blocked items",
}


@dataclass(frozen=True)
class Step:
    title: str
    argv: tuple[str, ...]
    expected_exit: int
    explanation: str


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="run validate, plan, apply and plan again against a throw-away local sandbox",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--manifests",
        metavar="PATH",
        help="the manifests to apply (default: the example that ships with reconciler)",
    )
    parser.add_argument(
        "--blocked",
        metavar="PATH",
        help="the example of blocked items to plan (default: the one that ships with reconciler)",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the demo's folder (manifests, receipt, sandbox data) and print where it is",
    )
    parser.set_defaults(func=run)


def demo_steps(manifests: str, blocked: str) -> list[Step]:
    return [
        Step("Validate the manifests (offline)", ("validate", manifests), 0, "valid"),
        Step(
            "Plan: what would apply do?",
            ("plan", manifests, "--detailed-exitcode"),
            2,
            "exit 2 means changes are pending",
        ),
        Step(
            "Apply: bulk exports of up to 100 items, then poll the jobs",
            ("apply", manifests, "--yes"),
            0,
            "every declared file is in sync",
        ),
        Step(
            "Plan again: nothing left to do",
            ("plan", manifests, "--detailed-exitcode"),
            0,
            "exit 0 means live state matches the manifests",
        ),
        Step(
            "Plan the example of blocked items: what apply cannot do, and why",
            ("plan", blocked),
            1,
            "exit 1 is expected here: blocked items are errors a reviewer must see",
        ),
    ]


def _banner(text: str) -> None:
    print(f"\n=== {text}", flush=True)


def _given(path: str) -> str:
    if not Path(path).exists():
        raise ConfigError(f"{path}: no such file or folder")
    return os.path.abspath(path)  # the steps run in the demo's folder


def run(args: argparse.Namespace) -> int:
    given = {name: _given(path) for name in EXAMPLES if (path := getattr(args, name))}
    for name in EXAMPLES.keys() - given.keys():
        packaged_example(name)  # fails before anything starts when an example is missing
    # Imported here: only the CLI wires the sandbox and the client side together.
    from reconciler.sandbox.server import start

    data_dir = Path(tempfile.mkdtemp(prefix="reconciler-demo-"))
    try:
        paths = {name: given.get(name) or str(copy_example(name, data_dir)) for name in EXAMPLES}
        sandbox = start(data_dir / SANDBOX_DATA, port=0, job_pace=DEMO_JOB_SECONDS)
    except BaseException:
        shutil.rmtree(data_dir, ignore_errors=True)
        raise
    # A platform's own pair (SB_AUTH_TOKEN_CGC, ...) would be chosen before the sandbox's, and
    # a pin or an allow-list is not the demo's: none of them may reach the demo's steps.
    inherited = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SB_AUTH_TOKEN_", "SB_API_ENDPOINT_"))
        and k not in (PIN_VARIABLE, TRUSTED_ENDPOINTS_VARIABLE)
    }
    env = {
        **inherited,
        "SB_API_ENDPOINT": sandbox.url,
        "SB_AUTH_TOKEN": sandbox.token,
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("SB_PROFILE", None)
    print(f"Sandbox listening at {sandbox.url} (data in {data_dir})", flush=True)
    print(f"  export SB_API_ENDPOINT={sandbox.url}", flush=True)
    print(f"  export SB_AUTH_TOKEN={sandbox.token}", flush=True)
    failures = 0
    try:
        for number, step in enumerate(demo_steps(paths["manifests"], paths["blocked"]), 1):
            _banner(f"{number}. {step.title}")
            print(f"$ reconciler {shlex.join(step.argv)}", flush=True)
            code = subprocess.run(
                [sys.executable, "-m", "reconciler", *step.argv],
                env=env,
                cwd=data_dir,
                check=False,
            ).returncode
            if code == step.expected_exit:
                print(f"--> exit {code}, as expected: {step.explanation}", flush=True)
            else:
                failures += 1
                print(
                    f"--> exit {code}, expected {step.expected_exit}: the demo FAILED here",
                    flush=True,
                )
    finally:
        sandbox.stop()
        if not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)
    _banner("Done")
    if failures:
        print(f"{failures} step(s) did not behave as expected", flush=True)
    else:
        print("Every step behaved as expected.", flush=True)
    copied = EXAMPLES.keys() - given.keys()
    for text in _closing_lines(data_dir, kept=args.keep, copied=copied):
        print(text, flush=True)
    return 1 if failures else 0


def _closing_lines(data_dir: Path, *, kept: bool, copied: Iterable[str]) -> list[str]:
    """What to try next, or with --keep what is kept where; never a file that is gone."""
    if not kept:
        return [
            "Next: `reconciler sandbox` serves a sandbox like this one until Ctrl-C, to try",
            "your own manifests on; `reconciler demo --keep` keeps the demo's folder to look at.",
        ]
    kept_here = [(f"{EXAMPLES[name][1]}/", EXAMPLE_ROLES[name]) for name in sorted(copied)]
    kept_here += [
        (f"{STATE_DIR}/receipt.json", "what apply did, item by item (its journal is next to it)"),
        (f"{SANDBOX_DATA}/", "the sandbox's data: `reconciler sandbox` run there serves it again"),
    ]
    width = max(len(path) for path, _ in kept_here)
    lines = [f"Kept in {data_dir} (remove it when you are done):"]
    lines += [f"  {path:<{width}}  {role}" for path, role in kept_here]
    return lines
