"""What an unexpected exception (a bug) leaves behind: a traceback file, every line of it
redacted, that only its owner can read, so the report a user sends has what a fix needs and
none of the secrets the run held.

The file goes to the system's temporary folder (`tempfile.mkstemp`: a new name each time,
created with mode 0600), not the state folder: a bug can happen before any state folder is
known, or in the code that finds it.
"""

from __future__ import annotations

import platform
import sys
import tempfile
import traceback
from collections.abc import Sequence
from pathlib import Path

from reconciler import __version__
from reconciler.redact import redact

PREFIX = "reconciler-crash-"


def traceback_text(exc: BaseException) -> str:
    """The exception's traceback, redacted."""
    return redact("".join(traceback.format_exception(exc)))


def write_report(exc: BaseException, argv: Sequence[str], *, folder: str | None = None) -> Path:
    """Write the redacted report of `exc` (version, platform, arguments, traceback) to a new
    file readable by its owner only; return its path. `folder`: where (None: the system's
    temporary folder)."""
    handle, name = tempfile.mkstemp(prefix=PREFIX, suffix=".txt", dir=folder)
    report = (
        f"reconciler {__version__}, Python {platform.python_version()} on {platform.platform()}\n"
        f"arguments: {' '.join(argv)}\n\n" + traceback_text(exc)
    )
    with open(handle, "w", encoding="utf-8") as out:
        out.write(redact(report))
    return Path(name)


def arguments() -> list[str]:
    """The command line the process was started with (for the report; redacted there)."""
    return list(sys.argv[1:])
