"""The sandbox's own small exception tree (it shares nothing with the client side).

SandboxError            anything the sandbox can explain in one line
├── SeedError           a seed file that cannot be loaded: FILE: path: problem
├── StateExistsError    a seed was given for a data folder that already holds state
├── SettingsError       a fault or pacing setting with a bad name or value
└── ApiFailure          an API answer with an error body (status, code, message)
"""

from __future__ import annotations

from typing import Any

MORE_INFO = "https://docs.sevenbridges.com/reference/api-status-codes"


class SandboxError(Exception):
    """An expected sandbox failure with a one-line message."""


class SeedError(SandboxError):
    """The seed cannot be loaded."""


class StateExistsError(SandboxError):
    """The data folder already holds state and no reset was asked for."""


class SettingsError(SandboxError):
    """A setting has an unknown name or an unusable value."""


class ApiFailure(SandboxError):
    """An error the API reports with the documented body."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def body(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "code": self.code,
            "message": self.message,
            "more_info": MORE_INFO,
        }


def bad_request(message: str) -> ApiFailure:
    return ApiFailure(400, 9000, message)


def not_found(message: str) -> ApiFailure:
    return ApiFailure(404, 5002, message)
