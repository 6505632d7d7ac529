"""Endpoint trust end to end: a URL that a manifest names and nothing the operator set up trusts
gets no connection at all (a raw listening socket on its port accepts none), with one line
naming the manifest's `platform` key and how to trust it; trusted through the allow-list (the
option or the variable) it works; a run pinned to one platform refuses a manifest for another
before any connection."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.sandbox.server import Sandbox
from tests.apply.helpers import run_cli
from tests.conftest import MakeSandbox
from tests.platforms import PROJECTS, TOKENS, clean_environment, seed, write_manifest
from tests.reliability.proxy import HostileProxy
from tests.tls import self_signed_context

Capsys = pytest.CaptureFixture[str]


class Listener:
    """A raw TCP socket listening on loopback that never answers: whether anyone connected is
    read from its backlog, without waiting."""

    def __init__(self) -> None:
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(16)
        self.socket.setblocking(False)
        self.port = self.socket.getsockname()[1]
        self.url = f"https://127.0.0.1:{self.port}/v2"

    def connections(self) -> int:
        accepted = 0
        while True:
            try:
                connection, _ = self.socket.accept()
            except BlockingIOError:
                return accepted
            connection.close()
            accepted += 1


@pytest.fixture
def listener() -> Iterator[Listener]:
    found = Listener()
    yield found
    found.socket.close()


@pytest.mark.parametrize("command", [["plan"], ["apply", "--yes"]])
@pytest.mark.parametrize("with_sandbox_endpoint", [False, True])
def test_an_untrusted_manifest_url_gets_no_connection(
    listener: Listener,
    sandbox: Sandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: Capsys,
    command: list[str],
    with_sandbox_endpoint: bool,
) -> None:
    folder = tmp_path / "manifests"
    manifest = write_manifest(folder, listener.url)
    clean_environment(monkeypatch, tmp_path)
    monkeypatch.setenv("SB_AUTH_TOKEN", TOKENS["cgc"])
    if with_sandbox_endpoint:  # an operator's endpoint does not make the manifest's trusted
        monkeypatch.setenv("SB_API_ENDPOINT", sandbox.url)

    ran = run_cli(capsys, *command, "--state-dir", str(tmp_path / "s"), str(folder))

    assert ran.code == 1 and ran.out == ""
    assert ran.err == (
        f"error: {manifest}:2:1: platform {listener.url} is not an endpoint you trust (no "
        "SB_API_ENDPOINT, SB_API_ENDPOINT_<PLATFORM>, credentials profile or allow-list names "
        f"it), so nothing was sent to it; to trust it, pass --trust-endpoint {listener.url} or "
        "add it to RECONCILER_TRUSTED_ENDPOINTS\n"
    )
    assert listener.connections() == 0
    assert sandbox.request_log() == []


@pytest.fixture
def tls_lab(
    make_sandbox: MakeSandbox, tmp_path: Path
) -> Iterator[tuple[Sandbox, HostileProxy, Path]]:
    """A cgc lab reached at an https URL (a loopback TLS proxy in front of the sandbox)."""
    sandbox = make_sandbox(seed=seed("cgc"))
    context, cert = self_signed_context(tmp_path)
    with HostileProxy(sandbox.url, tls=context) as proxy:
        yield sandbox, proxy, cert


@pytest.mark.parametrize("how", ["option", "variable"])
def test_a_manifest_url_on_the_allow_list_is_used(
    tls_lab: tuple[Sandbox, HostileProxy, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: Capsys,
    how: str,
) -> None:
    _, proxy, cert = tls_lab
    folder = tmp_path / "manifests"
    write_manifest(folder, proxy.url, project=PROJECTS["cgc"])
    clean_environment(monkeypatch, tmp_path)
    monkeypatch.setenv("SB_AUTH_TOKEN", TOKENS["cgc"])
    trust = ["--trust-endpoint", proxy.url + "/"] if how == "option" else []
    if how == "variable":
        monkeypatch.setenv("RECONCILER_TRUSTED_ENDPOINTS", f"https://other.example/v2, {proxy.url}")

    ran = run_cli(
        capsys, "plan", "--detailed-exitcode", "--ca-bundle", str(cert), *trust, str(folder)
    )

    assert ran.code == 2, ran.err
    # The platform is named by its URL: no `at` line repeats it before the declaration rows.
    assert f"\n== {proxy.url}, project {PROJECTS['cgc']}: 3 to copy (3.0 kB)\n  {folder}" in ran.out
    assert proxy.seen  # every call went through the trusted URL


def test_a_manifest_url_named_by_a_platform_variable_pairs_with_its_token(
    tls_lab: tuple[Sandbox, HostileProxy, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: Capsys,
) -> None:
    _, proxy, cert = tls_lab
    folder = tmp_path / "manifests"
    write_manifest(folder, proxy.url, project=PROJECTS["cgc"])
    clean_environment(monkeypatch, tmp_path)
    monkeypatch.setenv("SB_API_ENDPOINT_LAB", proxy.url)
    monkeypatch.setenv("SB_AUTH_TOKEN_LAB", TOKENS["cgc"])
    monkeypatch.setenv("SB_AUTH_TOKEN", "not-this-one-0000000000")

    ran = run_cli(capsys, "plan", "--detailed-exitcode", "--ca-bundle", str(cert), str(folder))

    assert ran.code == 2, ran.err
    assert proxy.seen


@pytest.mark.parametrize("how", ["option", "variable"])
def test_a_pinned_run_refuses_a_manifest_for_another_platform_before_any_connection(
    listener: Listener,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: Capsys,
    how: str,
) -> None:
    folder = tmp_path / "manifests"
    write_manifest(folder, "cgc")
    other = write_manifest(folder, "cavatica")
    clean_environment(monkeypatch, tmp_path)
    monkeypatch.setenv("SB_API_ENDPOINT", f"http://127.0.0.1:{listener.port}/v2")
    monkeypatch.setenv("SB_AUTH_TOKEN", TOKENS["cgc"])
    pin = ["--platform", "cgc"] if how == "option" else []
    if how == "variable":
        monkeypatch.setenv("RECONCILER_PLATFORM", "cgc")

    ran = run_cli(capsys, "plan", *pin, str(folder))

    assert ran.code == 1 and ran.out == ""
    assert ran.err.startswith(
        f"error: {other}:2:1: platform cavatica (cavatica) is not this run's platform cgc "
        "(--platform / RECONCILER_PLATFORM)"
    )
    assert ran.err.count("\n") == 1
    assert listener.connections() == 0


def test_a_pinned_run_plans_its_own_platform(
    make_sandbox: MakeSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Capsys
) -> None:
    folder = tmp_path / "manifests"
    write_manifest(folder, "cgc")
    sandbox = make_sandbox(seed=seed("cgc"))
    clean_environment(monkeypatch, tmp_path)
    monkeypatch.setenv("SB_API_ENDPOINT", sandbox.url)
    monkeypatch.setenv("SB_AUTH_TOKEN", sandbox.token)

    ran = run_cli(capsys, "plan", "--detailed-exitcode", "--platform", "cgc", str(folder))

    assert ran.code == 2, ran.err


@pytest.mark.parametrize("command", [["plan"], ["apply", "--yes"]])
def test_the_general_token_never_goes_where_a_manifests_short_name_points(
    listener: Listener,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: Capsys,
    command: list[str],
) -> None:
    """SB_AUTH_TOKEN alone, unpinned, serves the default platform only: a manifest that names
    cgc is refused before any connection, even where the operator pointed cgc's endpoint."""
    folder = tmp_path / "manifests"
    manifest = write_manifest(folder, "cgc")
    clean_environment(monkeypatch, tmp_path)
    monkeypatch.setenv("SB_AUTH_TOKEN", TOKENS["cgc"])
    monkeypatch.setenv("SB_API_ENDPOINT_CGC", listener.url)

    ran = run_cli(capsys, *command, "--state-dir", str(tmp_path / "s"), str(folder))

    assert ran.code == 1 and ran.out == ""
    assert ran.err.count("\n") == 1 and ran.err.startswith(f"error: {manifest}:2:1: ")
    assert "SB_AUTH_TOKEN serves only aws-us" in ran.err
    assert "set SB_AUTH_TOKEN_CGC or put auth_token under [cgc]" in ran.err
    assert TOKENS["cgc"] not in ran.err
    assert listener.connections() == 0


def test_the_general_token_serves_the_pinned_platform_at_its_endpoint(
    make_sandbox: MakeSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Capsys
) -> None:
    folder = tmp_path / "manifests"
    write_manifest(folder, "cgc")
    sandbox = make_sandbox(seed=seed("cgc"))
    clean_environment(monkeypatch, tmp_path)
    monkeypatch.setenv("SB_AUTH_TOKEN", sandbox.token)
    monkeypatch.setenv("SB_API_ENDPOINT_CGC", sandbox.url)

    ran = run_cli(capsys, "plan", "--detailed-exitcode", "--platform", "cgc", str(folder))

    assert ran.code == 2, ran.err
