"""ECS: CreateService members moto drops."""

from __future__ import annotations

from typing import Any

from moto.core.responses import ActionResult

from orchestrator.local.compat._patching import Original, wrap_existing


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
