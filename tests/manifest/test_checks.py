"""The location and selector rules: their shortcuts for the common case (printable text, no
`.` or empty segment, no brace) say exactly what the character-by-character rules say."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.manifest.checks import location_problems, selector_problem


def _reference_control(text: str) -> str | None:
    for char in text:
        code = ord(char)
        if (
            code < 0x20
            or 0x7F <= code <= 0x9F
            or (code > 0x7F and unicodedata.category(char) in ("Cf", "Zl", "Zp"))
        ):
            return f"U+{code:04X}"
    return None


def _reference_segments(text: str) -> str | None:
    for segment in text.split("/"):
        if segment == "":
            return "empty"
        if segment in (".", ".."):
            return segment
    return None


TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from(list("ab./{}\\é\t\x7f\x85\u200b\u2028\u2029\u00a0\ufeff")),
        st.characters(exclude_categories=("Cs",)),  # YAML text holds no surrogates
    ),
    max_size=24,
)


@settings(max_examples=2000, deadline=None)
@given(text=TEXT)
@pytest.mark.slow
def test_location_rules_agree_with_the_character_by_character_ones(text: str) -> None:
    messages = [message for _, message in location_problems(text)]
    control = _reference_control(text)
    if text and not text.startswith("/") and "\\" not in text:
        if control:
            assert any(f"control character {control}" in m for m in messages)
        else:
            segments = _reference_segments(text)
            said = [m for m in messages if "segment" in m or "empty folder" in m]
            assert bool(said) == (segments is not None), (text, messages)
    size = len(text.encode("utf-8"))
    assert any("bytes, over the limit" in m for m in messages) == (size > 1024)
    path_problem = selector_problem("path", text)
    assert (path_problem is None) == (
        text != ""
        and not text.startswith("/")
        and "\\" not in text
        and control is None
        and _reference_segments(text) is None
    )


def test_common_shapes() -> None:
    assert location_problems("results/batch0001/sample0000001/s0000001.bam") == []
    assert location_problems("x/.hidden/{name}") == []
    assert [rule for rule, _ in location_problems("./a")] == ["location"]
    assert [rule for rule, _ in location_problems("a/..")] == ["location"]
    assert [rule for rule, _ in location_problems("a\u00a0b")] == []  # a no-break space is seen
    assert [rule for rule, _ in location_problems("a{b")] == ["placeholder"]
    assert [rule for rule, _ in location_problems("a}b")] == ["placeholder"]
