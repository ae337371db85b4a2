"""compat.ecs: the CreateService members moto drops are kept."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.unit.compat.helpers import Client, ecs_service, unique

TARGET_GROUP = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web/0123456789abcdef"


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


def _code_deploy_service(client: Client) -> tuple[str, str, dict]:
    return ecs_service(
        client,
        deploymentController={"type": "CODE_DEPLOY"},
        launchType="FARGATE",
        platformVersion="LATEST",
    )


@pytest.mark.parametrize(
    ("member", "value", "what"),
    [
        ("taskDefinition", None, "task definition"),
        ("networkConfiguration", {"awsvpcConfiguration": {"subnets": ["subnet-2"]}}, "network parameters"),
        (
            "loadBalancers",
            [{"targetGroupArn": TARGET_GROUP, "containerName": "web", "containerPort": 80}],
            "load balancers",
        ),
        ("platformVersion", "1.4.0", "platform version"),
    ],
)
def test_code_deploy_service_refuses_what_only_codedeploy_changes(
    client: Client, member: str, value, what: str
) -> None:
    ecs = client("ecs")
    cluster, name, service = _code_deploy_service(client)
    value = service["taskDefinition"] if value is None else value
    with pytest.raises(ClientError) as caught:
        ecs.update_service(cluster=cluster, service=name, **{member: value})
    error = caught.value.response["Error"]
    assert error["Code"] == "InvalidParameterException"
    assert error["Message"] == (
        f"Unable to update {what} on services with a CODE_DEPLOY deployment controller. "
        "Use AWS CodeDeploy to trigger a new deployment."
    )
    ecs.update_service(cluster=cluster, service=name, desiredCount=2)  # what UpdateService may change
    assert ecs.describe_services(cluster=cluster, services=[name])["services"][0]["desiredCount"] == 2


def test_an_ecs_controller_service_still_takes_them(client: Client) -> None:
    ecs = client("ecs")
    cluster, name, service = ecs_service(client, launchType="FARGATE")
    ecs.update_service(cluster=cluster, service=name, taskDefinition=service["taskDefinition"], platformVersion="1.4.0")
    assert ecs.describe_services(cluster=cluster, services=[name])["services"][0]["platformVersion"] == "1.4.0"


def test_code_deploy_service_reports_the_resolved_platform_version(client: Client) -> None:
    ecs = client("ecs")
    cluster, name, created = _code_deploy_service(client)
    described = ecs.describe_services(cluster=cluster, services=[name])["services"][0]
    assert created["platformVersion"] == described["platformVersion"] == "1.4.0"
    other_cluster, rolling, _ = ecs_service(client, launchType="FARGATE", platformVersion="LATEST")
    assert (
        ecs.describe_services(cluster=other_cluster, services=[rolling])["services"][0]["platformVersion"] == "LATEST"
    )


def test_a_family_names_its_latest_active_revision(client: Client) -> None:
    """After a rollback deregisters the revision it left, the family is the one the service runs again."""
    ecs = client("ecs")
    family = unique("web")
    arns = [
        ecs.register_task_definition(
            family=family, containerDefinitions=[{"name": "web", "image": f"nginx:{tag}", "memory": 128}]
        )["taskDefinition"]["taskDefinitionArn"]
        for tag in ("good", "bad")
    ]
    assert ecs.describe_task_definition(taskDefinition=family)["taskDefinition"]["taskDefinitionArn"] == arns[1]
    ecs.deregister_task_definition(taskDefinition=arns[1])
    assert ecs.describe_task_definition(taskDefinition=family)["taskDefinition"]["taskDefinitionArn"] == arns[0]
    inactive = ecs.describe_task_definition(taskDefinition=arns[1])["taskDefinition"]  # still described by revision
    assert inactive["status"] == "INACTIVE"
    again = ecs.register_task_definition(
        family=family, containerDefinitions=[{"name": "web", "image": "nginx:next", "memory": 128}]
    )["taskDefinition"]
    assert again["revision"] == 3  # numbered after every revision, as AWS does
    ecs.deregister_task_definition(taskDefinition=arns[0])
    ecs.deregister_task_definition(taskDefinition=again["taskDefinitionArn"])
    with pytest.raises(ClientError) as none_active:
        ecs.describe_task_definition(taskDefinition=family)
    assert none_active.value.response["Error"]["Code"] == "ClientException"
