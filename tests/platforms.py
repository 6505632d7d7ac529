"""Two labs on two platforms for the many-platform and trust tests: a seed per platform (each
sandbox accepts only its own platform's token, so a token sent to the wrong host is refused),
manifests that name the platform (the CLI runner is `tests.apply.helpers.run_cli`).

The two seeds use the same file ids and volume names on purpose: a run must keep the platforms
apart (plan keys, journal history) even when their ids collide, as two sandboxes' do.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from reconciler.sandbox.server import Sandbox
from tests.reliability.secret import SECRET_TOKEN

# The second platform's token contains the test secret, so the secret guard watches it too.
SECOND_TOKEN = SECRET_TOKEN + "-cavatica"
TOKENS = {"cgc": SECRET_TOKEN, "cavatica": SECOND_TOKEN}
PROJECTS = {"cgc": "cgclab/tumours", "cavatica": "cavlab/pediatric"}
VOLUME = "lab/out"
FILES = 3
US = "aws:us-east-1"
# Every variable that could pair a token with an endpoint; tests set what they need.
PAIR_VARIABLES = (
    "SB_API_ENDPOINT",
    "SB_AUTH_TOKEN",
    "SB_PROFILE",
    "SB_API_ENDPOINT_CGC",
    "SB_AUTH_TOKEN_CGC",
    "SB_API_ENDPOINT_CAVATICA",
    "SB_AUTH_TOKEN_CAVATICA",
    "RECONCILER_TRUSTED_ENDPOINTS",
    "RECONCILER_PLATFORM",
    "CI",
)


def file_id(number: int, offset: int = 0) -> str:
    return f"{offset + number:024x}"


def seed(*platforms: str, offset: int = 0) -> dict[str, Any]:
    """A lab with the projects of `platforms` (each with FILES files under data/) and one
    volume; the token of the first platform only (one sandbox serving several platforms
    accepts that one)."""
    files = [
        {
            "id": file_id(n, offset + 100 * index),
            "project": PROJECTS[p],
            "path": f"data/{p}-{n}.dat",
            "size": 1000,
        }
        for index, p in enumerate(platforms)
        for n in range(FILES)
    ]
    return {
        "tokens": [{"token": TOKENS[platforms[0]], "username": "lab"}],
        "projects": [{"id": PROJECTS[p], "location": US, "members": ["lab"]} for p in platforms],
        "volumes": [{"id": VOLUME, "location": US, "service": {"type": "s3", "bucket": "out"}}],
        "files": files,
    }


def write_manifest(folder: Path, platform: str, project: str | None = None) -> Path:
    """A manifest of `project` (default: the platform's) that copies data/* on `platform`;
    its `platform` key is on line 2."""
    folder.mkdir(parents=True, exist_ok=True)
    name = platform if "://" not in platform else "url"
    path = folder / f"{name}.yaml"
    path.write_text(
        "version: 1\n"
        f"platform: {platform}\n"
        f"project: {project or PROJECTS.get(platform, PROJECTS['cgc'])}\n"
        "defaults:\n"
        f"  volume: {VOLUME}\n"
        "  mode: copy\n"
        "exports:\n"
        '  - glob: "data/*"\n'
        f'    location: "{name}/{{name}}"\n',
        encoding="utf-8",
    )
    return path


def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No pair from the environment; the credentials file (absent) at the returned path."""
    for name in PAIR_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    credentials = tmp_path / "credentials"
    monkeypatch.setenv("SB_CREDENTIALS_FILE", str(credentials))
    return credentials


def pair_by_variables(monkeypatch: pytest.MonkeyPatch, labs: Mapping[str, Sandbox]) -> None:
    """Each platform's own pair: `SB_API_ENDPOINT_<P>` at its sandbox, `SB_AUTH_TOKEN_<P>`."""
    for platform, sandbox in labs.items():
        monkeypatch.setenv(f"SB_API_ENDPOINT_{platform.upper()}", sandbox.url)
        monkeypatch.setenv(f"SB_AUTH_TOKEN_{platform.upper()}", TOKENS[platform])
