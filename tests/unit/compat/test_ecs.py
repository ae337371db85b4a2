"""compat.ecs: the CreateService members moto drops are kept."""

from __future__ import annotations

from tests.unit.compat.helpers import Client, ecs_service


def test_ecs_availability_zone_rebalancing_round_trips(client: Client) -> None:
    ecs = client("ecs")
    cluster, name, created = ecs_service(client, availabilityZoneRebalancing="DISABLED")
    assert created["availabilityZoneRebalancing"] == "DISABLED"
    described = ecs.describe_services(cluster=cluster, services=[name])["services"][0]
    assert described["availabilityZoneRebalancing"] == "DISABLED"

    ecs.update_service(cluster=cluster, service=name, availabilityZoneRebalancing="ENABLED")
    described = ecs.describe_services(cluster=cluster, services=[name])["services"][0]
    assert described["availabilityZoneRebalancing"] == "ENABLED"

    _, _, defaulted = ecs_service(client)
    assert defaulted["availabilityZoneRebalancing"] == "ENABLED"  # the AWS CreateService default


def test_ecs_create_service_members_round_trip(client: Client) -> None:
    ecs = client("ecs")
    breaker = {
        "deploymentCircuitBreaker": {"enable": True, "rollback": True},
        "maximumPercent": 200,
        "minimumHealthyPercent": 100,
    }
    cluster, name, created = ecs_service(
        client,
        deploymentConfiguration=breaker,
        healthCheckGracePeriodSeconds=30,
        enableECSManagedTags=True,
    )
    described = ecs.describe_services(cluster=cluster, services=[name])["services"][0]
    for service in (created, described):
        assert service["deploymentConfiguration"] == breaker
        assert service["healthCheckGracePeriodSeconds"] == 30
        assert service["enableECSManagedTags"] is True
    _, _, defaulted = ecs_service(client)
    assert defaulted["enableECSManagedTags"] is False
