"""Broken manifests, each with where its error must point and what it must say.

Shared by the table test (loader and CLI), the JSON-schema agreement test and the property
test (whose seeds are the valid manifests below).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from reconciler.manifest.load import MAX_MANIFEST_BYTES

VALID = """\
# yaml-language-server: $schema=../schemas/manifest.schema.json
version: 1
project: rfranklin/rna-seq
defaults:
  volume: rfranklin/output
exports:
  - file: 65a1f0c0e4b0d1a2b3c40001
    location: bam/sample1.bam
"""

VALID_FULL = """\
version: 1
platform: cgc
project: rfranklin/rna-seq
description: Everything the language has.
labels: [results]
guards:
  max_moves: 500
  max_bytes: 1.5TB
defaults:
  volume: rfranklin/output
  mode: move
  overwrite: false
  properties:
    sse_algorithm: AES256
    sse_aws_kms_key_id: null
    aws_canned_acl: null
exports:
  - file: 5abce81631c948aa3c0dd2b7
    location: vcf/output.vcf
  - path: results/sample1/out.bam
    location: bam/sample1.bam
    mode: copy
  - glob: "results/*/counts.tsv"
    exclude: ["results/tmp/*"]
    where: {metadata: {sample_type: tumor, lane: 2}, tags: [final]}
    allow_empty: true
    location: "counts/{parent}/{name}"
    volume: rfranklin/archive
    overwrite: true
    properties: {sse_algorithm: "aws:kms", sse_aws_kms_key_id: "arn:aws:kms:us-east-1:1:key/x"}
    description: Counts of tumor samples.
"""

HEAD = "version: 1\nproject: rfranklin/rna-seq\ndefaults:\n  volume: rfranklin/output\nexports:\n"
ENTRY = "  - file: 65a1f0c0e4b0d1a2b3c40001\n    location: bam/sample1.bam\n"


def entry(*lines: str) -> str:
    """A manifest with the standard head and one entry made of `lines` (line 6 on)."""
    first, *rest = lines
    return HEAD + f"  - {first}\n" + "".join(f"    {line}\n" for line in rest)


@dataclass(frozen=True)
class Case:
    name: str
    content: str | bytes
    line: int
    column: int
    fragment: str
    rule: str
    file: str = "m.yaml"  # the file the diagnostic is in
    others: dict[str, str] = field(default_factory=dict)  # more manifests beside it
    setup: Callable[[Path, Path], None] | None = None  # (folder, manifest path)
    schema_rejects: bool = False  # check-jsonschema must reject it too


def _fifo(folder: Path, manifest: Path) -> None:
    manifest.unlink()
    os.mkfifo(manifest)  # nobody writes to it: reading it would wait forever


def _outside_symlink(folder: Path, manifest: Path) -> None:
    outside = folder.parent.parent / "outside.yaml"
    outside.write_text(VALID, encoding="utf-8")
    manifest.unlink()
    os.symlink(outside, manifest)


def _sparse_too_large(folder: Path, manifest: Path) -> None:
    with manifest.open("r+b") as out:
        out.truncate(MAX_MANIFEST_BYTES + 1)


BOMB = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 10) + "]\n"
    for i in range(6)
)

CASES: list[Case] = [
    # --- reading and YAML --------------------------------------------------------------
    Case("not utf-8", b"version: 1\nproject: caf\xe9/x\n", 2, 13, "not UTF-8", "encoding"),
    Case("utf-16", "version: 1\n".encode("utf-16"), 1, 1, "not UTF-8", "encoding"),
    Case("too large", VALID, 1, 1, "256 MiB", "file-too-large", setup=_sparse_too_large),
    Case(
        "nesting",
        "version: 1\nx: " + "[" * 70 + "]" * 70 + "\n",
        2,
        67,
        "nested more than 64",
        "nesting",
    ),
    Case("fifo", VALID, 1, 1, "not a regular file", "unreadable", setup=_fifo),
    Case("symlink leaves root", VALID, 1, 1, "leaves", "symlink-outside", setup=_outside_symlink),
    Case(
        "unclosed flow list",
        "version: 1\nlabels: [a, b\nproject: x/y\n",
        3,
        8,
        "invalid YAML",
        "yaml-syntax",
    ),
    Case(
        "bad indentation",
        "version: 1\n project: x/y\nexports: []\n",
        2,
        9,
        "invalid YAML",
        "yaml-syntax",
    ),
    Case(
        "tab indentation",
        "version: 1\nexports:\n\t- file: x\n",
        3,
        1,
        "tab character: YAML indents with spaces",
        "yaml-tab",
    ),
    Case(
        "undefined alias",
        "version: 1\nproject: *p\n",
        2,
        10,
        "alias *p is used before",
        "yaml-syntax",
    ),
    Case("alias bomb", BOMB, 5, 36, "alias bomb", "alias-bomb"),
    Case("explicit tag", HEAD + "  - file: !!binary aGVsbG8=\n", 6, 11, "tag", "yaml-unsupported"),
    Case("merge key", "version: 1\n<<: {project: x/y}\n", 2, 1, "merge keys", "yaml-unsupported"),
    Case("list as key", "version: 1\n? [a]\n: b\n", 2, 3, "keys must be text", "yaml-unsupported"),
    Case(
        "two documents",
        VALID + "---\nversion: 1\n",
        9,
        1,
        "more than one YAML document",
        "document",
    ),
    Case("empty file", "# only a comment\n", 1, 1, "empty manifest", "document"),
    Case("top-level list", "- version: 1\n", 1, 1, "is a mapping", "document"),
    Case(
        "duplicate top key",
        VALID + "version: 1\n",
        9,
        1,
        "duplicate key `version`: also declared at line 2",
        "duplicate-key",
    ),
    Case(
        "duplicate entry key",
        entry("file: 65a1f0c0e4b0d1a2b3c40001", "location: a", "location: b"),
        8,
        5,
        "duplicate key `location`",
        "duplicate-key",
    ),
    # --- types and keys ------------------------------------------------------------------
    Case(
        "unknown top key",
        VALID + "exprots: []\n",
        9,
        1,
        "unknown key `exprots`: did you mean `exports`?",
        "unknown-key",
        schema_rejects=True,
    ),
    Case(
        "unknown entry key",
        entry("file: 65a1f0c0e4b0d1a2b3c40001", "location: a", "overwrit: true"),
        8,
        5,
        "did you mean `overwrite`",
        "unknown-key",
        schema_rejects=True,
    ),
    Case(
        "unknown property",
        entry("file: 65a1f0c0e4b0d1a2b3c40001", "location: a", "properties: {sse: AES256}"),
        8,
        18,
        "unknown key `sse`",
        "unknown-key",
        schema_rejects=True,
    ),
    Case(
        "unknown guard",
        VALID + "guards: {max_move: 3}\n",
        9,
        10,
        "did you mean `max_moves`",
        "unknown-key",
        schema_rejects=True,
    ),
    Case(
        "missing version",
        "project: a/b\nexports: []\n",
        1,
        1,
        "missing required key `version`",
        "missing-key",
        schema_rejects=True,
    ),
    Case(
        "missing project",
        "version: 1\nexports: []\n",
        1,
        1,
        "missing required key `project`",
        "missing-key",
        schema_rejects=True,
    ),
    Case(
        "missing exports",
        "version: 1\nproject: a/b\n",
        1,
        1,
        "missing required key `exports`",
        "missing-key",
        schema_rejects=True,
    ),
    Case(
        "tab after spaces",
        "version: 1\nexports:\n  - file: x\n  \t location: y\n",
        4,
        3,
        "tab character: YAML indents with spaces",
        "yaml-tab",
    ),
    Case(
        "misspelt required key",
        "version: 1\nprojet: a/b\nexports: []\n",
        2,
        1,
        "unknown key `projet`: did you mean `project`?",
        "unknown-key",
    ),
    Case(
        "missing location",
        entry("file: 65a1f0c0e4b0d1a2b3c40001", "mode: copy"),
        6,
        5,
        "exports[0]: missing required key `location`",
        "missing-key",
        schema_rejects=True,
    ),
    Case(
        "version 2",
        VALID.replace("version: 1", "version: 2"),
        2,
        10,
        "must be 1",
        "version",
        schema_rejects=True,
    ),
    Case(
        "version as text",
        VALID.replace("version: 1", 'version: "1"'),
        2,
        10,
        "must be 1",
        "version",
        schema_rejects=True,
    ),
    Case(
        "bad mode",
        entry("file: 65a1f0c0e4b0d1a2b3c40001", "location: a", "mode: moev"),
        8,
        11,
        "'move' or 'copy'",
        "type",
        schema_rejects=True,
    ),
    Case(
        "overwrite as text",
        entry("file: 65a1f0c0e4b0d1a2b3c40001", "location: a", 'overwrite: "yes"'),
        8,
        16,
        "should be true/false",
        "type",
        schema_rejects=True,
    ),
    Case(
        "location as number",
        entry("file: 65a1f0c0e4b0d1a2b3c40001", "location: 12"),
        7,
        15,
        "should be text, not 12",
        "type",
        schema_rejects=True,
    ),
    Case(
        "entry as text",
        HEAD + "  - results/a.bam\n",
        6,
        5,
        "should be a mapping",
        "type",
        schema_rejects=True,
    ),
    Case(
        "exports as mapping",
        HEAD + "  file: x\n",
        6,
        3,
        "exports: should be a list",
        "type",
        schema_rejects=True,
    ),
    Case(
        "negative max_moves",
        VALID + "guards:\n  max_moves: -1\n",
        10,
        14,
        "greater than or equal to 0",
        "type",
        schema_rejects=True,
    ),
    Case(
        "metadata null",
        entry('glob: "*.bam"', "where: {metadata: {sample_type: null}}", "location: a/{name}"),
        7,
        37,
        "text, an integer, a number or true/false",
        "type",
        schema_rejects=True,
    ),
    Case(
        "bad sse algorithm",
        entry("file: 65a1f0c0e4b0d1a2b3c40001", "location: a", "properties: {sse_algorithm: aes}"),
        8,
        33,
        "'AES256' or 'aws:kms'",
        "type",
        schema_rejects=True,
    ),
    Case(
        "platform unknown",
        VALID + "platform: sbg\n",
        9,
        11,
        "unknown platform 'sbg'",
        "platform",
        schema_rejects=True,
    ),
    Case(
        "platform http",
        VALID + "platform: http://api.example.org/v2\n",
        9,
        11,
        "https URL ending in /v2",
        "platform",
        schema_rejects=True,
    ),
    Case(
        "platform no v2",
        VALID + "platform: https://api.example.org/v1\n",
        9,
        11,
        "https URL ending in /v2",
        "platform",
        schema_rejects=True,
    ),
    Case(
        "project not owner/name",
        VALID.replace("rfranklin/rna-seq", "rna-seq"),
        3,
        10,
        "not an `owner/name` id",
        "owner-name",
        schema_rejects=True,
    ),
    Case(
        "volume not owner/name",
        VALID.replace("volume: rfranklin/output", "volume: a/b/c"),
        5,
        11,
        "not an `owner/name` id",
        "owner-name",
        schema_rejects=True,
    ),
    Case(
        "file id short",
        entry("file: 65a1f0c0e4b0d1a2b3c4000", "location: a"),
        6,
        11,
        "not a file ID",
        "file-id",
        schema_rejects=True,
    ),
    Case(
        "file id not hex",
        entry("file: 65a1f0c0e4b0d1a2b3c4000z", "location: a"),
        6,
        11,
        "not a file ID",
        "file-id",
        schema_rejects=True,
    ),
    Case(
        "file id read as a number",
        entry("file: 123456789012345678901234", "location: a"),
        6,
        11,
        "quote it",
        "file-id",
        schema_rejects=True,
    ),
    Case(
        "canned acl",
        entry(
            "file: 65a1f0c0e4b0d1a2b3c40001",
            "location: a",
            "properties: {aws_canned_acl: owner-full}",
        ),
        8,
        34,
        "unknown canned ACL 'owner-full'",
        "canned-acl",
        schema_rejects=True,
    ),
    Case(
        "storage class",
        entry(
            "file: 65a1f0c0e4b0d1a2b3c40001",
            "location: a",
            "properties: {aws_storage_class: glacier}",
        ),
        8,
        37,
        "unknown S3 storage class 'glacier': use one of STANDARD, REDUCED_REDUNDANCY",
        "storage-class",
        schema_rejects=True,
    ),
    # --- selector --------------------------------------------------------------------------
    Case(
        "no selector",
        entry("location: a"),
        6,
        5,
        "needs exactly one of `file`, `path`, `glob`",
        "selector",
        schema_rejects=True,
    ),
    Case(
        "two selectors",
        entry("file: 65a1f0c0e4b0d1a2b3c40001", "path: a.bam", "location: a"),
        7,
        5,
        "`path` and `file` both select files",
        "selector",
        schema_rejects=True,
    ),
    Case(
        "exclude without glob",
        entry("path: a.bam", "exclude: [b]", "location: a"),
        7,
        5,
        "`exclude` applies only to `glob`",
        "selector",
        schema_rejects=True,
    ),
    Case(
        "discovery without glob",
        entry("path: a.bam", "discovery: search", "location: a"),
        7,
        5,
        "`discovery` applies only to `glob`",
        "selector",
        schema_rejects=True,
    ),
    Case(
        "unknown discovery",
        entry('glob: "*.bam"', "discovery: find", "location: a"),
        7,
        16,
        "unknown discovery 'find': use one of search, list",
        "discovery",
        schema_rejects=True,
    ),
    Case(
        "absolute path",
        entry("path: /results/a.bam", "location: a"),
        6,
        11,
        "must be relative",
        "selector-path",
        schema_rejects=True,
    ),
    Case(
        "path with ..",
        entry("path: results/../a.bam", "location: a"),
        6,
        11,
        "`..` segment",
        "selector-path",
        schema_rejects=True,
    ),
    Case(
        "empty glob",
        entry('glob: ""', "location: a"),
        6,
        11,
        "glob is empty",
        "selector-path",
        schema_rejects=True,
    ),
    # --- locations -------------------------------------------------------------------------
    Case(
        "empty location",
        entry("file: 65a1f0c0e4b0d1a2b3c40001", 'location: ""'),
        7,
        15,
        "location is empty",
        "location",
        schema_rejects=True,
    ),
    Case(
        "absolute location",
        entry("file: 65a1f0c0e4b0d1a2b3c40001", "location: /bam/a.bam"),
        7,
        15,
        "must be relative",
        "location",
        schema_rejects=True,
    ),
    Case(
        "dot segment",
        entry("file: 65a1f0c0e4b0d1a2b3c40001", "location: bam/./a.bam"),
        7,
        15,
        "`.` segment",
        "location",
        schema_rejects=True,
    ),
    Case(
        "dotdot segment",
        entry("file: 65a1f0c0e4b0d1a2b3c40001", "location: ../a.bam"),
        7,
        15,
        "`..` segment",
        "location",
        schema_rejects=True,
    ),
    Case(
        "empty segment",
        entry("file: 65a1f0c0e4b0d1a2b3c40001", "location: bam//a.bam"),
        7,
        15,
        "empty folder name",
        "location",
        schema_rejects=True,
    ),
    Case(
        "trailing slash",
        entry("file: 65a1f0c0e4b0d1a2b3c40001", "location: bam/"),
        7,
        15,
        "empty folder name",
        "location",
        schema_rejects=True,
    ),
    Case(
        "backslash",
        entry("file: 65a1f0c0e4b0d1a2b3c40001", 'location: "bam\\\\a.bam"'),
        7,
        15,
        "backslash",
        "location",
        schema_rejects=True,
    ),
    Case(
        "control character",
        entry("file: 65a1f0c0e4b0d1a2b3c40001", 'location: "bam/a\\tb"'),
        7,
        15,
        "U+0009",
        "location",
        schema_rejects=True,
    ),
    Case(
        "invisible format character",
        entry("file: 65a1f0c0e4b0d1a2b3c40001", 'location: "bam/a\ufeffb.bam"'),
        7,
        15,
        "U+FEFF",
        "location",
    ),
    Case(
        "bidi override",
        entry("file: 65a1f0c0e4b0d1a2b3c40001", 'location: "bam/\u202emab.vcf"'),
        7,
        15,
        "U+202E",
        "location",
    ),
    Case(
        "too long",
        entry("file: 65a1f0c0e4b0d1a2b3c40001", "location: " + "a/" * 512 + "b"),
        7,
        15,
        "1025 bytes",
        "location-length",
        schema_rejects=True,
    ),
    Case(
        "too long in bytes",
        entry("file: 65a1f0c0e4b0d1a2b3c40001", "location: " + "é" * 513),
        7,
        15,
        "1026 bytes",
        "location-length",
    ),
    Case(
        "unknown placeholder",
        entry('glob: "*.bam"', 'location: "bam/{nmae}"'),
        7,
        15,
        "unknown placeholder {nmae}",
        "placeholder",
    ),
    Case(
        "unbalanced brace",
        entry('glob: "*.bam"', 'location: "bam/{name"'),
        7,
        15,
        "unbalanced",
        "placeholder",
    ),
    # --- merged rules ----------------------------------------------------------------------
    Case(
        "kms key alone in entry",
        entry(
            "file: 65a1f0c0e4b0d1a2b3c40001", "location: a", "properties: {sse_aws_kms_key_id: k1}"
        ),
        8,
        38,
        "set sse_algorithm: aws:kms",
        "kms-key",
    ),
    Case(
        "kms key in defaults",
        "version: 1\nproject: a/b\ndefaults:\n  volume: a/v\n  properties:\n    sse_aws_kms_key_id: k1\nexports:\n"  # noqa: E501
        + ENTRY,
        6,
        25,
        "defaults.properties",
        "kms-key",
    ),
    Case(
        "entry algorithm breaks defaults key",
        "version: 1\nproject: a/b\ndefaults:\n  volume: a/v\n  properties: {sse_algorithm: 'aws:kms', sse_aws_kms_key_id: k1}\nexports:\n"  # noqa: E501
        + ENTRY
        + "    properties: {sse_algorithm: AES256}\n",
        9,
        33,
        "after merging defaults",
        "kms-key",
    ),
    Case(
        "no volume",
        "version: 1\nproject: a/b\nexports:\n" + ENTRY,
        4,
        5,
        "no `volume`",
        "missing-volume",
    ),
    # --- across entries and files ----------------------------------------------------------
    Case(
        "destination twice",
        HEAD + ENTRY + "  - path: results/x.bam\n    location: bam/sample1.bam\n",
        9,
        15,
        "manifests/m.yaml:7",
        "duplicate-destination",
    ),
    Case(
        "destination twice across files",
        VALID,
        8,
        15,
        "manifests/a.yaml:7",
        "duplicate-destination",
        others={"a.yaml": HEAD + ENTRY},
    ),
    Case(
        "path renders to same place",
        HEAD
        + "  - path: r/x.bam\n    location: bam/x.bam\n  - path: s/x.bam\n    location: bam/{name}\n",  # noqa: E501
        9,
        15,
        "manifests/m.yaml:7",
        "duplicate-destination",
    ),
    Case(
        "moved twice",
        HEAD + ENTRY + "  - file: 65a1f0c0e4b0d1a2b3c40001\n    location: other/sample1.bam\n",
        8,
        5,
        "manifests/m.yaml:6",
        "file-conflict",
    ),
    Case(
        "moved twice across files",
        entry("file: 65a1f0c0e4b0d1a2b3c40001", "location: b/x"),
        6,
        5,
        "manifests/a.yaml:6",
        "file-conflict",
        others={"a.yaml": HEAD + ENTRY},
    ),
    Case(
        "path moved twice",
        HEAD
        + "  - path: r/x.bam\n    location: a/x.bam\n  - path: r/x.bam\n    location: b/x.bam\n",
        8,
        5,
        "can be moved only once",
        "file-conflict",
    ),
    Case(
        "one file in two projects",
        "version: 1\nproject: other/proj\ndefaults:\n  volume: rfranklin/output\n  mode: copy\nexports:\n  - file: 65a1f0c0e4b0d1a2b3c40001\n    location: c/x\n",  # noqa: E501
        7,
        5,
        "in project other/proj",
        "file-conflict",
        others={"a.yaml": HEAD + ENTRY},
    ),
]

# Valid variations that must stay valid (the property test mutates these too).
VALID_MANIFESTS = [
    VALID,
    VALID_FULL,
    # moved to A and copied to B: both hold.
    HEAD + ENTRY + "  - file: 65a1f0c0e4b0d1a2b3c40001\n    location: copy/x.bam\n    mode: copy\n",
]
