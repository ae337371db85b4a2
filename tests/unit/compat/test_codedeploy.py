"""compat.codedeploy: the alarm configuration round trip, UpdateDeploymentGroup, the deletes."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from orchestrator.local.emulator import MOTO_ACCOUNT_ID
from tests.unit.compat.helpers import REGION, Client, role, unique


def _deployment_group(client: Client, app: str, **extra: Any) -> tuple[str, dict[str, Any]]:
    codedeploy = client("codedeploy")
    name = unique("dg")
    request: dict[str, Any] = {
        "applicationName": app,
        "deploymentGroupName": name,
        "serviceRoleArn": role(client, "codedeploy.amazonaws.com"),
        "deploymentConfigName": "CodeDeployDefault.ECSAllAtOnce",
        "deploymentStyle": {
            "deploymentType": "BLUE_GREEN",
            "deploymentOption": "WITH_TRAFFIC_CONTROL",
        },
        "blueGreenDeploymentConfiguration": {
            "terminateBlueInstancesOnDeploymentSuccess": {
                "action": "TERMINATE",
                "terminationWaitTimeInMinutes": 5,
            },
            "deploymentReadyOption": {"actionOnTimeout": "CONTINUE_DEPLOYMENT"},
        },
        "ecsServices": [{"serviceName": "web", "clusterName": "prod"}],
        "loadBalancerInfo": {
            "targetGroupPairInfoList": [
                {
                    "targetGroups": [{"name": "blue"}, {"name": "green"}],
                    "prodTrafficRoute": {
                        "listenerArns": ["arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/lb/1/2"]
                    },
                }
            ]
        },
        "autoRollbackConfiguration": {"enabled": True, "events": ["DEPLOYMENT_FAILURE"]},
        **extra,
    }
    codedeploy.create_deployment_group(**request)
    return name, request


def _codedeploy_app(client: Client) -> str:
    name = unique("app")
    client("codedeploy").create_application(applicationName=name, computePlatform="ECS")
    return name


def test_codedeploy_alarm_configuration_round_trips(client: Client) -> None:
    codedeploy = client("codedeploy")
    app = _codedeploy_app(client)
    alarms = {"enabled": True, "ignorePollAlarmFailure": False, "alarms": [{"name": "5xx"}]}
    with_alarms, request = _deployment_group(client, app, alarmConfiguration=alarms)
    without_alarms, _ = _deployment_group(client, app)

    info = codedeploy.get_deployment_group(applicationName=app, deploymentGroupName=with_alarms)["deploymentGroupInfo"]
    assert info["alarmConfiguration"] == alarms
    for key in (
        "deploymentStyle",
        "blueGreenDeploymentConfiguration",
        "ecsServices",
        "loadBalancerInfo",
        "autoRollbackConfiguration",
        "serviceRoleArn",
        "deploymentConfigName",
    ):
        assert info[key] == request[key], key
    default = codedeploy.get_deployment_group(applicationName=app, deploymentGroupName=without_alarms)
    assert default["deploymentGroupInfo"]["alarmConfiguration"] == {
        "enabled": False,
        "ignorePollAlarmFailure": False,
        "alarms": [],
    }


def test_codedeploy_update_deployment_group_round_trips(client: Client) -> None:
    codedeploy = client("codedeploy")
    app = _codedeploy_app(client)
    name, request = _deployment_group(client, app, tags=[{"Key": "team", "Value": "web"}])
    renamed = unique("renamed")
    alarms = {
        "enabled": True,
        "ignorePollAlarmFailure": True,
        "alarms": [{"name": "a"}, {"name": "b"}],
    }
    codedeploy.update_deployment_group(
        applicationName=app,
        currentDeploymentGroupName=name,
        newDeploymentGroupName=renamed,
        deploymentConfigName="CodeDeployDefault.ECSLinear10PercentEvery1Minutes",
        alarmConfiguration=alarms,
        autoRollbackConfiguration={"enabled": False, "events": []},
    )

    info = codedeploy.get_deployment_group(applicationName=app, deploymentGroupName=renamed)["deploymentGroupInfo"]
    assert info["deploymentGroupName"] == renamed
    assert info["deploymentConfigName"] == "CodeDeployDefault.ECSLinear10PercentEvery1Minutes"
    assert info["alarmConfiguration"] == alarms
    assert info["autoRollbackConfiguration"] == {"enabled": False, "events": []}
    assert info["loadBalancerInfo"] == request["loadBalancerInfo"]  # members not sent are kept
    with pytest.raises(ClientError, match="DeploymentGroupDoesNotExist"):
        codedeploy.get_deployment_group(applicationName=app, deploymentGroupName=name)
    arn = f"arn:aws:codedeploy:{REGION}:{MOTO_ACCOUNT_ID}:deploymentgroup:{app}/{renamed}"
    assert codedeploy.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "web"}]


def test_codedeploy_delete_group_and_application(client: Client) -> None:
    codedeploy = client("codedeploy")
    app = _codedeploy_app(client)
    first, _ = _deployment_group(client, app)
    second, _ = _deployment_group(client, app)

    assert codedeploy.delete_deployment_group(applicationName=app, deploymentGroupName=first)["hooksNotCleanedUp"] == []
    with pytest.raises(ClientError, match="DeploymentGroupDoesNotExist"):
        codedeploy.get_deployment_group(applicationName=app, deploymentGroupName=first)
    codedeploy.delete_deployment_group(applicationName=app, deploymentGroupName=first)  # gone: no-op

    codedeploy.delete_application(applicationName=app)
    with pytest.raises(ClientError, match="ApplicationDoesNotExist"):
        codedeploy.get_application(applicationName=app)
    assert codedeploy.list_deployment_groups(applicationName=app)["deploymentGroups"] == []
    assert second not in codedeploy.list_deployment_groups(applicationName=app)["deploymentGroups"]
