"""Resource names: one function of the config, shared by stacks, renderer and drift tests.

Names are deterministic so that stacks reference each other by name (no cross-stack
outputs), and the release artifacts rendered at build time agree with what Terraform
created. AWS limits (ALB and target-group names: 32 characters) are respected by the
schema's length limits on `project.name` (12) and `environment.name` (10).
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from config.schema import PARTITION, Environment, ProjectSettings

RELEASE_STACK = "release"
"""The stack of the pipeline, ECR and the build (stacks/release.py)."""
GITLAB_STACK = "gitlab"
"""The stack of the GitLab project's settings (stacks/gitlab.py)."""

IMAGE_VARIABLE = "image"
"""An environment stack's variable: the image its service runs now, which the CLI reads from the live
service (orchestrator/targets/live.py) so that Terraform never reverts a release (stacks/environment.py)."""


def arn(service: str, region: str, account_id: str, resource: str) -> str:
    """`arn:<partition>:<service>:<region>:<account>:<resource>`; region and account may be empty (IAM, S3)."""
    return f"arn:{PARTITION}:{service}:{region}:{account_id}:{resource}"


def parameters_by_path_arns(region: str, account_id: str, path: str) -> list[str]:
    """What `ssm:GetParametersByPath --path <path>` is authorized on: the path exactly as passed.

    IAM evaluates the call against the parameter ARN of the path as given, trailing slash included
    (`--path /acme/` needs `parameter/acme/`; aws-ia/terraform-aws-control_tower_account_factory#174),
    so both forms are granted: the path with its slash (what the buildspec passes) and without it."""
    bare = path.strip("/")
    return [arn("ssm", region, account_id, f"parameter/{bare}"), arn("ssm", region, account_id, f"parameter/{bare}/")]


def role_arn(account_id: str, role: str) -> str:
    return arn("iam", "", account_id, f"role/{role}")


@dataclass(frozen=True)
class EnvironmentNames:
    project: str
    env: str
    service: str

    @property
    def prefix(self) -> str:
        return f"{self.project}-{self.env}"

    cluster = property(lambda self: self.prefix)
    ecs_service = property(lambda self: self.service)
    task_family = property(lambda self: f"{self.prefix}-{self.service}")
    container = property(lambda self: self.service)
    log_group = property(lambda self: f"/ecs/{self.prefix}/{self.service}")
    log_stream_prefix = property(lambda self: self.service)
    execution_role = property(lambda self: f"{self.prefix}-task-execution")
    task_role = property(lambda self: f"{self.prefix}-task")
    alb = property(lambda self: self.prefix)
    codedeploy_app = property(lambda self: self.prefix)
    codedeploy_group = property(lambda self: f"{self.prefix}-{self.service}")
    codedeploy_role = property(lambda self: f"{self.prefix}-codedeploy")
    autoscaling_role = property(lambda self: f"{self.prefix}-autoscaling")
    dashboard = property(lambda self: self.prefix)
    release_parameter = property(lambda self: f"/{self.project}/{self.env}/release")
    release_hook = property(lambda self: f"{self.prefix}-release-hook")
    """The AfterAllowTestTraffic Lambda, its role and security group (never `CodeDeployHook_*`, which
    AWSCodeDeployRoleForECSLimited may invoke in every account: the CodeDeploy role invokes only this one)."""
    release_topic = property(lambda self: f"{self.prefix}-release")
    """The SNS topic of the environment's release notifications (modules/notifications.py)."""
    release_key_alias = property(lambda self: f"alias/{self.prefix}-release")
    """The KMS key of the release topic: AWS's aws/sns key does not let EventBridge or CloudWatch publish."""
    endpoints_security_group = property(lambda self: f"{self.prefix}-endpoints")

    def target_group(self, color: str) -> str:
        """`color` is `main` (rolling), `blue` or `green`."""
        return f"{self.prefix}-{color}"

    def alarm(self, what: str) -> str:
        return f"{self.prefix}-{what}"

    def release_rule(self, what: str) -> str:
        """An EventBridge rule that forwards release events to the release topic."""
        return f"{self.prefix}-release-{what}"

    def role_arn(self, account_id: str, role: str) -> str:
        return role_arn(account_id, role)


@dataclass(frozen=True)
class ReleaseNames:
    project: str

    pipeline = property(lambda self: f"{self.project}-release")
    artifact_bucket_prefix = property(lambda self: f"{self.project}-artifacts-")
    build_project = property(lambda self: f"{self.project}-build")
    test_project = property(lambda self: f"{self.project}-test")
    build_role = property(lambda self: f"{self.project}-codebuild")
    pipeline_role = property(lambda self: f"{self.project}-codepipeline")
    approval_topic = property(lambda self: f"{self.project}-approval")
    connection = property(lambda self: f"{self.project}-gitlab")
    release_parameters_path = property(lambda self: f"/{self.project}/")
    """Parent of every environment's release parameter (EnvironmentNames.release_parameter)."""

    @staticmethod
    def deploy_stage(env: str) -> str:
        """The pipeline stage that deploys environment `env` (modules/pipeline.py)."""
        return f"Deploy-{env.capitalize()}"

    @staticmethod
    def approval_stage(env: str) -> str:
        """The manual approval before `env`'s deploy stage, when it has approval e-mails."""
        return f"Approval-{env.capitalize()}"

    approval_action = "Approve"
    """The manual approval action's name in its stage."""


ACCESS_STACK = "access"
"""The stack of GitLab CI's OIDC provider and roles and of the permissions boundary (stacks/access.py)."""


@dataclass(frozen=True)
class AccessNames:
    """The access stack's names, and the role-name patterns its policies grant on.

    Every role the stacks create is named `<project>-...` and carries the boundary; the
    patterns below are what the deploy role may pass to each service (`iam:PassedToService`).
    """

    project: str

    boundary_policy = property(lambda self: f"{self.project}-boundary")
    """The permissions boundary of every role the stacks create (a customer-managed policy)."""
    ci_plan_role = property(lambda self: f"{self.project}-ci-plan")
    ci_deploy_role = property(lambda self: f"{self.project}-ci-deploy")
    project_roles = property(lambda self: f"{self.project}-*")
    """Pattern of every role name the stacks create (the deploy role manages only these)."""

    def boundary_arn(self, account_id: str) -> str:
        return arn("iam", "", account_id, f"policy/{self.boundary_policy}")

    @property
    def ci_roles(self) -> tuple[str, str]:
        return (self.ci_plan_role, self.ci_deploy_role)

    @property
    def passable_roles(self) -> dict[str, tuple[str, ...]]:
        """Service principal -> the role-name patterns that may be passed to it, for every environment
        (`*`), so that adding an environment needs no change to the access stack."""
        every = EnvironmentNames(project=self.project, env="*", service="*")
        release = ReleaseNames(self.project)
        return {
            "ecs-tasks.amazonaws.com": (every.task_role, every.execution_role),
            "codedeploy.amazonaws.com": (every.codedeploy_role,),
            "vpc-flow-logs.amazonaws.com": (f"{every.prefix}-flow-logs",),
            "codebuild.amazonaws.com": (release.build_role,),
            "codepipeline.amazonaws.com": (release.pipeline_role,),
            "lambda.amazonaws.com": (f"{every.prefix}-release-hook",),
        }


def access_state_key(settings: ProjectSettings) -> str:
    """The access stack's state: `access.tfstate` beside the release stack's key, in the same bucket."""
    return posixpath.join(posixpath.dirname(settings.state.key), "access.tfstate")


def names_for(settings: ProjectSettings, env: Environment) -> EnvironmentNames:
    return EnvironmentNames(project=settings.name, env=env.name, service=env.service.name)
