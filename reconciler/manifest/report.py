"""Render manifest diagnostics for tools: a JSON list, and GitLab's Code Quality report.

Rendering only; which diagnostics exist is decided by the loader.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
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
    GitLab show it as fixed and new again; the same problem twice in one file is told apart by
    its occurrence (GitLab shows only one issue per fingerprint).
    """
    issues = []
    seen: Counter[str] = Counter()
    for d in diagnostics:
        base = f"{d.file}\0{d.rule}\0{d.message}"
        seen[base] += 1
        identity = f"{base}\0{seen[base]}".encode()
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
