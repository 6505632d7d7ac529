"""Servers that misbehave below the API (issue 22, point 3): `reconciler plan`, in a real
process with the real defaults, against a loopback server that answers 429 with absurd
headers, a status no HTTP server sends, closes every connection, never answers, or trickles
its headers. Each ends with one error line within the time the docs state, and a wait is
never silent: a line comes on stderr (without `-v`) before 25 s.

The full runs against the silent and trickling servers take minutes with the defaults; those
are run with short timeouts through the client itself, and the defaults are checked to be
bounded and stated in docs/reference/connecting.md.
"""

from __future__ import annotations

import logging
import os
import re
import selectors
import subprocess
import sys
import time
from pathlib import Path

import pytest

from reconciler.api.client import ApiClient
from reconciler.api.config import DEFAULT_CONNECT_TIMEOUT, DEFAULT_READ_TIMEOUT, ApiConfig
from reconciler.api.retry import RetryPolicy
from reconciler.api.transport import MAX_BODY_BYTES, Transport
from reconciler.errors import TransportError

from .raw_server import Behaviour, RawServer, canned, closing, silent, trickling
from .secret import SECRET_TOKEN

CONNECTING = Path(__file__).resolve().parents[2] / "docs/reference/connecting.md"
MANIFEST = """\
version: 1
project: rfranklin/rna-seq
defaults:
  volume: rfranklin/output
exports:
  - path: results/sample1/counts.tsv
    location: hostile/counts.tsv
"""
LIMITED = b'{"status": 429, "code": 1000, "message": "Rate limit exceeded"}'
ABSURD_429 = (
    b"HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\n"
    b"X-RateLimit-Limit: 1000\r\nX-RateLimit-Remaining: 0\r\n"
    b"X-RateLimit-Reset: 99999999999999999999\r\nRetry-After: -3\r\n"
    b"Content-Length: %d\r\n\r\n%s" % (len(LIMITED), LIMITED)
)


@pytest.fixture
def manifests(tmp_path: Path) -> Path:
    folder = tmp_path / "manifests"
    folder.mkdir()
    (folder / "m.yaml").write_text(MANIFEST, encoding="utf-8")
    return folder


def plan_process(url: str, manifests: Path, tmp_path: Path) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "SB_API_ENDPOINT": url,
        "SB_AUTH_TOKEN": SECRET_TOKEN,
        "SB_CREDENTIALS_FILE": str(tmp_path / "no-credentials"),
        "NETRC": str(tmp_path / "no-netrc"),
    }
    env.pop("SB_PROFILE", None)
    return subprocess.Popen(
        [sys.executable, "-m", "reconciler", "plan", str(manifests)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run_plan(behaviour: Behaviour, manifests: Path, tmp_path: Path) -> tuple[int, str, float]:
    with RawServer(behaviour) as server:
        started = time.monotonic()
        process = plan_process(server.url, manifests, tmp_path)
        try:
            out, err = process.communicate(timeout=40)
        except subprocess.TimeoutExpired:
            process.kill()
            out, err = process.communicate()
            pytest.fail(f"plan still running after 40 s; stderr: {err!r}")
        took = time.monotonic() - started
    assert out == ""
    return process.returncode, err, took


def one_error_line(err: str) -> str:
    """The last line of stderr is the error; every line before it announces a wait or a
    retry, with its bound, or is the reading's progress (a line every few seconds)."""
    *before, last = err.splitlines()
    assert last.startswith("error: ") and err.endswith("\n"), err
    assert "Traceback" not in err and SECRET_TOKEN not in err
    for line in before:
        if line.startswith("reading: "):
            continue
        assert re.search(r"retrying in [\d.]+s \(try \d+ of \d+|waiting [\d.]+s", line), err
    return last


@pytest.mark.parametrize(
    ("behaviour", "said"),
    [
        (canned(ABSURD_429), "Rate limit exceeded"),
        (canned(b"HTTP/1.1 600 Beyond\r\nContent-Length: 0\r\n\r\n"), "status 600"),
        (closing, "connection failed (the server"),
        (
            canned(b"HTTP/1.1 200 OK\r\nContent-Length: 2000000000\r\n\r\n{}"),
            f"answer larger than {MAX_BODY_BYTES} bytes",
        ),
    ],
    ids=["429 with absurd reset and negative Retry-After", "HTTP 600", "closes", "2 GB"],
)
def test_plan_ends_within_20s_with_one_line(
    behaviour: Behaviour, said: str, manifests: Path, tmp_path: Path
) -> None:
    code, err, took = run_plan(behaviour, manifests, tmp_path)
    assert code == 1, err
    assert said in one_error_line(err), err
    assert took < 20, f"{took:.1f} s: {err}"


def line_within(process: subprocess.Popen[str], pattern: str, seconds: float) -> str:
    """The first line of stderr that holds `pattern`, if one comes within `seconds`."""
    assert process.stderr is not None
    deadline = time.monotonic() + seconds
    with selectors.DefaultSelector() as selector:
        selector.register(process.stderr, selectors.EVENT_READ)
        while selector.select(timeout=max(0.0, deadline - time.monotonic())):
            line = process.stderr.readline()
            if pattern in line or not line:
                return line
    return ""


@pytest.mark.parametrize(
    "behaviour", [silent, trickling(every=2.0)], ids=["silent", "trickle a byte every 2 s"]
)
def test_plan_says_within_25s_that_it_waits_for_an_answer(
    behaviour: Behaviour, manifests: Path, tmp_path: Path
) -> None:
    with RawServer(behaviour) as server:
        process = plan_process(server.url, manifests, tmp_path)
        try:
            line = line_within(process, f"no answer within {DEFAULT_READ_TIMEOUT:g}s", 25)
        finally:
            process.kill()
            process.communicate()
    assert line.startswith("WARNING reconciler.api: GET /v2/"), line
    assert "retrying in" in line and "(try 2 of 4, each up to 20s)" in line, line


@pytest.mark.parametrize("behaviour", [silent, trickling(every=0.3)], ids=["silent", "trickle"])
def test_a_call_to_a_server_that_never_completes_an_answer_ends_after_its_tries(
    behaviour: Behaviour, caplog: pytest.LogCaptureFixture
) -> None:
    policy = RetryPolicy()
    with RawServer(behaviour) as server:
        config = ApiConfig(endpoint=server.url, token=SECRET_TOKEN, read_timeout=1.0)
        client = ApiClient(config, transport=Transport(config, retry=policy))
        started = time.monotonic()
        with (
            caplog.at_level(logging.WARNING, logger="reconciler.api"),
            pytest.raises(TransportError) as caught,
        ):
            client.get_project("rfranklin/rna-seq")
        took = time.monotonic() - started
    assert server.accepted == policy.timeout_attempts
    assert "no answer within 1s" in str(caught.value)
    assert f"({policy.timeout_attempts} attempts in" in str(caught.value)
    assert len(caplog.records) == policy.timeout_attempts - 1  # one line per retry
    # Each try is cut off at its read timeout, whatever trickles in; the backoff is short.
    assert took < policy.timeout_attempts * 1.0 + longest_backoff(policy) + 3


def longest_backoff(policy: RetryPolicy) -> float:
    return sum(min(policy.cap, policy.base * 2.0**i) for i in range(policy.timeout_attempts - 1))


def test_the_defaults_bound_a_silent_server_and_the_docs_say_how_long() -> None:
    policy = RetryPolicy()
    # A line within 25 s: the first try ends at the read timeout, and is announced.
    assert DEFAULT_READ_TIMEOUT <= 20
    worst = policy.timeout_attempts * (DEFAULT_CONNECT_TIMEOUT + DEFAULT_READ_TIMEOUT)
    worst += longest_backoff(policy)
    page = CONNECTING.read_text("utf-8")
    stated = re.search(r"never answers.*? ends within (\d+) s", page, re.S)
    assert stated, "the reference states how long a server that never answers is waited for"
    assert worst <= int(stated.group(1)) <= worst + 10


def test_a_create_that_stalls_is_said_and_not_sent_again(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with RawServer(silent) as server:
        config = ApiConfig(endpoint=server.url, token=SECRET_TOKEN, read_timeout=1.0)
        client = ApiClient(config, transport=Transport(config))
        item = {"source": {"file": "a" * 24}, "destination": {"volume": "o/v", "location": "x"}}
        with (
            caplog.at_level(logging.WARNING, logger="reconciler.api"),
            pytest.raises(TransportError, match="no answer within 1s"),
        ):
            client.bulk_create_exports([item], copy_only=False)
    assert server.accepted == 1  # a write whose answer was lost is never sent again here
    [line] = [record.getMessage() for record in caplog.records]
    assert "no answer within 1s" in line and "not sent again before the platform is read" in line
