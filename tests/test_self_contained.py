"""The repository describes the API in its own words (`docs/api.md`): nothing in it points at
a file outside it, which a reader of a clone, a wheel or the docs would not have."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTSIDE = ("../shared", "/work/shared", "sbg-api.md")


def test_no_tracked_file_points_outside_the_repository() -> None:
    listed = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if listed.returncode != 0:  # not a git checkout (an unpacked archive): read the tree
        files = [p for p in ROOT.rglob("*") if p.is_file() and ".venv" not in p.parts]
    else:
        files = [ROOT / name for name in listed.stdout.splitlines()]
    offending = []
    for path in files:
        if path == Path(__file__) or not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        offending += [f"{path.relative_to(ROOT)}: {word}" for word in OUTSIDE if word in text]
    assert offending == []


def test_the_api_page_exists_and_covers_every_call_the_client_makes() -> None:
    page = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    for call in (
        "/v2/bulk/files/get",
        "/v2/files/search",
        "/v2/bulk/storage/exports/create",
        "/v2/bulk/storage/exports/get",
        "/v2/storage/exports",
        "/v2/rate_limit",
        "/v2/storage/volumes/{id}/list",
    ):
        assert call in page, call
