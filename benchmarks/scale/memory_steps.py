"""Where a command's memory goes: runs one `reconciler` command in this process with its main
steps wrapped, and prints on stderr, as each step ends, its time and the process's RSS (now,
and the peak so far, from /proc/self/status).

    cd RUN_FOLDER && SB_API_ENDPOINT=... SB_AUTH_TOKEN=... \\
        python benchmarks/scale/memory_steps.py plan --out plan.json --format markdown

The steps are looked up where the commands call them (`module:name`); a step the code no
longer has is skipped with a note, so the probe outlives a refactoring. `cycle.py --keep`
leaves run folders with their manifests and sandbox data to point it at.
"""

from __future__ import annotations

import functools
import importlib
import sys
import time
from collections.abc import Callable
from typing import Any

STEPS = (
    "reconciler.usecases.plan:load_manifests",
    "reconciler.commands.apply:load_plan",
    "reconciler.usecases.plan:read",
    "reconciler.usecases.plan:build_plan",
    "reconciler.usecases.plan:combine",
    "reconciler.commands.plan:dump_plan",
    "reconciler.commands.plan:render",
    "reconciler.usecases.apply:select",
    "reconciler.usecases.apply:check_saved",
    "reconciler.usecases.apply:Engine.run",
    "reconciler.commands.apply:render_report",
)


def memory() -> tuple[float, float]:
    """(RSS now, peak RSS so far) in MiB."""
    fields = {}
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            key, _, value = line.partition(":")
            fields[key] = value
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def _wrapped(name: str, step: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(step)
    def measured(*args: Any, **kwargs: Any) -> Any:
        started = time.monotonic()
        try:
            return step(*args, **kwargs)
        finally:
            now, peak = memory()
            print(
                f"[memory] {name}: {time.monotonic() - started:.1f} s, "
                f"RSS {now:,.0f} MiB, peak so far {peak:,.0f} MiB",
                file=sys.stderr,
                flush=True,
            )

    return measured


def wrap(spec: str) -> None:
    module_name, _, path = spec.partition(":")
    owner: Any = importlib.import_module(module_name)
    *parents, attribute = path.split(".")
    for parent in parents:
        owner = getattr(owner, parent, None)
    if owner is None or not hasattr(owner, attribute):
        print(f"[memory] {spec}: not found, not measured", file=sys.stderr)
        return
    setattr(owner, attribute, _wrapped(path, getattr(owner, attribute)))


def main(argv: list[str]) -> int:
    for spec in STEPS:
        wrap(spec)
    from reconciler.cli import main as reconciler

    code = reconciler(argv)
    now, peak = memory()
    print(f"[memory] exit {code}: RSS {now:,.0f} MiB, peak {peak:,.0f} MiB", file=sys.stderr)
    return int(code or 0)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
