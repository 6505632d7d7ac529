"""The sandbox is an independent implementation: it imports nothing from the rest of reconciler
(the import-linter contracts in pyproject say the same; this holds even while they cannot run)."""

from __future__ import annotations

import ast
from pathlib import Path

import reconciler.sandbox

PACKAGE = Path(reconciler.sandbox.__file__).parent


def test_sandbox_imports_only_itself_and_third_parties() -> None:
    offenders = []
    for module in sorted(PACKAGE.glob("*.py")):
        for node in ast.walk(ast.parse(module.read_text())):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level > 1:
                    names = ["reconciler." + (node.module or "")]
                elif node.level == 0 and node.module:
                    names = [node.module]
            for name in names:
                if name.startswith("reconciler") and not name.startswith("reconciler.sandbox"):
                    offenders.append(f"{module.name}: {name}")
    assert offenders == []
    assert len(list(PACKAGE.glob("*.py"))) > 10
