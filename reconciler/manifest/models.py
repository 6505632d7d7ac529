"""The manifest language, version 1, as pydantic models, plus the effective rules that
loading derives from it (defaults merged into every entry) for the planner to consume.

The models check types and single-field shapes; rules that need several fields, several
files or a source position live in `checks.py`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ByteSize, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from reconciler.core.platforms import PLATFORM_URL_PATTERN, PLATFORMS
from reconciler.errors import Diagnostic
from reconciler.limits import MAX_COUNT

FILE_ID_PATTERN = r"^[0-9a-f]{24}$"
OWNER_NAME_PATTERN = r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$"

FileId = Annotated[str, Field(pattern=FILE_ID_PATTERN, description="A file ID: 24 hex characters.")]
OwnerName = Annotated[str, Field(pattern=OWNER_NAME_PATTERN, description="An `owner/name` id.")]
# S3 canned ACLs (AWS S3 user guide, "Canned ACL").
CannedAcl = Literal[
    "private",
    "public-read",
    "public-read-write",
    "aws-exec-read",
    "authenticated-read",
    "bucket-owner-read",
    "bucket-owner-full-control",
    "log-delivery-write",
]
CANNED_ACLS: tuple[str, ...] = get_args(CannedAcl)
# S3 storage classes (S3 API reference, PutObject `x-amz-storage-class`).
StorageClass = Literal[
    "STANDARD",
    "REDUCED_REDUNDANCY",
    "STANDARD_IA",
    "ONEZONE_IA",
    "INTELLIGENT_TIERING",
    "GLACIER",
    "DEEP_ARCHIVE",
    "OUTPOSTS",
    "GLACIER_IR",
    "SNOW",
    "EXPRESS_ONEZONE",
]
STORAGE_CLASSES: tuple[str, ...] = get_args(StorageClass)
# How the live reader finds the files under a glob's fixed folders: folder by folder (`list`,
# one request per folder) or with the platform's recursive file search (`search`, about two
# requests per 100 files, from an index that may lag recent uploads).
Discovery = Literal["search", "list"]
DISCOVERIES: tuple[str, ...] = get_args(Discovery)
DiscoveryValue = Annotated[
    Discovery,
    Field(
        description="How a glob's files are found: list (folder by folder, the default) or "
        "search (the platform's recursive file search: far fewer requests for big trees; it "
        "may miss a file uploaded moments ago)."
    ),
]


class Mode(StrEnum):
    MOVE = "move"
    COPY = "copy"


# Strict models refuse a plain string for an enum; YAML can only give the string.
ModeValue = Annotated[
    Mode, Field(strict=False, description="move (the default) or copy (the API's copy_only).")
]


class _Strict(BaseModel):
    # Unknown keys are errors: a typo such as `overwrit: true` must never be ignored.
    # strict: YAML gives real booleans and integers; "true" as a string is a mistake.
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Properties(_Strict):
    """Export properties; each key set here overrides the same key inherited from defaults."""

    sse_algorithm: Literal["AES256", "aws:kms"] | None = Field(
        default="AES256",
        description="S3 server-side encryption: AES256 (default), aws:kms or null.",
    )
    sse_aws_kms_key_id: str | None = Field(
        default=None, description="KMS key id or ARN; only with sse_algorithm aws:kms."
    )
    aws_canned_acl: CannedAcl | None = Field(default=None, description="An S3 canned ACL name.")
    aws_storage_class: StorageClass | None = Field(
        default=None,
        description="An S3 storage class (STANDARD, STANDARD_IA, GLACIER_IR, ...); sent only "
        "when declared, else the volume's default applies. null undoes a default's.",
    )


class Where(_Strict):
    """Filters on the files a glob matches: every metadata pair and every tag must match."""

    metadata: dict[str, str | int | float | bool] = Field(default_factory=dict)
    tags: list[str] = Field(default_factory=list)


# One type for every limit: a manifest's `guards`, a plan's (the smallest of its manifests')
# and apply's `--max-moves` / `--max-bytes` (read by this same validator).
class Guards(_Strict):
    """Limits on how much one apply may move; apply's --max-moves and --max-bytes add their
    own, and the smallest of each wins. Only moves count: a move deletes the platform copy."""

    max_moves: Annotated[int, Field(ge=0, le=MAX_COUNT)] | None = Field(
        default=None, description="apply refuses, before any call, a plan that moves more files."
    )
    max_bytes: ByteSize | None = Field(
        default=None,
        description="apply refuses a plan that moves more bytes (a number or '1.5TB', '500GiB').",
    )

    @field_validator("max_bytes")
    @classmethod
    def _within_a_count(cls, value: ByteSize | None) -> ByteSize | None:
        # A bound on ByteSize itself would write non-standard keys into the JSON schema.
        if value is not None and value > MAX_COUNT:
            raise PydanticCustomError("too_large", "at most {limit} bytes", {"limit": MAX_COUNT})
        return value


class Defaults(_Strict):
    volume: OwnerName | None = Field(default=None, description="The volume, as owner/volume.")
    mode: ModeValue | None = None
    overwrite: bool | None = Field(default=None, description="Replace an existing object.")
    properties: Properties | None = None
    discovery: DiscoveryValue | None = None


# Keys that mean something for a glob only. On a `file` or `path` entry they are refused, not
# ignored: like a typo, a `discovery: search` there would promise a cost it cannot change (an
# entry by ID or path is read by bulk get or by name, never by walking folders). In `defaults`
# they are inherited by the glob entries and mean nothing to the others.
GLOB_ONLY_KEYS = ("exclude", "where", "allow_empty", "discovery")


class ExportEntry(_Strict):
    """One declaration: which project files (by id, path or glob) go to which location."""

    file: FileId | None = Field(default=None, description="A file ID (24 hex characters).")
    path: str | None = Field(default=None, description="A file's path inside the project.")
    glob: str | None = Field(default=None, description="A glob over paths inside the project.")
    exclude: list[str] = Field(default_factory=list, description="Globs to leave out (glob only).")
    where: Where | None = Field(default=None, description="Metadata and tag filters (glob only).")
    allow_empty: bool = Field(default=False, description="A glob that matches nothing is fine.")
    discovery: DiscoveryValue | None = None
    location: str = Field(description="Destination inside the volume; placeholders allowed.")
    volume: OwnerName | None = Field(default=None, description="The volume, as owner/volume.")
    mode: ModeValue | None = None
    overwrite: bool | None = Field(default=None, description="Replace an existing object.")
    properties: Properties | None = None
    description: str | None = Field(default=None, description="Free text for reviewers.")

    @model_validator(mode="after")
    def _one_selector(self) -> ExportEntry:
        # Errors carry the offending key in ctx so the loader can point at it.
        chosen = [k for k in ("file", "path", "glob") if getattr(self, k) is not None]
        if not chosen:
            raise PydanticCustomError(
                "selector", "needs exactly one of `file`, `path`, `glob`: add one", {"key": ""}
            )
        if len(chosen) > 1:
            raise PydanticCustomError(
                "selector",
                "`{key}` and `{first}` both select files: "
                "keep exactly one of `file`, `path`, `glob`",
                {"key": chosen[1], "first": chosen[0]},
            )
        if self.glob is None:
            extra = [k for k in GLOB_ONLY_KEYS if k in self.model_fields_set]
            if extra:
                raise PydanticCustomError(
                    "selector",
                    "`{key}` applies only to `glob` entries: remove it or use `glob`",
                    {"key": extra[0]},
                )
        return self


class Manifest(_Strict):
    """One manifest file."""

    version: Literal[1] = Field(description="Manifest language version; 1.")
    platform: str | None = Field(
        default=None,
        description="cgc | cavatica | aws-us | aws-eu | f4c | ali-cn, "
        "or an https URL ending in /v2.",
    )
    project: OwnerName = Field(description="The project, as owner/project.")
    description: str | None = None
    labels: list[str] = Field(default_factory=list, description="Names for `--target`.")
    guards: Guards | None = None
    defaults: Defaults | None = None
    exports: list[ExportEntry] = Field(description="The declarations.")

    @field_validator("version", mode="before")
    @classmethod
    def _integer_version(cls, v: object) -> object:
        # YAML's `true` and `1.0` equal 1 in Python; the language version is the integer 1.
        if isinstance(v, bool) or not isinstance(v, int):
            raise PydanticCustomError("literal_error", "Input should be 1")
        return v

    @field_validator("platform")
    @classmethod
    def _known_platform(cls, p: str | None) -> str | None:
        if p is not None and p not in PLATFORMS and not re.match(PLATFORM_URL_PATTERN, p):
            raise PydanticCustomError(
                "platform",
                "unknown platform {value}: use one of {known} or an https URL ending in /v2",
                {"value": repr(p), "known": ", ".join(PLATFORMS)},
            )
        return p


# ---- What loading derives: the effective rules the planner consumes -----------------------


@dataclass(frozen=True, slots=True)
class Position:
    """Where something is declared, 1-based as editors count."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True)
class ExportProperties:
    """The three keys sent with every export, always explicit, and the storage class, sent
    only when the manifest declares one (null here: not sent, the volume's default applies).
    """

    # One model from the manifest's merged rules to the saved plan: foreign or hand-extended
    # plans must not load silently, so unknown keys are refused.
    __pydantic_config__ = ConfigDict(extra="forbid")

    sse_algorithm: str | None
    sse_aws_kms_key_id: str | None
    aws_canned_acl: str | None
    aws_storage_class: str | None

    def as_dict(self) -> dict[str, str | None]:
        """The `properties` of the create item, exactly as sent."""
        sent = {
            "sse_algorithm": self.sse_algorithm,
            "sse_aws_kms_key_id": self.sse_aws_kms_key_id,
            "aws_canned_acl": self.aws_canned_acl,
        }
        if self.aws_storage_class is not None:
            sent["aws_storage_class"] = self.aws_storage_class
        return sent


def export_properties(
    sse_algorithm: str | None = "AES256",
    sse_aws_kms_key_id: str | None = None,
    aws_canned_acl: str | None = None,
    aws_storage_class: str | None = None,
) -> ExportProperties:
    """Export properties with the API's defaults for every key not given."""
    return ExportProperties(sse_algorithm, sse_aws_kms_key_id, aws_canned_acl, aws_storage_class)


SelectorKind = Literal["file", "path", "glob"]


@dataclass(frozen=True, slots=True)
class ExportRule:
    """One entry with the defaults merged in: everything the planner needs, nothing optional."""

    manifest: str  # the manifest file, as given on the command line
    index: int  # position of the entry in `exports`
    project: str
    platform: str | None
    kind: SelectorKind
    selector: str  # the file ID, path or glob
    exclude: tuple[str, ...]
    where_metadata: tuple[tuple[str, str], ...]  # values as strings, the way the API stores them
    where_tags: tuple[str, ...]
    allow_empty: bool
    location: str  # template, placeholders not yet rendered
    volume: str
    mode: Mode
    overwrite: bool
    properties: ExportProperties
    declared_at: Position  # the entry
    location_at: Position  # its location value
    discovery: Discovery = "list"  # how a glob's files are found (the reader's concern only)


@dataclass(frozen=True, slots=True)
class ManifestHeader:
    """What a run needs of a manifest besides its rules. The validated entries are not kept:
    at 100,000 entries they cost about 80 MB that nothing reads once the rules exist."""

    project: str
    platform: str | None = None
    labels: tuple[str, ...] = ()
    guards: Guards | None = None
    platform_at: Position | None = None  # the `platform` key, for errors about the endpoint

    @classmethod
    def of(cls, manifest: Manifest, *, platform_at: Position | None = None) -> ManifestHeader:
        return cls(
            manifest.project,
            manifest.platform,
            tuple(manifest.labels),
            manifest.guards,
            platform_at if manifest.platform is not None else None,
        )


@dataclass(frozen=True, slots=True)
class LoadedManifest:
    path: str
    header: ManifestHeader
    rules: tuple[ExportRule, ...]
    content_digest: str = ""  # sha256 of this file's parsed content (see digest.py)


@dataclass(frozen=True, slots=True)
class ManifestSet:
    """All manifests of one run, valid, with a digest of their parsed content (so `fmt` and
    comments do not change it) that saved plans are checked against. After a light load
    (`load_manifests(..., rules=False)`) the manifests have no rules and no warnings."""

    manifests: tuple[LoadedManifest, ...]
    digest: str
    # Not errors: what validate and plan print as warnings (look-alike destinations).
    warnings: tuple[Diagnostic, ...] = ()

    @property
    def rules(self) -> tuple[ExportRule, ...]:
        return tuple(rule for m in self.manifests for rule in m.rules)
