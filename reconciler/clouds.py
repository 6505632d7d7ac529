"""The clouds a volume can live in: one table that every layer of the client side reads.

A volume's `service.type` names its cloud (`docs/api.md`): the planner reads here how a file's
`hosted_on_locations` spells that cloud (a file hosted only elsewhere cannot be exported there),
the scheme of the object URIs it shows, and whether bulk exports may write there at all (not to
Google Cloud Storage). Supporting another cloud starts with a row here. The module imports
nothing from the package, so every layer (the planner's pure core included) may read it; the
sandbox keeps its own knowledge, as an independent implementation of the contract.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

# The export properties of a create item; all but the first are S3's own.
S3_PROPERTIES = ("sse_algorithm", "sse_aws_kms_key_id", "aws_canned_acl", "aws_storage_class")


@dataclass(frozen=True, slots=True)
class Cloud:
    service_type: str  # a volume's `service.type`
    hosted_as: str  # the cloud in a file's `hosted_on_locations`: "aws" of "aws:us-east-1"
    label: str  # for people: "S3", "GCS"
    uri_scheme: str | None  # of the object URIs shown in a plan; None: no URI is shown
    exportable: bool  # whether bulk exports may write to its volumes
    properties: tuple[str, ...]  # the export properties that mean something there


CLOUDS: Mapping[str, Cloud] = {
    cloud.service_type: cloud
    for cloud in (
        Cloud("s3", "aws", "S3", "s3", exportable=True, properties=S3_PROPERTIES),
        Cloud("gcs", "gcp", "GCS", "gs", exportable=False, properties=()),
        Cloud("azure", "azure", "Azure", None, exportable=True, properties=()),
        Cloud("oss", "ali", "OSS", None, exportable=True, properties=()),
    )
}


def cloud_of(service_type: str) -> Cloud | None:
    """The cloud of a volume's `service.type`; None for a type this table does not know."""
    return CLOUDS.get(service_type)
