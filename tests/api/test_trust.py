"""Which (endpoint, token) pair serves a platform: a table of what the operator set up and what
a manifest names, against the pair chosen or the refusal (`reconciler/api/trust.py`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path

import pytest

from reconciler.api.trust import Setup, allow_list, env_suffix, pair_for, platform_key
from reconciler.errors import ConfigError

CGC = "https://cgc-api.sbgenomics.com/v2"
AWS_US = "https://api.sbgenomics.com/v2"
PRIVATE = "https://sb.private.example/v2"
PATH = Path("/home/u/.sevenbridges/credentials")


def setup(
    env: Mapping[str, str] | None = None,
    profiles: Mapping[str, Mapping[str, str]] | None = None,
    *,
    profile: str | None = None,
    trusted: tuple[str, ...] = (),
    pinned: str | None = None,
) -> Setup:
    return Setup(
        env=env or {},
        profiles=profiles,
        credentials_path=PATH,
        profile=profile,
        profile_from_flag=profile is not None,
        trusted=trusted,
        pinned=pinned,
    )


@pytest.mark.parametrize(
    ("platform", "operator", "expected"),
    [
        # The platform's own variables, and its own endpoint variable first.
        ("cgc", setup({"SB_AUTH_TOKEN_CGC": "t1"}), (CGC, "t1", "SB_AUTH_TOKEN_CGC")),
        (
            "cgc",
            setup({"SB_AUTH_TOKEN_CGC": "t1", "SB_API_ENDPOINT_CGC": "http://127.0.0.1:9/v2"}),
            ("http://127.0.0.1:9/v2", "t1", "SB_AUTH_TOKEN_CGC"),
        ),
        # The operator's SB_API_ENDPOINT serves every platform (sandbox, proxy).
        (
            "cgc",
            setup({"SB_AUTH_TOKEN": "t", "SB_API_ENDPOINT": "http://127.0.0.1:8/v2"}),
            ("http://127.0.0.1:8/v2", "t", "SB_AUTH_TOKEN"),
        ),
        # ... and SB_AUTH_TOKEN goes there only, never to another platform's endpoint.
        (
            "cgc",
            setup(
                {
                    "SB_AUTH_TOKEN": "t",
                    "SB_API_ENDPOINT": "http://127.0.0.1:8/v2",
                    "SB_API_ENDPOINT_CGC": "http://127.0.0.1:9/v2",
                }
            ),
            ("http://127.0.0.1:8/v2", "t", "SB_AUTH_TOKEN"),
        ),
        # A profile named like the platform beats SB_AUTH_TOKEN alone.
        (
            "cgc",
            setup({"SB_AUTH_TOKEN": "t"}, {"cgc": {"auth_token": "p"}}),
            (CGC, "p", f"{PATH} [cgc]"),
        ),
        # SB_AUTH_TOKEN alone serves the pinned platform, at its official host ...
        ("cgc", setup({"SB_AUTH_TOKEN": "t"}, pinned="cgc"), (CGC, "t", "SB_AUTH_TOKEN")),
        # ... or at the platform's endpoint variable when the operator set one ...
        (
            "cgc",
            setup({"SB_AUTH_TOKEN": "t", "SB_API_ENDPOINT_CGC": PRIVATE}, pinned="cgc"),
            (PRIVATE, "t", "SB_AUTH_TOKEN"),
        ),
        # ... and, unpinned, the default platform.
        (None, setup({"SB_AUTH_TOKEN": "t"}), (AWS_US, "t", "SB_AUTH_TOKEN")),
        ("aws-us", setup({"SB_AUTH_TOKEN": "t"}), (AWS_US, "t", "SB_AUTH_TOKEN")),
        # A URL that is an official host is that platform.
        (CGC + "/", setup({"SB_AUTH_TOKEN_CGC": "t1"}), (CGC, "t1", "SB_AUTH_TOKEN_CGC")),
        # A profile's token goes to its own api_endpoint.
        (
            "cgc",
            setup({}, {"cgc": {"auth_token": "p", "api_endpoint": PRIVATE}}),
            (PRIVATE, "p", f"{PATH} [cgc]"),
        ),
        # No platform: aws-us, and [default] serves it with its own endpoint.
        (
            None,
            setup({}, {"default": {"auth_token": "d", "api_endpoint": CGC}}),
            (CGC, "d", f"{PATH} [default]"),
        ),
        # A URL named by a platform's endpoint variable gets that platform's token.
        (
            PRIVATE,
            setup({"SB_API_ENDPOINT_LAB": PRIVATE, "SB_AUTH_TOKEN_LAB": "l", "SB_AUTH_TOKEN": "t"}),
            (PRIVATE, "l", "SB_AUTH_TOKEN_LAB"),
        ),
        # A URL named by a profile's api_endpoint gets the profile's token.
        (
            PRIVATE,
            setup({"SB_AUTH_TOKEN": "t"}, {"lab": {"auth_token": "p", "api_endpoint": PRIVATE}}),
            (PRIVATE, "p", f"{PATH} [lab]"),
        ),
        # A URL on the allow-list gets the general token.
        (
            PRIVATE,
            setup({"SB_AUTH_TOKEN": "t"}, trusted=(PRIVATE,)),
            (PRIVATE, "t", "SB_AUTH_TOKEN"),
        ),
    ],
)
def test_the_pair_chosen(
    platform: str | None, operator: Setup, expected: tuple[str, str, str]
) -> None:
    pair = pair_for(platform, operator)
    assert (pair.endpoint, pair.token, pair.token_source) == expected


@pytest.mark.parametrize(
    ("platform", "operator", "serves"),
    [
        ("cgc", setup({"SB_AUTH_TOKEN": "t"}), "aws-us (the default platform, unpinned)"),
        (
            "cgc",
            setup({"SB_AUTH_TOKEN": "t", "SB_API_ENDPOINT_CGC": PRIVATE}),
            "aws-us (the default platform, unpinned)",
        ),
        (None, setup({"SB_AUTH_TOKEN": "t"}, pinned="cgc"), "cgc (the pinned platform)"),
    ],
)
def test_sb_auth_token_alone_never_goes_to_a_platform_a_manifest_chose(
    platform: str | None, operator: Setup, serves: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        pair_for(platform, operator, declared_at="m.yaml:2:1")
    message = str(caught.value)
    other = platform or "aws-us"
    assert message.startswith(f"m.yaml:2:1: no API token for {other}: ")
    assert f"SB_AUTH_TOKEN serves only {serves}" in message
    assert f"set SB_AUTH_TOKEN_{env_suffix(other)} or put auth_token under [{other}]" in message
    assert "\n" not in message


def test_a_platforms_own_pair_serves_it_beside_the_general_token() -> None:
    operator = setup({"SB_AUTH_TOKEN": "t", "SB_AUTH_TOKEN_CGC": "c"})
    assert pair_for("cgc", operator).token == "c"
    assert pair_for(None, operator).token == "t"
    profiled = setup({"SB_AUTH_TOKEN": "t"}, {"cgc": {"auth_token": "p"}})
    assert pair_for("cgc", profiled).token == "p"


def test_a_default_profile_of_another_platform_is_not_used() -> None:
    operator = setup({}, {"default": {"auth_token": "d", "api_endpoint": AWS_US}})
    with pytest.raises(ConfigError) as caught:
        pair_for("cgc", operator, declared_at="m.yaml:2:1")
    assert str(caught.value).startswith(
        f"m.yaml:2:1: no API token for cgc: looked in SB_AUTH_TOKEN_CGC, SB_AUTH_TOKEN, [cgc] "
        f"and [default] in {PATH}; [default] is for aws-us (its api_endpoint), not cgc; "
    )


@pytest.mark.parametrize(
    "operator",
    [
        setup({"SB_AUTH_TOKEN": "t"}),
        setup({"SB_AUTH_TOKEN": "t", "SB_API_ENDPOINT": "http://127.0.0.1:8/v2"}),
        setup({"SB_AUTH_TOKEN": "t"}, {"default": {"auth_token": "d", "api_endpoint": CGC}}),
        setup({"SB_AUTH_TOKEN": "t"}, trusted=("https://sb.private.example/v3",)),
    ],
    ids=["token only", "SB_API_ENDPOINT elsewhere", "a profile elsewhere", "another URL trusted"],
)
def test_a_url_nobody_names_is_refused(operator: Setup) -> None:
    with pytest.raises(ConfigError) as caught:
        pair_for("https://127.0.0.1:8443/v2", operator, declared_at="m.yaml:2:11")
    message = str(caught.value)
    assert message.startswith("m.yaml:2:11: platform https://127.0.0.1:8443/v2 is not an endpoint")
    assert "--trust-endpoint https://127.0.0.1:8443/v2" in message
    assert "RECONCILER_TRUSTED_ENDPOINTS" in message and "\n" not in message


def test_names_and_keys() -> None:
    assert env_suffix("aws-us") == "AWS_US"
    assert platform_key(None) == "aws-us"
    assert platform_key("HTTPS://CGC-API.sbgenomics.com/v2/") == "cgc"
    assert platform_key(PRIVATE + "/") == PRIVATE
    listed = {"RECONCILER_TRUSTED_ENDPOINTS": "https://b.example/v2, http://127.0.0.1:9/v2"}
    assert allow_list(["https://A.example/v2/"], listed) == (
        "https://a.example/v2",
        "https://b.example/v2",
        "http://127.0.0.1:9/v2",
    )
    with pytest.raises(ConfigError, match="RECONCILER_TRUSTED_ENDPOINTS: plain http"):
        allow_list([], {"RECONCILER_TRUSTED_ENDPOINTS": "http://example.org/v2"})


def test_a_trusted_url_without_a_token_names_everything_read() -> None:
    operator = setup(
        {"SB_API_ENDPOINT_LAB": PRIVATE},
        {"lab": {"api_endpoint": PRIVATE}, "default": {"api_endpoint": AWS_US}},
        trusted=(PRIVATE,),
    )
    with pytest.raises(ConfigError) as caught:
        pair_for(PRIVATE, operator, declared_at="m.yaml:2:1")
    assert str(caught.value).startswith(
        f"m.yaml:2:1: no API token for {PRIVATE}: looked in SB_AUTH_TOKEN_LAB, SB_AUTH_TOKEN, "
        f"[lab] and [default] in {PATH}; "
    )


@pytest.mark.parametrize(
    ("operator", "named_by"),
    [
        (
            setup({"SB_API_ENDPOINT_STAGING": PRIVATE, "SB_AUTH_TOKEN": "prod"}),
            "SB_API_ENDPOINT_STAGING names it but SB_AUTH_TOKEN_STAGING is not set",
        ),
        (
            setup(
                {},
                {"old": {"api_endpoint": PRIVATE}, "default": {"auth_token": "d"}},
                profile="default",
            ),
            f"[old] in {PATH} names it but has no auth_token",
        ),
    ],
    ids=["an endpoint variable without its token", "a profile without its token"],
)
def test_a_url_named_without_its_own_token_gets_no_other_token(
    operator: Setup, named_by: str
) -> None:
    # Naming an endpoint pairs it with that name's own token; only the allow-list lends it the
    # general one (a stale profile or a staging variable must not receive the production token).
    with pytest.raises(ConfigError) as caught:
        pair_for(PRIVATE, operator, declared_at="m.yaml:2:1")
    message = str(caught.value)
    assert message.startswith(f"m.yaml:2:1: no API token for {PRIVATE}: {named_by}; ")
    assert f"--trust-endpoint {PRIVATE}" in message and "\n" not in message
    trusting = dataclasses.replace(operator, trusted=(PRIVATE,))
    assert pair_for(PRIVATE, trusting).endpoint == PRIVATE
