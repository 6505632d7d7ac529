"""Wrapping at 100 columns: between pieces, never inside one."""

from __future__ import annotations

from reconciler.wrap import WIDTH, clauses, fit, fit_text


def test_a_short_line_stays_as_it_is() -> None:
    assert fit(["  !", "a.bam", "-> vol:a.bam"], indent="  ") == ["    ! a.bam -> vol:a.bam"]


def test_a_long_line_wraps_between_pieces_under_its_indent() -> None:
    pieces = ["x" * 60, "-> " + "y" * 50, "(1 GB)"]
    assert fit(pieces, indent="  ", hanging="      ") == [
        "  " + "x" * 60,
        "      -> " + "y" * 50 + " (1 GB)",
    ]


def test_a_piece_longer_than_the_width_stands_alone_and_whole() -> None:
    destination = "-> vol:" + "z" * 150
    lines = fit(["a", destination, "b"], indent="  ")
    assert lines == ["  a", "      " + destination, "      b"]


def test_every_line_fits_when_every_piece_does() -> None:
    lines = fit_text("  " + " ".join(f"word{n}" for n in range(100)))
    assert len(lines) > 1
    assert all(len(line) <= WIDTH for line in lines)
    assert lines[0].startswith("  word0 ") and lines[1].startswith("      word")
    assert " ".join(" ".join(lines).split()) == " ".join(f"word{n}" for n in range(100))


def test_clauses_keep_their_separators() -> None:
    assert clauses("a, b (c, d), e") == ["a,", "b (c,", "d),", "e"]
    assert clauses("calls; under the limit", "; ") == ["calls;", "under the limit"]
    assert clauses("one") == ["one"]
