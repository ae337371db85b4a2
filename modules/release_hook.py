"""The CodeDeploy AfterAllowTestTraffic hook of a blue_green environment (code: hooks/after_allow_test_traffic.py).

A Lambda in the private subnets calls the green task set through the ALB's test listener and reports
Succeeded or Failed to CodeDeploy, which shifts production traffic only on Succeeded (and rolls back
on Failed). Its code is packaged during synth (a TerraformAsset of the staged handler module).

Network: the function needs the test listener (inside the VPC) and the CodeDeploy, ECS and EC2 APIs
(it reads the deployment, the task definition, the ALB's interfaces, and reports). With NAT gateways
it reaches them through NAT; without (network.tasks_in_public_subnets) the module adds interface VPC
endpoints for the three (private DNS, every private subnet), so the hook can always report: a hook
that cannot holds a deployment for an hour before CodeDeploy fails it.

Permissions: only what the function does (its log group; GetDeployment and
PutLifecycleEventHookExecutionStatus on this deployment group; GetApplicationRevision, whose resource
is the application (Service Authorization Reference, AWS CodeDeploy), on this application;
DescribeTaskDefinition and DescribeNetworkInterfaces, which have no resource-level permissions; the
network-interface actions
Lambda needs to run in a VPC, as AWSLambdaVPCAccessExecutionRole grants them).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from cdktf import AssetType, Fn, TerraformAsset
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.lambda_function import LambdaFunction
from cdktf_cdktf_provider_aws.security_group import SecurityGroup, SecurityGroupEgress, SecurityGroupIngress
from cdktf_cdktf_provider_aws.vpc_endpoint import VpcEndpoint
from constructs import Construct

from config.names import arn
from modules.iam import allow, policy, project_role, trust_policy

HANDLER = "after_allow_test_traffic.handler"
RUNTIME = "python3.11"
ENDPOINT_SERVICES = ("codedeploy", "ecs", "ec2")
"""The AWS APIs the hook calls: interface endpoints for them where the private subnets have no NAT."""


@dataclass(frozen=True)
class ReleaseHookProps:
    name: str
    """Function, role and security-group name (config.names: release_hook)."""
    account_id: str
    region: str
    code_dir: str
    """The staged handler module (stacks/assets.py): archived into the function's zip at synth."""
    vpc_id: str
    vpc_cidr: str
    subnet_ids: list[str]
    """The private subnets, where the function runs."""
    test_listener_port: int
    test_listener_protocol: str
    """HTTP, or HTTPS when the environment names a certificate."""
    health_path: str
    smoke_paths: list[tuple[str, int]]
    """(path, status) the green tasks must answer on the test listener (deployment.blue_green.smoke_paths)."""
    load_balancer_arn_suffix: str
    """`app/<name>/<id>`: how the function finds the ALB's network interfaces."""
    load_balancer_dns: str
    container_name: str
    codedeploy_application: str
    codedeploy_group: str
    log_retention_days: int
    permissions_boundary: str
    """Of the function's role (config.names.AccessNames.boundary_arn)."""
    endpoints: bool
    """True when the private subnets have no NAT: interface endpoints for ENDPOINT_SERVICES."""
    endpoints_security_group_name: str = ""
    timeout_seconds: int = 120
    """The function's timeout; it stops checking 10 s before it, to report."""
    tags: dict[str, str] = field(default_factory=dict)


class ReleaseHook(Construct):
    def __init__(self, scope: Construct, id_: str, props: ReleaseHookProps):
        super().__init__(scope, id_)
        p = props
        self.asset = TerraformAsset(self, "code", path=p.code_dir, type=AssetType.ARCHIVE)
        self.log_group = CloudwatchLogGroup(
            self, "logs", name=f"/aws/lambda/{p.name}", retention_in_days=p.log_retention_days, tags=p.tags
        )
        self.security_group = SecurityGroup(
            self,
            "sg",
            name=p.name,
            description="Release hook: the ALB test listener in the VPC, HTTPS to AWS APIs",
            vpc_id=p.vpc_id,
            ingress=[],
            egress=[
                _egress(p.test_listener_port, "To the ALB test listener", p.vpc_cidr),
                _egress(443, "HTTPS to the CodeDeploy, ECS and EC2 APIs", "0.0.0.0/0"),
            ],
            tags={**p.tags, "Name": p.name},
        )
        self.role = project_role(
            self,
            "role",
            name=p.name,
            tags=p.tags,
            assume_role_policy=trust_policy("lambda.amazonaws.com", p.account_id),
            permissions_boundary=p.permissions_boundary,
        )
        group = arn(
            "codedeploy", p.region, p.account_id, f"deploymentgroup:{p.codedeploy_application}/{p.codedeploy_group}"
        )
        application = arn("codedeploy", p.region, p.account_id, f"application:{p.codedeploy_application}")
        role_policy = IamRolePolicy(
            self,
            "policy",
            name="release-hook",
            role=self.role.id,
            policy=policy(
                allow(["logs:CreateLogStream", "logs:PutLogEvents"], [f"{self.log_group.arn}:*"], sid="Logs"),
                allow(
                    ["codedeploy:GetDeployment", "codedeploy:PutLifecycleEventHookExecutionStatus"],
                    [group],
                    sid="ReportToCodeDeploy",
                ),
                # The AppSpec's text: GetDeployment lists an AppSpecContent revision by its sha256 only.
                allow(["codedeploy:GetApplicationRevision"], [application], sid="ReadAppSpec"),
                allow(["ecs:DescribeTaskDefinition"], "*", sid="ReadTaskDefinition"),
                allow(
                    [
                        "ec2:CreateNetworkInterface",
                        "ec2:DeleteNetworkInterface",
                        "ec2:DescribeNetworkInterfaces",
                        "ec2:AssignPrivateIpAddresses",
                        "ec2:UnassignPrivateIpAddresses",
                    ],
                    "*",
                    sid="RunInVpc",
                ),
            ),
        )
        self.endpoints = self._endpoints(p) if p.endpoints else []
        self.function = LambdaFunction(
            self,
            "function",
            function_name=p.name,
            description="CodeDeploy AfterAllowTestTraffic: the green tasks must serve the released commit",
            role=self.role.arn,
            runtime=RUNTIME,
            handler=HANDLER,
            filename=self.asset.path,
            source_code_hash=Fn.filebase64sha256(self.asset.path),
            timeout=p.timeout_seconds,
            memory_size=128,
            vpc_config={"subnet_ids": p.subnet_ids, "security_group_ids": [self.security_group.id]},
            environment={
                "variables": {
                    "TEST_LISTENER_PORT": str(p.test_listener_port),
                    "TEST_LISTENER_PROTOCOL": p.test_listener_protocol,
                    "HEALTH_PATH": p.health_path,
                    "SMOKE_PATHS": json.dumps([{"path": path, "status": status} for path, status in p.smoke_paths]),
                    "LOAD_BALANCER": p.load_balancer_arn_suffix,
                    "LOAD_BALANCER_DNS": p.load_balancer_dns,
                    "CONTAINER_NAME": p.container_name,
                }
            },
            # CreateFunction checks the role may manage network interfaces; logs must exist first.
            depends_on=[role_policy, self.log_group, *self.endpoints],
            tags=p.tags,
        )

    def _endpoints(self, p: ReleaseHookProps) -> list[VpcEndpoint]:
        group = SecurityGroup(
            self,
            "endpoints-sg",
            name=p.endpoints_security_group_name,
            description="Interface endpoints: HTTPS from the VPC",
            vpc_id=p.vpc_id,
            ingress=[_ingress(443, "HTTPS from the VPC", p.vpc_cidr)],
            egress=[],
            tags={**p.tags, "Name": p.endpoints_security_group_name},
        )
        return [
            VpcEndpoint(
                self,
                f"endpoint-{service}",
                vpc_id=p.vpc_id,
                service_name=f"com.amazonaws.{p.region}.{service}",
                vpc_endpoint_type="Interface",
                private_dns_enabled=True,
                subnet_ids=p.subnet_ids,
                security_group_ids=[group.id],
                tags={**p.tags, "Name": f"{p.endpoints_security_group_name}-{service}"},
            )
            for service in ENDPOINT_SERVICES
        ]

    @property
    def function_name(self) -> str:
        return self.function.function_name

    @property
    def function_arn(self) -> str:
        return self.function.arn


def _tcp(port: int, description: str, cidr: str) -> dict[str, Any]:
    """One TCP port to or from a CIDR; every attribute set, as Terraform requires of inline rules in JSON."""
    return {
        "from_port": port,
        "to_port": port,
        "protocol": "tcp",
        "description": description,
        "cidr_blocks": [cidr],
        "security_groups": [],
        "ipv6_cidr_blocks": [],
        "prefix_list_ids": [],
        "self_attribute": False,
    }


def _egress(port: int, description: str, cidr: str) -> SecurityGroupEgress:
    return SecurityGroupEgress(**_tcp(port, description, cidr))


def _ingress(port: int, description: str, cidr: str) -> SecurityGroupIngress:
    return SecurityGroupIngress(**_tcp(port, description, cidr))
