"""AWS-side trust for GitLab CI, and the permissions boundary of every role the stacks create.

Applied by an administrator only (the access stack): the deploy role is denied every IAM
write on what this module creates, so no pipeline can widen its own access.

- The boundary (`<project>-boundary`, under the project's IAM path `/<project>/`) caps every role
  of every stack: everything but IAM, Organizations and Account; IAM reads; role management on
  `role/<project>/*` only for roles that carry the boundary (`iam:PermissionsBoundary`), managed
  policies only from ATTACHABLE_POLICIES (`iam:PolicyARN`); `iam:PassRole` of project roles only
  to the service that uses each (`iam:PassedToService`); and every Deny the deploy role relies
  on: removing a boundary, any IAM write on the boundary, the OIDC providers and the two CI roles,
  sts:AssumeRole, trust-policy rewrites, and running as another role outside the project.
- The deploy role (pipelines of the release branch only): the services the stacks use
  (PROJECT_SERVICES) and the project's buckets, not PowerUserAccess, plus the same IAM statements and
  Denies inline, so that what it creates is bounded and nothing it can do reaches itself.
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
from constructs import Construct

from config.names import AccessNames, arn
from modules.iam import allow, policy, project_role

ATTACHABLE_POLICIES = ["arn:aws:iam::aws:policy/AWSCodeDeployRoleForECSLimited"]
"""The only managed policies a deploy may attach to (or detach from) a project role (`iam:PolicyARN`): what
the stacks attach (modules/codedeploy.py; tests/unit/test_iam_policies.py checks it). Without the condition a
bounded role could be given AdministratorAccess: capped by the boundary, yet everything but IAM."""

BOUNDED_ROLE_ACTIONS = [
    "iam:CreateRole",
    "iam:DeleteRolePolicy",
    "iam:PutRolePermissionsBoundary",
    "iam:PutRolePolicy",
]
"""Role writes that support the `iam:PermissionsBoundary` condition key (IAM service authorization
reference): allowed only when the role has (CreateRole, PutRolePermissionsBoundary: is given) the boundary."""
ATTACH_ACTIONS = ["iam:AttachRolePolicy", "iam:DetachRolePolicy"]
"""Also `iam:PermissionsBoundary`-conditioned, and besides conditioned on `iam:PolicyARN` (ATTACHABLE_POLICIES)."""
ROLE_ACTIONS = [
    "iam:DeleteRole",
    "iam:TagRole",
    "iam:UntagRole",
    "iam:UpdateRole",
    "iam:UpdateRoleDescription",
]
"""Role writes without that key (a condition on it would deny them always): on project roles, which carry the
boundary, so whatever they are given stays within it; the CI roles are denied below. Not
iam:UpdateAssumeRolePolicy: see NO_TRUST_REWRITES."""
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
"""The boundary allows sts:AssumeRole (everything but IAM): a role of the account that trusts the account root
would let a pipeline, or a role it creates, leave the boundary. Terraform needs no role but its own, and no project role assumes another, so no
bounded role may assume any: in the boundary, so a role the deploy role creates (and passes to Lambda or ECS)
cannot hop either (AWS-FACTS.md, IAM and CI)."""
NO_TRUST_REWRITES = {
    "Sid": "NoTrustRewrites",
    "Effect": "Deny",
    "Action": ["iam:UpdateAssumeRolePolicy"],
    "Resource": "*",
}
"""No IAM condition key constrains a trust policy's content, so a principal that may rewrite trust policies
may open a role to another account or to `"AWS": "*"`. Who may write trust policies is the control: no
bounded role, the deploy role included. A changed trust policy is applied by re-creating the role (taint)
or by an administrator (docs/least-privilege.md). CreateRole's trust is the residual risk documented there."""

RUN_AS_OTHERS: dict[str, tuple[list[str], list[str]]] = {
    "lambda": (
        [
            "lambda:AddPermission",
            "lambda:CreateAlias",
            "lambda:CreateFunctionUrlConfig",
            "lambda:DeleteFunction",
            "lambda:InvokeFunction",
            "lambda:InvokeFunctionUrl",
            "lambda:PublishVersion",
            "lambda:PutFunctionConcurrency",
            "lambda:UpdateAlias",
            "lambda:UpdateFunctionCode",
            "lambda:UpdateFunctionConfiguration",
            "lambda:UpdateFunctionUrlConfig",
        ],
        ["function:{p}-*"],
    ),
    "codebuild": (
        [
            "codebuild:DeleteProject",
            "codebuild:RetryBuild",
            "codebuild:RetryBuildBatch",
            "codebuild:StartBuild",
            "codebuild:StartBuildBatch",
            "codebuild:UpdateProject",
        ],
        ["project/{p}-*"],
    ),
    "codepipeline": (
        [
            "codepipeline:DeletePipeline",
            "codepipeline:RetryStageExecution",
            "codepipeline:StartPipelineExecution",
            "codepipeline:UpdatePipeline",
        ],
        ["{p}-*"],
    ),
    "codedeploy": (["codedeploy:CreateDeployment"], ["deploymentgroup:{p}-*/*"]),
    "ecs": (
        ["ecs:RunTask", "ecs:StartTask"],
        ["task-definition/{p}-*:*"],
    ),
}
"""The boundary (everything but IAM), and `<service>:*` of the deploy role, let a caller change or start what
runs as another role without any iam:PassRole: a function's code, a build (its buildspec can be overridden), a pipeline, a deployment, a task. Each only on
the project's own resources (`NotResource` of the project's ARNs; every action listed takes its resource,
Service Authorization Reference of each service), in the boundary, so no project role reaches another."""
NO_OTHERS_CODE = [
    "cloudformation:CreateChangeSet",
    "cloudformation:CreateStack",
    "cloudformation:CreateStackInstances",
    "cloudformation:CreateStackSet",
    "cloudformation:DeleteStack",
    "cloudformation:ExecuteChangeSet",
    "cloudformation:SetStackPolicy",
    "cloudformation:UpdateStack",
    "cloudformation:UpdateStackInstances",
    "cloudformation:UpdateStackSet",
    "ec2-instance-connect:SendSSHPublicKey",
    "ecs:ExecuteCommand",
    "ssm:CreateAssociation",
    "ssm:CreateAssociationBatch",
    "ssm:ResumeSession",
    "ssm:SendCommand",
    "ssm:StartAutomationExecution",
    "ssm:StartSession",
    "ssm:UpdateAssociation",
    "states:StartExecution",
    "states:StartSyncExecution",
    "states:UpdateStateMachine",
]
"""Ways in to what runs as another role (a stack's service role, an instance's profile, a state machine's
role) that the project never uses: denied everywhere."""

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
PROJECT_SERVICES = sorted(
    {a.split(":")[0] for actions in PLAN_READS.values() for a in actions} - {"iam", "s3", "ssm"} | {"codeconnections"}
)
"""The services of the resource types the stacks create (PLAN_READS, which a unit test keeps complete), each
`<service>:*` for the deploy role instead of PowerUserAccess (every service of the account but IAM); IAM, S3 and
SSM have their own statements, scoped to the project's roles, buckets and parameters. `codeconnections` is CodeStar Connections' newer prefix (connections created
under it are authorized with it)."""
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
            path=n.path,
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
        IamRolePolicy(
            self,
            "deploy-services",
            name="project-services",
            role=self.deploy_role.id,
            policy=deploy_document(p.account_id, n, p.state_bucket_arns, p.artifact_bucket_prefix),
        )
        IamRolePolicy(
            self,
            "deploy-iam",
            name="project-iam",
            role=self.deploy_role.id,
            policy=policy(*iam_statements(p.account_id, n)),
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
    """The IAM a deploy may do, and the Denies it relies on: in both the boundary and the deploy role's own
    policy, so that a role it creates can do no more than it (and never hop, rewrite trust or run as others)."""
    boundary = names.boundary_arn(account_id)
    projects = names.project_roles_arn(account_id)
    protected = [
        boundary,
        arn("iam", "", account_id, "oidc-provider/*"),
        *(names.role_arn(account_id, r) for r in names.ci_roles),
    ]
    with_boundary = {"iam:PermissionsBoundary": boundary}
    statements = [
        allow(["iam:Get*", "iam:List*"], "*", sid="IamReads"),
        allow(
            ["iam:CreateServiceLinkedRole"],
            arn("iam", "", account_id, "role/aws-service-role/*"),
            sid="ServiceLinkedRoles",
        ),
        allow(
            BOUNDED_ROLE_ACTIONS, [projects], sid="ProjectRolesWithBoundary", Condition={"StringEquals": with_boundary}
        ),
        allow(
            ATTACH_ACTIONS,
            [projects],
            sid="AttachableManagedPolicies",
            Condition={"StringEquals": with_boundary, "ArnEquals": {"iam:PolicyARN": ATTACHABLE_POLICIES}},
        ),
        allow(ROLE_ACTIONS, [projects], sid="ProjectRoles"),
    ]
    for service, patterns in names.passable_roles.items():
        statements.append(
            allow(
                ["iam:PassRole"],
                [names.role_arn(account_id, r) for r in patterns],
                sid="PassTo" + "".join(w.capitalize() for w in service.split(".")[0].split("-")),
                Condition={"StringEquals": {"iam:PassedToService": service}},
            )
        )
    statements += [
        {"Sid": "KeepBoundaries", "Effect": "Deny", "Action": ["iam:DeleteRolePermissionsBoundary"], "Resource": "*"},
        {"Sid": "KeepAccess", "Effect": "Deny", "Action": IAM_WRITES, "Resource": protected},
        NO_ROLE_HOPPING,
        NO_TRUST_REWRITES,
        *containment_statements(account_id, names),
    ]
    return statements


def containment_statements(account_id: str, names: AccessNames) -> list[dict[str, Any]]:
    """RUN_AS_OTHERS outside the project's resources, and NO_OTHERS_CODE anywhere: Denies."""
    statements: list[dict[str, Any]] = [
        {
            "Sid": "OnlyOwn" + service.capitalize(),
            "Effect": "Deny",
            "Action": actions,
            "NotResource": [arn(service, "*", account_id, r.format(p=names.project)) for r in resources],
        }
        for service, (actions, resources) in RUN_AS_OTHERS.items()
    ]
    statements.append({"Sid": "NoOthersCode", "Effect": "Deny", "Action": NO_OTHERS_CODE, "Resource": "*"})
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


def deploy_document(account_id: str, names: AccessNames, state_bucket_arns: list[str], artifact_prefix: str) -> str:
    """The deploy role's non-IAM rights: the project's services (PROJECT_SERVICES), its buckets only (the
    state buckets and the release's artifact bucket, `<prefix><random>`), its parameters only (`/<project>/...`;
    DescribeParameters has no resource). Services whose resources cannot be told
    apart from another project's by ARN stay `<service>:*`: docs/least-privilege.md says why the account should
    hold this project only; the ways to run as another role are denied (RUN_AS_OTHERS, NO_OTHERS_CODE)."""
    buckets = [*state_bucket_arns, arn("s3", "", "", f"{artifact_prefix}*")]
    return policy(
        allow([f"{service}:*" for service in PROJECT_SERVICES], "*", sid="ProjectServices"),
        allow(["s3:*"], [*buckets, *(f"{b}/*" for b in buckets)], sid="ProjectBuckets"),
        allow(["ssm:*"], [arn("ssm", "*", account_id, f"parameter/{names.project}/*")], sid="ProjectParameters"),
        allow(["ssm:DescribeParameters"], "*", sid="DescribeParameters"),
        allow(["sts:GetCallerIdentity"], "*", sid="CallerIdentity"),
    )


def plan_document(account_id: str, names: AccessNames, state_bucket_arns: list[str], artifact_prefix: str) -> str:
    """PLAN_READS, each where it applies; the state files; and no state write (an explicit Deny)."""
    reads = {a for actions in PLAN_READS.values() for a in actions} | set(PLAN_COMMON_READS)
    scoped = {
        "ProjectRoles": (
            {a for a in reads if a.startswith("iam:") and "Role" in a},
            [names.project_roles_arn(account_id)],
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
