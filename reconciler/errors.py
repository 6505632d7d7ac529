"""The one exception tree of the client side, and how each kind is shown to a user.

    ReconcilerError                 anything we expect and can explain in one line (exit 1)
    ├── ManifestError               one or more manifest problems, each FILE:LINE:COL: message
    ├── ConfigError                 endpoint, token, credentials file, CLI arguments
    ├── ApiError                    the API answered with an error, or not at all
    │   ├── RateLimitError          429 past our own pacing
    │   ├── MaintenanceError        503 code 0
    │   └── TransportError          no readable response: connection lost, timeout, bad body
    │       └── UnreadableAnswer    an answer came, but its body is not JSON
    ├── PlanFileError               a saved plan that is not ours, edited, or no longer matches
    ├── GuardError                  apply refused before any call: max_moves, max_bytes, no --yes
    ├── StateError                  the state folder (journal, lock) cannot be used
    ├── HistoryError                git cannot answer `reconciler history` (gitops/gitlog.py)
    └── ReviewError                 no reviewed plan for a merged commit (gitops/reviewed.py)

Foreign exceptions (requests, ruamel, pydantic, OSError) are translated into these at the edge
that raised them, so the top-level handler in `cli.py` never has to know about them. The sandbox
has its own errors: it shares nothing with the client side.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict, Unpack


class ReconcilerError(Exception):
    """An expected failure with a message fit for a user: one line, subject first."""


@dataclass(frozen=True)
class Diagnostic:
    """One problem in one manifest, with the place an editor should jump to (1-based)."""

    file: str
    line: int
    column: int
    message: str
    rule: str = ""

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}"


class ManifestError(ReconcilerError):
    """Every problem found in the manifests, in one pass."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = sorted(diagnostics, key=lambda d: (d.file, d.line, d.column))
        first = self.diagnostics[0] if self.diagnostics else "no diagnostics"
        more = len(self.diagnostics) - 1
        suffix = f" (and {more} more)" if more > 0 else ""
        super().__init__(f"{first}{suffix}")


class ConfigError(ReconcilerError):
    """Endpoint, token or command-line configuration that cannot be used."""


class Where(TypedDict, total=False):
    """Where an API error came from, as far as the answer says: its HTTP status, the
    platform's error code and the request id to quote to support."""

    status: int | None
    code: int | None
    request_id: str | None


class ApiError(ReconcilerError):
    """The API refused a call; carries what a user needs to follow it up."""

    def __init__(self, message: str, **where: Unpack[Where]) -> None:
        self.status = status = where.get("status")
        self.code = code = where.get("code")
        self.request_id = request_id = where.get("request_id")
        self.api_message = message
        parts = [message]
        if status is not None:
            parts.append(f"HTTP {status}" + (f" code {code}" if code is not None else ""))
        if request_id:
            parts.append(f"request id {request_id}")
        super().__init__(" | ".join(parts) if len(parts) > 1 else message)


class RateLimitError(ApiError):
    """The rate limit was exceeded and waiting for the reset was not possible."""


class MaintenanceError(ApiError):
    """The platform is in maintenance (503 code 0) for longer than we may wait."""


class TransportError(ApiError):
    """No readable answer: the call may or may not have taken effect on the server, unless
    `sent` is False (it failed before the request was written: nothing reached the server)."""

    def __init__(self, message: str, *, sent: bool = True, **where: Unpack[Where]) -> None:
        super().__init__(message, **where)
        self.sent = sent


class UnreadableAnswer(TransportError):
    """An answer arrived whose body is not JSON (a proxy's page, a truncated body): the server
    is reachable, it just does not speak the API there."""


class PlanFileError(ReconcilerError):
    """A saved plan that cannot be applied as it is."""


class GuardError(ReconcilerError):
    """Apply refused before making any call."""


class StateError(ReconcilerError):
    """The state folder (journal, receipt, lock) cannot be read or written."""
