"""compat.codedeploy: the alarm configuration round trip, UpdateDeploymentGroup, the deletes; ECS
deployments' targets, lifecycle events, stops, rollbacks and hooks."""

from __future__ import annotations

import datetime
import hashlib
from typing import Any

import pytest
from botocore.exceptions import ClientError

from emulator import MOTO_ACCOUNT_ID
from tests.unit.compat.helpers import REGION, Client, drive, ecs_service, is_json_number, raw_bodies, role, unique


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


def _appspec(task_definition: str, hook: bool = True) -> dict[str, Any]:
    content = (
        "version: 0.0\nResources:\n- TargetService:\n    Type: AWS::ECS::Service\n    Properties:\n"
        f"      TaskDefinition: {task_definition}\n      LoadBalancerInfo:\n        ContainerName: web\n"
        "        ContainerPort: 8080\n"
    )
    if hook:
        content += "Hooks:\n- AfterAllowTestTraffic: acme-web-production-release-hook\n"
    return {"revisionType": "AppSpecContent", "appSpecContent": {"content": content}}


def _release_group(client: Client) -> tuple[str, str]:
    app = _codedeploy_app(client)
    group, _ = _deployment_group(
        client,
        app,
        autoRollbackConfiguration={"enabled": True, "events": ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_REQUEST"]},
    )
    return app, group


def _deploy(client: Client, app: str, group: str, revision: int, hook: bool = True) -> str:
    task_definition = f"arn:aws:ecs:{REGION}:{MOTO_ACCOUNT_ID}:task-definition/web:{revision}"
    created = client("codedeploy").create_deployment(
        applicationName=app, deploymentGroupName=group, revision=_appspec(task_definition, hook)
    )
    return str(created["deploymentId"])


def _info(client: Client, deployment_id: str) -> dict[str, Any]:
    return dict(client("codedeploy").get_deployment(deploymentId=deployment_id)["deploymentInfo"])


def _target(client: Client, deployment_id: str) -> dict[str, Any]:
    codedeploy = client("codedeploy")
    ids = codedeploy.list_deployment_targets(deploymentId=deployment_id)["targetIds"]
    (target,) = codedeploy.batch_get_deployment_targets(deploymentId=deployment_id, targetIds=ids)["deploymentTargets"]
    assert target["deploymentTargetType"] == "ECSTarget"
    return dict(target["ecsTarget"])


def _events(target: dict[str, Any]) -> dict[str, str]:
    return {e["lifecycleEventName"]: e["status"] for e in target["lifecycleEvents"]}


def test_deployment_info_is_shaped_like_aws(client: Client, running: Any) -> None:
    codedeploy = client("codedeploy")
    bodies = raw_bodies(codedeploy)
    app, group = _release_group(client)
    first = _deploy(client, app, group, 1)
    info = _info(client, first)
    assert info["status"] == "Created" and info["deploymentOverview"]["Pending"] == 1
    for absent in ("previousRevision", "errorInformation", "rollbackInfo", "targetInstances", "completeTime"):
        assert absent not in info, absent  # AWS omits what does not apply; moto sent empty objects
    codedeploy.get_deployment(deploymentId=first)
    assert is_json_number(bodies["GetDeployment"]["deploymentInfo"]["createTime"])
    drive(running.endpoint, "codedeploy/deployment", {"deploymentId": first, "status": "Succeeded"})

    second = _deploy(client, app, group, 2)
    info = _info(client, second)
    assert info["previousRevision"] == _info(client, first)["revision"]  # the group's last successful one
    done = _info(client, first)
    assert done["status"] == "Succeeded" and done["deploymentOverview"]["Succeeded"] == 1
    assert isinstance(done["completeTime"], datetime.datetime)
    (batch,) = codedeploy.batch_get_deployments(deploymentIds=[second])["deploymentsInfo"]
    assert batch["previousRevision"] == info["previousRevision"]
    assert (
        second
        in codedeploy.list_deployments(applicationName=app, deploymentGroupName=group, includeOnlyStatuses=["Created"])[
            "deployments"
        ]
    )
    codedeploy.stop_deployment(deploymentId=second, autoRollbackEnabled=False)


def test_targets_show_lifecycle_events_and_task_sets(client: Client, running: Any) -> None:
    codedeploy = client("codedeploy")
    bodies = raw_bodies(codedeploy)
    app, group = _release_group(client)
    deployment = _deploy(client, app, group, 1)
    with pytest.raises(ClientError) as not_started:
        codedeploy.list_deployment_targets(deploymentId=deployment)
    assert not_started.value.response["Error"]["Code"] == "DeploymentNotStartedException"

    driven = drive(
        running.endpoint,
        "codedeploy/deployment",
        {"deploymentId": deployment, "status": "InProgress", "lifecycleEvent": "AfterAllowTestTraffic"},
    )
    assert driven["status"] == "InProgress" and driven["lifecycleEventHookExecutionId"]
    assert codedeploy.list_deployment_targets(deploymentId=deployment)["targetIds"] == ["prod:web"]
    target = _target(client, deployment)
    assert target["targetId"] == "prod:web" and target["status"] == "InProgress"
    events = _events(target)
    assert list(events) == [
        "BeforeInstall",
        "Install",
        "AfterInstall",
        "AllowTestTraffic",
        "AfterAllowTestTraffic",
        "BeforeAllowTraffic",
        "AllowTraffic",
        "AfterAllowTraffic",
    ]
    assert events["AllowTestTraffic"] == "Succeeded" and events["AfterAllowTestTraffic"] == "InProgress"
    assert events["AllowTraffic"] == "Pending"
    sets = {s["taskSetLabel"]: s for s in target["taskSetsInfo"]}
    assert (sets["Blue"]["trafficWeight"], sets["Green"]["trafficWeight"]) == (100.0, 0.0)
    assert (sets["Blue"]["targetGroup"], sets["Green"]["targetGroup"]) == ({"name": "blue"}, {"name": "green"})
    assert sets["Blue"]["status"] == "PRIMARY" and sets["Green"]["status"] == "ACTIVE"
    codedeploy.batch_get_deployment_targets(deploymentId=deployment, targetIds=["prod:web"])
    raw = bodies["BatchGetDeploymentTargets"]["deploymentTargets"][0]["ecsTarget"]
    assert is_json_number(raw["lastUpdatedAt"]) and is_json_number(raw["lifecycleEvents"][0]["startTime"])

    drive(
        running.endpoint,
        "codedeploy/deployment",
        {"deploymentId": deployment, "status": "InProgress", "lifecycleEvent": "AllowTraffic", "trafficWeight": 10},
    )
    sets = {s["taskSetLabel"]: s for s in _target(client, deployment)["taskSetsInfo"]}
    assert (sets["Blue"]["trafficWeight"], sets["Green"]["trafficWeight"]) == (90.0, 10.0)
    drive(running.endpoint, "codedeploy/deployment", {"deploymentId": deployment, "status": "Succeeded"})
    target = _target(client, deployment)
    assert set(_events(target).values()) == {"Succeeded"} and target["status"] == "Succeeded"


def test_stop_with_rollback_creates_the_rollback_deployment(client: Client, running: Any) -> None:
    codedeploy = client("codedeploy")
    app, group = _release_group(client)
    good = _deploy(client, app, group, 1)
    drive(running.endpoint, "codedeploy/deployment", {"deploymentId": good, "status": "Succeeded"})
    release = _deploy(client, app, group, 2)
    drive(
        running.endpoint,
        "codedeploy/deployment",
        {"deploymentId": release, "status": "InProgress", "lifecycleEvent": "AllowTraffic"},
    )

    stopped = codedeploy.stop_deployment(deploymentId=release, autoRollbackEnabled=True)
    assert stopped["status"] in ("Pending", "Succeeded") and stopped["statusMessage"]
    info = _info(client, release)
    assert info["status"] == "Stopped" and info["errorInformation"]["code"] == "MANUAL_STOP"
    rollback_id = info["rollbackInfo"]["rollbackDeploymentId"]
    rollback = _info(client, rollback_id)
    assert rollback["creator"] == "codeDeployRollback"
    assert rollback["revision"] == _info(client, good)["revision"]
    assert rollback["rollbackInfo"]["rollbackTriggeringDeploymentId"] == release
    assert rollback["status"] == "InProgress"
    assert _events(_target(client, release))["AllowTraffic"] == "Failed"
    with pytest.raises(ClientError) as again:
        codedeploy.stop_deployment(deploymentId=release, autoRollbackEnabled=True)
    assert again.value.response["Error"]["Code"] == "DeploymentAlreadyCompletedException"

    codedeploy.stop_deployment(deploymentId=rollback_id, autoRollbackEnabled=False)  # no rollback of the rollback
    assert "rollbackDeploymentId" not in _info(client, rollback_id)["rollbackInfo"]
    with pytest.raises(ClientError) as missing:
        codedeploy.stop_deployment(deploymentId="d-NOTHERE00")
    assert missing.value.response["Error"]["Code"] == "DeploymentDoesNotExistException"


def test_hook_status_moves_the_deployment_on_or_fails_it(client: Client, running: Any) -> None:
    codedeploy = client("codedeploy")
    app, group = _release_group(client)
    good = _deploy(client, app, group, 1)
    drive(running.endpoint, "codedeploy/deployment", {"deploymentId": good, "status": "Succeeded"})

    passing = _deploy(client, app, group, 2)
    at_hook = {"status": "InProgress", "lifecycleEvent": "AfterAllowTestTraffic"}
    execution = drive(running.endpoint, "codedeploy/deployment", {"deploymentId": passing, **at_hook})[
        "lifecycleEventHookExecutionId"
    ]
    for wrong, code in (
        (
            {"lifecycleEventHookExecutionId": "nope", "status": "Succeeded"},
            "InvalidLifecycleEventHookExecutionIdException",
        ),
        (
            {"lifecycleEventHookExecutionId": execution, "status": "Skipped"},
            "InvalidLifecycleEventHookExecutionStatusException",
        ),
    ):
        with pytest.raises(ClientError) as refused:
            codedeploy.put_lifecycle_event_hook_execution_status(deploymentId=passing, **wrong)
        assert refused.value.response["Error"]["Code"] == code
    answer = codedeploy.put_lifecycle_event_hook_execution_status(
        deploymentId=passing, lifecycleEventHookExecutionId=execution, status="Succeeded"
    )
    assert answer["lifecycleEventHookExecutionId"] == execution
    events = _events(_target(client, passing))
    assert events["AfterAllowTestTraffic"] == "Succeeded" and events["AllowTraffic"] == "InProgress"
    with pytest.raises(ClientError) as twice:
        codedeploy.put_lifecycle_event_hook_execution_status(
            deploymentId=passing, lifecycleEventHookExecutionId=execution, status="Failed"
        )
    assert twice.value.response["Error"]["Code"] == "LifecycleEventAlreadyCompletedException"
    drive(running.endpoint, "codedeploy/deployment", {"deploymentId": passing, "status": "Succeeded"})

    failing = _deploy(client, app, group, 3)
    execution = drive(running.endpoint, "codedeploy/deployment", {"deploymentId": failing, **at_hook})[
        "lifecycleEventHookExecutionId"
    ]
    codedeploy.put_lifecycle_event_hook_execution_status(
        deploymentId=failing, lifecycleEventHookExecutionId=execution, status="Failed"
    )
    info = _info(client, failing)
    assert info["status"] == "Failed" and info["errorInformation"]["code"] == "HOOK_EXECUTION_FAILURE"
    rollback = _info(client, info["rollbackInfo"]["rollbackDeploymentId"])  # DEPLOYMENT_FAILURE rolls back
    assert rollback["revision"] == _info(client, passing)["revision"] and rollback["creator"] == "codeDeployRollback"
    codedeploy.stop_deployment(deploymentId=rollback["deploymentId"], autoRollbackEnabled=False)


def test_a_first_deployment_rolls_back_to_the_original_task_set(client: Client, running: Any) -> None:
    """No earlier success: the rollback returns to what the original task set runs, the service's task definition."""
    cluster, service_name, service = ecs_service(client, deploymentController={"type": "CODE_DEPLOY"})
    app = _codedeploy_app(client)
    group, _ = _deployment_group(client, app, ecsServices=[{"serviceName": service_name, "clusterName": cluster}])
    release = _deploy(client, app, group, 9)
    drive(running.endpoint, "codedeploy/deployment", {"deploymentId": release, "status": "InProgress"})
    assert client("codedeploy").list_deployment_targets(deploymentId=release)["targetIds"] == [
        f"{cluster}:{service_name}"
    ]
    client("codedeploy").stop_deployment(deploymentId=release, autoRollbackEnabled=True)
    rollback = _info(client, _info(client, release)["rollbackInfo"]["rollbackDeploymentId"])
    content = _appspec_text(client, app, rollback["revision"])
    assert f"TaskDefinition: {service['taskDefinition']}" in content and "web:9" not in content
    client("codedeploy").stop_deployment(deploymentId=rollback["deploymentId"], autoRollbackEnabled=False)


def _appspec_text(client: Client, app: str, revision: dict[str, Any]) -> str:
    stored = client("codedeploy").get_application_revision(applicationName=app, revision=revision)
    return str(stored["revision"]["appSpecContent"]["content"])


def test_a_deployment_lists_its_appspec_by_sha256_only(client: Client, running: Any) -> None:
    """AWS lists an AppSpecContent revision by its sha256, without content (kayac/ecspresso rollback.go)."""
    codedeploy = client("codedeploy")
    app, group = _release_group(client)
    first = _deploy(client, app, group, 1)
    content = _appspec(f"arn:aws:ecs:{REGION}:{MOTO_ACCOUNT_ID}:task-definition/web:1")["appSpecContent"]["content"]
    listed = {
        "revisionType": "AppSpecContent",
        "appSpecContent": {"sha256": hashlib.sha256(content.encode()).hexdigest()},
    }
    assert _info(client, first)["revision"] == listed
    drive(running.endpoint, "codedeploy/deployment", {"deploymentId": first, "status": "Succeeded"})
    second = _deploy(client, app, group, 2)
    (batch,) = codedeploy.batch_get_deployments(deploymentIds=[second])["deploymentsInfo"]
    assert batch["previousRevision"] == listed
    assert "content" not in batch["revision"]["appSpecContent"] and batch["revision"]["appSpecContent"]["sha256"]
    codedeploy.stop_deployment(deploymentId=second, autoRollbackEnabled=False)


def test_application_revision_returns_the_appspec(client: Client, running: Any) -> None:
    codedeploy = client("codedeploy")
    app, group = _release_group(client)
    deployment = _deploy(client, app, group, 4)
    listed = _info(client, deployment)["revision"]
    stored = codedeploy.get_application_revision(applicationName=app, revision=listed)
    assert stored["applicationName"] == app
    assert "task-definition/web:4" in stored["revision"]["appSpecContent"]["content"]
    assert stored["revision"]["appSpecContent"]["sha256"] == listed["appSpecContent"]["sha256"]
    assert stored["revisionInfo"]["deploymentGroups"] == [group]
    assert isinstance(stored["revisionInfo"]["registerTime"], datetime.datetime)
    by_content = _appspec(f"arn:aws:ecs:{REGION}:{MOTO_ACCOUNT_ID}:task-definition/web:4")
    assert (
        codedeploy.get_application_revision(applicationName=app, revision=by_content)["revision"] == stored["revision"]
    )
    for name, revision, code in (
        (
            app,
            {"revisionType": "AppSpecContent", "appSpecContent": {"sha256": "0" * 64}},
            "RevisionDoesNotExistException",
        ),
        (unique("nope"), listed, "ApplicationDoesNotExistException"),
    ):
        with pytest.raises(ClientError) as refused:
            codedeploy.get_application_revision(applicationName=name, revision=revision)
        assert refused.value.response["Error"]["Code"] == code
    codedeploy.stop_deployment(deploymentId=deployment, autoRollbackEnabled=False)
