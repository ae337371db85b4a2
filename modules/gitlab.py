"""The GitLab side of the release: CI/CD variables, protected branch, drift schedule, the plan-note token.

Variables hold only non-secret settings (role ARNs, region, state bucket): CI gets AWS
credentials by OIDC at run time. The GitLab token comes from the provider's own
GITLAB_TOKEN environment variable, never from the synthesized JSON. The one secret made here,
the project access token that posts the plan summary on merge requests (ci/mr_note.py), is
created by GitLab and kept in the state (encrypted) and in a masked variable, never in the JSON:
a Reporter (it can comment, not push), rotated by Terraform before it expires. It is not
protected, since merge-request pipelines run on unprotected branches: anyone who can run a
pipeline can use it to comment, which is the price of a plan note on every merge request.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cdktf_cdktf_provider_gitlab.branch_protection import BranchProtection
from cdktf_cdktf_provider_gitlab.pipeline_schedule import PipelineSchedule
from cdktf_cdktf_provider_gitlab.pipeline_schedule_variable import PipelineScheduleVariable
from cdktf_cdktf_provider_gitlab.project_access_token import ProjectAccessToken
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
    note_token_variable: str = "PLAN_NOTE_TOKEN"
    """Where ci/mr_note.py finds the token that posts the plan summary."""
    note_token_days: int = 90
    """Lifetime of that token; Terraform rotates it 14 days before it expires."""


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
        token = ProjectAccessToken(
            self,
            "plan-note-token",
            project=p.project_path,
            name="plan summary on merge requests",
            scopes=["api"],
            access_level="reporter",
            rotation_configuration={"expiration_days": p.note_token_days, "rotate_before_days": 14},
        )
        ProjectVariable(
            self,
            "var-plan-note-token",
            project=p.project_path,
            key=p.note_token_variable,
            value=token.token,
            masked=True,
            protected=False,
            raw=True,
        )
