"""`reconciler demo`: the whole cycle on a throw-away sandbox, with no credentials and no set-up.

It starts the sandbox on a free loopback port with the demo seed in a temporary folder, then
runs validate, plan, apply and plan again on the example manifests, showing each step as the
command a user would type, and finally plans the separate example of blocked items to show how
they are reported (that step exits 1 on purpose). The demo exits 0 when every step exited as
expected. Each step runs in a child process, exactly as a user's shell would run it.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler.errors import ConfigError

# Jobs finish about a second after submission: fast enough for a demo, slow enough that
# apply's progress and polling are visible.
DEMO_JOB_SECONDS = 1.0


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
        "--manifests", default="manifests", help="the manifests to apply (default: manifests/)"
    )
    parser.add_argument(
        "--blocked",
        default="examples/blocked",
        help="the example of blocked items (default: examples/blocked/)",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the sandbox's data folder and print where it is"
    )
    parser.set_defaults(func=run)


def demo_steps(manifests: str, blocked: str, state_dir: str) -> list[Step]:
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
            ("apply", manifests, "--yes", "--state-dir", state_dir),
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


def run(args: argparse.Namespace) -> int:
    for path in (args.manifests, args.blocked):
        if not Path(path).exists():
            raise ConfigError(
                f"{path}: not found; run the demo from the root of a reconciler checkout "
                "or pass --manifests/--blocked"
            )
    # Imported here: only the CLI wires the sandbox and the client side together.
    from reconciler.sandbox.server import start

    data_dir = Path(tempfile.mkdtemp(prefix="reconciler-demo-"))
    sandbox = start(data_dir / "sandbox", port=0, job_pace=DEMO_JOB_SECONDS)
    # A platform's own pair (SB_AUTH_TOKEN_CGC, ...) would be chosen before the sandbox's, and
    # a pin or an allow-list is not the demo's: none of them may reach the demo's steps.
    inherited = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SB_AUTH_TOKEN_", "SB_API_ENDPOINT_"))
        and k not in ("RECONCILER_PLATFORM", "RECONCILER_TRUSTED_ENDPOINTS")
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
        for number, step in enumerate(
            demo_steps(args.manifests, args.blocked, str(data_dir / "state")), 1
        ):
            _banner(f"{number}. {step.title}")
            print(f"$ reconciler {shlex.join(step.argv)}", flush=True)
            code = subprocess.run(
                [sys.executable, "-m", "reconciler", *step.argv], env=env, check=False
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
        return 1
    print("Every step behaved as expected.", flush=True)
    if args.keep:
        print(f"Sandbox data kept in {data_dir}", flush=True)
    return 0
