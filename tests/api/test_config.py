"""Endpoint, token and trust resolution with real temporary credentials files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reconciler.api import config as api_config
from reconciler.api.client import ApiClient
from reconciler.api.config import ApiConfig, ConnectOptions, resolve_config
from reconciler.errors import ConfigError
from reconciler.redact import redact

FILE_TOKEN = "file-token-aaaaaaaaaaaaaaaa"


def config_for(
    platform: str | None = None, *, warn: Callable[[str], None] | None = None, **options: Any
) -> ApiConfig:
    return resolve_config(platform, ConnectOptions(**options), warn=warn)


def credentials(tmp_path: Path, text: str, mode: int = 0o600) -> Path:
    path = tmp_path / "credentials"
    path.write_text(text)
    path.chmod(mode)
    return path


PROFILES = f"""
[default]
api_endpoint = https://api.sbgenomics.com/v2
auth_token = {FILE_TOKEN}

[cgc]
api_endpoint = https://cgc-api.sbgenomics.com/v2
auth_token = cgc-token-bbbbbbbbbbbbbbbb

[work]
api_endpoint = https://work.example.org/v2
auth_token = work-token-cccccccccccccccc
"""


def test_environment_wins(tmp_path: Path) -> None:
    env = {"SB_AUTH_TOKEN": "env-token-dddddddddddd", "SB_API_ENDPOINT": "http://127.0.0.1:9/v2/"}
    config = config_for(platform="cgc", credentials_path=credentials(tmp_path, PROFILES), env=env)
    assert config.endpoint == "http://127.0.0.1:9/v2"
    assert config.token == "env-token-dddddddddddd"
    assert config.token_source == "SB_AUTH_TOKEN"


def test_platform_picks_endpoint_and_matching_profile(tmp_path: Path) -> None:
    config = config_for(platform="cgc", credentials_path=credentials(tmp_path, PROFILES), env={})
    assert config.endpoint == "https://cgc-api.sbgenomics.com/v2"
    assert config.token == "cgc-token-bbbbbbbbbbbbbbbb"


def test_profile_option_then_env_then_default(tmp_path: Path) -> None:
    path = credentials(tmp_path, PROFILES)
    chosen = config_for(profile="work", credentials_path=path, env={"SB_PROFILE": "cgc"})
    assert (chosen.endpoint, chosen.token) == (
        "https://work.example.org/v2",
        "work-token-cccccccccccccccc",
    )
    from_env = config_for(credentials_path=path, env={"SB_PROFILE": "cgc"})
    assert from_env.token == "cgc-token-bbbbbbbbbbbbbbbb"
    default = config_for(credentials_path=path, env={})
    assert default.token == FILE_TOKEN and default.endpoint == "https://api.sbgenomics.com/v2"


def test_a_profile_token_goes_to_its_own_endpoint_whatever_the_manifest_says(
    tmp_path: Path,
) -> None:
    path = credentials(tmp_path, PROFILES)
    config = config_for(platform="aws-eu", profile="work", credentials_path=path, env={})
    assert config.endpoint == "https://work.example.org/v2"
    assert config.token == "work-token-cccccccccccccccc"


def test_default_platform_without_anything_but_a_token(tmp_path: Path) -> None:
    config = config_for(credentials_path=tmp_path / "none", env={"SB_AUTH_TOKEN": "t-eeeeeeeeeeee"})
    assert config.endpoint == "https://api.sbgenomics.com/v2"


def test_missing_token_says_where_it_looked(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        config_for(credentials_path=tmp_path / "credentials", env={})
    message = str(caught.value)
    assert "SB_AUTH_TOKEN" in message and str(tmp_path / "credentials") in message
    assert "does not exist" in message


def test_unknown_profile(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"no profile \[nope\] \(found: cgc, default, work\)"):
        config_for(profile="nope", credentials_path=credentials(tmp_path, PROFILES), env={})


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8080/v2", "http://127.1.2.3/v2", "http://[::1]:9/v2", "http://localhost/v2"],
)
def test_plain_http_allowed_for_loopback(url: str) -> None:
    env = {"SB_API_ENDPOINT": url, "SB_AUTH_TOKEN": "t-ffffffffffff"}
    assert config_for(env=env, credentials_path=Path("/nonexistent")).endpoint == url


@pytest.mark.parametrize(
    "url", ["http://api.sbgenomics.com/v2", "http://10.0.0.1/v2", "ftp://127.0.0.1/v2"]
)
def test_plain_http_refused_elsewhere(url: str) -> None:
    env = {"SB_API_ENDPOINT": url, "SB_AUTH_TOKEN": "t-ffffffffffff"}
    with pytest.raises(ConfigError, match="SB_API_ENDPOINT"):
        config_for(env=env, credentials_path=Path("/nonexistent"))


def test_readable_credentials_file_warns(tmp_path: Path) -> None:
    warnings: list[str] = []
    path = credentials(tmp_path, PROFILES, mode=0o644)
    config_for(credentials_path=path, env={}, warn=warnings.append)
    assert len(warnings) == 1 and "chmod 600" in warnings[0] and "644" in warnings[0]
    private = credentials(tmp_path, PROFILES, mode=0o600)
    warnings.clear()
    config_for(credentials_path=private, env={}, warn=warnings.append)
    assert warnings == []


def test_on_windows_the_mode_of_the_credentials_file_is_not_held_against_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every file reads 0o666 there, and chmod 600 would change nothing."""
    monkeypatch.setattr(api_config, "MODES_TELL_READERS", False)
    warnings: list[str] = []
    path = credentials(tmp_path, PROFILES, mode=0o666)
    config_for(credentials_path=path, env={}, warn=warnings.append)
    assert warnings == []


def test_credentials_path_from_environment(tmp_path: Path) -> None:
    path = credentials(tmp_path, PROFILES)
    assert config_for(env={"SB_CREDENTIALS_FILE": str(path)}).token == FILE_TOKEN


def test_broken_ini_does_not_echo_its_content(tmp_path: Path) -> None:
    path = credentials(tmp_path, f"auth_token = {FILE_TOKEN}-leak\n[default\n")
    with pytest.raises(ConfigError) as caught:
        config_for(credentials_path=path, env={})
    assert "not a valid INI" in str(caught.value) and FILE_TOKEN not in str(caught.value)


def test_token_hidden_from_repr_and_registered_for_redaction(tmp_path: Path) -> None:
    config = config_for(credentials_path=credentials(tmp_path, PROFILES), env={})
    assert FILE_TOKEN not in repr(config) and FILE_TOKEN not in str(config)
    assert redact(f"x {FILE_TOKEN} y") == "x [redacted] y"


def test_ca_bundle_must_exist(tmp_path: Path) -> None:
    env = {"SB_AUTH_TOKEN": "t-ffffffffffff", "SB_CA_BUNDLE": str(tmp_path / "missing.pem")}
    with pytest.raises(ConfigError, match="SB_CA_BUNDLE"):
        config_for(env=env, credentials_path=tmp_path / "none")
    bundle = tmp_path / "ca.pem"
    bundle.write_text("x")
    env = {"SB_AUTH_TOKEN": "t-ffffffffffff", "REQUESTS_CA_BUNDLE": str(bundle)}
    assert config_for(env=env, credentials_path=tmp_path / "none").ca_bundle == str(bundle)


def test_the_maintenance_wait_reaches_the_clients_retry_policy(tmp_path: Path) -> None:
    env = {"SB_AUTH_TOKEN": "t-ffffffffffff", "SB_API_ENDPOINT": "http://127.0.0.1:9/v2"}
    default = config_for(env=env, credentials_path=tmp_path / "none")
    longer = config_for(env=env, credentials_path=tmp_path / "none", maintenance_wait=3600.0)
    with ApiClient(default) as one, ApiClient(longer) as other:
        assert one.transport.retry.maintenance_deadline == 300.0
        assert other.transport.retry.maintenance_deadline == 3600.0
