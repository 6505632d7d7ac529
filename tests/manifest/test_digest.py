"""The manifests' digest: saved plans record it, so its value for given content never changes,
whether the entries are hashed whole or streamed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reconciler.manifest.digest import StreamedDigest, content_digest
from reconciler.manifest.load import load_manifests

from .cases import VALID, VALID_FULL

# Computed by the loader before the digest was streamed: plans saved then must still apply.
PINNED = {
    "VALID": (
        "sha256:50d6aff65ce6f4d87d63026ea0c46bc5191f9b968f60bf57711a49fb2da55f55",
        "f3bdf73a979e92436904d27d9d587c1c9a554361df55481e05119b4bdb77107f",
    ),
    "VALID_FULL": (
        "sha256:2e8bd5b05ab95a654478d6f0701a25b49febd1b8fcfdb75553e621e136cce082",
        "e05a11dd921ae6d670459d7d283d0ad09389a288df2c811d932a10ee4d8b6cd3",
    ),
}


@pytest.mark.parametrize(("name", "text"), [("VALID", VALID), ("VALID_FULL", VALID_FULL)])
def test_the_digest_of_a_manifest_is_pinned(name: str, text: str, tmp_path: Path) -> None:
    (tmp_path / "m.yaml").write_text(text, encoding="utf-8")
    loaded = load_manifests([tmp_path], root=tmp_path)
    assert (loaded.digest, loaded.manifests[0].content_digest) == PINNED[name]


def _streamed(data: dict[str, Any], *, begin_with: dict[str, Any]) -> str | None:
    digest = StreamedDigest()
    digest.begin(begin_with)
    for entry in data["exports"]:
        digest.add(entry)
    return digest.finish({**data, "exports": []})


@pytest.mark.parametrize("entries", [0, 1, 999, 1000, 1001, 2500])
def test_streamed_digest_is_the_digest_of_the_whole(entries: int) -> None:
    data = {
        "version": 1,
        "defaults": {"volume": "a/b", "properties": {"sse_algorithm": None}},
        "description": 'é \u2028 "quoted"',
        "exports": [{"file": f"{i:024x}", "location": f"é/{i}", "n": 1.5} for i in range(entries)],
        "zz": [float("nan"), True, None],
    }
    header = {key: value for key, value in data.items() if key != "exports"}
    assert _streamed(data, begin_with=header) == content_digest(data)


def test_a_key_before_exports_given_late_asks_for_a_second_reading() -> None:
    data = {"defaults": {"volume": "a/b"}, "exports": [{"file": "x"}], "version": 1}
    assert _streamed(data, begin_with={"version": 1}) is None
    again = StreamedDigest(known={**data, "exports": []})
    again.begin({"version": 1})  # the keys read so far on the second reading
    again.add({"file": "x"})
    assert again.finish({**data, "exports": []}) == content_digest(data)
