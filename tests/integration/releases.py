"""Releases as AWS performs them, done directly against the emulator (moto runs no pipeline).

`ecs_action_release` is what CodePipeline's ECS (standard) deploy action does for a rolling
environment: a new revision of the service's current task definition with only the image
changed, then UpdateService. `codedeploy_release` is what CodeDeploy does for a blue_green
one: a replacement task set with a new revision behind the target group that is not serving,
made primary, the production and test listeners swapped, and the original task set deleted once
the termination wait is over. It uses ECS task sets, which is
how CodeDeploy moves a CODE_DEPLOY service (UpdateService refuses a new task definition or
load balancer for it: emulator/compat/ecs.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Aws = Callable[[str], Any]
REGISTER_KEYS = (
    "family",
    "taskRoleArn",
    "executionRoleArn",
    "networkMode",
    "containerDefinitions",
    "requiresCompatibilities",
    "cpu",
    "memory",
    "runtimePlatform",
)


@dataclass(frozen=True)
class Released:
    task_definition: str
    image: str
    serving: str
    """Target group ARN now serving production traffic."""


def service(aws: Aws, env: str) -> dict[str, Any]:
    return aws("ecs").describe_services(cluster=f"acme-web-{env}", services=["web"])["services"][0]


def image_of(aws: Aws, task_definition: str) -> str:
    return aws("ecs").describe_task_definition(taskDefinition=task_definition)["taskDefinition"][
        "containerDefinitions"
    ][0]["image"]


def _new_revision(aws: Aws, current: str, tag: str) -> tuple[str, str]:
    definition = aws("ecs").describe_task_definition(taskDefinition=current)["taskDefinition"]
    containers = definition["containerDefinitions"]
    image = containers[0]["image"].rsplit(":", 1)[0] + f":{tag}"
    containers[0]["image"] = image
    registered = aws("ecs").register_task_definition(**{k: definition[k] for k in REGISTER_KEYS if k in definition})
    return registered["taskDefinition"]["taskDefinitionArn"], image


def ecs_action_release(aws: Aws, env: str, tag: str) -> Released:
    svc = service(aws, env)
    arn, image = _new_revision(aws, svc["taskDefinition"], tag)
    aws("ecs").update_service(cluster=f"acme-web-{env}", service="web", taskDefinition=arn)
    return Released(arn, image, svc["loadBalancers"][0]["targetGroupArn"])


def codedeploy_release(aws: Aws, env: str, tag: str, *, scale_by: int = 0) -> Released:
    """`scale_by`: autoscaling's change of the desired count, which CodeDeploy must not be confused with."""
    ecs, elb = aws("ecs"), aws("elbv2")
    cluster = f"acme-web-{env}"
    svc = service(aws, env)
    arn, image = _new_revision(aws, svc["taskDefinition"], tag)
    groups = {g["TargetGroupName"]: g["TargetGroupArn"] for g in elb.describe_target_groups()["TargetGroups"]}
    blue, green = groups[f"{cluster}-blue"], groups[f"{cluster}-green"]
    serving = svc["loadBalancers"][0]["targetGroupArn"]
    idle = green if serving == blue else blue
    port = svc["loadBalancers"][0]["containerPort"]
    task_set = ecs.create_task_set(
        cluster=cluster,
        service="web",
        taskDefinition=arn,
        externalId="codedeploy-release",
        launchType="FARGATE",
        loadBalancers=[{"targetGroupArn": idle, "containerName": "web", "containerPort": port}],
        networkConfiguration=svc["networkConfiguration"],
    )["taskSet"]
    ecs.update_service_primary_task_set(cluster=cluster, service="web", primaryTaskSet=task_set["taskSetArn"])
    for old in ecs.describe_task_sets(cluster=cluster, service="web")["taskSets"]:  # after the termination wait
        if old["taskSetArn"] != task_set["taskSetArn"]:
            ecs.delete_task_set(cluster=cluster, service="web", taskSet=old["taskSetArn"])
    if scale_by:
        ecs.update_service(cluster=cluster, service="web", desiredCount=svc["desiredCount"] + scale_by)
    lb = elb.describe_load_balancers(Names=[cluster])["LoadBalancers"][0]["LoadBalancerArn"]
    for listener in elb.describe_listeners(LoadBalancerArn=lb)["Listeners"]:  # production <-> test
        target = idle if listener["DefaultActions"][0]["TargetGroupArn"] == serving else serving
        elb.modify_listener(
            ListenerArn=listener["ListenerArn"], DefaultActions=[{"Type": "forward", "TargetGroupArn": target}]
        )
    return Released(arn, image, idle)


def alb_arn(aws: Aws, env: str) -> str:
    return str(aws("elbv2").describe_load_balancers(Names=[f"acme-web-{env}"])["LoadBalancers"][0]["LoadBalancerArn"])


def listener_targets(aws: Aws, env: str) -> dict[int, str]:
    """Listener port -> the name of the target group it forwards to."""
    elb = aws("elbv2")
    lb = alb_arn(aws, env)
    names = {g["TargetGroupArn"]: g["TargetGroupName"] for g in elb.describe_target_groups()["TargetGroups"]}
    return {
        listener["Port"]: names[listener["DefaultActions"][0]["TargetGroupArn"]]
        for listener in elb.describe_listeners(LoadBalancerArn=lb)["Listeners"]
    }
