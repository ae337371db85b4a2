"""Resource names: one function of the config, shared by stacks, renderer and drift tests.

Names are deterministic so that stacks reference each other by name (no cross-stack
outputs), and the release artifacts rendered at build time agree with what Terraform
created. AWS limits (ALB and target-group names: 32 characters) are respected by the
schema's length limits on `project.name` (12) and `environment.name` (10).
"""

from __future__ import annotations

from dataclasses import dataclass

from config.schema import PARTITION, Environment, ProjectSettings

IMAGE_VARIABLE = "image"
"""An environment stack's variable: the image its service runs now, which the CLI reads from the live
service (orchestrator/live.py) so that Terraform never reverts a release (stacks/environment.py)."""


def arn(service: str, region: str, account_id: str, resource: str) -> str:
    """`arn:<partition>:<service>:<region>:<account>:<resource>`; region and account may be empty (IAM, S3)."""
    return f"arn:{PARTITION}:{service}:{region}:{account_id}:{resource}"


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

    def target_group(self, color: str) -> str:
        """`color` is `main` (rolling), `blue` or `green`."""
        return f"{self.prefix}-{color}"

    def alarm(self, what: str) -> str:
        return f"{self.prefix}-{what}"

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
    ci_plan_role = property(lambda self: f"{self.project}-ci-plan")
    ci_deploy_role = property(lambda self: f"{self.project}-ci-deploy")
    release_parameters_path = property(lambda self: f"/{self.project}/")
    """Parent of every environment's release parameter (EnvironmentNames.release_parameter)."""


def names_for(settings: ProjectSettings, env: Environment) -> EnvironmentNames:
    return EnvironmentNames(project=settings.name, env=env.name, service=env.service.name)
