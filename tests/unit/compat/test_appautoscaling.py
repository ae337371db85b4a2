"""compat.appautoscaling: tags on scalable targets, policy updates in place."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.unit.compat.helpers import Client, ecs_service


def test_appautoscaling_target_tags(client: Client) -> None:
    appautoscaling = client("application-autoscaling")
    cluster, name, _ = ecs_service(client)
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
    cluster, name, _ = ecs_service(client)
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
