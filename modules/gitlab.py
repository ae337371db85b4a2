"""The GitLab side of the release: CI/CD variables, protected branch, drift schedule, the CI's two tokens.

Variables hold only non-secret settings (role ARNs, region, state bucket): CI gets AWS
credentials by OIDC at run time. The GitLab token comes from the provider's own
GITLAB_TOKEN environment variable, never from the synthesized JSON. The one secret made here,
the project access token that posts the plan summary on merge requests (ci/mr_note.py), is
created by GitLab and kept in the state (encrypted) and in a masked variable, never in the JSON:
a Reporter (it can comment, not push), rotated by Terraform before it expires. It is not
protected, since merge-request pipelines run on unprotected branches: anyone who can run a
pipeline can use it to comment, which is the price of a plan note on every merge request.

The second token (ci/drift_issues.py) opens, updates and closes the drift schedule's issues: a
Reporter too, but protected, so only pipelines of the protected branch (and its schedule) see it.
Both rotate only when this stack is applied inside their rotation window; the schedule's
token-expiry job (ci/token_expiry.py) opens an issue when that window starts, which is why the
window (TOKEN_ROTATE_BEFORE_DAYS) is a variable too. The schedule needs no pipeline variable: CI
recognises it by CI_PIPELINE_SOURCE alone (pipeline variables are restricted on new namespaces).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cdktf_cdktf_provider_gitlab.branch_protection import BranchProtection
from cdktf_cdktf_provider_gitlab.pipeline_schedule import PipelineSchedule
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
    issue_token_variable: str = "DRIFT_ISSUE_TOKEN"
    """Where ci/drift_issues.py finds the token that opens the drift issues."""
    token_days: int = 365
    """Lifetime of both tokens (GitLab's longest by default): one rotation a year."""
    rotate_before_days: int = 30
    """An apply this close to a token's expiry rotates it; ci/token_expiry.py opens an issue then."""


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
        PipelineSchedule(
            self,
            "drift-schedule",
            project=p.project_path,
            description="Drift detection against the remote state",
            ref=f"refs/heads/{p.branch}",
            cron=p.drift_cron,
            cron_timezone="UTC",
            active=True,
        )
        ProjectVariable(
            self,
            "var-token-rotate-before-days",
            project=p.project_path,
            key="TOKEN_ROTATE_BEFORE_DAYS",
            value=str(p.rotate_before_days),
            raw=True,
        )
        for variable, name, protected in (
            (p.note_token_variable, "plan summary on merge requests", False),  # merge-request pipelines need it
            (p.issue_token_variable, "drift issues of the schedule", True),
        ):
            slug = variable.lower().replace("_", "-")
            token = ProjectAccessToken(
                self,
                slug,
                project=p.project_path,
                name=name,
                scopes=["api"],
                access_level="reporter",
                rotation_configuration={"expiration_days": p.token_days, "rotate_before_days": p.rotate_before_days},
            )
            ProjectVariable(
                self,
                f"var-{slug}",
                project=p.project_path,
                key=variable,
                value=token.token,
                masked=True,
                protected=protected,
                raw=True,
            )
