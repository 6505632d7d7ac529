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


def github_annotations(diagnostics: Sequence[Diagnostic], *, level: str = "error") -> str:
    """GitHub Actions workflow commands (`::error file=F,line=L,col=C::message`): each shows at
    its FILE:LINE in the pull request's diff. Manifest text is escaped as GitHub's toolkit
    escapes it, so a value or a file name cannot end the command or start another one."""
    lines = [
        f"::{level} file={_property(d.file)},line={d.line},col={d.column},"
        f"title={_property(d.rule or 'reconciler')}::{_data(d.message)}"
        for d in diagnostics
    ]
    return "\n".join(lines)


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")
