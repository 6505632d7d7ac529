"""Which (endpoint, token) pair serves a platform: trust is what the operator set up, never what a
manifest says.

A manifest's `platform` only selects a pair. The pairs, first found wins, for a known short name
S (env suffix N: S in capitals, `-` as `_`; official host H):

1. `SB_AUTH_TOKEN_<N>`, sent to `SB_API_ENDPOINT_<N>`, else `SB_API_ENDPOINT`, else H;
2. `SB_AUTH_TOKEN` when `SB_API_ENDPOINT` is set, sent there: that endpoint serves every
   platform (the sandbox, a proxy);
3. the profile named by `--profile` / `SB_PROFILE`: its token, sent to an operator-set
   endpoint variable, else its `api_endpoint`, else H;
4. the profile `[S]`, the same way;
5. `SB_AUTH_TOKEN` alone, for one platform only: the one the run is pinned to (`--platform`,
   `RECONCILER_PLATFORM`), else the default platform (aws-us); sent to `SB_API_ENDPOINT_<N>`
   when set, else H. A manifest that names another short name needs that platform's own pair
   (`SB_AUTH_TOKEN_<N>`, a profile): otherwise the general token would go to whichever host
   the manifest's author chose;
6. `[default]`, the same way as 3, except that a `[default]` whose `api_endpoint` is another
   platform's official host is not used for S (its token belongs to that platform).

A manifest without `platform` is S = aws-us, and any `[default]` serves it. A URL that is a
platform's official host is that platform. Any other URL is used only when the operator names
it: an `SB_API_ENDPOINT*` variable (with its own token), a profile's `api_endpoint` (with the
profile's token), or the allow-list (`--trust-endpoint`, `RECONCILER_TRUSTED_ENDPOINTS`), which
pairs it with the general token (`SB_AUTH_TOKEN`, the chosen profile, `[default]`). A URL
nobody names is refused here, before any client exists: no exception for loopback.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from reconciler.core.platforms import DEFAULT_PLATFORM, PLATFORMS
from reconciler.errors import ConfigError

TRUSTED_ENDPOINTS_VARIABLE = "RECONCILER_TRUSTED_ENDPOINTS"
ENDPOINT_VARIABLE = "SB_API_ENDPOINT"
TOKEN_VARIABLE = "SB_AUTH_TOKEN"

Profiles = Mapping[str, Mapping[str, str]]


@dataclass(frozen=True, slots=True)
class Pair:
    """An endpoint and the token it may receive, with where each came from."""

    endpoint: str
    token: str = field(repr=False, compare=False)
    endpoint_source: str
    token_source: str


@dataclass(frozen=True, slots=True)
class Setup:
    """What the operator set up: the environment, the credentials file, the chosen profile
    and the allow-list (normalised endpoints)."""

    env: Mapping[str, str]
    profiles: Profiles | None  # None: the credentials file does not exist
    credentials_path: Path
    profile: str | None = None  # --profile, else SB_PROFILE
    profile_from_flag: bool = False
    trusted: tuple[str, ...] = ()
    pinned: str | None = None  # the platform key the run is pinned to; SB_AUTH_TOKEN serves it


def env_suffix(platform: str) -> str:
    """`aws-us` -> `AWS_US`: how a platform is spelled in variable names."""
    return re.sub(r"[^A-Z0-9]", "_", platform.upper())


def platform_key(platform: str | None) -> str:
    """The platform a manifest's `platform` names: a short name (an official URL counts as its
    short name, no platform as aws-us), else the normalised URL."""
    if platform is None:
        return DEFAULT_PLATFORM
    if platform in PLATFORMS:
        return platform
    url = normalise(platform)
    for name, official in PLATFORMS.items():
        if url == normalise(official):
            return name
    return url


def normalise(url: str) -> str:
    """An endpoint as compared: no trailing slash, scheme and host in lower case."""
    url = url.strip().rstrip("/")
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    return parts._replace(scheme=parts.scheme.lower(), netloc=parts.netloc.lower()).geturl()


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


def allow_list(flags: Iterable[str], env: Mapping[str, str]) -> tuple[str, ...]:
    """`--trust-endpoint` values and `RECONCILER_TRUSTED_ENDPOINTS` (commas or spaces)."""
    found = [(f"--trust-endpoint {u}", u) for u in flags]
    listed = env.get(TRUSTED_ENDPOINTS_VARIABLE, "")
    found += [(TRUSTED_ENDPOINTS_VARIABLE, u) for u in re.split(r"[\s,]+", listed) if u]
    return tuple(normalise(check_endpoint(url, source)) for source, url in found)


class _Search:
    """One platform's search for a token: what was read, for the error when nothing is found."""

    def __init__(self, setup: Setup) -> None:
        self.setup = setup
        self.variables: list[str] = []
        self.profiles: list[str] = []
        self.notes: list[str] = []

    def variable(self, name: str) -> str | None:
        if name not in self.variables:
            self.variables.append(name)
        value = self.setup.env.get(name, "").strip()
        return value or None

    def profile(self, name: str) -> Mapping[str, str] | None:
        """The profile's values when it holds a token."""
        if f"[{name}]" not in self.profiles:
            self.profiles.append(f"[{name}]")
        section = (self.setup.profiles or {}).get(name)
        if section is None or not section.get("auth_token", "").strip():
            return None
        return section

    def where(self) -> str:
        places = list(self.variables)
        if self.profiles:
            path = self.setup.credentials_path
            missing = " (the file does not exist)" if self.setup.profiles is None else ""
            names = ", ".join(self.profiles[:-1])
            names = f"{names} and {self.profiles[-1]}" if names else self.profiles[-1]
            places.append(f"{names} in {path}{missing}")
        notes = f"; {'; '.join(self.notes)}" if self.notes else ""
        return ", ".join(places) + notes


def pair_for(platform: str | None, setup: Setup, *, declared_at: str = "") -> Pair:
    """The pair that serves the manifests naming `platform` (see the module docstring).

    `declared_at` is the `FILE:LINE:COL` of a manifest's `platform` key, for the errors."""
    subject = f"{declared_at}: " if declared_at else ""
    _check_profile_exists(setup)
    key = platform_key(platform)
    if key in PLATFORMS:
        return _short_name(key, setup, subject, named=platform is not None)
    return _url(key, setup, subject)


def _check_profile_exists(setup: Setup) -> None:
    chosen = setup.profile
    if chosen is not None and setup.profiles is not None and chosen not in setup.profiles:
        names = ", ".join(sorted(setup.profiles)) or "none"
        raise ConfigError(f"{setup.credentials_path}: no profile [{chosen}] (found: {names})")


def _endpoint_override(env: Mapping[str, str], suffix: str) -> tuple[str, str] | None:
    for name in (f"{ENDPOINT_VARIABLE}_{suffix}", ENDPOINT_VARIABLE):
        value = env.get(name, "").strip()
        if value:
            return check_endpoint(value, name), name
    return None


def _short_name(name: str, setup: Setup, subject: str, *, named: bool) -> Pair:
    suffix = env_suffix(name)
    official = PLATFORMS[name]
    search = _Search(setup)
    override = _endpoint_override(setup.env, suffix)

    def pair(token: str, token_source: str, own: str | None, own_source: str) -> Pair:
        if override is not None:
            return Pair(override[0], token, override[1], token_source)
        if own:
            return Pair(check_endpoint(own, own_source), token, own_source, token_source)
        return Pair(official, token, f"official endpoint of {name}", token_source)

    token = search.variable(f"{TOKEN_VARIABLE}_{suffix}")
    if token:
        return pair(token, f"{TOKEN_VARIABLE}_{suffix}", None, "")
    general = setup.env.get(TOKEN_VARIABLE, "").strip()
    shared = setup.env.get(ENDPOINT_VARIABLE, "").strip()
    if general and shared:
        # The pair of the two variables, whatever SB_API_ENDPOINT_<N> says.
        search.variable(TOKEN_VARIABLE)
        endpoint = check_endpoint(shared, ENDPOINT_VARIABLE)
        return Pair(endpoint, general, ENDPOINT_VARIABLE, TOKEN_VARIABLE)
    path = setup.credentials_path
    candidates = [setup.profile] if setup.profile else []
    candidates.append(name)
    for profile in candidates:
        section = search.profile(profile)
        if section is not None:
            return pair(
                section["auth_token"].strip(),
                f"{path} [{profile}]",
                section.get("api_endpoint"),
                f"{path} [{profile}] api_endpoint",
            )
    serves = setup.pinned or DEFAULT_PLATFORM
    token = search.variable(TOKEN_VARIABLE)
    if token and name == serves:
        return pair(token, TOKEN_VARIABLE, None, "")
    if token:
        why = "the pinned platform" if setup.pinned else "the default platform, unpinned"
        search.notes.append(f"{TOKEN_VARIABLE} serves only {serves} ({why})")
    section = search.profile("default")
    if section is not None:
        own = section.get("api_endpoint")
        other = platform_key(own) if own else name
        if override is None and named and other in PLATFORMS and other != name:
            search.notes.append(f"[default] is for {other} (its api_endpoint), not {name}")
        else:
            return pair(
                section["auth_token"].strip(),
                f"{path} [default]",
                own,
                f"{path} [default] api_endpoint",
            )
    hint = f"set {TOKEN_VARIABLE}_{suffix} or put auth_token under [{name}] in {path}"
    if setup.profile_from_flag and setup.profile:
        hint += f" (profile {setup.profile!r} from --profile)"
    raise ConfigError(f"{subject}no API token for {name}: looked in {search.where()}; {hint}")


def _url(url: str, setup: Setup, subject: str) -> Pair:
    """A URL that is no platform's official host: only a pair or the allow-list may name it."""
    env, path = setup.env, setup.credentials_path
    # Who names it without a token of its own: that does not make it trusted with another one.
    unpaired: list[str] = []
    search = _Search(setup)
    # An endpoint variable that names it, with its own token.
    variables = sorted(n for n in env if n.startswith(f"{ENDPOINT_VARIABLE}_"))
    for name in [ENDPOINT_VARIABLE, *variables]:
        value = env.get(name, "").strip()
        if value and normalise(value) == url:
            token_name = TOKEN_VARIABLE + name[len(ENDPOINT_VARIABLE) :]
            token = search.variable(token_name)
            if token:
                return Pair(check_endpoint(value, name), token, name, token_name)
            unpaired.append(f"{name} names it but {token_name} is not set")
    # A profile whose api_endpoint names it, with the profile's token.
    profiles = setup.profiles or {}
    order = [p for p in (setup.profile, "default") if p] + sorted(profiles)
    for profile in dict.fromkeys(order):
        section = profiles.get(profile, {})
        own = section.get("api_endpoint", "")
        if own and normalise(own) == url:
            source = f"{path} [{profile}] api_endpoint"
            found = search.profile(profile)
            if found is not None:
                token = found["auth_token"].strip()
                return Pair(check_endpoint(own, source), token, source, f"{path} [{profile}]")
            unpaired.append(f"[{profile}] in {path} names it but has no auth_token")
    if url not in setup.trusted:
        if unpaired:
            raise ConfigError(
                f"{subject}no API token for {url}: {'; '.join(unpaired)}; set that token, or "
                f"pass --trust-endpoint {url} to send it {TOKEN_VARIABLE} or the chosen "
                "profile's token"
            )
        raise ConfigError(
            f"{subject}platform {url} is not an endpoint you trust (no {ENDPOINT_VARIABLE}, "
            f"{ENDPOINT_VARIABLE}_<PLATFORM>, credentials profile or allow-list names it), so "
            f"nothing was sent to it; to trust it, pass --trust-endpoint {url} or add it to "
            f"{TRUSTED_ENDPOINTS_VARIABLE}"
        )
    # On the allow-list: the operator trusts it with the general token.
    endpoint = check_endpoint(url, f"{subject}platform")
    source = f"platform {url} (trusted by the allow-list)"
    general = search.variable(TOKEN_VARIABLE)
    if general:
        return Pair(endpoint, general, source, TOKEN_VARIABLE)
    for profile in [p for p in (setup.profile, "default") if p]:
        chosen = search.profile(profile)
        if chosen is not None:
            return Pair(endpoint, chosen["auth_token"].strip(), source, f"{path} [{profile}]")
    raise ConfigError(
        f"{subject}no API token for {url}: looked in {search.where()}; set {TOKEN_VARIABLE} "
        f"or name {url} as api_endpoint of a profile with its auth_token"
    )
