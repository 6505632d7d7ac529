"""How long `reconciler plan` takes to fail when the endpoint looks wrong or down (issue 13,
point 3): nothing listening on the port, a name that does not resolve, a web page answered with
200, and an undecodable body answered with 200. Each case runs the real CLI in a subprocess, as
a user would, and prints its wall time, its exit code, how many lines it printed on stderr while
retrying, and its last line.

    .venv/bin/python benchmarks/fast_failure.py
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

MANIFEST = """version: 1
project: lab/p
defaults:
  volume: lab/out
exports:
  - glob: "data/*.vcf"
    location: "{name}"
"""


def _answering(body: bytes, content_type: str) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_POST = do_GET

    return Handler


@contextmanager
def serving(body: bytes, content_type: str) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _answering(body, content_type))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v2"
    finally:
        server.shutdown()
        server.server_close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_plan(endpoint: str, folder: Path) -> tuple[float, int, list[str]]:
    manifest = folder / "m.yaml"
    manifest.write_text(MANIFEST, encoding="utf-8")
    env = {
        **os.environ,
        "SB_API_ENDPOINT": endpoint,
        "SB_AUTH_TOKEN": "fast-failure-benchmark-token",
        "SB_CREDENTIALS_FILE": str(folder / "none"),
    }
    started = time.monotonic()
    ran = subprocess.run(
        [sys.executable, "-m", "reconciler", "plan", str(manifest)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return time.monotonic() - started, ran.returncode, ran.stderr.splitlines()


def main() -> int:
    cases: dict[str, str | tuple[bytes, str] | None] = {
        "nothing listening": None,
        # .invalid never resolves (RFC 2606): a name lookup that fails, without a network.
        "name lookup failure": "https://no-such-host.invalid/v2",
        "HTML page with 200": (
            b"<html><body><h1>Welcome to nginx!</h1></body></html>",
            "text/html",
        ),
        "undecodable body with 200": (b"\xff\xfe\x00\x81garbage\x00", "application/json"),
    }
    with tempfile.TemporaryDirectory() as tmp:
        for name, answer in cases.items():
            if answer is None:
                seconds, code, lines = run_plan(f"http://127.0.0.1:{free_port()}/v2", Path(tmp))
            elif isinstance(answer, str):
                seconds, code, lines = run_plan(answer, Path(tmp))
            else:
                with serving(*answer) as endpoint:
                    seconds, code, lines = run_plan(endpoint, Path(tmp))
            retries = sum(1 for line in lines if "retrying in" in line)
            print(f"{name}: exit {code} after {seconds:.1f} s, {retries} retry lines on stderr")
            print(f"    {lines[-1] if lines else '(nothing on stderr)'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
