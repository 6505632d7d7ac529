"""Keeps secrets out of everything the tool writes: output, errors, logs, plans, journals.

A secret is the token in use plus the value of any environment variable whose name contains
TOKEN, SECRET or KEY (and is long enough to be one). `register_secret` adds values found at
run time, such as a token read from the credentials file.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from typing import TextIO

_MIN_SECRET_LENGTH = 8
_SECRET_NAME = re.compile(r"TOKEN|SECRET|KEY", re.IGNORECASE)
_registered: set[str] = set()

REDACTED = "[redacted]"


def register_secret(value: str | None) -> None:
    """Remember a value that must never be shown."""
    if value and len(value) >= _MIN_SECRET_LENGTH:
        _registered.add(value)


def _secrets() -> list[str]:
    found = set(_registered)
    for name, value in os.environ.items():
        if _SECRET_NAME.search(name) and len(value) >= _MIN_SECRET_LENGTH:
            found.add(value)
    # Longest first, so a secret that contains another is replaced whole.
    return sorted(found, key=len, reverse=True)


def redact(text: str) -> str:
    """Return `text` with every known secret replaced."""
    for secret in _secrets():
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


class RedactingFormatter(logging.Formatter):
    """A log formatter whose every line, traceback included, has passed through `redact`."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class _StderrHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever `sys.stderr` is at the time of each record, not the one at set-up
    (which a test harness, or a redirect, may have closed since)."""

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: object) -> None:
        pass


def configure_logging(*, verbose: bool) -> None:
    """Log to stderr: warnings by default, everything with `--verbose`; never a secret."""
    handler = _StderrHandler()
    handler.setFormatter(RedactingFormatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("reconciler")
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else logging.WARNING)
    root.propagate = False
    # The transport retries itself and says so in one line (api/transport.py); urllib3's own
    # warnings (a pool full, headers it could not parse) repeat that in its words, several
    # lines each. Shown with -v only, redacted like the rest.
    foreign = logging.getLogger("urllib3")
    foreign.handlers[:] = [handler] if verbose else [logging.NullHandler()]
    foreign.setLevel(logging.WARNING)
    foreign.propagate = False
