"""Safe defaults at the command line (tests/api/ covers them in the client): TLS always
verified (a custom CA bundle is allowed; nothing turns verification off, not the environment
tricks requests knows), plain http only for loopback, the warning on a credentials file others
can read, and a timeout on every call.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from reconciler import cli
from reconciler.commands.runtime import Runtime
from reconciler.sandbox.server import Sandbox
from tests.tls import self_signed_context

from .proxy import HostileProxy
from .secret import SECRET_TOKEN, with_secret_token
from .test_hostile_api import FAST_RETRY, MANIFEST

CERT_ERROR = "TLS verification failed"


@pytest.fixture
def lab(make_sandbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Sandbox, Path]:
    sandbox = make_sandbox(seed=with_secret_token())
    manifests = tmp_path / "manifests"
    manifests.mkdir()
    (manifests / "m.yaml").write_text(MANIFEST, encoding="utf-8")
    monkeypatch.setenv("SB_API_ENDPOINT", sandbox.url)
    monkeypatch.setenv("SB_AUTH_TOKEN", SECRET_TOKEN)
    monkeypatch.setenv("SB_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    for name in ("SB_PROFILE", "SB_CA_BUNDLE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    return sandbox, manifests


def plan(
    capsys: pytest.CaptureFixture[str], *argv: str, runtime: Runtime | None = None
) -> tuple[int, str, str]:
    code = cli.main(["plan", "--detailed-exitcode", *argv], runtime=runtime)
    out, err = capsys.readouterr()
    return code, out, err


# ---- TLS -------------------------------------------------------------------------------------


@pytest.fixture
def tls_proxy(lab: tuple[Sandbox, Path], tmp_path: Path) -> Iterator[tuple[HostileProxy, Path]]:
    """The sandbox behind a loopback HTTPS proxy with a self-signed certificate."""
    context, cert = self_signed_context(tmp_path)
    with HostileProxy(lab[0].url, tls=context) as proxy:
        yield proxy, cert


@pytest.mark.parametrize(
    "environment",
    [
        {},
        {"REQUESTS_CA_BUNDLE": "", "CURL_CA_BUNDLE": ""},
        {"SB_CA_BUNDLE": ""},
        {"PYTHONHTTPSVERIFY": "0"},
    ],
    ids=["plain", "requests env emptied", "SB_CA_BUNDLE emptied", "PYTHONHTTPSVERIFY=0"],
)
def test_self_signed_https_is_refused_whatever_the_environment(
    tls_proxy: tuple[HostileProxy, Path],
    lab: tuple[Sandbox, Path],
    environment: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    proxy, _ = tls_proxy
    monkeypatch.setenv("SB_API_ENDPOINT", proxy.url)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    code, out, err = plan(capsys, str(lab[1]))
    assert code == 1
    assert out == ""
    assert err.startswith("error: GET /v2/projects/rfranklin/rna-seq: " + CERT_ERROR), err
    assert "--ca-bundle" in err and err.count("\n") == 1
    assert proxy.seen == []  # not one request got through the handshake


@pytest.mark.parametrize("how", ["--ca-bundle", "SB_CA_BUNDLE", "REQUESTS_CA_BUNDLE"])
def test_a_custom_ca_bundle_is_accepted(
    tls_proxy: tuple[HostileProxy, Path],
    lab: tuple[Sandbox, Path],
    how: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    proxy, cert = tls_proxy
    monkeypatch.setenv("SB_API_ENDPOINT", proxy.url)
    extra = ["--ca-bundle", str(cert)] if how == "--ca-bundle" else []
    if how != "--ca-bundle":
        monkeypatch.setenv(how, str(cert))
    code, out, err = plan(capsys, str(lab[1]), *extra)
    assert code == 2, err
    assert out.startswith("Plan: 0 to move, 11 to copy")
    assert len(proxy.seen) >= 5


def test_no_command_has_an_option_to_turn_verification_off() -> None:
    parser = cli.build_parser()
    actions = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    options = {option for sub in actions.values() for option in sub._option_string_actions}
    assert "--ca-bundle" in options
    assert not [o for o in options if re_insecure(o)], options


def re_insecure(option: str) -> bool:
    lowered = option.lower()
    return any(w in lowered for w in ("insecure", "no-verify", "verify", "no-tls", "skip-tls"))


@pytest.mark.parametrize("flag", ["--insecure", "--no-verify", "-k"])
def test_disabling_flags_are_refused_by_the_parser(
    flag: str, lab: tuple[Sandbox, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["plan", flag, str(lab[1])])
    assert exited.value.code == 2
    assert "unrecognized arguments" in capsys.readouterr().err


# ---- plain http ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://sandbox.invalid/v2",
        "http://10.0.0.7/v2",
        "http://localhost.example.com/v2",
        "http://127.0.0.1.nip.io/v2",
        "HTTP://api.sbgenomics.com/v2",
    ],
)
def test_plain_http_to_anything_but_loopback_is_refused_before_any_call(
    endpoint: str,
    lab: tuple[Sandbox, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SB_API_ENDPOINT", endpoint)
    code, out, err = plan(capsys, str(lab[1]))
    assert code == 1 and out == ""
    assert "plain http is allowed only for loopback hosts" in err, err
    assert err.startswith("error: SB_API_ENDPOINT: ") and err.count("\n") == 1


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_plain_http_to_loopback_works(
    host: str,
    lab: tuple[Sandbox, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sandbox, manifests = lab
    monkeypatch.setenv("SB_API_ENDPOINT", f"http://{host}:{sandbox.port}/v2")
    code, _out, err = plan(capsys, str(manifests))
    assert code == 2, err


# ---- credentials file ------------------------------------------------------------------------


@pytest.mark.parametrize(("mode", "warned"), [(0o644, True), (0o640, True), (0o600, False)])
def test_credentials_readable_by_others_are_warned_about(
    mode: int,
    warned: bool,
    lab: tuple[Sandbox, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    credentials = tmp_path / "credentials"
    credentials.write_text(f"[default]\nauth_token = {SECRET_TOKEN}\n", encoding="utf-8")
    credentials.chmod(mode)
    monkeypatch.delenv("SB_AUTH_TOKEN")
    monkeypatch.setenv("SB_CREDENTIALS_FILE", str(credentials))
    try:
        code, _out, err = plan(capsys, str(lab[1]))
    finally:
        credentials.unlink()  # holds the secret on purpose: an input, not an output
    assert code == 2, err  # the token from the file works
    warning = (
        f"warning: {credentials}: credentials file is accessible by group or others "
        f"(mode {mode:o}); run: chmod 600 {credentials}"
    )
    assert (warning in err.splitlines()) is warned, err


# ---- timeouts --------------------------------------------------------------------------------


def test_every_request_of_plan_and_apply_carries_a_timeout(
    lab: tuple[Sandbox, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    seen: list[Any] = []
    original = requests.Session.request

    def recording(self: requests.Session, method: str, url: str, **kwargs: Any) -> Any:
        seen.append(kwargs.get("timeout"))
        return original(self, method, url, **kwargs)

    monkeypatch.setattr(requests.Session, "request", recording)
    assert plan(capsys, str(lab[1]))[0] == 2
    state = tmp_path / "state"
    code = cli.main(["apply", "--yes", "--state-dir", str(state), str(lab[1])])
    assert code == 0, capsys.readouterr().err
    assert len(seen) >= 15  # plan, creates, polls
    assert all(
        isinstance(t, tuple) and len(t) == 2 and all(0 < part <= 120 for part in t) for t in seen
    ), seen


class SlowServer:
    """A loopback server that accepts connections and never answers, or (`drip`) sends the
    headers and then one byte of a long body every 0.5 s, for 60 s (or until it is closed)."""

    def __init__(self, *, drip: bool) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)
        self.drip = drip
        self.stop = threading.Event()
        self.held: list[socket.socket] = []
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}/v2"
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self) -> None:
        while not self.stop.is_set():
            try:
                connection, _ = self.listener.accept()
            except TimeoutError:
                continue
            self.held.append(connection)
            if self.drip:
                threading.Thread(target=drip, args=(connection, self.stop), daemon=True).start()

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=5)
        for connection in self.held:
            connection.close()
        self.listener.close()


@pytest.fixture
def slow_server() -> Iterator[Any]:
    servers: list[SlowServer] = []

    def make(*, drip: bool = False) -> SlowServer:
        servers.append(SlowServer(drip=drip))
        return servers[-1]

    yield make
    for server in servers:
        server.close()


def drip(connection: socket.socket, stop: threading.Event) -> None:
    try:
        connection.recv(65536)
        connection.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n"
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not stop.wait(0.5):
            connection.sendall(b" ")  # each byte well within the read timeout
    except OSError:
        pass


@pytest.fixture
def short_timeouts() -> Runtime:
    return Runtime(retry=FAST_RETRY(), connect_timeout=1.0, read_timeout=1.0)


def test_a_server_that_never_answers_ends_in_a_clear_error(
    slow_server: Any,
    short_timeouts: Runtime,
    lab: tuple[Sandbox, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SB_API_ENDPOINT", slow_server().url)
    started = time.monotonic()
    code, out, err = plan(capsys, str(lab[1]), runtime=short_timeouts)
    elapsed = time.monotonic() - started
    assert code == 1 and out == ""
    *retries, last = err.splitlines()
    assert last.startswith("error: GET /v2/projects/rfranklin/rna-seq: no answer within 1s ")
    assert retries and all("no answer within 1s" in line for line in retries), err
    assert all("retrying in" in line and "(try 2 of 2" in line for line in retries), err
    assert elapsed < 10  # two attempts of 1 s each, and millisecond backoff


@pytest.mark.slow
def test_a_server_that_trickles_its_answer_is_cut_off(
    slow_server: Any,
    short_timeouts: Runtime,
    lab: tuple[Sandbox, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SB_API_ENDPOINT", slow_server(drip=True).url)
    started = time.monotonic()
    code, _, err = plan(capsys, str(lab[1]), runtime=short_timeouts)
    elapsed = time.monotonic() - started
    assert code == 1
    # Only the call's own deadline can end it before the server stops dripping (60 s); the
    # bound is loose so that a loaded machine cannot fail it.
    assert elapsed < 30, f"the call lasted {elapsed:.1f} s with a 1 s timeout ({err.strip()})"
