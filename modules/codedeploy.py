"""CodeDeploy blue/green for an ECS service behind an ALB.

Traffic moves to the green target group through the test listener first, then shifts
by the deployment config; failure, a manual stop, or a firing alarm rolls back.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cdktf import ITerraformDependable
from cdktf_cdktf_provider_aws.codedeploy_app import CodedeployApp
from cdktf_cdktf_provider_aws.codedeploy_deployment_group import (
    CodedeployDeploymentGroup,
)
from cdktf_cdktf_provider_aws.codedeploy_deployment_group import (
    CodedeployDeploymentGroupLoadBalancerInfoTargetGroupPairInfoTargetGroup as TargetGroup,
)
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from constructs import Construct

from modules.iam import trust_policy

CODEDEPLOY_ECS_POLICY = "arn:aws:iam::aws:policy/AWSCodeDeployRoleForECS"


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
    deployment_config: str = "CodeDeployDefault.ECSCanary10Percent5Minutes"
    termination_wait_minutes: int = 5
    alarm_names: list[str] = field(default_factory=list)
    """Alarms that stop and roll back a deployment (when `rollback_on_alarms`)."""
    rollback_on_alarms: bool = True
    depends_on: list[ITerraformDependable] = field(default_factory=list)
    """The ECS service: the deployment group names it."""
    tags: dict[str, str] = field(default_factory=dict)


class CodeDeployBlueGreen(Construct):
    def __init__(self, scope: Construct, id_: str, props: CodeDeployProps):
        super().__init__(scope, id_)
        p = props
        self.application = CodedeployApp(self, "app", name=p.application_name, compute_platform="ECS", tags=p.tags)
        self.role = IamRole(
            self,
            "role",
            name=p.role_name,
            tags=p.tags,
            assume_role_policy=trust_policy("codedeploy.amazonaws.com", p.account_id),
        )
        role_policy = IamRolePolicyAttachment(self, "role-ecs", role=self.role.name, policy_arn=CODEDEPLOY_ECS_POLICY)
        use_alarms = p.rollback_on_alarms and bool(p.alarm_names)
        rollback_events = ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_REQUEST"] + (
            ["DEPLOYMENT_STOP_ON_ALARM"] if use_alarms else []
        )
        self.deployment_group = CodedeployDeploymentGroup(
            self,
            "group",
            app_name=self.application.name,
            deployment_group_name=p.deployment_group_name,
            service_role_arn=self.role.arn,
            deployment_config_name=p.deployment_config,
            deployment_style={"deployment_option": "WITH_TRAFFIC_CONTROL", "deployment_type": "BLUE_GREEN"},
            blue_green_deployment_config={
                "deployment_ready_option": {"action_on_timeout": "CONTINUE_DEPLOYMENT"},
                "terminate_blue_instances_on_deployment_success": {
                    "action": "TERMINATE",
                    "termination_wait_time_in_minutes": p.termination_wait_minutes,
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
            depends_on=[role_policy, *p.depends_on],
            tags=p.tags,
        )
