"""GitLab CI's access to AWS and the permissions boundary of every role: applied by an administrator only.

The other AWS stacks depend on this one (stacks/app.py): their roles carry its boundary, which
must exist first. The CI deploy role is denied every IAM write on what it creates, so CI plans it
(merge requests, drift) but never applies it: `python main.py deploy access --target aws` with an
administrator's credentials does.
"""

from __future__ import annotations

from cdktf import TerraformOutput
from constructs import Construct

from config.names import ACCESS_STACK, AccessNames, ReleaseNames, access_state_key, arn
from config.schema import Project, State
from modules.ci_access import CiAccess, CiAccessProps
from stacks.base import AwsStack

STACK = ACCESS_STACK


class AccessStack(AwsStack):
    def __init__(self, scope: Construct, project: Project):
        s = project.settings
        state = State(bucket=s.state.bucket, key=access_state_key(s), region=s.state.region)
        super().__init__(scope, STACK, aws=s.aws, state=state, tags=s.tags)
        names = AccessNames(s.name)
        state_buckets = sorted({s.state.bucket, *(e.state.bucket for e in project.environments)})
        ci = CiAccess(
            self,
            "ci-access",
            CiAccessProps(
                account_id=s.aws.account_id,
                gitlab_url=s.gitlab.url,
                project_path=s.gitlab.project_path,
                branch=s.gitlab.branch,
                audience=s.gitlab.audience,
                names=names,
                state_bucket_arns=[arn("s3", "", "", b) for b in state_buckets],
                artifact_bucket_prefix=ReleaseNames(s.name).artifact_bucket_prefix,
                oidc_provider_arn=s.gitlab.oidc_provider_arn,
            ),
        )
        TerraformOutput(self, "ci_plan_role_arn", value=ci.plan_role.arn)
        TerraformOutput(self, "ci_deploy_role_arn", value=ci.deploy_role.arn)
        TerraformOutput(self, "boundary_arn", value=ci.boundary.arn)
        TerraformOutput(self, "oidc_provider_arn", value=ci.provider_arn)
