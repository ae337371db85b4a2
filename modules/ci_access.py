"""AWS-side trust for GitLab CI, and the permissions boundary of every role the stacks create.

Applied by an administrator only (the access stack): the deploy role is denied every IAM
write on what this module creates, so no pipeline can widen its own access.

- The boundary (`<project>-boundary`) caps every role of every stack: everything but IAM,
  Organizations and Account; IAM reads; role management on `role/<project>-*` only for roles
  that carry the boundary (`iam:PermissionsBoundary`); `iam:PassRole` of project roles only to
  the service that uses each (`iam:PassedToService`); and explicit Denies of removing a
  boundary and of any IAM write on the boundary, the OIDC providers and the two CI roles.
- The deploy role (pipelines of the release branch only): PowerUserAccess plus the same IAM
  statements inline, so that what it creates is bounded and nothing it can do reaches itself.
- The plan role (any branch of this project: merge requests) reads what a plan refreshes and
  nothing else: per-service Describe/List/Get metadata reads (PLAN_READS), the state files,
  bucket-level reads of the artifact bucket, the project's SSM parameters without decryption;
  no object of any other bucket, no secret, no log event, no function code, no table item, and
  no S3 write at all (plans and drift run with `-lock=false`: they write no state).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from cdktf_cdktf_provider_aws.iam_openid_connect_provider import IamOpenidConnectProvider
from cdktf_cdktf_provider_aws.iam_policy import IamPolicy
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from constructs import Construct

from config.names import AccessNames, arn, role_arn
from modules.iam import allow, policy, project_role

POWER_USER = "arn:aws:iam::aws:policy/PowerUserAccess"

BOUNDED_ROLE_ACTIONS = [
    "iam:AttachRolePolicy",
    "iam:CreateRole",
    "iam:DeleteRolePolicy",
    "iam:DetachRolePolicy",
    "iam:PutRolePermissionsBoundary",
    "iam:PutRolePolicy",
]
"""Role writes that support the `iam:PermissionsBoundary` condition key (IAM service authorization
reference): allowed only when the role has (CreateRole, PutRolePermissionsBoundary: is given) the boundary."""
ROLE_ACTIONS = [
    "iam:DeleteRole",
    "iam:TagRole",
    "iam:UntagRole",
    "iam:UpdateAssumeRolePolicy",
    "iam:UpdateRole",
    "iam:UpdateRoleDescription",
]
"""Role writes without that key (a condition on it would deny them always): on project roles, which carry the
boundary, so whatever they are given stays within it; the CI roles are denied below."""
IAM_WRITES = [
    "iam:Add*",
    "iam:Attach*",
    "iam:Create*",
    "iam:Delete*",
    "iam:Detach*",
    "iam:PassRole",
    "iam:Put*",
    "iam:Remove*",
    "iam:Set*",
    "iam:Tag*",
    "iam:Untag*",
    "iam:Update*",
    "iam:Upload*",
]
"""Every IAM write, as the explicit Deny on the access stack's own resources."""

NO_ROLE_HOPPING = {"Sid": "NoRoleHopping", "Effect": "Deny", "Action": ["sts:AssumeRole"], "Resource": "*"}
"""PowerUserAccess allows sts:AssumeRole: a role of the account that trusts the account root would let a
pipeline leave the boundary. Terraform needs no role but its own, so the deploy role may assume none."""

S3_BUCKET_READS = [
    "s3:GetAccelerateConfiguration",
    "s3:GetBucketAcl",
    "s3:GetBucketCORS",
    "s3:GetBucketLocation",
    "s3:GetBucketLogging",
    "s3:GetBucketObjectLockConfiguration",
    "s3:GetBucketPolicy",
    "s3:GetBucketRequestPayment",
    "s3:GetBucketTagging",
    "s3:GetBucketVersioning",
    "s3:GetBucketWebsite",
    "s3:GetEncryptionConfiguration",
    "s3:GetLifecycleConfiguration",
    "s3:GetReplicationConfiguration",
    "s3:ListBucket",
]
"""What aws_s3_bucket's refresh calls (HeadBucket needs s3:ListBucket; GetBucketCors is s3:GetBucketCORS, ...)."""

PLAN_READS: dict[str, list[str]] = {
    "aws_appautoscaling_policy": ["application-autoscaling:DescribeScalingPolicies"],
    "aws_appautoscaling_target": [
        "application-autoscaling:DescribeScalableTargets",
        "application-autoscaling:ListTagsForResource",
    ],
    "aws_cloudwatch_dashboard": ["cloudwatch:GetDashboard"],
    "aws_cloudwatch_event_rule": ["events:DescribeRule", "events:ListTagsForResource"],
    "aws_cloudwatch_event_target": ["events:ListTargetsByRule"],
    "aws_cloudwatch_log_group": ["logs:DescribeLogGroups", "logs:ListTagsForResource"],
    "aws_cloudwatch_metric_alarm": ["cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource"],
    "aws_codebuild_project": ["codebuild:BatchGetProjects"],
    "aws_codedeploy_app": ["codedeploy:GetApplication", "codedeploy:ListTagsForResource"],
    "aws_codedeploy_deployment_group": ["codedeploy:GetDeploymentGroup", "codedeploy:ListTagsForResource"],
    "aws_codepipeline": ["codepipeline:GetPipeline", "codepipeline:ListTagsForResource"],
    "aws_codestarconnections_connection": [
        "codestar-connections:GetConnection",
        "codestar-connections:ListTagsForResource",
    ],
    "aws_default_security_group": ["ec2:DescribeSecurityGroups"],
    "aws_ecr_lifecycle_policy": ["ecr:GetLifecyclePolicy"],
    "aws_ecr_repository": ["ecr:DescribeRepositories", "ecr:ListTagsForResource"],
    "aws_ecs_cluster": ["ecs:DescribeClusters"],
    "aws_ecs_service": ["ecs:DescribeServices"],
    "aws_ecs_task_definition": ["ecs:DescribeTaskDefinition"],
    "aws_eip": ["ec2:DescribeAddresses", "ec2:DescribeAddressesAttribute"],
    "aws_flow_log": ["ec2:DescribeFlowLogs"],
    "aws_iam_openid_connect_provider": ["iam:GetOpenIDConnectProvider"],
    "aws_iam_policy": ["iam:GetPolicy", "iam:GetPolicyVersion"],
    "aws_iam_role": ["iam:GetRole", "iam:GetRolePolicy", "iam:ListAttachedRolePolicies", "iam:ListRolePolicies"],
    "aws_iam_role_policy": ["iam:GetRolePolicy"],
    "aws_iam_role_policy_attachment": ["iam:ListAttachedRolePolicies"],
    "aws_internet_gateway": ["ec2:DescribeInternetGateways"],
    "aws_kms_alias": ["kms:ListAliases"],
    "aws_kms_key": ["kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags"],
    "aws_lambda_function": [
        "lambda:GetFunction",
        "lambda:GetFunctionCodeSigningConfig",
        "lambda:ListVersionsByFunction",
    ],
    "aws_lambda_permission": ["lambda:GetPolicy"],
    "aws_lb": [
        "elasticloadbalancing:DescribeCapacityReservation",
        "elasticloadbalancing:DescribeLoadBalancerAttributes",
        "elasticloadbalancing:DescribeLoadBalancers",
        "elasticloadbalancing:DescribeTags",
    ],
    "aws_lb_listener": [
        "elasticloadbalancing:DescribeListenerAttributes",
        "elasticloadbalancing:DescribeListeners",
        "elasticloadbalancing:DescribeTags",
    ],
    "aws_lb_target_group": [
        "elasticloadbalancing:DescribeTags",
        "elasticloadbalancing:DescribeTargetGroupAttributes",
        "elasticloadbalancing:DescribeTargetGroups",
    ],
    "aws_nat_gateway": ["ec2:DescribeNatGateways"],
    "aws_route": ["ec2:DescribeRouteTables"],
    "aws_route_table": ["ec2:DescribeRouteTables"],
    "aws_route_table_association": ["ec2:DescribeRouteTables"],
    "aws_s3_bucket": S3_BUCKET_READS,
    "aws_s3_bucket_lifecycle_configuration": ["s3:GetLifecycleConfiguration"],
    "aws_s3_bucket_ownership_controls": ["s3:GetBucketOwnershipControls"],
    "aws_s3_bucket_policy": ["s3:GetBucketPolicy"],
    "aws_s3_bucket_public_access_block": ["s3:GetBucketPublicAccessBlock"],
    "aws_s3_bucket_server_side_encryption_configuration": ["s3:GetEncryptionConfiguration"],
    "aws_s3_bucket_versioning": ["s3:GetBucketVersioning"],
    "aws_security_group": ["ec2:DescribeSecurityGroups"],
    "aws_sns_topic": ["sns:GetTopicAttributes", "sns:ListTagsForResource"],
    "aws_sns_topic_policy": ["sns:GetTopicAttributes"],
    "aws_sns_topic_subscription": ["sns:GetSubscriptionAttributes"],
    "aws_ssm_parameter": ["ssm:DescribeParameters", "ssm:GetParameter", "ssm:ListTagsForResource"],
    "aws_subnet": ["ec2:DescribeSubnets"],
    "aws_vpc_endpoint": ["ec2:DescribeNetworkInterfaces", "ec2:DescribePrefixLists", "ec2:DescribeVpcEndpoints"],
    "aws_vpc": [
        "ec2:DescribeNetworkAcls",
        "ec2:DescribeRouteTables",
        "ec2:DescribeSecurityGroups",
        "ec2:DescribeVpcAttribute",
        "ec2:DescribeVpcs",
    ],
    "terraform_data": [],
}
"""What provider 5.100.0 calls to refresh each resource type of the stacks, as IAM actions (from its debug log
of a plan of every stack: `TF_LOG=DEBUG`, the `rpc.service`/`rpc.method` of each request per
`tf_resource_type`); tests/unit/test_iam_policies.py checks that every synthesized type is listed. Metadata
reads only. Resource "*" (most offer no resource-level permission), except: `iam:` role reads on the project's
roles, `s3:` on the artifact bucket (the state buckets have their own statement), `ssm:` parameter reads on the
project's parameters (DescribeParameters has no resource), `lambda:` on the project's functions (GetFunction
returns a link to the code, which is in the repository anyway). Types the release hook and notifications modules
add are listed too (their reads measured the same way), so the access stack need not change when they are used."""
PLAN_COMMON_READS = ["ecs:DescribeServices", "ecs:DescribeTaskDefinition", "sts:GetCallerIdentity"]
"""Besides the refreshes: the provider's and backend's caller identity, the CLI's live image (orchestrator/targets/live.py)."""
STATE_WRITES = ["s3:DeleteObject*", "s3:PutObject*"]
"""Denied on the state buckets whatever else allows them: a plan never writes state, nor breaks a lock."""


@dataclass(frozen=True)
class CiAccessProps:
    account_id: str
    gitlab_url: str
    """OIDC issuer, e.g. https://gitlab.com."""
    project_path: str
    branch: str
    audience: str
    names: AccessNames
    state_bucket_arns: list[str]
    artifact_bucket_prefix: str
    """The release's artifact bucket is `<prefix><random>`: the plan role reads its configuration only."""
    oidc_provider_arn: str | None = None
    """An existing GitLab OIDC provider of the account (one per URL per account) instead of a new one."""
    tags: dict[str, str] = field(default_factory=dict)


class CiAccess(Construct):
    def __init__(self, scope: Construct, id_: str, props: CiAccessProps):
        super().__init__(scope, id_)
        p = props
        n = p.names
        host = p.gitlab_url.removeprefix("https://")
        self.boundary_arn = n.boundary_arn(p.account_id)
        self.boundary = IamPolicy(
            self,
            "boundary",
            name=n.boundary_policy,
            description="Permissions boundary of every role the project's stacks create (the access stack)",
            policy=boundary_document(p.account_id, n),
            tags=p.tags,
        )
        if p.oidc_provider_arn:
            self.provider_arn = p.oidc_provider_arn
        else:
            provider = IamOpenidConnectProvider(
                self, "gitlab-oidc", url=p.gitlab_url, client_id_list=[p.audience], tags=p.tags
            )
            self.provider_arn = provider.arn
        self.plan_role = self._role(
            "plan", n.ci_plan_role, host, f"project_path:{p.project_path}:ref_type:branch:ref:*", p
        )
        self.deploy_role = self._role(
            "deploy", n.ci_deploy_role, host, f"project_path:{p.project_path}:ref_type:branch:ref:{p.branch}", p
        )
        IamRolePolicy(
            self,
            "plan-read",
            name="plan-read",
            role=self.plan_role.id,
            policy=plan_document(p.account_id, n, p.state_bucket_arns, p.artifact_bucket_prefix),
        )
        IamRolePolicyAttachment(self, "deploy-power-user", role=self.deploy_role.name, policy_arn=POWER_USER)
        IamRolePolicy(
            self,
            "deploy-iam",
            name="project-iam",
            role=self.deploy_role.id,
            policy=policy(*iam_statements(p.account_id, n), NO_ROLE_HOPPING),
        )

    def _role(self, id_: str, name: str, host: str, subject: str, p: CiAccessProps) -> IamRole:
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Federated": self.provider_arn},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {"StringEquals": {f"{host}:aud": p.audience}, "StringLike": {f"{host}:sub": subject}},
                }
            ],
        }
        return project_role(
            self,
            id_,
            name=name,
            assume_role_policy=json.dumps(trust),
            permissions_boundary=self.boundary_arn,
            depends_on=[self.boundary],
            max_session_duration=3600,
            tags=p.tags,
        )


def iam_statements(account_id: str, names: AccessNames) -> list[dict[str, Any]]:
    """The IAM a deploy may do, in both the boundary and the deploy role's own policy."""
    boundary = names.boundary_arn(account_id)
    projects = role_arn(account_id, names.project_roles)
    protected = [
        boundary,
        arn("iam", "", account_id, "oidc-provider/*"),
        *(role_arn(account_id, r) for r in names.ci_roles),
    ]
    statements = [
        allow(["iam:Get*", "iam:List*"], "*", sid="IamReads"),
        allow(
            ["iam:CreateServiceLinkedRole"],
            arn("iam", "", account_id, "role/aws-service-role/*"),
            sid="ServiceLinkedRoles",
        ),
        allow(
            BOUNDED_ROLE_ACTIONS,
            [projects],
            sid="ProjectRolesWithBoundary",
            Condition={"StringEquals": {"iam:PermissionsBoundary": boundary}},
        ),
        allow(ROLE_ACTIONS, [projects], sid="ProjectRoles"),
    ]
    for service, patterns in names.passable_roles.items():
        statements.append(
            allow(
                ["iam:PassRole"],
                [role_arn(account_id, r) for r in patterns],
                sid="PassTo" + "".join(w.capitalize() for w in service.split(".")[0].split("-")),
                Condition={"StringEquals": {"iam:PassedToService": service}},
            )
        )
    statements += [
        {"Sid": "KeepBoundaries", "Effect": "Deny", "Action": ["iam:DeleteRolePermissionsBoundary"], "Resource": "*"},
        {"Sid": "KeepAccess", "Effect": "Deny", "Action": IAM_WRITES, "Resource": protected},
    ]
    return statements


def boundary_document(account_id: str, names: AccessNames) -> str:
    return policy(
        {
            "Sid": "EverythingButIam",
            "Effect": "Allow",
            "NotAction": ["iam:*", "organizations:*", "account:*"],
            "Resource": "*",
        },
        *iam_statements(account_id, names),
    )


def plan_document(account_id: str, names: AccessNames, state_bucket_arns: list[str], artifact_prefix: str) -> str:
    """PLAN_READS, each where it applies; the state files; and no state write (an explicit Deny)."""
    reads = {a for actions in PLAN_READS.values() for a in actions} | set(PLAN_COMMON_READS)
    scoped = {
        "ProjectRoles": (
            {a for a in reads if a.startswith("iam:") and "Role" in a},
            [role_arn(account_id, names.project_roles)],
        ),
        "ArtifactBucket": ({a for a in reads if a.startswith("s3:")}, [arn("s3", "", "", f"{artifact_prefix}*")]),
        "ProjectFunctions": (
            {a for a in reads if a.startswith("lambda:")},
            [arn("lambda", "*", account_id, f"function:{names.project}-*")],
        ),
        "ProjectParameters": (
            {a for a in reads if a.startswith("ssm:") and a != "ssm:DescribeParameters"},
            [arn("ssm", "*", account_id, f"parameter/{names.project}/*")],
        ),
    }
    anywhere = reads - set().union(*(actions for actions, _ in scoped.values()))
    return policy(
        allow(sorted(anywhere), "*", sid="Describe"),
        *(allow(sorted(actions), resources, sid=sid) for sid, (actions, resources) in scoped.items()),
        allow(["s3:ListBucket"], state_bucket_arns, sid="StateBuckets"),
        allow(
            ["s3:GetObject"],
            [f"{b}/{suffix}" for b in state_bucket_arns for suffix in ("*.tfstate", "*.tflock")],
            sid="StateFiles",
        ),
        {
            "Sid": "NoStateWrites",
            "Effect": "Deny",
            "Action": STATE_WRITES,
            "Resource": [f"{b}/*" for b in state_bucket_arns],
        },
    )
