"""Property tests: whatever the input (mutated valid manifests, arbitrary YAML, arbitrary
text or bytes), loading raises nothing but ManifestError and the CLI never prints a
traceback."""

from __future__ import annotations

import io
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from reconciler.cli import main
from reconciler.errors import ManifestError
from reconciler.manifest.load import load_manifests

from .cases import VALID_MANIFESTS

SETTINGS = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
KEYS = [
    "version", "platform", "project", "labels", "guards", "defaults", "exports", "file", "path",
    "glob", "exclude", "where", "allow_empty", "discovery", "location", "volume", "mode",
    "overwrite", "properties", "sse_algorithm", "sse_aws_kms_key_id", "aws_canned_acl",
    "aws_storage_class", "metadata", "tags", "max_moves", "max_bytes", "description", "overwrit",
    "<<", "",
]  # fmt: skip
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True),
    st.text(max_size=30),
    st.sampled_from(
        ["move", "copy", "search", "list", "aws:kms", "AES256", "a/b", "{name}", "/x", "..", "a//b"]
    ),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(KEYS), inner, max_size=4)
    ),
    max_leaves=12,
)


def _parse(text: str) -> Any:
    return YAML(typ="rt").load(text)


def _dump(data: Any) -> str:
    out = io.StringIO()
    YAML(typ="rt").dump(data, out)
    return out.getvalue()


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(data, dict):
        for key, value in data.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += _paths(value, (*prefix, index))
    return found


@st.composite
def mutated(draw: st.DrawFn) -> str:
    data = _parse(draw(st.sampled_from(VALID_MANIFESTS)))
    for _ in range(draw(st.integers(1, 4))):
        paths = _paths(data)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = data
        for part in path[:-1]:
            parent = parent[part]
        last = path[-1]
        action = draw(st.sampled_from(["drop", "rename", "retype", "edit"]))
        if action == "drop":
            del parent[last]
        elif action == "rename" and isinstance(parent, dict):
            parent[draw(st.sampled_from(KEYS))] = parent.pop(last)
        else:
            parent[last] = draw(values)
    text = _dump(data)
    if draw(st.booleans()):  # duplicate a line: duplicate keys, broken indentation
        lines = text.splitlines(keepends=True)
        index = draw(st.integers(0, max(0, len(lines) - 1)))
        lines.insert(index, lines[index] if lines else "")
        text = "".join(lines)
    return text


def _load_only_manifest_errors(tmp_path: Path, content: str | bytes) -> None:
    path = tmp_path / "m.yaml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", errors="surrogatepass")
    try:
        load_manifests([path], root=tmp_path)
    except ManifestError as exc:
        assert exc.diagnostics
        for d in exc.diagnostics:
            assert d.line >= 1 and d.column >= 1 and d.rule and "\n" not in d.message
    stderr = io.StringIO()
    with redirect_stdout(io.StringIO()), redirect_stderr(stderr):
        code = main(["validate", str(path)])
    assert code in (0, 1)
    assert "Traceback" not in stderr.getvalue() and "internal error" not in stderr.getvalue()


@SETTINGS
@given(text=mutated())
@pytest.mark.slow
def test_mutated_manifests(tmp_path: Path, text: str) -> None:
    _load_only_manifest_errors(tmp_path, text)


@SETTINGS
@given(data=values)
@pytest.mark.slow
def test_arbitrary_yaml(tmp_path: Path, data: Any) -> None:
    _load_only_manifest_errors(tmp_path, _dump(data))


@SETTINGS
@given(
    text=st.text(alphabet=st.sampled_from(list("ab: -[]{}&*!|>'\"#\n\t?,%@`~1.\\")), max_size=80)
)
@pytest.mark.slow
def test_arbitrary_text(tmp_path: Path, text: str) -> None:
    _load_only_manifest_errors(tmp_path, text.encode("utf-8"))


@SETTINGS
@given(content=st.binary(max_size=64))
@pytest.mark.slow
def test_arbitrary_bytes(tmp_path: Path, content: bytes) -> None:
    _load_only_manifest_errors(tmp_path, content)
