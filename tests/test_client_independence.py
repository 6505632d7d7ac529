"""The client side depends on no sandbox-only behaviour: it classifies API errors by HTTP status
and the two documented codes only (0 with 503: maintenance; 1000 with 429: rate limit), as
docs/api.md says, and never imports the sandbox. A code the client matched on would work
against the sandbox and fail on a platform that answers differently."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import reconciler

PACKAGE = Path(reconciler.__file__).parent
# Everything that talks to the API or decides from its answers.
CLIENT = ("api", "plan", "apply", "live", "core", "usecases")
DOCUMENTED = {0, 1000}


def _is_error_code(value: int) -> bool:
    """The platform's code ranges: projects 3xxx, files 5xxx, storage 9xxx, generic 9000x."""
    return (
        3000 <= value <= 3999
        or 5000 <= value <= 5999
        or 9000 <= value <= 9999
        or (90000 <= value <= 90009)
    )


def _modules() -> list[Path]:
    found: list[Path] = []
    for name in CLIENT:
        path = PACKAGE / name
        found += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    return found


def _mentions_code(node: ast.expr) -> bool:
    return any(
        (isinstance(n, ast.Name) and n.id.lower().endswith("code"))
        or (isinstance(n, ast.Attribute) and n.attr.lower().endswith("code"))
        for n in ast.walk(node)
    )


def offences(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Constant)
            and type(node.value) is int
            and _is_error_code(node.value)
        ):
            found.append(f"line {node.lineno}: API error code {node.value}")
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if any(_mentions_code(side) for side in sides):
                for side in sides:
                    if (
                        isinstance(side, ast.Constant)
                        and type(side.value) is int
                        and side.value not in DOCUMENTED
                    ):
                        found.append(f"line {node.lineno}: compares a code with {side.value}")
        if isinstance(node, ast.ImportFrom | ast.Import):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            module = node.module if isinstance(node, ast.ImportFrom) else None
            if any("sandbox" in (n or "") for n in [*names, module]):
                found.append(f"line {node.lineno}: imports the sandbox")
    return found


def test_client_modules_classify_by_status_and_documented_codes_only() -> None:
    modules = _modules()
    assert len(modules) > 20
    problems = [
        f"{path.relative_to(PACKAGE.parent)}: {problem}"
        for path in modules
        for problem in offences(path.read_text(encoding="utf-8"))
    ]
    assert problems == []


def test_the_documented_constants_are_the_ones_in_use() -> None:
    transport = (PACKAGE / "api" / "transport.py").read_text(encoding="utf-8")
    assert "MAINTENANCE_CODE = 0" in transport


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("if error.code == 9107:\n    pass", ["API error code 9107", "compares a code with 9107"]),
        (
            "if exc.status == 404 and exc.code == 5002:\n    pass",
            ["API error code 5002", "compares a code with 5002"],
        ),
        ("GONE = {3002: 'project'}", ["API error code 3002"]),
        ("if code in (90003,):\n    pass", ["API error code 90003"]),
        ("if status_code == 42:\n    pass", ["compares a code with 42"]),
        ("from reconciler.sandbox import errors", ["imports the sandbox"]),
        ("if status == 503 and code == MAINTENANCE_CODE:\n    pass", []),
        ("if code == 1000 or code == 0:\n    pass", []),
        ("if status == 404:\n    pass", []),
    ],
)
def test_the_check_finds_what_it_looks_for(source: str, expected: list[str]) -> None:
    found = offences(source)
    assert len(found) == len(expected), found
    for fragment in expected:
        assert any(fragment in problem for problem in found), (fragment, found)
