"""Where the API is and who we are: endpoint, token, TLS trust and timeouts, resolved once.

Endpoint, first found wins: `SB_API_ENDPOINT`; the manifest's `platform` (a short name or an
https URL); the chosen credentials profile's `api_endpoint`; `aws-us`. Token: `SB_AUTH_TOKEN`,
else `auth_token` from the credentials file (`~/.sevenbridges/credentials`, or
`SB_CREDENTIALS_FILE`) in the profile named by `--profile` / `SB_PROFILE`, else the profile
named like the manifest's platform when the file has one, else `[default]`.

Safe defaults that cannot be turned off: plain `http:` only for loopback hosts, TLS always
verified (a custom CA bundle may replace the system trust store, nothing may disable it), and
the token is registered for redaction the moment it is read and never shown by a repr.
"""

from __future__ import annotations

import configparser
import ipaddress
import logging
import os
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from reconciler.errors import ConfigError
from reconciler.manifest.models import PLATFORMS
from reconciler.redact import register_secret

logger = logging.getLogger(__name__)

DEFAULT_PLATFORM = "aws-us"
DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_READ_TIMEOUT = 60.0


@dataclass(frozen=True)
class ApiConfig:
    """Everything the transport needs; `token` is left out of repr and comparisons."""

    endpoint: str  # ends in /v2, no trailing slash
    token: str = field(repr=False, compare=False)
    ca_bundle: str | None = None  # None: the system trust store (certifi via requests)
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    read_timeout: float = DEFAULT_READ_TIMEOUT
    # Where each value came from, for `--verbose` and error messages.
    endpoint_source: str = ""
    token_source: str = ""

    def __post_init__(self) -> None:
        # However a config was made (tests, other tools), its token is a secret from now on.
        register_secret(self.token)

    @property
    def timeout(self) -> tuple[float, float]:
        return (self.connect_timeout, self.read_timeout)


def default_credentials_path(env: Mapping[str, str]) -> Path:
    explicit = env.get("SB_CREDENTIALS_FILE")
    if explicit:
        return Path(explicit)
    return Path.home() / ".sevenbridges" / "credentials"


def resolve_config(
    *,
    platform: str | None = None,
    profile: str | None = None,
    ca_bundle: str | None = None,
    credentials_path: Path | None = None,
    env: Mapping[str, str] | None = None,
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
    read_timeout: float = DEFAULT_READ_TIMEOUT,
    warn: Callable[[str], None] | None = None,
) -> ApiConfig:
    """Resolve endpoint, token and trust for one run (see the module docstring for the order).

    `platform` is the manifests' `platform` (all manifests of a run must agree; the caller
    checks that); `profile` is `--profile`; `ca_bundle` is `--ca-bundle`.
    """
    env = os.environ if env is None else env
    warn = warn or logger.warning
    path = credentials_path or default_credentials_path(env)
    profiles = _read_credentials(path, warn)

    chosen_profile = profile or env.get("SB_PROFILE") or None
    if chosen_profile is not None and profiles is not None and chosen_profile not in profiles:
        raise ConfigError(f"{path}: no profile [{chosen_profile}] (found: {_names(profiles)})")
    if chosen_profile is None and profiles is not None:
        if platform in PLATFORMS and platform in profiles:
            chosen_profile = platform
        elif "default" in profiles:
            chosen_profile = "default"
    section = (profiles or {}).get(chosen_profile or "", {})

    endpoint, endpoint_source = _endpoint(env, platform, section, chosen_profile, path)
    token, token_source = _token(env, section, chosen_profile, path, profile_wanted=profile)
    register_secret(token)
    return ApiConfig(
        endpoint=endpoint,
        token=token,
        ca_bundle=_ca_bundle(ca_bundle, env),
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        endpoint_source=endpoint_source,
        token_source=token_source,
    )


def _names(profiles: Mapping[str, object]) -> str:
    return ", ".join(sorted(profiles)) or "none"


def _read_credentials(path: Path, warn: Callable[[str], None]) -> dict[str, dict[str, str]] | None:
    try:
        text = path.read_text(encoding="utf-8")
        mode = path.stat().st_mode
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read credentials file: {exc}") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        warn(
            f"{path}: credentials file is accessible by group or others "
            f"(mode {stat.S_IMODE(mode):o}); run: chmod 600 {path}"
        )
    parser = configparser.ConfigParser(interpolation=None, default_section="\x00none")
    try:
        parser.read_string(text, source=str(path))
    except configparser.Error as exc:
        # The parser's message may quote a line of the file, which may hold a token.
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ConfigError(f"{path}: not a valid INI credentials file ({first})") from None
    profiles = {name: dict(parser[name]) for name in parser.sections()}
    for values in profiles.values():
        register_secret(values.get("auth_token"))
    return profiles


def _endpoint(
    env: Mapping[str, str],
    platform: str | None,
    section: Mapping[str, str],
    profile: str | None,
    path: Path,
) -> tuple[str, str]:
    if env.get("SB_API_ENDPOINT"):
        raw, source = env["SB_API_ENDPOINT"], "SB_API_ENDPOINT"
    elif platform:
        raw, source = PLATFORMS.get(platform, platform), f"manifest platform {platform!r}"
    elif section.get("api_endpoint"):
        raw, source = section["api_endpoint"], f"{path} [{profile}] api_endpoint"
    else:
        raw, source = PLATFORMS[DEFAULT_PLATFORM], f"default platform {DEFAULT_PLATFORM}"
    return check_endpoint(raw, source), source


def check_endpoint(raw: str, source: str = "endpoint") -> str:
    """Normalise an endpoint URL and refuse plain http for anything but loopback."""
    url = raw.strip().rstrip("/")
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        _ = parts.port  # raises on a malformed port
    except ValueError as exc:
        raise ConfigError(f"{source}: not a valid URL {url!r}: {exc}") from None
    if parts.scheme not in ("http", "https") or not host:
        raise ConfigError(f"{source}: not an http(s) URL: {url!r}")
    if parts.username or parts.password:
        raise ConfigError(f"{source}: credentials in the endpoint URL are not allowed")
    if parts.scheme == "http" and not is_loopback(host):
        raise ConfigError(
            f"{source}: plain http is allowed only for loopback hosts, not {host!r}; use https"
        )
    return url


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _token(
    env: Mapping[str, str],
    section: Mapping[str, str],
    profile: str | None,
    path: Path,
    *,
    profile_wanted: str | None,
) -> tuple[str, str]:
    if env.get("SB_AUTH_TOKEN"):
        return env["SB_AUTH_TOKEN"].strip(), "SB_AUTH_TOKEN"
    token = section.get("auth_token", "").strip()
    if token:
        return token, f"{path} [{profile}]"
    where = f"[{profile}] in {path}" if profile else f"a [default] profile in {path}"
    hint = "" if path.exists() else " (the file does not exist)"
    wanted = f" (profile {profile_wanted!r} from --profile)" if profile_wanted else ""
    raise ConfigError(
        f"no API token: set SB_AUTH_TOKEN or put auth_token under {where}{hint}{wanted}"
    )


def _ca_bundle(explicit: str | None, env: Mapping[str, str]) -> str | None:
    """`--ca-bundle`, `SB_CA_BUNDLE`, then REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE as requests does.

    Resolved here, not left to requests, so that a missing file is a clear error up front and
    so that the value is always a path: nothing here can produce `verify=False`.
    """
    for source, value in (
        ("--ca-bundle", explicit),
        ("SB_CA_BUNDLE", env.get("SB_CA_BUNDLE")),
        ("REQUESTS_CA_BUNDLE", env.get("REQUESTS_CA_BUNDLE")),
        ("CURL_CA_BUNDLE", env.get("CURL_CA_BUNDLE")),
    ):
        if value:
            if not Path(value).exists():
                raise ConfigError(f"{source}: CA bundle {value!r} does not exist")
            return value
    return None
