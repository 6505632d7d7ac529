"""The cloud table, as the planner reads it: URI schemes, exportability, hosting."""

from __future__ import annotations

import dataclasses

import pytest

from reconciler.clouds import CLOUDS, cloud_of
from reconciler.core.live import LiveVolume
from reconciler.manifest.models import ExportProperties
from reconciler.plan.decide import object_uri, volume_problem


def volume(service_type: str) -> LiveVolume:
    return LiveVolume(
        id="o/v", access_mode="RW", active=True, service_type=service_type, bucket="b", prefix="p"
    )


@pytest.mark.parametrize("service_type", sorted(CLOUDS))
def test_each_cloud_is_read_by_the_planner(service_type: str) -> None:
    cloud = CLOUDS[service_type]
    expected_uri = f"{cloud.uri_scheme}://b/p/x.txt" if cloud.uri_scheme else None
    assert object_uri(volume(service_type), "x.txt") == expected_uri
    problem = volume_problem("o/v", volume(service_type))
    assert (problem is None) is cloud.exportable
    if problem is not None:
        assert problem.reason == f"volume o/v is on {cloud.label}: exports are not supported"


def test_an_unknown_service_type_is_no_cloud_and_not_blocked() -> None:
    assert cloud_of("tape") is None
    assert object_uri(volume("tape"), "x.txt") is None
    assert volume_problem("o/v", volume("tape")) is None


def test_the_clouds_the_contract_names() -> None:
    assert (CLOUDS["s3"].uri_scheme, CLOUDS["s3"].hosted_as, CLOUDS["s3"].exportable) == (
        "s3",
        "aws",
        True,
    )
    assert (CLOUDS["gcs"].uri_scheme, CLOUDS["gcs"].hosted_as, CLOUDS["gcs"].exportable) == (
        "gs",
        "gcp",
        False,
    )


def test_a_clouds_properties_are_export_properties_of_the_manifest_model() -> None:
    # The table cannot import the model (it is in the bottom layer): this ties the two, so a
    # property added to one and not the other fails here rather than going unsent or unread.
    fields = tuple(dataclasses.fields(ExportProperties))
    names = tuple(f.name for f in fields)
    assert CLOUDS["s3"].properties == names
    for cloud in CLOUDS.values():
        assert set(cloud.properties) <= set(names), cloud.service_type
