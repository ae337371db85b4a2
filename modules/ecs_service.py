"""ECS on Fargate: cluster, task definition, roles, service and autoscaling.

rolling: ECS deployment controller with the circuit breaker and automatic rollback, and the release
alarms as deployment alarms: ECS fails and rolls back a deployment during which one fires (ECS developer
guide, "How the CloudWatch alarms detect Amazon ECS deployment failures").
blue_green: CODE_DEPLOY controller. AWS takes a new task definition, network
configuration, load balancer or platform version for such a service only through a
CodeDeploy deployment (UpdateService refuses them), so Terraform ignores those four and
the release carries them (taskdef.json, and the appspec's NetworkConfiguration from the
codedeploy module's release parameter). When the target-group set changes (`routing`),
the service cannot follow through CodeDeploy: it is replaced.

The task definition has one owner for both strategies: Terraform registers it from the
config, with the image the service runs now (the `image` variable, which the CLI reads from
the live service so a release is never reverted), and reads back the family's latest
revision (`track_latest`). A release's revision is the same definition with a new image,
so after a release the plan is clean; after a config change, a rolling service gets the
new revision through an ECS rolling deployment, a blue_green one with its next release.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from cdktf import ITerraformDependable, TerraformResource, TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.appautoscaling_policy import AppautoscalingPolicy
from cdktf_cdktf_provider_aws.appautoscaling_target import AppautoscalingTarget
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.ecs_cluster import EcsCluster, EcsClusterSetting
from cdktf_cdktf_provider_aws.ecs_service import EcsService, EcsServiceLoadBalancer
from cdktf_cdktf_provider_aws.ecs_task_definition import EcsTaskDefinition
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from constructs import Construct

from config.names import arn
from config.schema import Rolling, Strategy
from modules.iam import allow, policy, project_role, trust_policy
from modules.lifecycle import references

CODEDEPLOY_OWNS = ["task_definition", "load_balancer", "network_configuration", "platform_version"]
"""What a CODE_DEPLOY service changes only through CodeDeploy (ECS API reference, UpdateService)."""


@dataclass(frozen=True)
class EcsServiceProps:
    cluster_name: str
    service_name: str
    execution_role_name: str
    task_role_name: str
    account_id: str
    region: str
    task_definition: dict[str, Any]
    """RegisterTaskDefinition-shaped data (config.task_definition), its image the `image` variable's token."""
    log_group_name: str
    log_retention_days: int
    image_repository: str
    """ECR repository the execution role may pull from (and nothing else)."""
    subnet_ids: list[str]
    security_group_id: str
    assign_public_ip: bool
    target_group_arn: str
    """Target group the service starts behind (blue for blue_green)."""
    routing: TerraformResource
    """The ALB's target-group set (modules.alb): a blue_green service is replaced when it changes."""
    container_name: str
    container_port: int
    strategy: Strategy
    rolling: Rolling
    desired_count: int
    min_count: int
    max_count: int
    """Above min_count, target-tracking autoscaling owns desired_count."""
    cpu_target_percent: int
    permissions_boundary: str
    """Of the execution and task roles (config.names.AccessNames.boundary_arn)."""
    deployment_alarm_names: list[str] = field(default_factory=list)
    """rolling only: alarms that fail and roll back an ECS deployment (modules/observability.py's release alarms),
    so a revision that answers 5xx rolls back, not only one whose tasks fail to start (the circuit breaker)."""
    health_check_grace_period_seconds: int = 30
    depends_on: list[ITerraformDependable] = field(default_factory=list)
    """E.g. the listener: ECS attaches a service only to a target group a listener uses."""
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def autoscaled(self) -> bool:
        return self.max_count > self.min_count


class EcsFargateService(Construct):
    def __init__(self, scope: Construct, id_: str, props: EcsServiceProps):
        super().__init__(scope, id_)
        p = props
        self.cluster = EcsCluster(
            self,
            "cluster",
            name=p.cluster_name,
            setting=[EcsClusterSetting(name="containerInsights", value="enabled")],
            tags=p.tags,
        )
        self.log_group = CloudwatchLogGroup(
            self, "logs", name=p.log_group_name, retention_in_days=p.log_retention_days, tags=p.tags
        )
        self.execution_role, self.task_role = self._roles(p)
        td = p.task_definition
        self.task_definition = EcsTaskDefinition(
            self,
            "task",
            family=td["family"],
            network_mode=td["networkMode"],
            requires_compatibilities=td["requiresCompatibilities"],
            cpu=td["cpu"],
            memory=td["memory"],
            execution_role_arn=self.execution_role.arn,
            task_role_arn=self.task_role.arn,
            runtime_platform={
                "operating_system_family": td["runtimePlatform"]["operatingSystemFamily"],
                "cpu_architecture": td["runtimePlatform"]["cpuArchitecture"],
            },
            container_definitions=json.dumps(td["containerDefinitions"]),
            # The latest revision of the family, which after a release is the release's own.
            track_latest=True,
            # Never deregister a revision: a running deployment or a rollback may still need it.
            skip_destroy=True,
            # A released revision has no tags (neither the ECS deploy action nor CodeDeploy copies
            # them): the default tags on Terraform's own revision must not make it differ.
            lifecycle=TerraformResourceLifecycle(ignore_changes=["tags_all"]),
            tags=p.tags,
        )
        blue_green = p.strategy is Strategy.BLUE_GREEN
        ignored = (CODEDEPLOY_OWNS if blue_green else []) + (["desired_count"] if p.autoscaled else [])
        lifecycle = (
            TerraformResourceLifecycle(
                ignore_changes=ignored or None, replace_triggered_by=references(p.routing) if blue_green else None
            )
            if ignored or blue_green
            else None
        )
        strategy_settings: dict[str, Any] = (
            {"deployment_controller": {"type": "CODE_DEPLOY"}}
            if blue_green
            else {
                "deployment_controller": {"type": "ECS"},
                "deployment_circuit_breaker": {"enable": True, "rollback": p.rolling.circuit_breaker_rollback},
                "deployment_minimum_healthy_percent": p.rolling.minimum_healthy_percent,
                "deployment_maximum_percent": p.rolling.maximum_percent,
                **(
                    {"alarms": {"alarm_names": p.deployment_alarm_names, "enable": True, "rollback": True}}
                    if p.deployment_alarm_names
                    else {}
                ),
            }
        )
        self.service = EcsService(
            self,
            "service",
            name=p.service_name,
            cluster=self.cluster.arn,
            task_definition=self.task_definition.arn,
            launch_type="FARGATE",
            platform_version="LATEST",
            desired_count=p.desired_count,
            health_check_grace_period_seconds=p.health_check_grace_period_seconds,
            network_configuration={
                "subnets": p.subnet_ids,
                "security_groups": [p.security_group_id],
                "assign_public_ip": p.assign_public_ip,
            },
            load_balancer=[
                EcsServiceLoadBalancer(
                    target_group_arn=p.target_group_arn,
                    container_name=p.container_name,
                    container_port=p.container_port,
                )
            ],
            propagate_tags="SERVICE",
            enable_ecs_managed_tags=True,
            wait_for_steady_state=False,
            depends_on=p.depends_on,
            lifecycle=lifecycle,
            tags=p.tags,
            **strategy_settings,
        )
        if p.autoscaled:
            self._autoscaling(p)

    def _roles(self, p: EcsServiceProps) -> tuple[IamRole, IamRole]:
        """Execution role (ECS agent: pull, log) and task role (the app) are kept separate."""
        execution = project_role(
            self,
            "execution-role",
            name=p.execution_role_name,
            tags=p.tags,
            assume_role_policy=trust_policy("ecs-tasks.amazonaws.com", p.account_id),
            permissions_boundary=p.permissions_boundary,
        )
        repo_arn = arn("ecr", p.region, p.account_id, f"repository/{p.image_repository}")
        IamRolePolicy(
            self,
            "execution-policy",
            name="pull-image-write-logs",
            role=execution.id,
            policy=policy(
                allow(["ecr:GetAuthorizationToken"], "*", sid="EcrToken"),
                allow(
                    ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                    [repo_arn],
                    sid="PullImage",
                ),
                allow(["logs:CreateLogStream", "logs:PutLogEvents"], [f"{self.log_group.arn}:*"], sid="WriteLogs"),
            ),
        )
        task = project_role(
            self,
            "task-role",
            name=p.task_role_name,
            tags=p.tags,
            assume_role_policy=trust_policy("ecs-tasks.amazonaws.com", p.account_id),
            permissions_boundary=p.permissions_boundary,
        )
        return execution, task

    def _autoscaling(self, p: EcsServiceProps) -> None:
        target = AppautoscalingTarget(
            self,
            "scaling-target",
            service_namespace="ecs",
            scalable_dimension="ecs:service:DesiredCount",
            resource_id=f"service/{p.cluster_name}/{p.service_name}",
            min_capacity=p.min_count,
            max_capacity=p.max_count,
            depends_on=[self.service],
            tags=p.tags,
        )
        AppautoscalingPolicy(
            self,
            "scaling-cpu",
            name=f"{p.service_name}-cpu-target",
            policy_type="TargetTrackingScaling",
            service_namespace=target.service_namespace,
            scalable_dimension=target.scalable_dimension,
            resource_id=target.resource_id,
            target_tracking_scaling_policy_configuration={
                "target_value": p.cpu_target_percent,
                "predefined_metric_specification": {"predefined_metric_type": "ECSServiceAverageCPUUtilization"},
                "scale_in_cooldown": 120,
                "scale_out_cooldown": 60,
            },
        )
