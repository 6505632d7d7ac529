"""Typed views of the API's resources and envelopes (pydantic v2), and `parse`, the one place
where a body that does not fit becomes an ApiError.

Every model ignores unknown fields (the API adds fields over time) and accepts what the
contract marks optional as missing. Required fields are only those the reconciler cannot work
without: a file without `id` is not a file. Validation messages never quote the input value.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)

from reconciler.api.ratelimit import epoch_seconds
from reconciler.errors import ApiError

_M = TypeVar("_M", bound=BaseModel)


# The API may answer `null` for an empty list or object; a field marked so reads it as empty.
NULL_AS_EMPTY_LIST = BeforeValidator(lambda value: [] if value is None else value)
NULL_AS_EMPTY_OBJECT = BeforeValidator(lambda value: {} if value is None else value)


class _Resource(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Storage(_Resource):
    type: str = "PLATFORM"  # PLATFORM | VOLUME
    volume: str | None = None
    location: str | None = None
    hosted_on_locations: list[str] = Field(default_factory=list)


class File(_Resource):
    id: str
    name: str = ""
    type: str = "file"  # file | folder
    project: str | None = None
    parent: str | None = None
    size: int | None = None
    created_on: str | None = None
    modified_on: str | None = None
    metadata: Annotated[dict[str, Any], NULL_AS_EMPTY_OBJECT] = Field(default_factory=dict)
    tags: Annotated[list[str], NULL_AS_EMPTY_LIST] = Field(default_factory=list)
    storage: Annotated[Storage, NULL_AS_EMPTY_OBJECT] = Field(default_factory=Storage)

    @property
    def is_folder(self) -> bool:
        return self.type == "folder"


class VolumeService(_Resource):
    type: str = ""  # "s3", "gcs", ...: its cloud is `reconciler.clouds.cloud_of(type)`
    bucket: str = ""
    prefix: str | None = ""
    endpoint: str | None = None


class Volume(_Resource):
    id: str
    name: str = ""
    access_mode: str = "RW"
    active: bool = True
    service: VolumeService = Field(default_factory=VolumeService)


class ObjectMetadata(_Resource):
    size: int | None = None
    etag: str | None = None


class VolumeObject(_Resource):
    location: str
    volume: str | None = None
    type: str | None = None
    metadata: ObjectMetadata = Field(default_factory=ObjectMetadata)


class VolumePrefix(_Resource):
    prefix: str
    volume: str | None = None


class ItemError(_Resource):
    """One entry of a bulk answer that failed, or the body of an error response."""

    status: int | None = None
    code: int | None = None
    message: str = ""
    more_info: str | None = None

    def __str__(self) -> str:
        status = f"HTTP {self.status}" if self.status is not None else "error"
        code = f" code {self.code}" if self.code is not None else ""
        return f"{self.message or 'no message'} ({status}{code})"


class ExportSource(_Resource):
    file: str


class ExportDestination(_Resource):
    volume: str
    location: str


class Export(_Resource):
    id: str
    # A closed set: a job in a state we do not know could be active, and ignoring it could
    # plan the same export again; such an answer is refused (ApiError) instead.
    state: Literal["PENDING", "RUNNING", "COMPLETED", "FAILED"]
    source: ExportSource
    destination: ExportDestination
    properties: Annotated[dict[str, Any], NULL_AS_EMPTY_OBJECT] = Field(default_factory=dict)
    overwrite: bool = False
    started_on: str | None = None
    finished_on: str | None = None
    result: File | None = None
    error: ItemError | None = None

    @field_validator("error", mode="before")
    @classmethod
    def _error_text(cls, value: Any) -> Any:
        # Some answers carry a bare message; keep it rather than fail the whole job.
        return {"message": value} if isinstance(value, str) else value


class Project(_Resource):
    id: str
    name: str = ""
    root_folder: str | None = None


class User(_Resource):
    username: str


class SearchHit(_Resource):
    """One result of the file search: a candidate, not a fact (the index may lag or be
    partial); only its id is used, to read the file itself by bulk get."""

    id: str
    name: str = ""
    type: str = ""


class SearchPage(_Resource):
    """One page of `POST /files/search`: `count` results in all, this page's `result_set`,
    and the token of the next page (absent or null on the last)."""

    count: int | None = Field(default=None, ge=0)
    cont_token: str | None = None
    result_set: list[SearchHit]


class Rate(_Resource):
    limit: int | None = Field(default=None, ge=0)
    remaining: int | None = Field(default=None, ge=0)
    # Unix seconds once read (`ratelimit.epoch_seconds`): the platforms write it as an ISO
    # date, in seconds or in milliseconds.
    reset: float | None = None

    @field_validator("reset", mode="before")
    @classmethod
    def _moment(cls, value: Any) -> float | None:
        return epoch_seconds(value)


class RateLimit(_Resource):
    """`GET /rate_limit`: the caller's budget now (it does not count against it)."""

    rate: Rate


# ---- envelopes -----------------------------------------------------------------------------


class Link(_Resource):
    href: str | None = None
    rel: str | None = None
    next: str | None = None  # volume listings spell the link as {"next": url}


class Page(_Resource):
    items: list[dict[str, Any]]
    links: Annotated[list[Link], NULL_AS_EMPTY_LIST] = Field(default_factory=list)


class ObjectPage(Page):
    prefixes: Annotated[list[VolumePrefix], NULL_AS_EMPTY_LIST] = Field(default_factory=list)


class BulkEntry(_Resource):
    resource: dict[str, Any] | None = None
    error: ItemError | None = None


class BulkAnswer(_Resource):
    items: list[BulkEntry]


BulkKind = Literal["file", "export"]


def parse(model: type[_M], data: Any, *, what: str, request_id: str | None = None) -> _M:
    """`data` as `model`, or a one-line ApiError naming `what` and the first problem."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False, include_context=False)
        first = errors[0] if errors else {"loc": (), "msg": "invalid"}
        where = ".".join(str(part) for part in first["loc"]) or "body"
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        # `from None`: the pydantic error quotes the input, which is the server's, not ours.
        raise ApiError(
            f"{what}: unexpected response: {where}: {first['msg']}{more}", request_id=request_id
        ) from None
