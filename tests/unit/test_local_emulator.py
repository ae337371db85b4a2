"""The local AWS emulator: lifecycle, and one test per moto compatibility patch.

One emulator (a real ``python -m orchestrator.local.server`` process) serves the whole module;
each patch test drives the patched API with boto3 and asserts what the Terraform AWS provider
needs back. See the table in orchestrator/local/compat.py.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from orchestrator.local import emulator
from orchestrator.local.emulator import MOTO_ACCOUNT_ID, EmulatorStatus

REGION = "eu-west-1"
Client = Callable[[str], Any]


@pytest.fixture(scope="session")
def state_dir_of(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("emulator")


@pytest.fixture(scope="session")
def running(state_dir_of: Path) -> Iterator[EmulatorStatus]:
    status = emulator.start(state_dir=state_dir_of)
    try:
        yield status
    finally:
        emulator.stop(state_dir=state_dir_of)


@pytest.fixture(scope="session")
def client(running: EmulatorStatus) -> Client:
    config = Config(retries={"max_attempts": 1, "mode": "standard"})

    def make(service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=running.endpoint,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=config,
        )

    return make


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def raw_bodies(service_client: Any) -> dict[str, Any]:
    """Record each operation's raw JSON response body (before botocore parses timestamps)."""
    bodies: dict[str, Any] = {}

    def record(http_response: Any, model: Any, **_: Any) -> None:
        bodies[model.name] = json.loads(http_response.content or b"{}")

    service_client.meta.events.register("after-call", record)
    return bodies


def is_json_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def answers(endpoint: str) -> bool:
    try:
        with urllib.request.urlopen(f"{endpoint}/moto-api/config", timeout=2):
            return True
    except (urllib.error.URLError, OSError):
        return False


def role(client: Client, service_principal: str) -> str:
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": service_principal},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    created = client("iam").create_role(RoleName=unique("role"), AssumeRolePolicyDocument=json.dumps(document))
    return str(created["Role"]["Arn"])


# --------------------------------------------------------------------------- lifecycle


def test_start_is_idempotent(running: EmulatorStatus, state_dir_of: Path) -> None:
    again = emulator.start(state_dir=state_dir_of)
    assert again == running
    assert again.running and again.pid == running.pid and again.endpoint == running.endpoint


def test_status_json_shape(running: EmulatorStatus, state_dir_of: Path) -> None:
    report = emulator.status(state_dir=state_dir_of).to_json()
    assert report == {"running": True, "endpoint": running.endpoint, "pid": running.pid}
    assert report["endpoint"].startswith("http://127.0.0.1:")
    recorded = json.loads((state_dir_of / "emulator.json").read_text())
    assert recorded["pid"] == running.pid and recorded["endpoint"] == running.endpoint
    assert recorded["endpoint"].endswith(f":{recorded['port']}")


def test_sts_answers_as_moto_account(client: Client) -> None:
    assert client("sts").get_caller_identity()["Account"] == MOTO_ACCOUNT_ID == "123456789012"


def test_stop_really_stops(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOCAL_EMULATOR_DIR", str(tmp_path))  # honoured when no state_dir is given
    started = emulator.start(account_id="111111111111")
    assert started.running and (tmp_path / "emulator.json").exists()
    assert emulator.status().running
    sts = boto3.client(
        "sts",
        endpoint_url=started.endpoint,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    assert sts.get_caller_identity()["Account"] == "111111111111"  # the configured account

    assert emulator.stop() is True
    assert started.endpoint is not None and not answers(started.endpoint)
    assert emulator.status() == EmulatorStatus(running=False, endpoint=None, pid=None)
    assert not (tmp_path / "emulator.json").exists()
    assert emulator.stop() is False


def test_status_without_emulator(tmp_path: Path) -> None:
    assert emulator.status(state_dir=tmp_path).to_json() == {
        "running": False,
        "endpoint": None,
        "pid": None,
    }


# --------------------------------------------------------------------------- patches


def test_aws_managed_policy_can_be_attached(client: Client) -> None:
    iam = client("iam")
    name = role(client, "codedeploy.amazonaws.com").rsplit("/", 1)[-1]
    iam.attach_role_policy(RoleName=name, PolicyArn="arn:aws:iam::aws:policy/AWSCodeDeployRoleForECS")
    attached = iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
    assert [p["PolicyName"] for p in attached] == ["AWSCodeDeployRoleForECS"]


def test_codepipeline_timestamps_are_epoch_numbers(client: Client) -> None:
    codepipeline = client("codepipeline")
    bodies = raw_bodies(codepipeline)
    name = unique("pipeline")

    def stage(name: str) -> dict[str, Any]:
        source = {"category": "Source", "owner": "AWS", "provider": "S3", "version": "1"}
        return {
            "name": name,
            "actions": [
                {
                    "name": "a",
                    "actionTypeId": source,
                    "configuration": {"S3Bucket": "bucket", "S3ObjectKey": "key"},
                    "outputArtifacts": [{"name": "out"}],
                }
            ],
        }

    pipeline = {
        "name": name,
        "roleArn": role(client, "codepipeline.amazonaws.com"),
        "artifactStore": {"type": "S3", "location": "artifact-bucket"},
        "stages": [stage("One"), stage("Two")],
    }
    codepipeline.create_pipeline(pipeline=pipeline)
    codepipeline.get_pipeline(name=name)
    codepipeline.update_pipeline(pipeline={**pipeline, "stages": [stage("One"), stage("Three")]})
    codepipeline.list_pipelines()
    codepipeline.start_pipeline_execution(name=name)
    codepipeline.list_pipeline_executions(pipelineName=name)

    metadata = bodies["GetPipeline"]["metadata"]
    assert is_json_number(metadata["created"]) and is_json_number(metadata["updated"])
    (listed,) = [p for p in bodies["ListPipelines"]["pipelines"] if p["name"] == name]
    assert is_json_number(listed["created"]) and is_json_number(listed["updated"])
    assert listed["version"] == 2
    (execution,) = bodies["ListPipelineExecutions"]["pipelineExecutionSummaries"]
    assert is_json_number(execution["startTime"]) and is_json_number(execution["lastUpdateTime"])


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


def _ecs_service(client: Client, **extra: Any) -> tuple[str, str, dict[str, Any]]:
    ecs = client("ecs")
    cluster = unique("cluster")
    ecs.create_cluster(clusterName=cluster)
    family = unique("task")
    ecs.register_task_definition(
        family=family,
        containerDefinitions=[{"name": "web", "image": "nginx", "memory": 128}],
    )
    name = unique("svc")
    service = ecs.create_service(cluster=cluster, serviceName=name, taskDefinition=family, desiredCount=1, **extra)
    return cluster, name, service["service"]


def test_ecs_availability_zone_rebalancing_round_trips(client: Client) -> None:
    ecs = client("ecs")
    cluster, name, created = _ecs_service(client, availabilityZoneRebalancing="DISABLED")
    assert created["availabilityZoneRebalancing"] == "DISABLED"
    described = ecs.describe_services(cluster=cluster, services=[name])["services"][0]
    assert described["availabilityZoneRebalancing"] == "DISABLED"

    ecs.update_service(cluster=cluster, service=name, availabilityZoneRebalancing="ENABLED")
    described = ecs.describe_services(cluster=cluster, services=[name])["services"][0]
    assert described["availabilityZoneRebalancing"] == "ENABLED"

    _, _, defaulted = _ecs_service(client)
    assert defaulted["availabilityZoneRebalancing"] == "ENABLED"  # the AWS CreateService default


def test_ecs_create_service_members_round_trip(client: Client) -> None:
    ecs = client("ecs")
    breaker = {
        "deploymentCircuitBreaker": {"enable": True, "rollback": True},
        "maximumPercent": 200,
        "minimumHealthyPercent": 100,
    }
    cluster, name, created = _ecs_service(
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
    _, _, defaulted = _ecs_service(client)
    assert defaulted["enableECSManagedTags"] is False


def test_appautoscaling_target_tags(client: Client) -> None:
    appautoscaling = client("application-autoscaling")
    cluster, name, _ = _ecs_service(client)
    target = {
        "ServiceNamespace": "ecs",
        "ResourceId": f"service/{cluster}/{name}",
        "ScalableDimension": "ecs:service:DesiredCount",
    }
    arn = appautoscaling.register_scalable_target(
        **target, MinCapacity=1, MaxCapacity=4, Tags={"project": "acme", "env": "dev"}
    )["ScalableTargetARN"]
    assert appautoscaling.list_tags_for_resource(ResourceARN=arn)["Tags"] == {
        "project": "acme",
        "env": "dev",
    }

    appautoscaling.tag_resource(ResourceARN=arn, Tags={"env": "prod", "owner": "web"})
    appautoscaling.untag_resource(ResourceARN=arn, TagKeys=["project"])
    assert appautoscaling.list_tags_for_resource(ResourceARN=arn)["Tags"] == {
        "env": "prod",
        "owner": "web",
    }

    appautoscaling.deregister_scalable_target(**target)
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        appautoscaling.list_tags_for_resource(ResourceARN=arn)


def test_appautoscaling_policy_update_keeps_arn_and_alarms(client: Client) -> None:
    appautoscaling, cloudwatch = client("application-autoscaling"), client("cloudwatch")
    cluster, name, _ = _ecs_service(client)
    target = {
        "ServiceNamespace": "ecs",
        "ResourceId": f"service/{cluster}/{name}",
        "ScalableDimension": "ecs:service:DesiredCount",
    }
    appautoscaling.register_scalable_target(**target, MinCapacity=1, MaxCapacity=4)

    def put(value: float) -> dict[str, Any]:
        appautoscaling.put_scaling_policy(
            **target,
            PolicyName="cpu",
            PolicyType="TargetTrackingScaling",
            TargetTrackingScalingPolicyConfiguration={
                "TargetValue": value,
                "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"},
            },
        )
        policies = appautoscaling.describe_scaling_policies(ServiceNamespace="ecs", ResourceId=target["ResourceId"])[
            "ScalingPolicies"
        ]
        assert len(policies) == 1
        return dict(policies[0])

    def alarms_of_service() -> set[str]:
        prefix = f"TargetTracking-{target['ResourceId']}-"
        return {a["AlarmName"] for a in cloudwatch.describe_alarms(AlarmNamePrefix=prefix)["MetricAlarms"]}

    created = put(60.0)
    updated = put(70.0)
    assert updated["PolicyARN"] == created["PolicyARN"]
    assert updated["TargetTrackingScalingPolicyConfiguration"]["TargetValue"] == 70.0
    assert alarms_of_service() == {a["AlarmName"] for a in updated["Alarms"]}
    assert len(alarms_of_service()) == 2

    appautoscaling.delete_scaling_policy(**target, PolicyName="cpu")
    assert alarms_of_service() == set()


def _project(client: Client, **extra: Any) -> dict[str, Any]:
    request: dict[str, Any] = {
        "name": unique("build"),
        "source": {"type": "CODEPIPELINE", "buildspec": "buildspec.yml"},
        "artifacts": {"type": "CODEPIPELINE"},
        "environment": {
            "type": "LINUX_CONTAINER",
            "image": "aws/codebuild/standard:7.0",
            "computeType": "BUILD_GENERAL1_SMALL",
        },
        "serviceRole": role(client, "codebuild.amazonaws.com"),
        **extra,
    }
    return dict(client("codebuild").create_project(**request)["project"])


def test_codebuild_create_project_with_codepipeline_source(client: Client) -> None:
    codebuild = client("codebuild")
    created = _project(client, concurrentBuildLimit=2, badgeEnabled=False)
    (project,) = codebuild.batch_get_projects(names=[created["name"]])["projects"]
    assert project["source"]["type"] == "CODEPIPELINE" and "location" not in project["source"]
    assert project["artifacts"] == {"type": "CODEPIPELINE"}
    assert project["concurrentBuildLimit"] == 2  # kept, not dropped

    with pytest.raises(ClientError, match="location is required"):  # still checked where AWS does
        _project(client, source={"type": "S3"})


def test_codebuild_update_project_round_trips(client: Client) -> None:
    codebuild = client("codebuild")
    created = _project(client, description="before")
    updated = codebuild.update_project(
        name=created["name"],
        description="after",
        timeoutInMinutes=20,
        environment={
            "type": "LINUX_CONTAINER",
            "image": "aws/codebuild/standard:7.0",
            "computeType": "BUILD_GENERAL1_SMALL",
            "environmentVariables": [{"name": "REV", "value": "2", "type": "PLAINTEXT"}],
        },
        tags=[{"key": "rev", "value": "2"}],
    )["project"]
    assert updated["description"] == "after"
    (project,) = codebuild.batch_get_projects(names=[created["arn"]])["projects"]
    assert project["description"] == "after" and project["timeoutInMinutes"] == 20
    assert project["environment"]["environmentVariables"] == [{"name": "REV", "value": "2", "type": "PLAINTEXT"}]
    assert project["tags"] == [{"key": "rev", "value": "2"}]
    assert project["source"] == created["source"]  # members not sent are kept

    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        codebuild.update_project(name=unique("missing"), description="x")


def test_codebuild_delete_project_by_arn(client: Client) -> None:
    codebuild = client("codebuild")
    created = _project(client)
    codebuild.delete_project(name=created["arn"])
    assert created["name"] not in codebuild.list_projects()["projects"]


@pytest.mark.parametrize("service", ["codestar-connections", "codeconnections"])
def test_codestar_connection_lifecycle(client: Client, service: str) -> None:
    connections = client(service)
    name = unique("gitlab")
    arn = connections.create_connection(
        ProviderType="GitLab", ConnectionName=name, Tags=[{"Key": "project", "Value": "acme"}]
    )["ConnectionArn"]
    assert arn.startswith(f"arn:aws:{service}:{REGION}:{MOTO_ACCOUNT_ID}:connection/")

    connection = connections.get_connection(ConnectionArn=arn)["Connection"]
    assert connection == {
        "ConnectionName": name,
        "ConnectionArn": arn,
        "ProviderType": "GitLab",
        "OwnerAccountId": MOTO_ACCOUNT_ID,
        "ConnectionStatus": "PENDING",  # as on AWS until the console handshake
    }
    connections.tag_resource(ResourceArn=arn, Tags=[{"Key": "env", "Value": "dev"}])
    connections.untag_resource(ResourceArn=arn, TagKeys=["project"])
    assert connections.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "env", "Value": "dev"}]
    listed = connections.list_connections(ProviderTypeFilter="GitLab")["Connections"]
    assert arn in [c["ConnectionArn"] for c in listed]

    connections.delete_connection(ConnectionArn=arn)
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        connections.get_connection(ConnectionArn=arn)
