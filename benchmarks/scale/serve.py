"""The sandbox in a process of its own, so that what the benchmark measures (CPU, memory) is the
client's alone. Prints one JSON line `{"url": ...}` once listening and serves until its stdin
closes (the parent ends it that way, or with SIGTERM).

    python benchmarks/scale/serve.py --data DIR [--seed seed.json] [--settings '{"latency": 0.08}']
    python benchmarks/scale/serve.py --data DIR --seed seed.json --seed-only
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType

from reconciler.sandbox.server import open_state, start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--seed", type=Path)
    parser.add_argument("--settings", default="{}", help="sandbox settings as JSON")
    parser.add_argument("--seed-only", action="store_true", help="seed the folder and exit")
    args = parser.parse_args(argv)
    if args.seed_only:
        started = time.monotonic()
        args.data.mkdir(parents=True, exist_ok=True)
        store, _ = open_state(args.data, args.seed, reset=True, use_demo=False)
        store.close()
        print(json.dumps({"seeded": round(time.monotonic() - started, 2)}), flush=True)
        return 0
    stopping = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, on_signal)
    sandbox = start(args.data, seed=args.seed, **json.loads(args.settings))
    try:
        print(json.dumps({"url": sandbox.url}), flush=True)
        watcher = threading.Thread(
            target=lambda: (sys.stdin.read(), stopping.set()), daemon=True, name="stdin"
        )
        watcher.start()
        stopping.wait()
    finally:
        sandbox.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
