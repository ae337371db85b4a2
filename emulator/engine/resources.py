"""The resource AWS authorizes each call of a release on, where moto 5.2.5 evaluates ``*``.

moto's IAM evaluation uses ``*`` as the resource of every ECS, ECR, SNS, CodeBuild and CodeDeploy call,
so a policy scoped to the project's resources (the release roles', modules/pipeline.py) is denied
everything the moment IAM is evaluated. These resolve the resource as AWS's Service Authorization
Reference defines it for the calls a release makes (resource types: ECS ``service``
``arn:…:service/${ClusterName}/${ServiceName}``; ECR ``repository`` ``arn:…:repository/${RepositoryName}``;
SNS ``topic``; CodeBuild ``project``/``build``; CodeDeploy ``application``, ``deploymentgroup``
``arn:…:deploymentgroup:${ApplicationName}/${DeploymentGroupName}``; a call naming a deployment id is
authorized on its deployment group). Calls these do not name stay ``*``, as in moto.
"""

from __future__ import annotations

from typing import Any

from emulator.compat._patching import add_missing


def _arn(self: Any, service: str, resource: str) -> str:
    return f"arn:aws:{service}:{self.region}:{self.current_account}:{resource}"


def patch_ecs_service_resources() -> None:
    """ECS DescribeServices, UpdateService (and the task-set calls) on the service's ARN."""
    from moto.ecs.responses import EC2ContainerServiceResponse

    single = {"UpdateService", "CreateTaskSet", "DeleteTaskSet", "UpdateServicePrimaryTaskSet", "DescribeTaskSets"}

    @add_missing(EC2ContainerServiceResponse, "_determine_resource")
    def determine_resource(self: Any) -> str:
        action = self._get_action()
        cluster = str(self._get_param("cluster") or "default").rsplit("/", 1)[-1]
        if action in single:
            service = str(self._get_param("service") or "").rsplit("/", 1)[-1]
        elif action == "DescribeServices" and len(self._get_param("services") or []) == 1:
            service = str(self._get_param("services")[0]).rsplit("/", 1)[-1]
        else:
            return "*"
        return _arn(self, "ecs", f"service/{cluster}/{service}") if service else "*"


def patch_ecr_repository_resources() -> None:
    """ECR image calls on the repository's ARN."""
    from moto.ecr.responses import ECRResponse

    @add_missing(ECRResponse, "_determine_resource")
    def determine_resource(self: Any) -> str:
        name = self._get_param("repositoryName")
        if not name or self._get_action() in ("CreateRepository", "GetAuthorizationToken"):
            return "*"
        return _arn(self, "ecr", f"repository/{name}")


def patch_sns_topic_resources() -> None:
    """SNS Publish on the topic's ARN."""
    from moto.sns.responses import SNSResponse

    @add_missing(SNSResponse, "_determine_resource")
    def determine_resource(self: Any) -> str:
        topic = self._get_param("TopicArn")
        return str(topic) if topic and self._get_action() == "Publish" else "*"


def patch_codedeploy_group_resources() -> None:
    """CodeDeploy calls on the application, the deployment group, or the deployment's group."""
    from moto.codedeploy.models import codedeploy_backends
    from moto.codedeploy.responses import CodeDeployResponse

    @add_missing(CodeDeployResponse, "_determine_resource")
    def determine_resource(self: Any) -> str:
        app, group = self._get_param("applicationName"), self._get_param("deploymentGroupName")
        deployment_id = self._get_param("deploymentId")
        if deployment_id and not group:
            found = codedeploy_backends[self.current_account][self.region].deployments.get(deployment_id)
            if found is None:
                return "*"
            app, group = found.application_name, found.deployment_group_name
        if app and group:
            return _arn(self, "codedeploy", f"deploymentgroup:{app}/{group}")
        if app and self._get_action() in ("GetApplication", "GetApplicationRevision", "RegisterApplicationRevision"):
            return _arn(self, "codedeploy", f"application:{app}")
        return "*"


def patch_codebuild_project_resources() -> None:
    """CodeBuild StartBuild (and the project calls) on the project; BatchGetBuilds of one build on it."""
    from moto.codebuild.responses import CodeBuildResponse

    @add_missing(CodeBuildResponse, "_determine_resource")
    def determine_resource(self: Any) -> str:
        action = self._get_action()
        if action in ("StartBuild", "StopBuild", "UpdateProject", "DeleteProject"):
            name = self._get_param("projectName") or self._get_param("name") or ""
            return _arn(self, "codebuild", f"project/{str(name).rsplit('/', 1)[-1]}") if name else "*"
        if action == "BatchGetBuilds":
            ids = self._get_param("ids") or []
            return _arn(self, "codebuild", f"build/{ids[0]}") if len(ids) == 1 else "*"
        return "*"


PATCHES = (
    patch_ecs_service_resources,
    patch_ecr_repository_resources,
    patch_sns_topic_resources,
    patch_codedeploy_group_resources,
    patch_codebuild_project_resources,
)
