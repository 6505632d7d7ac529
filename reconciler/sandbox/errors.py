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


# The platform's published status codes (docs/api.md, "Errors"): the sandbox answers with the
# one that fits, so what a user reads here is what the platform would say.
MAINTENANCE = 0
RATE_LIMITED = 1000
PROJECT_NOT_FOUND = 3002
PROJECT_ID_MALFORMED = 3012
FILE_NOT_FOUND = 5002
NOT_EXPORTABLE = 9006  # folders, public files, aliases
VOLUME_NOT_FOUND = 9007
EXPORT_NOT_FOUND = 9008
VOLUME_NO_PRIVILEGES = 9020
INVALID_CANNED_ACL = 9022
INVALID_STORAGE_CLASS = 9024
VOLUME_NOT_WRITABLE = 9026
VOLUME_INACTIVE = 9101  # published with 9026: the volume is not configured for writing
CROSS_CLOUD = 9027
CROSS_LOCATION = 9028
INVALID_SSE = 9032
DESTINATION_EXISTS = 9107
EXPORT_FILE_NOT_FOUND = 9109
BAD_REQUEST = 90000
UNAUTHORIZED = 90001
FORBIDDEN = 90002
NOT_FOUND = 90003
UNEXPECTED = 90004
METHOD_NOT_ALLOWED = 90006
CONFLICT = 90007
UNDECODABLE_BODY = 90009


def bad_request(message: str, code: int = BAD_REQUEST) -> ApiFailure:
    return ApiFailure(400, code, message)


def not_found(message: str, code: int = NOT_FOUND) -> ApiFailure:
    return ApiFailure(404, code, message)


def unexpected(message: str) -> ApiFailure:
    return ApiFailure(500, UNEXPECTED, message)
