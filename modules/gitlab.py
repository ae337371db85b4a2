"""The GitLab side of the release: CI/CD variables, protected branch, drift schedule.

Variables hold only non-secret settings (role ARNs, region, state bucket): CI gets AWS
credentials by OIDC at run time. The GitLab token comes from the provider's own
GITLAB_TOKEN environment variable, never from the synthesized JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cdktf_cdktf_provider_gitlab.branch_protection import BranchProtection
from cdktf_cdktf_provider_gitlab.pipeline_schedule import PipelineSchedule
from cdktf_cdktf_provider_gitlab.pipeline_schedule_variable import PipelineScheduleVariable
from cdktf_cdktf_provider_gitlab.project_variable import ProjectVariable
from constructs import Construct


@dataclass(frozen=True)
class GitLabProjectProps:
    project_path: str
    branch: str
    drift_cron: str
    variables: dict[str, str]
    """Available to every pipeline (merge requests included)."""
    protected_variables: dict[str, str] = field(default_factory=dict)
    """Only for pipelines of protected branches (the deploy role)."""


class GitLabProject(Construct):
    def __init__(self, scope: Construct, id_: str, props: GitLabProjectProps):
        super().__init__(scope, id_)
        p = props
        for protected, variables in ((False, p.variables), (True, p.protected_variables)):
            for key, value in sorted(variables.items()):
                ProjectVariable(
                    self, f"var-{key}", project=p.project_path, key=key, value=value, protected=protected, raw=True
                )
        BranchProtection(
            self,
            "protect-branch",
            project=p.project_path,
            branch=p.branch,
            push_access_level="maintainer",
            merge_access_level="maintainer",
            allow_force_push=False,
        )
        schedule = PipelineSchedule(
            self,
            "drift-schedule",
            project=p.project_path,
            description="Drift detection against the remote state",
            ref=f"refs/heads/{p.branch}",
            cron=p.drift_cron,
            cron_timezone="UTC",
            active=True,
        )
        PipelineScheduleVariable(
            self,
            "drift-flag",
            project=p.project_path,
            pipeline_schedule_id=schedule.pipeline_schedule_id,
            key="DRIFT",
            value="true",
        )
