"""Names from the demo seed, small seeds for edge cases, and a requests session per sandbox."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import requests

from reconciler.sandbox.server import Sandbox

MakeSandbox = Callable[..., Sandbox]  # the make_sandbox fixture of tests/conftest.py

US = "aws:us-east-1"
PROJECT = "rfranklin/rna-seq"
OUTPUT = "rfranklin/output"  # s3, RW, us-east-1, prefix projects/rna-seq/
ARCHIVE = "rfranklin/archive"
READONLY = "rfranklin/readonly"
GCS = "rfranklin/gcs-bucket"
EU = "rfranklin/eu-archive"
INACTIVE = "rfranklin/old-output"


def demo_id(number: int) -> str:
    return f"65a1f0c0e4b0d1a2b3c4{number:04x}"


def bam(sample: int) -> str:
    return demo_id(4 * (sample - 1) + 1)


def vcf(sample: int) -> str:
    return demo_id(4 * (sample - 1) + 3)


def counts(sample: int) -> str:
    return demo_id(4 * (sample - 1) + 4)


PUBLIC_FASTA = demo_id(0x28)  # reference/GRCh38.primary_assembly.fa
ALIAS_FASTQ = demo_id(0x2B)  # raw/sample1_R1.fastq.gz, alias on the archive volume


PROPERTIES = {"sse_algorithm": "AES256", "sse_aws_kms_key_id": None, "aws_canned_acl": None}


def session(sandbox: Sandbox) -> requests.Session:
    http = requests.Session()
    http.headers["X-SBG-Auth-Token"] = sandbox.token
    return http


def control(
    sandbox: Sandbox,
    name: str,
    settings: dict[str, Any] | None = None,
    *,
    headers: dict[str, str] | None = None,
) -> requests.Response:
    """A `/_sandbox/NAME` control request made as every caller must make it: the sandbox's
    token in the X-SBG-Auth-Token header, a loopback Host (requests takes it from the URL).
    A POST when `settings` are given, else a GET; `headers` add to or replace those sent."""
    url = sandbox.url.removesuffix("/v2") + f"/_sandbox/{name}"
    sent = {"X-SBG-Auth-Token": sandbox.token, **(headers or {})}
    if settings is None:
        return requests.get(url, headers=sent)
    return requests.post(url, json=settings, headers=sent)


def item(file_id: str, volume: str, location: str, overwrite: bool = False) -> dict[str, Any]:
    return {
        "source": {"file": file_id},
        "destination": {"volume": volume, "location": location},
        "overwrite": overwrite,
        "properties": dict(PROPERTIES),
    }


def two_user_seed() -> dict[str, Any]:
    """Alice's project and volume, and Bob's, each out of the other's reach."""
    return {
        "tokens": [
            {"token": "alice-token", "username": "alice"},
            {"token": "bob-token", "username": "bob"},
        ],
        "projects": [
            {"id": "alice/p", "location": US},
            {"id": "bob/p", "location": US},
        ],
        "volumes": [
            {"id": "alice/v", "location": US, "service": {"type": "s3", "bucket": "a"}},
            {"id": "bob/v", "location": US, "service": {"type": "s3", "bucket": "b"}},
        ],
        "files": [
            {"id": "a" * 24, "project": "alice/p", "path": "x.txt", "size": 10},
            {"id": "b" * 24, "project": "bob/p", "path": "y.txt", "size": 20},
        ],
    }
