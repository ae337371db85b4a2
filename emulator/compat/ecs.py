"""ECS: CreateService members moto drops; the CODE_DEPLOY controller's UpdateService rules and platform version."""

from __future__ import annotations

from typing import Any

from moto.core.responses import ActionResult

from emulator.compat._patching import Original, wrap_existing


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

    defaults: dict[str, Any] = {
        "availabilityZoneRebalancing": "ENABLED",
        "deploymentConfiguration": None,
        "healthCheckGracePeriodSeconds": None,
        "enableECSManagedTags": False,
        "enableExecuteCommand": False,
    }

    @wrap_existing(EC2ContainerServiceResponse, "create_service")
    def create_service(original: Original, self: EC2ContainerServiceResponse) -> ActionResult:
        result = original(self)
        service = result.result["service"]
        for member, default in defaults.items():
            value = self._get_param(member)
            setattr(service, _snake(member), default if value is None else value)
        return result


def _snake(member: str) -> str:
    """moto's serializer reads a response member from the snake_case attribute."""
    return {"enableECSManagedTags": "enable_ecs_managed_tags"}.get(
        member, "".join(f"_{c.lower()}" if c.isupper() else c for c in member)
    )


CODE_DEPLOY_ONLY = {
    "taskDefinition": "task definition",
    "networkConfiguration": "network parameters",
    "loadBalancers": "load balancers",
    "platformVersion": "platform version",
}
"""UpdateService members a CODE_DEPLOY service refuses, and how AWS's error names them."""
RESOLVED_PLATFORM_VERSION = "1.4.0"
"""What Fargate's LATEST resolves to, as DescribeServices reports it for a CODE_DEPLOY service."""


def patch_ecs_code_deploy_update_rules() -> None:
    """ECS UpdateService on a service with the CODE_DEPLOY deployment controller: refuse a new task
    definition, network configuration, load balancer or platform version, as AWS does.

    AWS (ECS API reference, UpdateService): "For services using the blue/green (CODE_DEPLOY)
    deployment controller, only the desired count, deployment configuration, health check grace
    period, task placement constraints and strategies, enable ECS managed tags option, and
    propagate tags can be updated using this API. If the network configuration, platform version,
    task definition, or load balancer need to be updated, create a new CodeDeploy deployment."
    The error users see (terraform-aws-modules/terraform-aws-ecs PR #239): "InvalidParameterException:
    Unable to update network parameters on services with a CODE_DEPLOY deployment controller. Use
    AWS CodeDeploy to trigger a new deployment." moto 5.2.5 applies any of them, so without this a
    plan AWS would refuse applies cleanly here. The other members' messages follow the same form.
    """
    from moto.ecs.exceptions import InvalidParameterException
    from moto.ecs.responses import EC2ContainerServiceResponse

    @wrap_existing(EC2ContainerServiceResponse, "update_service")
    def update_service(original: Original, self: EC2ContainerServiceResponse) -> ActionResult:
        cluster = self._get_param("cluster", "default")
        name = self._get_param("service")
        services, _ = self.ecs_backend.describe_services(cluster, [name])
        if services and services[0].deployment_controller.get("type") == "CODE_DEPLOY":
            for member, what in CODE_DEPLOY_ONLY.items():
                if self._get_param(member) is not None:
                    raise InvalidParameterException(
                        f"Unable to update {what} on services with a CODE_DEPLOY deployment controller. "
                        "Use AWS CodeDeploy to trigger a new deployment."
                    )
        return original(self)


def patch_ecs_code_deploy_platform_version() -> None:
    """ECS DescribeServices of a CODE_DEPLOY Fargate service created with platform version LATEST
    (or none): report the resolved version, as AWS does.

    AWS answers `1.4.0`, not `LATEST`, for such a service (aws/containers-roadmap#2840): a plan
    with `platform_version = "LATEST"` then shows `1.4.0 -> LATEST` on every run, and applying it
    is an UpdateService AWS refuses (patch_ecs_code_deploy_update_rules). moto 5.2.5 echoes
    LATEST, which hides both. Services with the ECS controller keep reporting LATEST, as on AWS.
    """
    from moto.ecs.responses import EC2ContainerServiceResponse

    @wrap_existing(EC2ContainerServiceResponse, "create_service")
    def create_service(original: Original, self: EC2ContainerServiceResponse) -> ActionResult:
        result = original(self)
        service = result.result["service"]
        fargate = (self._get_param("launchType") or "FARGATE") == "FARGATE"
        latest = self._get_param("platformVersion") in (None, "LATEST")
        if service.deployment_controller.get("type") == "CODE_DEPLOY" and fargate and latest:
            service.platform_version = RESOLVED_PLATFORM_VERSION
        return result


def patch_ecs_family_latest_active() -> None:
    """ECS: a task definition named by its family alone resolves to the family's newest revision, even
    a deregistered (INACTIVE) one.

    AWS resolves it to "the latest ACTIVE revision" (ECS API Reference, DescribeTaskDefinition,
    taskDefinition; the same for CreateService, UpdateService and RunTask). The Terraform provider's
    `track_latest` reads the family so, and a rollback deregisters the revision it rolled back from
    (as kayac/ecspresso's rollback does) so that the next plan sees the revision the service runs:
    with moto's newest-of-all it would see the deregistered one. Registering still numbers a new
    revision after the newest of all, as AWS does.
    """
    from moto.ecs.exceptions import TaskDefinitionNotFoundException
    from moto.ecs.models import EC2ContainerServiceBackend

    @wrap_existing(EC2ContainerServiceBackend, "describe_task_definition")
    def describe_task_definition(original: Original, self: EC2ContainerServiceBackend, task_definition_str: str) -> Any:
        name = task_definition_str.split("/")[-1]
        if ":" in name:
            return original(self, task_definition_str)
        revisions = self.task_definitions.get(name) or {}
        active = [number for number, definition in revisions.items() if definition.status == "ACTIVE"]
        if not active:
            raise TaskDefinitionNotFoundException()
        return original(self, f"{name}:{max(active)}")
