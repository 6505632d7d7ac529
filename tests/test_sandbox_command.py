"""`reconciler sandbox`'s flags: durations with a unit (a bare number is seconds), and a help that
shows every default."""

from __future__ import annotations

import argparse

import pytest

from reconciler.cli import build_parser, parse_arguments
from reconciler.commands.options import duration
from reconciler.commands.sandbox import settings_from
from reconciler.sandbox.faults import Faults


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("200ms", 0.2),
        ("0.2s", 0.2),
        ("200", 200.0),  # a bare number keeps its meaning: seconds
        ("1.5", 1.5),
        (".5s", 0.5),
        ("5m", 300.0),
        ("5min", 300.0),
        ("1h", 3600.0),
        ("0", 0.0),
    ],
)
def test_duration(text: str, seconds: float) -> None:
    assert duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "ms", "200x", "-1s", "1e3", "2 hours", "1s2"])
def test_not_a_duration(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match="is not a duration"):
        duration(text)


def test_duration_flags_reach_the_sandbox_in_seconds() -> None:
    argv = ["sandbox", "--latency", "200ms", "--job-pace", "1.5", "--rate-window", "5m"]
    argv += ["--search-lag", "2s"]
    settings = settings_from(parse_arguments(build_parser(), argv))
    assert settings == {"latency": 0.2, "job_pace": 1.5, "rate_window": 300.0, "search_lag": 2.0}
    live = Faults(**settings).settings
    assert (live.latency, live.job_pace, live.rate_window) == (0.2, 1.5, 300.0)
    assert live.search_lag == 2.0


def test_a_bad_duration_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        parse_arguments(build_parser(), ["sandbox", "--latency", "200x"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: reconciler sandbox ")
    assert "argument --latency: '200x' is not a duration" in err


def test_help_shows_the_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parse_arguments(build_parser(), ["sandbox", "--help"])
    text = " ".join(capsys.readouterr().out.split())  # unwrapped
    for expected in (
        "address to listen on (default: 127.0.0.1)",
        "(default: 0, any free port)",
        "state folder (default: .sandbox)",
        "--job-pace DURATION from a job's creation to its end (default: 3s)",
        "as from a lagging index (default: 0s)",
        "a bare number is seconds (default: 0s)",
        "requests per window per token (default: 1000)",
        "the rate limit's window (default: 300s)",
    ):
        assert expected in text
