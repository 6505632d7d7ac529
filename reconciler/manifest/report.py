"""Render manifest diagnostics for tools: a JSON list, and GitLab's Code Quality report.

Rendering only; which diagnostics exist is decided by the loader.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

from reconciler.errors import Diagnostic


def diagnostics_json(diagnostics: Sequence[Diagnostic]) -> str:
    """`[{"file", "line", "column", "message", "rule"}, ...]`."""
    rows = [
        {"file": d.file, "line": d.line, "column": d.column, "message": d.message, "rule": d.rule}
        for d in diagnostics
    ]
    return json.dumps(rows, indent=2)


def code_quality_json(diagnostics: Sequence[Diagnostic]) -> str:
    """GitLab Code Quality (a subset of Code Climate's format): one issue per diagnostic.

    The fingerprint leaves the line out so that an unrelated edit above a problem does not make
    GitLab show it as fixed and new again.
    """
    issues = []
    for d in diagnostics:
        identity = f"{d.file}\0{d.rule}\0{d.message}".encode()
        issues.append(
            {
                "description": d.message,
                "check_name": d.rule or "manifest",
                "fingerprint": hashlib.sha256(identity).hexdigest(),
                "severity": "major",
                "location": {"path": d.file, "lines": {"begin": d.line}},
            }
        )
    return json.dumps(issues, indent=2)
