"""AWS-side trust for GitLab CI: an OIDC provider and two roles, no static keys.

The plan role (read-only, plus the state lock file) is assumable by any pipeline of this
project (merge requests run on feature branches); the deploy role only by pipelines of
the release branch, which the gitlab stack protects.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from cdktf_cdktf_provider_aws.iam_openid_connect_provider import IamOpenidConnectProvider
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from constructs import Construct

from modules.iam import allow, policy

READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"
POWER_USER = "arn:aws:iam::aws:policy/PowerUserAccess"


@dataclass(frozen=True)
class CiAccessProps:
    account_id: str
    gitlab_url: str
    """OIDC issuer, e.g. https://gitlab.com."""
    project_path: str
    branch: str
    audience: str
    plan_role_name: str
    deploy_role_name: str
    state_bucket_arns: list[str]
    name_prefix: str
    """The deploy role may manage only IAM roles named `<name_prefix>-*`."""
    tags: dict[str, str] = field(default_factory=dict)


class CiAccess(Construct):
    def __init__(self, scope: Construct, id_: str, props: CiAccessProps):
        super().__init__(scope, id_)
        p = props
        host = p.gitlab_url.removeprefix("https://")
        self.provider = IamOpenidConnectProvider(
            self, "gitlab-oidc", url=p.gitlab_url, client_id_list=[p.audience], tags=p.tags
        )
        self.plan_role = self._role(
            "plan", p.plan_role_name, host, f"project_path:{p.project_path}:ref_type:branch:ref:*", p
        )
        self.deploy_role = self._role(
            "deploy", p.deploy_role_name, host, f"project_path:{p.project_path}:ref_type:branch:ref:{p.branch}", p
        )
        IamRolePolicyAttachment(self, "plan-read-only", role=self.plan_role.name, policy_arn=READ_ONLY)
        IamRolePolicy(
            self,
            "plan-state-lock",
            name="state-lock",
            role=self.plan_role.id,
            policy=policy(
                allow(
                    ["s3:PutObject", "s3:DeleteObject"], [f"{b}/*.tflock" for b in p.state_bucket_arns], sid="LockFile"
                )
            ),
        )
        IamRolePolicyAttachment(self, "deploy-power-user", role=self.deploy_role.name, policy_arn=POWER_USER)
        role_arns = f"arn:aws:iam::{p.account_id}:role/{p.name_prefix}-*"
        IamRolePolicy(
            self,
            "deploy-iam",
            name="project-iam",
            role=self.deploy_role.id,
            policy=policy(
                allow(
                    [
                        "iam:AttachRolePolicy",
                        "iam:CreateRole",
                        "iam:DeleteRole",
                        "iam:DeleteRolePolicy",
                        "iam:DetachRolePolicy",
                        "iam:GetRole",
                        "iam:GetRolePolicy",
                        "iam:ListAttachedRolePolicies",
                        "iam:ListInstanceProfilesForRole",
                        "iam:ListRolePolicies",
                        "iam:PassRole",
                        "iam:PutRolePolicy",
                        "iam:TagRole",
                        "iam:UntagRole",
                        "iam:UpdateAssumeRolePolicy",
                        "iam:UpdateRole",
                    ],
                    [role_arns],
                    sid="ProjectRoles",
                ),
                allow(
                    [
                        "iam:GetOpenIDConnectProvider",
                        "iam:TagOpenIDConnectProvider",
                        "iam:UpdateOpenIDConnectProviderThumbprint",
                    ],
                    [self.provider.arn],
                    sid="OidcProvider",
                ),
            ),
        )

    def _role(self, id_: str, name: str, host: str, subject: str, p: CiAccessProps) -> IamRole:
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Federated": self.provider.arn},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {"StringEquals": {f"{host}:aud": p.audience}, "StringLike": {f"{host}:sub": subject}},
                }
            ],
        }
        return IamRole(
            self, id_, name=name, assume_role_policy=json.dumps(trust), max_session_duration=3600, tags=p.tags
        )
