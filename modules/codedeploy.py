"""CodeDeploy blue/green for an ECS service behind an ALB.

Traffic moves to the green target group through the test listener first, then shifts
by the deployment config; failure, a manual stop, or a firing alarm rolls back.

What a release must carry to CodeDeploy but only Terraform knows (the service's network
configuration: subnet and security-group IDs) is published in the release parameter, an
SSM parameter the build reads into each appspec (artifacts/render.py). A network change
therefore reaches the service with the next release, as AWS requires for a CODE_DEPLOY
service, never through an UpdateService it would refuse. The parameter also names the lifecycle
hooks (`hooks`: the AfterAllowTestTraffic function of modules/release_hook.py), which the appspec
lists; the CodeDeploy role may invoke those functions and nothing else (`invoke_only`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from cdktf import ITerraformDependable
from cdktf_cdktf_provider_aws.codedeploy_app import CodedeployApp
from cdktf_cdktf_provider_aws.codedeploy_deployment_group import (
    CodedeployDeploymentGroup,
)
from cdktf_cdktf_provider_aws.codedeploy_deployment_group import (
    CodedeployDeploymentGroupLoadBalancerInfoTargetGroupPairInfoTargetGroup as TargetGroup,
)
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktf_cdktf_provider_aws.ssm_parameter import SsmParameter
from constructs import Construct

from config.schema import BlueGreen
from modules.iam import allow, policy, project_role, trust_policy

MAX_ALARMS = 10
"""CodeDeploy's quota of CloudWatch alarms per deployment group (CodeDeploy user guide, quotas)."""
CODEDEPLOY_ECS_POLICY = "arn:aws:iam::aws:policy/AWSCodeDeployRoleForECSLimited"
"""Least privilege for ECS blue/green (AWS's `AWSCodeDeployRoleForECS` reads every S3 object, invokes
every function, publishes to every topic and updates every service of the account). What it lacks and
this deployment group needs is granted inline: passing the task's roles to ECS (its own PassRole covers
only roles named ecsTaskExecutionRole / ECSTaskExecution*)."""


@dataclass(frozen=True)
class CodeDeployProps:
    application_name: str
    deployment_group_name: str
    role_name: str
    account_id: str
    cluster_name: str
    service_name: str
    production_listener_arn: str
    test_listener_arn: str
    blue_target_group_name: str
    green_target_group_name: str
    settings: BlueGreen
    """Traffic shifting, termination wait and whether alarms roll back (the YAML's deployment.blue_green)."""
    release_parameter_name: str
    """SSM parameter holding what the build puts into the appspec (config.names: release_parameter)."""
    task_subnet_ids: list[str]
    task_security_group_ids: list[str]
    assign_public_ip: bool
    task_role_arns: list[str]
    """The task definition's task and execution roles, which CodeDeploy passes to ECS for the green task set."""
    permissions_boundary: str
    """Of the CodeDeploy role (config.names.AccessNames.boundary_arn)."""
    alarm_names: list[str] = field(default_factory=list)
    """Alarms that stop and roll back a deployment (when `settings.rollback_on_alarms`): every release alarm
    of modules/observability.py, both colours and the load balancer's; at most MAX_ALARMS."""
    hooks: dict[str, str] = field(default_factory=dict)
    """Lifecycle event -> the hook function's name, published for the appspec (artifacts/render.py)."""
    hook_function_arns: list[str] = field(default_factory=list)
    """The only functions the CodeDeploy role may invoke (none: it may invoke nothing)."""
    depends_on: list[ITerraformDependable] = field(default_factory=list)
    """The ECS service: the deployment group names it."""
    tags: dict[str, str] = field(default_factory=dict)


class CodeDeployBlueGreen(Construct):
    def __init__(self, scope: Construct, id_: str, props: CodeDeployProps):
        super().__init__(scope, id_)
        p = props
        self.application = CodedeployApp(self, "app", name=p.application_name, compute_platform="ECS", tags=p.tags)
        self.role = project_role(
            self,
            "role",
            name=p.role_name,
            tags=p.tags,
            assume_role_policy=trust_policy("codedeploy.amazonaws.com", p.account_id),
            permissions_boundary=p.permissions_boundary,
        )
        role_policy = IamRolePolicyAttachment(self, "role-ecs", role=self.role.name, policy_arn=CODEDEPLOY_ECS_POLICY)
        pass_roles = IamRolePolicy(
            self,
            "role-pass-task-roles",
            name="pass-task-roles",
            role=self.role.id,
            policy=policy(
                allow(
                    ["iam:PassRole"],
                    p.task_role_arns,
                    sid="PassTaskRoles",
                    Condition={"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
                )
            ),
        )
        if len(p.alarm_names) > MAX_ALARMS:
            raise ValueError(f"{len(p.alarm_names)} alarms; a CodeDeploy deployment group takes at most {MAX_ALARMS}")
        use_alarms = p.settings.rollback_on_alarms and bool(p.alarm_names)
        rollback_events = ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_REQUEST"] + (
            ["DEPLOYMENT_STOP_ON_ALARM"] if use_alarms else []
        )
        self.deployment_group = CodedeployDeploymentGroup(
            self,
            "group",
            app_name=self.application.name,
            deployment_group_name=p.deployment_group_name,
            service_role_arn=self.role.arn,
            deployment_config_name=p.settings.deployment_config,
            deployment_style={"deployment_option": "WITH_TRAFFIC_CONTROL", "deployment_type": "BLUE_GREEN"},
            blue_green_deployment_config={
                "deployment_ready_option": {"action_on_timeout": "CONTINUE_DEPLOYMENT"},
                "terminate_blue_instances_on_deployment_success": {
                    "action": "TERMINATE",
                    "termination_wait_time_in_minutes": p.settings.termination_wait_minutes,
                },
            },
            ecs_service={"cluster_name": p.cluster_name, "service_name": p.service_name},
            load_balancer_info={
                "target_group_pair_info": {
                    "prod_traffic_route": {"listener_arns": [p.production_listener_arn]},
                    "test_traffic_route": {"listener_arns": [p.test_listener_arn]},
                    "target_group": [
                        TargetGroup(name=p.blue_target_group_name),
                        TargetGroup(name=p.green_target_group_name),
                    ],
                }
            },
            auto_rollback_configuration={"enabled": True, "events": rollback_events},
            alarm_configuration={"enabled": True, "alarms": p.alarm_names} if use_alarms else None,
            depends_on=[role_policy, pass_roles, *p.depends_on],
            tags=p.tags,
        )
        network = {
            "awsvpcConfiguration": {
                "subnets": p.task_subnet_ids,
                "securityGroups": p.task_security_group_ids,
                "assignPublicIp": "ENABLED" if p.assign_public_ip else "DISABLED",
            }
        }
        self.release_parameter = SsmParameter(
            self,
            "release-parameter",
            name=p.release_parameter_name,
            type="String",
            description="What the release build puts into this environment's appspec (written by Terraform)",
            value=json.dumps({"networkConfiguration": network, **({"hooks": p.hooks} if p.hooks else {})}),
            tags=p.tags,
        )
        IamRolePolicy(
            self,
            "role-invoke-hooks",
            name="invoke-release-hooks",
            role=self.role.id,
            policy=policy(*invoke_only(p.hook_function_arns)),
        )


def invoke_only(function_arns: list[str]) -> list[dict[str, Any]]:
    """The CodeDeploy role invokes these functions and nothing else.

    AWSCodeDeployRoleForECSLimited itself allows lambda:InvokeFunction on every `CodeDeployHook_*`
    function of the account; the explicit Deny on everything but the hooks (NotResource) overrides it.
    """
    hooks = sorted({a for f in function_arns for a in (f, f"{f}:*")})  # unqualified, and its versions/aliases
    if not hooks:
        return [{"Sid": "InvokeNothing", "Effect": "Deny", "Action": "lambda:InvokeFunction", "Resource": "*"}]
    return [
        allow(["lambda:InvokeFunction"], hooks, sid="InvokeReleaseHooks"),
        {"Sid": "InvokeNothingElse", "Effect": "Deny", "Action": "lambda:InvokeFunction", "NotResource": hooks},
    ]
