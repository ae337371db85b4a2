"""Make moto 5.2.5 answer like AWS where the Terraform AWS provider 5.100.0 needs it.

The local emulator (:mod:`orchestrator.local.server`) imports moto, calls :func:`apply` and
serves. Every patch below only adds a missing operation or corrects a response to the shape
AWS returns; none relaxes a check AWS itself makes. Each gap was reproduced against an
unpatched moto 5.2.5 server with Terraform 1.11.4 + hashicorp/aws 5.100.0 (apply error, plan
diff or destroy error), and each test below fails without its patch.

==============================================  =======================================  ==================================================
Gap in moto 5.2.5                               Patch                                    Test (tests/unit/test_local_emulator.py)
==============================================  =======================================  ==================================================
IAM: AWS-managed policy ARNs don't exist        server.py sets                           test_aws_managed_policy_can_be_attached
(iam_role_policy_attachment: NoSuchEntity)      MOTO_IAM_LOAD_MANAGED_POLICIES=true
CodePipeline: ISO-string timestamps (Get/List)  patch_codepipeline_timestamps            test_codepipeline_timestamps_are_epoch_numbers
CodeDeploy: GetDeploymentGroup returns          patch_codedeploy_alarm_configuration     test_codedeploy_alarm_configuration_round_trips
alarmConfiguration={} (perpetual diff)
CodeDeploy: UpdateDeploymentGroup,              patch_codedeploy_update_and_delete       test_codedeploy_update_deployment_group_round_trips
DeleteDeploymentGroup, DeleteApplication                                                 test_codedeploy_delete_group_and_application
missing (HTTP 500)
Application Auto Scaling: tags on scalable      patch_appautoscaling_tags                test_appautoscaling_target_tags
targets (Register Tags, List/Tag/Untag 500)
Application Auto Scaling: PutScalingPolicy     patch_appautoscaling_policy_update       test_appautoscaling_policy_update_keeps_arn_and_alarms
update makes a new ARN, leaks the old alarms
CodeBuild: CreateProject demands a location     patch_codebuild_create_project           test_codebuild_create_project_with_codepipeline_source
for CODEPIPELINE/NO_SOURCE, drops fields
CodeBuild: UpdateProject missing (HTTP 500)     patch_codebuild_update_project           test_codebuild_update_project_round_trips
CodeBuild: DeleteProject ignores an ARN (the    patch_codebuild_delete_project_by_arn    test_codebuild_delete_project_by_arn
provider's id): project survives destroy
ECS: CreateService drops availabilityZone-      patch_ecs_create_service_members         test_ecs_availability_zone_rebalancing_round_trips
Rebalancing, deploymentConfiguration, health-                                            test_ecs_create_service_members_round_trip
CheckGracePeriodSeconds, enableECSManagedTags
CodeStar Connections / CodeConnections: no      patch_codestar_connections               test_codestar_connection_lifecycle
such service in moto (HTTP 500)
==============================================  =======================================  ==================================================

Checked and left alone (they apply and plan clean on plain moto 5.2.5): CloudWatch dashboards,
SNS email subscriptions, IAM OIDC providers, S3 public access block / encryption / versioning /
lifecycle / ownership controls, ECR lifecycle policy and image scanning, ALB listener rules and
redirects, ALB drop_invalid_header_fields, Application Auto Scaling target-tracking policies
(create/delete).
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable
from typing import Any

from moto.core.base_backend import BackendDict, BaseBackend
from moto.core.common_models import BaseModel
from moto.core.exceptions import JsonRESTError, ServiceException
from moto.core.responses import ActionResult, BaseResponse, EmptyResult
from moto.core.utils import unix_time

_applied = False
_lock = threading.Lock()


def apply() -> None:
    """Apply every patch once (idempotent, thread-safe)."""
    global _applied
    with _lock:
        if _applied:
            return
        for patch in PATCHES:
            patch()
        _applied = True


def _add_method(cls: type, name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator: install the function as ``cls.<name>`` (moto dispatches an action to the
    response-class method of the same snake_case name); wrappers keep the original themselves."""

    def install(func: Callable[..., Any]) -> Callable[..., Any]:
        func.__name__ = name
        setattr(cls, name, func)
        return func

    return install


# --------------------------------------------------------------------------- CodePipeline


def patch_codepipeline_timestamps() -> None:
    """CodePipeline GetPipeline ``metadata.created/updated``, ListPipelines ``created/updated`` and
    ListPipelineExecutions ``startTime/lastUpdateTime``.

    moto writes ISO-8601 strings; the protocol (awsJson1.1) encodes timestamps as epoch-seconds
    JSON numbers, and the Go SDK v2 used by the provider fails with "expected Timestamp to be a
    JSON Number, got string", so aws_codepipeline cannot be read at all.
    """
    from moto.codepipeline.models import CodePipeline, PipelineExecution

    def metadata(self: CodePipeline) -> dict[str, Any]:
        return {
            "pipelineArn": self._arn,
            "created": unix_time(self._created),
            "updated": unix_time(self._updated),
        }

    CodePipeline.metadata = property(metadata)  # type: ignore[assignment,method-assign]

    original_summary = PipelineExecution.to_summary_dict

    def to_summary_dict(self: PipelineExecution) -> dict[str, Any]:
        summary = original_summary(self)
        summary["startTime"] = unix_time(self.start_time)
        summary["lastUpdateTime"] = unix_time(self.last_update_time)
        return summary

    PipelineExecution.to_summary_dict = to_summary_dict  # type: ignore[method-assign]


# --------------------------------------------------------------------------- CodeDeploy


def _alarm_configuration(stored: dict[str, Any] | None) -> dict[str, Any]:
    """The AlarmConfiguration AWS returns: what was set, or the disabled default."""
    stored = stored or {}
    return {
        "enabled": bool(stored.get("enabled", False)),
        "ignorePollAlarmFailure": bool(stored.get("ignorePollAlarmFailure", False)),
        "alarms": [{"name": alarm["name"]} for alarm in stored.get("alarms") or []],
    }


def patch_codedeploy_alarm_configuration() -> None:
    """CodeDeploy GetDeploymentGroup ``alarmConfiguration``.

    moto stores the alarmConfiguration sent to CreateDeploymentGroup but always returns ``{}``.
    AWS returns what was set (or ``{"enabled": false, "alarms": [], "ignorePollAlarmFailure":
    false}``); the provider flattens the response into ``alarm_configuration``, so with moto a
    deployment group with alarms shows a perpetual diff.
    """
    from moto.codedeploy import responses

    original = responses._deployment_group_info

    def deployment_group_info(group: Any) -> dict[str, Any]:
        info = original(group)
        info["alarmConfiguration"] = _alarm_configuration(group.alarm_configuration)
        return info

    responses._deployment_group_info = deployment_group_info  # type: ignore[assignment]


# UpdateDeploymentGroup request member -> moto DeploymentGroup attribute
_DEPLOYMENT_GROUP_FIELDS = {
    "deploymentConfigName": "deployment_config_name",
    "ec2TagFilters": "ec2_tag_filters",
    "onPremisesInstanceTagFilters": "on_premises_instance_tag_filters",
    "autoScalingGroups": "auto_scaling_groups",
    "serviceRoleArn": "service_role_arn",
    "triggerConfigurations": "trigger_configurations",
    "alarmConfiguration": "alarm_configuration",
    "autoRollbackConfiguration": "auto_rollback_configuration",
    "outdatedInstancesStrategy": "outdated_instances_strategy",
    "deploymentStyle": "deployment_style",
    "blueGreenDeploymentConfiguration": "blue_green_deployment_configuration",
    "loadBalancerInfo": "load_balancer_info",
    "ec2TagSet": "ec2_tag_set",
    "ecsServices": "ecs_services",
    "onPremisesTagSet": "on_premises_tag_set",
    "terminationHookEnabled": "termination_hook_enabled",
}


def patch_codedeploy_update_and_delete() -> None:
    """CodeDeploy UpdateDeploymentGroup, DeleteDeploymentGroup and DeleteApplication.

    moto 5.2.5 does not implement them (HTTP 500), so any change to an
    aws_codedeploy_deployment_group fails and destroy of a group or app fails. AWS semantics
    implemented: UpdateDeploymentGroup changes only the members sent (the provider sends only
    what changed) and may rename the group (tags follow); the deletes succeed when the
    resource is already gone, and deleting an application deletes its deployment groups.
    """
    from moto.codedeploy.exceptions import DeploymentGroupAlreadyExistsException
    from moto.codedeploy.responses import CodeDeployResponse

    @_add_method(CodeDeployResponse, "update_deployment_group")
    def update_deployment_group(self: CodeDeployResponse) -> ActionResult:
        backend = self.codedeploy_backend
        app_name = self._get_param("applicationName")
        current = self._get_param("currentDeploymentGroupName")
        group = backend.get_deployment_group(app_name, current)
        for member, attribute in _DEPLOYMENT_GROUP_FIELDS.items():
            value = self._get_param(member)
            if value is not None:
                setattr(group, attribute, value)
        new = self._get_param("newDeploymentGroupName")
        if new and new != current:
            groups = backend.deployment_groups[app_name]
            if new in groups:
                raise DeploymentGroupAlreadyExistsException(
                    f"Deployment group {new} already exists."
                )
            groups[new] = groups.pop(current)
            group.deployment_group_name = new
            old_arn = backend._deployment_group_arn(app_name, current)
            backend.tagger.copy_tags(old_arn, backend._deployment_group_arn(app_name, new))
            backend.tagger.delete_all_tags_for_resource(old_arn)
        return ActionResult({"hooksNotCleanedUp": []})

    @_add_method(CodeDeployResponse, "delete_deployment_group")
    def delete_deployment_group(self: CodeDeployResponse) -> ActionResult:
        backend = self.codedeploy_backend
        app_name = self._get_param("applicationName")
        name = self._get_param("deploymentGroupName")
        if backend.deployment_groups.get(app_name, {}).pop(name, None) is not None:
            backend.tagger.delete_all_tags_for_resource(
                backend._deployment_group_arn(app_name, name)
            )
        return ActionResult({"hooksNotCleanedUp": []})

    @_add_method(CodeDeployResponse, "delete_application")
    def delete_application(self: CodeDeployResponse) -> EmptyResult:
        backend = self.codedeploy_backend
        app_name = self._get_param("applicationName")
        for name in backend.deployment_groups.pop(app_name, {}):
            backend.tagger.delete_all_tags_for_resource(
                backend._deployment_group_arn(app_name, name)
            )
        if backend.applications.pop(app_name, None) is not None:
            backend.tagger.delete_all_tags_for_resource(backend._application_arn(app_name))
        return EmptyResult()


# --------------------------------------------------------------------------- Application Auto Scaling


class _AppAutoScalingNotFound(JsonRESTError):
    def __init__(self, arn: str) -> None:
        super().__init__("ResourceNotFoundException", f"No scalable target found for ARN {arn}")


def patch_appautoscaling_tags() -> None:
    """Application Auto Scaling RegisterScalableTarget ``Tags``, ListTagsForResource, TagResource
    and UntagResource.

    moto ignores ``Tags`` on RegisterScalableTarget and does not implement the three tagging
    operations (HTTP 500), so aws_appautoscaling_target (which reads its tags after every
    create/refresh) cannot be created, refreshed or destroyed. Tags live on the scalable-target
    object, so they disappear with DeregisterScalableTarget, as on AWS. As on AWS, ``Tags`` on
    RegisterScalableTarget only apply when the call creates the target.
    """
    from moto.applicationautoscaling.models import (
        ApplicationAutoscalingBackend,
        FakeScalableTarget,
    )
    from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse

    def all_targets(backend: ApplicationAutoscalingBackend) -> list[FakeScalableTarget]:
        return [t for by_id in backend.targets.values() for t in by_id.values()]

    def find(backend: ApplicationAutoscalingBackend, arn: str) -> FakeScalableTarget:
        for target in all_targets(backend):
            if target.arn == arn:
                return target
        raise _AppAutoScalingNotFound(arn)

    def tags_of(target: FakeScalableTarget) -> dict[str, str]:
        if not hasattr(target, "compat_tags"):
            target.compat_tags = {}  # type: ignore[attr-defined]
        return target.compat_tags  # type: ignore[attr-defined,no-any-return]

    original_register = ApplicationAutoScalingResponse.register_scalable_target

    @_add_method(ApplicationAutoScalingResponse, "register_scalable_target")
    def register_scalable_target(self: ApplicationAutoScalingResponse) -> str:
        backend = self.applicationautoscaling_backend
        existing = {t.arn for t in all_targets(backend)}
        body = original_register(self)
        arn = json.loads(body)["ScalableTargetARN"]
        if arn not in existing:
            tags_of(find(backend, arn)).update(self._get_param("Tags") or {})
        return body

    @_add_method(ApplicationAutoScalingResponse, "list_tags_for_resource")
    def list_tags_for_resource(self: ApplicationAutoScalingResponse) -> str:
        target = find(self.applicationautoscaling_backend, self._get_param("ResourceARN"))
        return json.dumps({"Tags": tags_of(target)})

    @_add_method(ApplicationAutoScalingResponse, "tag_resource")
    def tag_resource(self: ApplicationAutoScalingResponse) -> str:
        target = find(self.applicationautoscaling_backend, self._get_param("ResourceARN"))
        tags_of(target).update(self._get_param("Tags") or {})
        return "{}"

    @_add_method(ApplicationAutoScalingResponse, "untag_resource")
    def untag_resource(self: ApplicationAutoScalingResponse) -> str:
        target = find(self.applicationautoscaling_backend, self._get_param("ResourceARN"))
        for key in self._get_param("TagKeys") or []:
            tags_of(target).pop(key, None)
        return "{}"


def patch_appautoscaling_policy_update() -> None:
    """Application Auto Scaling PutScalingPolicy on an existing policy (an update).

    moto replaces the policy with a new one: a new policy ARN and a new pair of target-tracking
    CloudWatch alarms, while the old pair is left behind, so every in-place update of an
    aws_appautoscaling_policy leaks two alarms that survive ``terraform destroy``. On AWS the
    update keeps the policy (and its ARN) and replaces its alarms.
    """
    from moto.applicationautoscaling.models import (
        ApplicationAutoscalingBackend,
        FakeApplicationAutoscalingPolicy,
    )

    original = ApplicationAutoscalingBackend.put_scaling_policy

    @_add_method(ApplicationAutoscalingBackend, "put_scaling_policy")
    def put_scaling_policy(
        self: ApplicationAutoscalingBackend, policy_name: str, service_namespace: str,
        resource_id: str, scalable_dimension: str, policy_body: dict[str, Any],
        policy_type: str | None,
    ) -> FakeApplicationAutoscalingPolicy:  # fmt: skip
        key = FakeApplicationAutoscalingPolicy.formulate_key(
            service_namespace, resource_id, scalable_dimension, policy_name
        )
        old = self.policies.get(key)
        policy = original(
            self, policy_name, service_namespace, resource_id, scalable_dimension,
            policy_body, policy_type,
        )  # fmt: skip
        if old is not None:
            old.delete_alarms(self.account_id, self.region_name)
            policy.delete_alarms(self.account_id, self.region_name)
            policy._guid, policy.policy_arn = old._guid, old.policy_arn
            policy.creation_time = old.creation_time
            policy.alarms = []
            policy.create_alarms()  # alarm actions name the kept policy ARN
        return policy


# --------------------------------------------------------------------------- CodeBuild

# Source types that AWS lets omit a location: the source comes from CodePipeline or there is none.
_SOURCES_WITHOUT_LOCATION = {"CODEPIPELINE", "NO_SOURCE"}
# CreateProject members moto's create_project already stores.
_MOTO_PROJECT_MEMBERS = {
    "name", "description", "source", "artifacts", "environment", "serviceRole", "tags", "cache",
    "timeoutInMinutes", "queuedTimeoutInMinutes", "sourceVersion", "logsConfig", "vpcConfig",
}  # fmt: skip


def _store_project_members(project: Any, members: dict[str, Any]) -> None:
    """Write CreateProject/UpdateProject request members into moto's stored Project."""
    metadata = project.project_metadata
    for member, value in members.items():
        if member == "name":
            continue
        if member == "badgeEnabled":
            metadata["badge"] = {"badgeEnabled": bool(value)}
            continue
        if member == "serviceRole":
            project.service_role = value
        if member == "tags":
            project.tags = value
        metadata[member] = value


def patch_codebuild_create_project() -> None:
    """CodeBuild CreateProject with ``source.type``/``artifacts.type`` CODEPIPELINE.

    moto demands ``source.location`` for every source type (and an artifacts location for
    CODEPIPELINE artifacts); AWS only requires it where the source is fetched from a
    location, so the project build step of a pipeline (source and artifacts CODEPIPELINE, no
    location) fails with "Project source location is required". moto also drops members it
    does not model (secondarySources, secondaryArtifacts, encryptionKey, badgeEnabled,
    concurrentBuildLimit, fileSystemLocations, buildBatchConfig, autoRetryLimit...), which AWS
    returns from BatchGetProjects; they are now kept. Types outside the AWS enums and missing
    locations for location-based types are still rejected.
    """
    from moto.codebuild import responses
    from moto.codebuild.exceptions import InvalidInputException

    original_source = responses._validate_required_params_source
    original_artifacts = responses._validate_required_params_artifacts

    def validate_source(source: dict[str, Any]) -> None:
        if source.get("type") in _SOURCES_WITHOUT_LOCATION:
            return
        # GITLAB* are in the AWS SourceType enum but missing from moto's list
        if source.get("type") in {"GITLAB", "GITLAB_SELF_MANAGED"}:
            if not source.get("location"):
                raise InvalidInputException("Project source location is required")
            return
        original_source(source)

    def validate_artifacts(artifacts: dict[str, Any]) -> None:
        if artifacts.get("type") == "CODEPIPELINE":
            return
        original_artifacts(artifacts)

    responses._validate_required_params_source = validate_source
    responses._validate_required_params_artifacts = validate_artifacts

    cls = responses.CodeBuildResponse
    original_create = cls.create_project

    @_add_method(cls, "create_project")
    def create_project(self: Any) -> ActionResult:
        result = original_create(self)
        members = json.loads(self.body or "{}")
        project = self.codebuild_backend.codebuild_projects[members["name"]]
        extra = {k: v for k, v in members.items() if k not in _MOTO_PROJECT_MEMBERS}
        _store_project_members(project, extra)
        return result


def patch_codebuild_update_project() -> None:
    """CodeBuild UpdateProject.

    Not implemented by moto 5.2.5 (HTTP 500), so any in-place change to an
    aws_codebuild_project fails. Implemented as on AWS: the members sent replace the stored
    ones (validated like CreateProject), ``lastModified`` moves, the project is returned.
    """
    from moto.codebuild import responses
    from moto.codebuild.exceptions import ResourceNotFoundException

    @_add_method(responses.CodeBuildResponse, "update_project")
    def update_project(self: Any) -> ActionResult:
        members = json.loads(self.body or "{}")
        name = members.get("name", "")
        backend = self.codebuild_backend
        project = backend.codebuild_projects.get(name) or next(
            (p for p in backend.codebuild_projects.values() if p.arn == name), None
        )
        if project is None:
            raise ResourceNotFoundException(
                f"Project cannot be found: arn:{self.partition}:codebuild:{self.region}:"
                f"{self.current_account}:project/{name}"
            )
        if "source" in members:
            responses._validate_required_params_source(members["source"])
        if "artifacts" in members:
            responses._validate_required_params_artifacts(members["artifacts"])
        if "environment" in members:
            responses._validate_required_params_environment(members["environment"])
        if "serviceRole" in members:
            responses._validate_required_params_service_role(
                self.current_account, self.region, members["serviceRole"]
            )
        _store_project_members(project, members)
        project.project_metadata["lastModified"] = unix_time()
        return ActionResult({"project": project.project_metadata})


def patch_codebuild_delete_project_by_arn() -> None:
    """CodeBuild DeleteProject with the project ARN.

    The provider deletes an aws_codebuild_project by its id, the project ARN; AWS accepts a
    name or an ARN, moto only pops by name, so the project silently survives ``terraform
    destroy`` and the next apply fails with ResourceAlreadyExistsException.
    """
    from moto.codebuild.models import CodeBuildBackend

    original = CodeBuildBackend.delete_project

    @_add_method(CodeBuildBackend, "delete_project")
    def delete_project(self: CodeBuildBackend, project_name: str) -> None:
        for name, project in self.codebuild_projects.items():
            if project.arn == project_name:
                project_name = name
                break
        original(self, project_name)


# --------------------------------------------------------------------------- ECS


def patch_ecs_create_service_members() -> None:
    """ECS CreateService members moto drops: availabilityZoneRebalancing,
    deploymentConfiguration (circuit breaker, min/max percent), healthCheckGracePeriodSeconds,
    enableECSManagedTags and enableExecuteCommand.

    DescribeServices then never returns them: the provider shows a diff on
    ``availability_zone_rebalancing``, ``health_check_grace_period_seconds`` and
    ``enable_ecs_managed_tags`` after every create, and drift in the circuit breaker would go
    unseen. As on AWS, CreateService stores what was sent (availabilityZoneRebalancing
    defaults to ENABLED). UpdateService already stores every member it receives.
    """
    from moto.ecs.responses import EC2ContainerServiceResponse

    original = EC2ContainerServiceResponse.create_service
    defaults: dict[str, Any] = {
        "availabilityZoneRebalancing": "ENABLED",
        "deploymentConfiguration": None,
        "healthCheckGracePeriodSeconds": None,
        "enableECSManagedTags": False,
        "enableExecuteCommand": False,
    }

    @_add_method(EC2ContainerServiceResponse, "create_service")
    def create_service(self: EC2ContainerServiceResponse) -> ActionResult:
        result = original(self)
        service = result.result["service"]  # type: ignore[index]
        for member, default in defaults.items():
            value = self._get_param(member)
            setattr(service, _snake(member), default if value is None else value)
        return result


def _snake(member: str) -> str:
    """moto's serializer reads a response member from the snake_case attribute."""
    return {"enableECSManagedTags": "enable_ecs_managed_tags"}.get(
        member, "".join(f"_{c.lower()}" if c.isupper() else c for c in member)
    )


# --------------------------------------------------------------------------- CodeStar Connections

_CONNECTION_SERVICES = {
    # X-Amz-Target prefix -> signing name (also the service part of the connection ARN)
    "CodeStar_connections_20191201": "codestar-connections",
    "CodeConnections_20231201": "codeconnections",
}


class _ConnectionNotFound(ServiceException):
    code = "ResourceNotFoundException"


class Connection(BaseModel):
    def __init__(self, service: str, account_id: str, region: str, members: dict[str, Any]):
        self.connection_name: str = members["ConnectionName"]
        self.connection_arn = f"arn:aws:{service}:{region}:{account_id}:connection/{uuid.uuid4()}"
        self.provider_type: str | None = members.get("ProviderType")
        self.host_arn: str | None = members.get("HostArn")
        self.provider_endpoint: str | None = members.get("ProviderEndpoint")
        self.owner_account_id = account_id
        # A new connection waits for the OAuth handshake in the console: PENDING on AWS.
        self.connection_status = "PENDING"


class ConnectionsBackend(BaseBackend):
    """Connections of one account and region (shared by both service names, as on AWS)."""

    def __init__(self, region_name: str, account_id: str):
        super().__init__(region_name, account_id)
        self.connections: dict[str, Connection] = {}
        self.tags: dict[str, dict[str, str]] = {}

    def get(self, arn: str) -> Connection:
        if arn not in self.connections:
            raise _ConnectionNotFound(f"Connection {arn} does not exist")
        return self.connections[arn]


connections_backends = BackendDict(ConnectionsBackend, "codestar-connections")


class ConnectionsResponse(BaseResponse):
    """CreateConnection, GetConnection, ListConnections, DeleteConnection and tagging."""

    def __init__(self, service_name: str = "codestar-connections") -> None:
        super().__init__(service_name=service_name)
        self.automated_parameter_parsing = True

    @property
    def backend(self) -> ConnectionsBackend:
        return connections_backends[self.current_account][self.region]

    def create_connection(self) -> ActionResult:
        connection = Connection(
            self.service_name or "codestar-connections",
            self.current_account,
            self.region,
            self.params,
        )
        tags = self._get_param("Tags") or []
        self.backend.connections[connection.connection_arn] = connection
        self.backend.tags[connection.connection_arn] = {t["Key"]: t["Value"] for t in tags}
        return ActionResult({"ConnectionArn": connection.connection_arn, "Tags": tags})

    def get_connection(self) -> ActionResult:
        return ActionResult({"Connection": self.backend.get(self._get_param("ConnectionArn"))})

    def list_connections(self) -> ActionResult:
        provider = self._get_param("ProviderTypeFilter")
        host = self._get_param("HostArnFilter")
        found = [
            c
            for c in self.backend.connections.values()
            if (not provider or c.provider_type == provider) and (not host or c.host_arn == host)
        ]
        return ActionResult({"Connections": found})

    def delete_connection(self) -> ActionResult:
        arn = self._get_param("ConnectionArn")
        self.backend.get(arn)
        del self.backend.connections[arn]
        self.backend.tags.pop(arn, None)
        return ActionResult({})

    def list_tags_for_resource(self) -> ActionResult:
        arn = self._get_param("ResourceArn")
        self.backend.get(arn)
        tags = self.backend.tags.get(arn, {})
        return ActionResult({"Tags": [{"Key": k, "Value": v} for k, v in tags.items()]})

    def tag_resource(self) -> ActionResult:
        arn = self._get_param("ResourceArn")
        self.backend.get(arn)
        for tag in self._get_param("Tags") or []:
            self.backend.tags.setdefault(arn, {})[tag["Key"]] = tag["Value"]
        return ActionResult({})

    def untag_resource(self) -> ActionResult:
        arn = self._get_param("ResourceArn")
        self.backend.get(arn)
        for key in self._get_param("TagKeys") or []:
            self.backend.tags.get(arn, {}).pop(key, None)
        return ActionResult({})


class CodeConnectionsResponse(ConnectionsResponse):
    def __init__(self) -> None:
        super().__init__(service_name="codeconnections")


def _connections_service(environ: dict[str, Any]) -> str | None:
    """The connections service a request is for (by X-Amz-Target, else by SigV4 scope)."""
    target = environ.get("HTTP_X_AMZ_TARGET") or ""
    prefix = target.rsplit(".", 1)[0].rsplit(".", 1)[-1]
    if prefix in _CONNECTION_SERVICES:
        return _CONNECTION_SERVICES[prefix]
    auth = environ.get("HTTP_AUTHORIZATION") or ""
    for service in _CONNECTION_SERVICES.values():
        if f"/{service}/aws4_request" in auth:
            return service
    return None


def patch_codestar_connections() -> None:
    """CodeStar Connections (``codestar-connections``) and CodeConnections (``codeconnections``).

    moto 5.2.5 has neither service: its dispatcher answers HTTP 500, so
    aws_codestarconnections_connection (the GitLab source of the release pipeline) cannot be
    created. Added here as a small moto backend (so /moto-api/reset clears it) with
    CreateConnection, GetConnection, ListConnections, DeleteConnection, ListTagsForResource,
    TagResource and UntagResource. As on AWS, a new connection is PENDING until someone
    completes the handshake in the console (the provider does not wait for AVAILABLE).
    """
    from flask import Flask
    from moto.core.utils import convert_to_flask_response
    from moto.moto_server.werkzeug_app import (
        HTTP_METHODS,
        BackendRequest,
        DomainDispatcherApplication,
    )

    apps: dict[str, Flask] = {}
    for service, response_cls in (
        ("codestar-connections", ConnectionsResponse),
        ("codeconnections", CodeConnectionsResponse),
    ):
        app = Flask(f"moto-compat-{service}")
        app.request_class = BackendRequest
        view = convert_to_flask_response(response_cls.dispatch)
        for rule in ("/", "/<path:path>"):
            app.add_url_rule(
                rule, endpoint=f"{service}{rule}", view_func=view, methods=HTTP_METHODS
            )
        apps[service] = app

    original = DomainDispatcherApplication.get_application

    def get_application(self: DomainDispatcherApplication, environ: dict[str, Any]) -> Any:
        service = _connections_service(environ)
        return apps[service] if service else original(self, environ)

    DomainDispatcherApplication.get_application = get_application  # type: ignore[method-assign]


PATCHES: tuple[Callable[[], None], ...] = (
    patch_codepipeline_timestamps,
    patch_codedeploy_alarm_configuration,
    patch_codedeploy_update_and_delete,
    patch_appautoscaling_tags,
    patch_appautoscaling_policy_update,
    patch_codebuild_create_project,
    patch_codebuild_update_project,
    patch_codebuild_delete_project_by_arn,
    patch_ecs_create_service_members,
    patch_codestar_connections,
)
