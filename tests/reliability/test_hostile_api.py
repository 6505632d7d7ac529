"""Malformed and hostile API answers, served by a loopback proxy in front of a real sandbox, to
the real `ApiClient` and to `reconciler plan` (in process, and in a subprocess for some):
each is one clear line, exit 1, no traceback, never the token.

The proxy answers the real calls of a plan, except those one case breaks, so the plan meets
each broken answer where the live reader really reads it.
"""

from __future__ import annotations

import functools
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from reconciler import cli
from reconciler.api.client import ApiClient
from reconciler.api.config import ApiConfig
from reconciler.api.retry import RetryPolicy
from reconciler.api.transport import MAX_BODY_BYTES, Transport
from reconciler.commands.runtime import Runtime
from reconciler.errors import ApiError
from reconciler.sandbox.server import Sandbox, start

from .proxy import HostileProxy, Reply, Rule, Upstream
from .secret import SECRET_TOKEN, with_secret_token

PROJECT = "rfranklin/rna-seq"
VOLUME = "rfranklin/output"
BY_ID = "65a1f0c0e4b0d1a2b3c40002"
OTHER_ID = "65a1f0c0e4b0d1a2b3c40003"
MANIFEST = f"""\
version: 1
project: {PROJECT}
defaults:
  volume: {VOLUME}
  mode: copy
exports:
  - file: {BY_ID}
    location: hostile/by-id/{{name}}
  - path: results/sample1/counts.tsv
    location: hostile/by-path/counts.tsv
  - glob: "results/sample*/*.vcf.gz"
    location: "hostile/vcf/{{name}}"
  - file: {OTHER_ID}
    volume: rfranklin/archive
    location: hostile/single/{{name}}
"""

HTML = (
    "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>"
    "<body><h1>nginx</h1></body></html>"
)
HTML_TYPE = "text/html; charset=utf-8"

PROJECT_GET = r"^GET /v2/projects/"
VOLUME_GET = r"^GET /v2/storage/volumes/rfranklin/output$"
FILES_BULK = r"^POST /v2/bulk/files/get$"
FILES_LIST = r"^GET /v2/files$"
OBJECTS_LIST = r"^GET /v2/storage/volumes/[^/]+/[^/]+/list$"
OBJECT_GET = r"^GET /v2/storage/volumes/[^/]+/[^/]+/object$"
EXPORTS_LIST = r"^GET /v2/storage/exports$"

# What the client itself calls for each route, to meet the same answer outside a plan.
CLIENT_CALLS: dict[str, Callable[[ApiClient], Any]] = {
    PROJECT_GET: lambda c: c.get_project(PROJECT),
    VOLUME_GET: lambda c: c.get_volume(VOLUME),
    FILES_BULK: lambda c: c.bulk_get_files([BY_ID, OTHER_ID]),
    FILES_LIST: lambda c: list(c.list_files(project=PROJECT, names=["results"])),
    OBJECTS_LIST: lambda c: c.list_volume_objects(VOLUME, "hostile/"),
    OBJECT_GET: lambda c: c.get_volume_object("rfranklin/archive", "hostile/single/x"),
    EXPORTS_LIST: lambda c: list(c.list_exports(VOLUME, "PENDING")),
}


def fixed(reply: Reply) -> Callable[[Upstream], Reply]:
    return lambda upstream: reply


def edited(change: Callable[[Any], Any], status: int = 200) -> Callable[[Upstream], Reply]:
    """The real answer, with its parsed body edited in place by `change`."""

    def answer(upstream: Upstream) -> Reply:
        data = upstream.data
        change(data)
        return Reply(status, json.dumps(data))

    return answer


def truncated(upstream: Upstream) -> Reply:
    return Reply(200, upstream.body[: len(upstream.body) // 2])


def without(key: str) -> Callable[[Any], None]:
    def change(data: Any) -> None:
        del data[key]

    return change


def with_first_item(key: str, value: Any) -> Callable[[Any], None]:
    def change(data: Any) -> None:
        data["items"][0][key] = value

    return change


def bulk_entry(key: str, value: Any) -> Callable[[Any], None]:
    def change(data: Any) -> None:
        data["items"][0]["resource"][key] = value

    return change


def export(**fields: Any) -> dict[str, Any]:
    job = {
        "id": "e" * 24,
        "state": "PENDING",
        "source": {"file": BY_ID},
        "destination": {"volume": VOLUME, "location": "hostile/by-id/sample1.bam.bai"},
        "properties": {"sse_algorithm": "AES256"},
        "overwrite": False,
    }
    job.update(fields)
    return {"href": "x", "items": [job], "links": []}


def next_link_to(url: Callable[[Upstream], str]) -> Callable[[Upstream], Reply]:
    def answer(upstream: Upstream) -> Reply:
        data = upstream.data
        data["links"] = [{"href": url(upstream), "rel": "next", "method": "GET"}]
        return Reply(200, data)

    return answer


@dataclass(frozen=True)
class Case:
    name: str
    route: str
    answer: Callable[[Upstream], Reply]
    fragment: str  # in the one-line error, from the client and from the CLI


CASES = [
    Case("proxy html 502", PROJECT_GET, fixed(Reply(502, HTML, HTML_TYPE)),
         "HTTP 502"),
    Case("proxy html 200", PROJECT_GET, fixed(Reply(200, HTML, HTML_TYPE)),
         "unreadable answer (HTTP 200, text/html"),
    Case("load balancer 503 in plain text", VOLUME_GET,
         fixed(Reply(503, "Service Unavailable", "text/plain")),
         "no readable error body (text/plain"),
    Case("html under a json content type", VOLUME_GET, fixed(Reply(200, HTML)),
         "unreadable answer (HTTP 200, application/json"),
    Case("truncated json", FILES_BULK, truncated, "not JSON"),
    Case("truncated listing", FILES_LIST, truncated, "not JSON"),
    Case("empty body 200", PROJECT_GET, fixed(Reply(200, b"")), "unexpected response: body"),
    Case("empty body 500", VOLUME_GET, fixed(Reply(500, b"")), "no error message"),
    Case("json null", VOLUME_GET, fixed(Reply(200, "null")), "unexpected response"),
    Case("json list for a resource", PROJECT_GET, fixed(Reply(200, [PROJECT])),
         "unexpected response: body"),
    Case("missing id", PROJECT_GET, edited(without("id")), "id: Field required"),
    Case("200 with an error body", PROJECT_GET,
         fixed(Reply(200, {"status": 404, "code": 5002, "message": "Resource not found"})),
         "id: Field required"),
    Case("volume active not a boolean", VOLUME_GET,
         edited(lambda d: d.update(active="perhaps")), "active: Input should be a valid boolean"),
    Case("volume access_mode a number", VOLUME_GET,
         edited(lambda d: d.update(access_mode=7)), "access_mode: Input should be a valid string"),
    Case("file size as text", FILES_BULK, edited(bulk_entry("size", "big")), "size:"),
    Case("file size NaN", FILES_BULK, edited(bulk_entry("size", float("nan"))), "size:"),
    Case("file storage a string", FILES_BULK, edited(bulk_entry("storage", "s3")), "storage"),
    Case("bulk one entry short", FILES_BULK, edited(lambda d: d["items"].pop()),
         "1 entries in the answer for 2 requested"),
    Case("bulk one entry too many", FILES_BULK,
         edited(lambda d: d["items"].append(d["items"][0])), "3 entries in the answer for 2"),
    Case("bulk items not a list", FILES_BULK,
         edited(lambda d: d.update(items={"0": d["items"][0]})),
         "items: Input should be a valid list"),
    Case("bulk without items", FILES_BULK, fixed(Reply(200, {"resources": []})),
         "items: Field required"),
    Case("bulk entry a number", FILES_BULK, edited(lambda d: d["items"].__setitem__(0, 7)),
         "items.0"),
    Case("page items not a list", FILES_LIST, fixed(Reply(200, {"items": "none", "links": []})),
         "items: Input should be a valid list"),
    Case("page item without id", FILES_LIST, edited(with_first_item("id", None)),
         "item 0: unexpected response: id"),
    Case("page link not an object", FILES_LIST, edited(lambda d: d.update(links=["next"])),
         "links.0"),
    Case("next link to another host", FILES_LIST,
         next_link_to(lambda up: "http://198.51.100.7/v2/files?offset=100"),
         "refusing to follow a link to another host"),
    Case("next link going round in a circle", FILES_LIST,
         next_link_to(lambda up: up.base + up.target),
         "the next-page links go round in a circle"),
    Case("volume listing prefixes not a list", OBJECTS_LIST,
         edited(lambda d: d.update(prefixes="hostile/")), "prefixes: Input should be a valid list"),
    Case("volume object without location", OBJECT_GET,
         fixed(Reply(200, {"volume": "rfranklin/archive", "metadata": {"size": 3}})),
         "location: Field required"),
    Case("export list with a job without destination", EXPORTS_LIST,
         fixed(Reply(200, export(destination=None))), "destination: Input should be"),
    Case("export source a boolean (the seed's slip)", EXPORTS_LIST,
         fixed(Reply(200, export(source=True))), "source: Input should be"),
    Case("export state a number", EXPORTS_LIST, fixed(Reply(200, export(state=3))),
         "state: Input should be 'PENDING'"),
    Case("redirect to another host", PROJECT_GET,
         fixed(Reply(302, b"", headers={"Location": "https://evil.example/v2/projects/x"})),
         "unexpected redirect, not followed"),
    Case("401 token refused", PROJECT_GET,
         fixed(Reply(401, {"status": 401, "code": 0, "message": "Unauthorized"})),
         "check the token"),
    Case("404 on a route the proxy does not know", FILES_BULK,
         fixed(Reply(404, HTML, HTML_TYPE)), "HTTP 404"),
    Case("maintenance that does not end", VOLUME_GET,
         fixed(Reply(503, {"status": 503, "code": 0, "message": "Down for maintenance"})),
         "platform in maintenance: Down for maintenance"),
    Case("429 again and again", PROJECT_GET,
         lambda up: Reply(429, {"status": 429, "code": 1000, "message": "Rate limit exceeded"},
                          headers={"X-RateLimit-Reset": str(int(time.time())),
                                   "X-RateLimit-Remaining": "0"}),
         "Rate limit exceeded | HTTP 429 code 1000"),
    Case("deeply nested json", PROJECT_GET, fixed(Reply(200, "[" * 200_000 + "]" * 200_000)),
         "not JSON"),
    Case("binary body", PROJECT_GET,
         fixed(Reply(200, bytes(range(256)) * 10, "application/octet-stream")),
         "unreadable answer (HTTP 200, application/octet-stream"),
    Case("invalid utf-8 inside json", FILES_BULK,
         fixed(Reply(200, b'{"items": [{"resource": {"id": "\xff\xfe"}}]}')), "not JSON"),
    Case("body shorter than announced", VOLUME_GET, fixed(Reply(200, b'{"id": "x"', short_by=500)),
         "connection failed"),
    Case("connection dropped", EXPORTS_LIST, fixed(Reply(drop=True)), "connection failed"),
    Case("gzip announced, not gzip", PROJECT_GET,
         fixed(Reply(200, b"not gzip at all", headers={"Content-Encoding": "gzip"})),
         "connection failed"),
    Case("huge body", PROJECT_GET, fixed(Reply(200, b"[", stream=MAX_BODY_BYTES + (1 << 20))),
         f"answer larger than {MAX_BODY_BYTES} bytes"),
    Case("token echoed back in the error", PROJECT_GET,
         fixed(Reply(400, {"message": f"bad header X-SBG-Auth-Token: {SECRET_TOKEN}"})),
         "bad header X-SBG-Auth-Token: [redacted]"),
    Case("token echoed back in the request id", VOLUME_GET,
         fixed(Reply(500, {"message": "boom"}, headers={"X-Request-Id": SECRET_TOKEN})),
         "request id [redacted]"),
]  # fmt: skip

FAST_RETRY = functools.partial(
    RetryPolicy, base=0.001, cap=0.002, max_attempts=2, max_rate_limited=1
)
# Persistent breakage is retried twice with millisecond waits: the message is the same as
# after the full backoff, which only takes longer.
FAST = Runtime(retry=FAST_RETRY())


@pytest.fixture(scope="module")
def upstream(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    running = start(tmp_path_factory.mktemp("hostile-sandbox"), seed=with_secret_token(), port=0)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def manifests(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hostile-manifests")
    (folder / "m.yaml").write_text(MANIFEST, encoding="utf-8")
    return folder


@pytest.fixture
def proxy(upstream: Sandbox) -> Iterator[HostileProxy]:
    with HostileProxy(upstream.url) as running:
        yield running


class Env(dict[str, str]):
    """Environment values that hold the secret: pytest shows a failing test's arguments."""

    def __repr__(self) -> str:
        return f"Env({sorted(self)})"


@pytest.fixture
def env(proxy: HostileProxy, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Env:
    values = Env(
        {
            "SB_API_ENDPOINT": proxy.url,
            "SB_AUTH_TOKEN": SECRET_TOKEN,
            "SB_CREDENTIALS_FILE": str(tmp_path / "no-credentials"),
        }
    )
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("SB_PROFILE", raising=False)
    return values


def install(proxy: HostileProxy, case: Case) -> None:
    proxy.rule = Rule(case.route, case.answer)


# What a plan says of its reading before it reads the files: its cost and the rate limit.
ESTIMATE_LINES = ("reading the files: ", "rate limit: ")


def final_error(err: str) -> str:
    """The one error line that ends stderr; what comes before it may only announce the
    reading's cost (once) and the retries and waits that led there (one line each)."""
    *announced, last = err.splitlines()
    assert last.startswith("error: ") and err.endswith("\n"), err
    said = [line for line in announced if line.startswith(ESTIMATE_LINES)]
    assert len(said) in (0, 2), err
    for line in announced:
        if line in said:
            continue
        # A wait during the reading is the reading's to say (once, without the log's prefix).
        assert line.startswith("WARNING reconciler.api: ") or "waiting" in line, err
        assert "retrying in" in line or "waiting" in line, err
    return last + "\n"


def assert_one_line(message: str, fragment: str) -> None:
    assert fragment in message, message
    assert "\n" not in message.strip(), message
    assert len(message) < 600, message
    assert "Traceback" not in message and "internal error" not in message, message
    assert SECRET_TOKEN not in message


def test_the_corpus_is_big_enough() -> None:
    assert len(CASES) >= 30
    assert len({case.name for case in CASES}) == len(CASES)
    assert {case.route for case in CASES} == set(CLIENT_CALLS)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_client_meets_the_answer_with_one_line_error(
    case: Case, proxy: HostileProxy, env: Env
) -> None:
    install(proxy, case)
    config = ApiConfig(endpoint=proxy.url, token=SECRET_TOKEN, connect_timeout=5, read_timeout=10)
    transport = Transport(config, retry=FAST_RETRY())
    with ApiClient(config, transport=transport) as client, pytest.raises(ApiError) as caught:
        CLIENT_CALLS[case.route](client)
    assert proxy.hits >= 1
    assert_one_line(str(caught.value), case.fragment)
    assert SECRET_TOKEN not in repr(caught.value)
    assert caught.value.__cause__ is None


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_plan_meets_the_answer_with_one_line_error_and_exit_1(
    case: Case,
    proxy: HostileProxy,
    env: Env,
    manifests: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    install(proxy, case)
    code = cli.main(["plan", str(manifests)], runtime=FAST)
    out, err = capsys.readouterr()
    assert proxy.hits >= 1, "the plan never made the call this case breaks"
    assert code == 1
    assert out == ""
    error = final_error(err)
    assert_one_line(error, case.fragment)


def test_plan_through_the_proxy_works_when_nothing_is_broken(
    proxy: HostileProxy, env: Env, manifests: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main(["plan", str(manifests), "--detailed-exitcode"], runtime=FAST)
    out, err = capsys.readouterr()
    assert code == 2, err
    assert out.startswith("Plan: 0 to move, 11 to copy")
    routes = {f"{m} {p}" for m, p in proxy.seen}
    for route in CLIENT_CALLS:
        assert any(re.search(route, seen) for seen in routes), route


def test_a_json_answer_under_a_wrong_content_type_is_still_read(
    proxy: HostileProxy, env: Env, manifests: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Tolerated on purpose: the body is what the contract says, only the label is wrong.
    proxy.rule = Rule(PROJECT_GET, lambda up: Reply(200, up.body, "text/plain"))
    assert cli.main(["plan", str(manifests), "--detailed-exitcode"], runtime=FAST) == 2
    assert proxy.hits == 1
    assert capsys.readouterr().out.startswith("Plan: ")


SUBPROCESS_CASES = [c for c in CASES if c.name in {
    "200 with an error body", "file size as text", "bulk one entry short", "page items not a list",
    "export state a number", "token echoed back in the error",
}]  # fmt: skip


@pytest.mark.parametrize("case", SUBPROCESS_CASES, ids=[c.name for c in SUBPROCESS_CASES])
@pytest.mark.slow
def test_plan_in_a_real_process(case: Case, proxy: HostileProxy, env: Env, manifests: Path) -> None:
    # Cases a read does not retry: the subprocess runs with the full default backoff.
    install(proxy, case)
    ran = subprocess.run(
        [sys.executable, "-m", "reconciler", "plan", str(manifests)],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert ran.returncode == 1, ran.stderr
    assert ran.stdout == ""
    assert_one_line(final_error(ran.stderr), case.fragment)


def test_a_failed_plan_writes_no_plan_file(
    proxy: HostileProxy, env: Env, manifests: Path, tmp_path: Path
) -> None:
    body = json.dumps({"message": f"echo {SECRET_TOKEN}"})
    proxy.rule = Rule(PROJECT_GET, fixed(Reply(400, body)))
    out = tmp_path / "plan.json"
    assert cli.main(["plan", str(manifests), "--out", str(out)], runtime=FAST) == 1
    assert not out.exists()  # nothing half-written on failure


def swap_first_file(upstream: Upstream) -> Reply:
    """The answer for the first requested id carries another file of the project."""
    data = upstream.data
    data["items"][0]["resource"].update(id="65a1f0c0e4b0d1a2b3c40009", name="sample3.bam")
    return Reply(200, json.dumps(data))


def test_a_bulk_answer_for_another_file_is_refused(
    proxy: HostileProxy, env: Env, manifests: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    proxy.rule = Rule(FILES_BULK, swap_first_file)
    code = cli.main(["plan", str(manifests), "--show-all"], runtime=FAST)
    out, err = capsys.readouterr()
    assert "sample3.bam" not in out  # never declared: must not be planned for export
    assert code == 1
    assert_one_line(final_error(err), BY_ID)


def test_an_export_in_an_unknown_state_is_an_error_not_ignored(
    proxy: HostileProxy, env: Env, manifests: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    proxy.rule = Rule(EXPORTS_LIST, fixed(Reply(200, export(state="EXPLODED"))))
    code = cli.main(["plan", str(manifests), "--show-all"], runtime=FAST)
    out, err = capsys.readouterr()
    assert code == 1, out
    assert_one_line(final_error(err), "state")
