"""Location placeholders and project globs, as the manifest reference describes them."""

from __future__ import annotations

import pytest

from reconciler.manifest.globs import compile_glob, static_prefix
from reconciler.manifest.placeholders import placeholder_problems, render_location, split_name

FILE_ID = "65a1f0c0e4b0d1a2b3c40001"


@pytest.mark.parametrize(
    ("template", "path", "expected"),
    [
        (
            "counts/{parent}/{name}",
            "results/sample1/counts.tsv",
            "counts/results/sample1/counts.tsv",
        ),
        ("counts/{parent}/{name}", "counts.tsv", "counts/counts.tsv"),  # root: segment collapses
        ("vcf/{stem}.{ext}", "results/a.vcf.gz", "vcf/a.vcf.gz"),
        ("by-id/{id}/{name}", "x/y.bam", f"by-id/{FILE_ID}/y.bam"),
        ("all/{path}", "x/y.bam", "all/x/y.bam"),
        ("literal/name.txt", "x/y.bam", "literal/name.txt"),
    ],
)
def test_render_location(template: str, path: str, expected: str) -> None:
    assert render_location(template, path=path, file_id=FILE_ID) == expected


def test_split_name() -> None:
    assert split_name("a.vcf.gz") == ("a", "vcf.gz")
    assert split_name(".env") == (".env", "")
    assert split_name("README") == ("README", "")


def test_placeholder_problems() -> None:
    assert placeholder_problems("a/{name}/{stem}.{ext}") == []
    assert "unknown placeholder {nmae}" in placeholder_problems("a/{nmae}")[0]
    assert placeholder_problems("a/{name") == ["unbalanced '{' or '}' in location"]


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("results/*/counts.tsv", "results/sample1/counts.tsv", True),
        ("results/*/counts.tsv", "results/a/b/counts.tsv", False),  # * stays in one level
        ("results/**/counts.tsv", "results/a/b/counts.tsv", True),
        ("results/**/counts.tsv", "results/counts.tsv", True),  # ** matches zero levels
        ("results/sample?/x", "results/sample1/x", True),
        ("results/sample[12]/x", "results/sample3/x", False),
        ("*.BAM", "a.bam", False),  # case-sensitive
        ("*", ".hidden", True),  # dot files are not special
    ],
)
def test_glob_matching(pattern: str, path: str, matches: bool) -> None:
    assert compile_glob(pattern)(path) is matches


def test_glob_exclude_and_prefix() -> None:
    match = compile_glob("results/**/*.bam", ("results/tmp/*",))
    assert match("results/s1/a.bam") and not match("results/tmp/a.bam")
    assert static_prefix("results/*/counts.tsv") == "results"
