"""CodeDeploy blue/green for an ECS service behind an ALB.

Traffic moves to the green target group through the test listener first, then shifts
by the deployment config; failure, a manual stop, or a firing alarm rolls back.

What a release must carry to CodeDeploy but only Terraform knows (the service's network
configuration: subnet and security-group IDs) is published in the release parameter, an
SSM parameter the build reads into each appspec (artifacts/render.py). A network change
therefore reaches the service with the next release, as AWS requires for a CODE_DEPLOY
service, never through an UpdateService it would refuse.
"""

from __future__ import annotations

import json
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
from cdktf_cdktf_provider_aws.ssm_parameter import SsmParameter
from constructs import Construct

from config.schema import BlueGreen
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
    settings: BlueGreen
    """Traffic shifting, termination wait and whether alarms roll back (the YAML's deployment.blue_green)."""
    release_parameter_name: str
    """SSM parameter holding what the build puts into the appspec (config.names: release_parameter)."""
    task_subnet_ids: list[str]
    task_security_group_ids: list[str]
    assign_public_ip: bool
    alarm_names: list[str] = field(default_factory=list)
    """Alarms that stop and roll back a deployment (when `settings.rollback_on_alarms`)."""
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
            depends_on=[role_policy, *p.depends_on],
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
            value=json.dumps({"networkConfiguration": network}),
            tags=p.tags,
        )
