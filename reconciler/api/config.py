"""Where the API is and who we are: endpoint, token, TLS trust and timeouts, resolved once per
platform of a run, before any call.

Which (endpoint, token) pair serves a platform is decided by `trust.py`: only what the operator
set up (variables, the credentials file `~/.sevenbridges/credentials` or `SB_CREDENTIALS_FILE`,
`--profile` / `SB_PROFILE`, the allow-list) pairs a token with an endpoint; a manifest's
`platform` only selects a pair.

Safe defaults that cannot be turned off: plain `http:` only for loopback hosts, TLS always
verified (a custom CA bundle may replace the system trust store, nothing may disable it), and
the token is registered for redaction the moment it is read and never shown by a repr.
"""

from __future__ import annotations

import configparser
import logging
import os
import stat
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from reconciler.api.trust import (
    Pair,
    Setup,
    allow_list,
    env_suffix,
    normalise,
    pair_for,
    platform_key,
)
from reconciler.errors import ConfigError
from reconciler.redact import register_secret

logger = logging.getLogger(__name__)

# Whether a file's mode says who may read it: on Windows it does not (every file reads 0o666
# or 0o444, and chmod 600 changes nothing), so the credentials file's mode is not checked there.
MODES_TELL_READERS = os.name == "posix"
DEFAULT_CONNECT_TIMEOUT = 10.0
# Also the limit on a whole answer (`deadline.py`), and so the longest a call is silent: a
# server that never answers is announced after this long, and retried (`RetryPolicy`).
DEFAULT_READ_TIMEOUT = 20.0
# How long maintenance (503 code 0) is waited out; apply raises it to its --wait-timeout.
DEFAULT_MAINTENANCE_WAIT = 300.0


@dataclass(frozen=True)
class ApiConfig:
    """Everything the transport needs; `token` is left out of repr and comparisons."""

    endpoint: str  # ends in /v2, no trailing slash
    token: str = field(repr=False, compare=False)
    ca_bundle: str | None = None  # None: the system trust store (certifi via requests)
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    read_timeout: float = DEFAULT_READ_TIMEOUT
    maintenance_wait: float = DEFAULT_MAINTENANCE_WAIT
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


@dataclass(frozen=True)
class ConnectOptions:
    """How the operator chose to reach the platforms, the same for every platform of a run:
    `--profile`, `--ca-bundle` and `--trust-endpoint`, the credentials file and the variables
    (None: the default file, this process's environment), the timeouts, how long maintenance
    is waited out, and the platform the run is pinned to."""

    profile: str | None = None
    ca_bundle: str | None = None
    trusted: Sequence[str] = ()
    credentials_path: Path | None = None
    env: Mapping[str, str] | None = None
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    read_timeout: float = DEFAULT_READ_TIMEOUT
    maintenance_wait: float = DEFAULT_MAINTENANCE_WAIT
    # The platform key the run is pinned to (`--platform` / RECONCILER_PLATFORM): the one
    # platform SB_AUTH_TOKEN alone serves (None: the default platform).
    pinned: str | None = None


def resolve_config(
    platform: str | None = None,
    options: ConnectOptions | None = None,
    *,
    warn: Callable[[str], None] | None = None,
) -> ApiConfig:
    """The configuration of the one platform `platform` (a manifest's `platform`; None: the
    default)."""
    configs = resolve_platforms({platform_key(platform): (platform, "")}, options, warn=warn)
    return next(iter(configs.values()))


def resolve_platforms(
    platforms: Mapping[str, tuple[str | None, str]],
    options: ConnectOptions | None = None,
    *,
    warn: Callable[[str], None] | None = None,
) -> dict[str, ApiConfig]:
    """One configuration per platform of a run, all resolved before any call is made.

    `platforms` maps a platform key (`trust.platform_key`) to the `platform` value a manifest
    gave and the `FILE:LINE:COL` of that key. Every platform without a token is named in one
    error, and a token that would go to two endpoints is refused (a token is one platform's).
    """
    options = options or ConnectOptions()
    env = os.environ if options.env is None else options.env
    warn = warn or logger.warning
    path = options.credentials_path or default_credentials_path(env)
    setup = Setup(
        env=env,
        profiles=_read_credentials(path, warn),
        credentials_path=path,
        profile=options.profile or env.get("SB_PROFILE") or None,
        profile_from_flag=options.profile is not None,
        trusted=allow_list(options.trusted, env),
        pinned=options.pinned,
    )
    bundle = _ca_bundle(options.ca_bundle, env)
    pairs: dict[str, Pair] = {}
    missing: list[str] = []
    for key, (named, declared_at) in platforms.items():
        try:
            pairs[key] = pair_for(named, setup, declared_at=declared_at)
        except ConfigError as exc:
            missing.append(str(exc))
    if missing:
        raise ConfigError("; ".join(missing))
    _check_one_endpoint_per_token(pairs)
    return {
        key: ApiConfig(
            endpoint=pair.endpoint,
            token=pair.token,
            ca_bundle=bundle,
            connect_timeout=options.connect_timeout,
            read_timeout=options.read_timeout,
            maintenance_wait=options.maintenance_wait,
            endpoint_source=pair.endpoint_source,
            token_source=pair.token_source,
        )
        for key, pair in pairs.items()
    }


def _check_one_endpoint_per_token(pairs: Mapping[str, Pair]) -> None:
    by_source: dict[str, dict[str, str]] = {}
    for key, pair in pairs.items():
        by_source.setdefault(pair.token_source, {})[normalise(pair.endpoint)] = key
    for source, endpoints in by_source.items():
        if len(endpoints) > 1:
            served = ", ".join(f"{key} ({url})" for url, key in endpoints.items())
            names = " and ".join(f"SB_AUTH_TOKEN_{env_suffix(k)}" for k in endpoints.values())
            raise ConfigError(
                f"the token of {source} would go to {served}: a token belongs to one "
                f"platform; set {names} (or a profile named like each platform)"
            )


def _read_credentials(path: Path, warn: Callable[[str], None]) -> dict[str, dict[str, str]] | None:
    try:
        text = path.read_text(encoding="utf-8")
        mode = path.stat().st_mode
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read credentials file: {exc}") from None
    if MODES_TELL_READERS and mode & (stat.S_IRWXG | stat.S_IRWXO):
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
