"""Drift on the local target: every real out-of-band change is reported, a blue/green release is not.

Each case changes one thing with boto3 against the running emulator, asserts that
`drift` exits 2 naming exactly that resource and attribute, then `deploy` repairs it and
`drift` is clean again.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from tests.integration import releases
from tests.integration.releases import codedeploy_release

ALB_TO_TASKS = 8080


def _group(aws, name: str) -> dict:
    return aws("ec2").describe_security_groups(Filters=[{"Name": "group-name", "Values": [name]}])["SecurityGroups"][0]


def _cluster_arn(aws, name: str) -> str:
    return aws("ecs").describe_clusters(clusters=[name])["clusters"][0]["clusterArn"]


def _alb_arn(aws, name: str) -> str:
    return aws("elbv2").describe_load_balancers(Names=[name])["LoadBalancers"][0]["LoadBalancerArn"]


def add_ingress(aws):
    group = _group(aws, "acme-web-staging-tasks")
    aws("ec2").authorize_security_group_ingress(
        GroupId=group["GroupId"],
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    )


def remove_ingress(aws):
    group = _group(aws, "acme-web-staging-tasks")
    rule = next(p for p in group["IpPermissions"] if p.get("FromPort") == ALB_TO_TASKS)
    aws("ec2").revoke_security_group_ingress(GroupId=group["GroupId"], IpPermissions=[rule])


def scale_rolling_service(aws):
    aws("ecs").update_service(cluster="acme-web-staging", service="web", desiredCount=3)


def change_tag(aws):
    aws("ecs").tag_resource(
        resourceArn=_cluster_arn(aws, "acme-web-staging"), tags=[{"key": "environment", "value": "prod"}]
    )


def add_tag(aws):
    aws("elbv2").add_tags(ResourceArns=[_alb_arn(aws, "acme-web-staging")], Tags=[{"Key": "owner", "Value": "someone"}])


def shorten_log_retention(aws):
    aws("logs").put_retention_policy(logGroupName="/ecs/acme-web-staging/web", retentionInDays=1)


def raise_alarm_threshold(aws):
    cw = aws("cloudwatch")
    alarm = cw.describe_alarms(AlarmNames=["acme-web-production-connection-errors-blue"])["MetricAlarms"][0]
    keep = (
        "AlarmName",
        "AlarmDescription",
        "Namespace",
        "MetricName",
        "Dimensions",
        "Statistic",
        "Period",
        "EvaluationPeriods",
        "ComparisonOperator",
        "TreatMissingData",
    )
    cw.put_metric_alarm(**{k: alarm[k] for k in keep if k in alarm}, Threshold=500)


def widen_inline_policy(aws):
    aws("iam").put_role_policy(
        RoleName="acme-web-staging-task-execution",
        PolicyName="pull-image-write-logs",
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ecr:*", "Resource": "*"}]}
        ),
    )


def make_tags_mutable(aws):
    aws("ecr").put_image_tag_mutability(repositoryName="acme-web", imageTagMutability="MUTABLE")


def delete_alarm(aws):
    aws("cloudwatch").delete_alarms(AlarmNames=["acme-web-production-unhealthy-green"])


@dataclass(frozen=True)
class Case:
    change: Callable
    stack: str
    resource_type: str
    attribute: str | None
    """None: the resource was deleted."""


CASES = {
    "ingress rule added to the task security group": Case(add_ingress, "staging", "aws_security_group", "ingress"),
    "ingress rule removed from the task security group": Case(
        remove_ingress, "staging", "aws_security_group", "ingress"
    ),
    "rolling service desired count changed": Case(scale_rolling_service, "staging", "aws_ecs_service", "desired_count"),
    "tag changed": Case(change_tag, "staging", "aws_ecs_cluster", "tags"),
    "tag added": Case(add_tag, "staging", "aws_lb", "tags"),
    "log group retention changed": Case(
        shorten_log_retention, "staging", "aws_cloudwatch_log_group", "retention_in_days"
    ),
    "alarm threshold changed": Case(raise_alarm_threshold, "production", "aws_cloudwatch_metric_alarm", "threshold"),
    "inline IAM policy changed": Case(widen_inline_policy, "staging", "aws_iam_role_policy", "policy"),
    "ECR tag mutability changed": Case(make_tags_mutable, "release", "aws_ecr_repository", "image_tag_mutability"),
    "alarm deleted": Case(delete_alarm, "production", "aws_cloudwatch_metric_alarm", None),
}


def drift(deployed, *stacks: str) -> tuple[int, dict]:
    result = deployed.run("drift", *stacks, "--json")
    assert result.returncode in (0, 2), result.stdout + result.stderr
    return result.returncode, json.loads(result.stdout)


def test_no_drift_right_after_deploy(deployed):
    deployed.deploy()
    code, report = drift(deployed)
    assert code == 0, report
    assert not report["drifted"] and set(report["stacks"]) == {"access", "staging", "production", "release"}
    print(f"drift of all stacks: {report['seconds']}s")


@pytest.mark.parametrize("kind", list(CASES))
def test_out_of_band_change_is_drift_until_deploy_repairs_it(deployed, aws, kind: str):
    case = CASES[kind]
    case.change(aws)
    code, report = drift(deployed, case.stack)
    assert code == 2, report
    drifted = report["stacks"][case.stack]["drifted"]
    assert len(drifted) == 1, drifted  # exactly the change made, nothing else
    item = drifted[0]
    assert item["type"] == case.resource_type
    if case.attribute is None:
        assert item["change"] == "deleted" and item["repair"] == ["create"]
    else:
        assert item["change"] == "modified"
        assert any(a["name"].startswith(case.attribute) for a in item["attributes"]), item
    deployed.deploy(case.stack)
    code, report = drift(deployed, case.stack)
    assert code == 0, report


@pytest.fixture
def retention_shortened_and_alarm_deleted(deployed, aws):
    """One update (staging) and one re-creation (production) to repair; both stacks deployed afterwards."""
    shorten_log_retention(aws)
    delete_alarm(aws)
    yield
    deployed.deploy("staging", "production")


def test_gitlab_report_counts_the_repairs(deployed, tmp_path, retention_shortened_and_alarm_deleted):
    gitlab = tmp_path / "gitlab.json"
    full = tmp_path / "drift.json"
    result = deployed.run("drift", "--report", str(full), "--gitlab-report", str(gitlab))
    assert result.returncode == 2
    assert json.loads(gitlab.read_text()) == {"create": 1, "update": 1, "delete": 0}
    assert json.loads(full.read_text())["drifted"] is True
    assert "retention_in_days: 14 -> 1" in result.stdout


def test_blue_green_releases_either_way_are_not_drift(deployed, aws):
    """CodeDeploy's release (new revision and image, the other target group, swapped listeners) plus
    autoscaling's count: neither drift nor a planned change, with the emulator as strict as AWS. Two
    releases, from whichever colour serves now to the idle one and back, so both directions are seen."""
    first = releases.service(aws, "production")["loadBalancers"][0]["targetGroupArn"]
    served = []
    for tag in ("1a2b3c4", "5d6e7f8"):
        released = codedeploy_release(aws, "production", tag, scale_by=1)
        service = releases.service(aws, "production")
        assert service["taskDefinition"] == released.task_definition  # the emulator really changed
        assert service["loadBalancers"][0]["targetGroupArn"] == released.serving
        served.append(released.serving)
        code, report = drift(deployed, "production")
        assert code == 0, json.dumps(report, indent=2)
        assert report["stacks"]["production"]["drifted"] == []
        plan = deployed.run("plan", "production", "--detailed-exitcode")
        assert plan.returncode == 0, plan.stdout + plan.stderr  # no change planned: nothing AWS would refuse
    assert served[0] != first and served[1] == first  # to the idle colour, then back
