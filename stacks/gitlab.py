"""The GitLab project's settings for the CI pipeline (applied only with a GitLab token)."""

from __future__ import annotations

import functools

from cdktf import TerraformStack
from cdktf_cdktf_provider_gitlab.provider import GitlabProvider
from constructs import Construct

from config.names import GITLAB_STACK, AccessNames
from config.schema import Project, State
from modules.gitlab import GitLabProject, GitLabProjectProps
from modules.state import RemoteStateProps, remote_state

STACK = GITLAB_STACK


class GitLabStack(TerraformStack):
    def __init__(self, scope: Construct, project: Project):
        super().__init__(scope, STACK)
        s = project.settings
        GitlabProvider(self, "gitlab", base_url=f"{s.gitlab.url}/api/v4")
        state = State(bucket=s.state.bucket, key=s.gitlab.state_key, region=s.state.region)
        remote_state(self, RemoteStateProps(bucket=state.bucket, key=state.key, region=state.region or s.aws.region))
        names = AccessNames(s.name)
        role = functools.partial(names.role_arn, s.aws.account_id)
        GitLabProject(
            self,
            "project",
            GitLabProjectProps(
                project_path=s.gitlab.project_path,
                branch=s.gitlab.branch,
                drift_cron=s.gitlab.drift_schedule,
                variables={
                    "AWS_REGION": s.aws.region,
                    "AWS_PLAN_ROLE_ARN": role(names.ci_plan_role),
                    "TF_STATE_BUCKET": s.state.bucket,
                    "OIDC_AUDIENCE": s.gitlab.audience,
                },
                protected_variables={"AWS_DEPLOY_ROLE_ARN": role(names.ci_deploy_role)},
            ),
        )
