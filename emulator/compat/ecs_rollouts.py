"""ECS: a service's rolling deployments (ECS controller) reach the state a finished rollout has on AWS."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.core.utils import utcnow

from emulator.compat._patching import Original, wrap_existing

RUNNER: Callable[[Any, Any, list[dict[str, Any]]], bool] | None = None
"""Set by the release engine (emulator/engine/rollouts.py): runs a new deployment with local tasks, when
its image can run here, and answers True; otherwise the rollout is finished at once as below."""


def _rolled_out(backend: Any, service: Any, *, new: bool) -> None:
    """One PRIMARY deployment of the service's task definition, COMPLETED, all desired tasks running."""
    from moto.moto_api._internal import mock_random

    old = service.deployments[0] if service.deployments else {}
    now = utcnow()
    deployment_id = f"ecs-svc/{mock_random.randint(0, 32**12)}" if new or not old else old["id"]
    backend.update_cluster_resources(
        backend._get_cluster(service.cluster_name), service.desired_count - service.running_count, task_state="RUNNING"
    )
    backend.update_cluster_resources(
        backend._get_cluster(service.cluster_name), -service.pending_count, task_state="PENDING"
    )
    service.running_count, service.pending_count = service.desired_count, 0
    service.deployments = [
        {
            **old,
            "createdAt": now if new or not old else old.get("createdAt", now),
            "desiredCount": service.desired_count,
            "failedTasks": 0,
            "id": deployment_id,
            "launchType": service.launch_type,
            "pendingCount": 0,
            "rolloutState": "COMPLETED",
            "rolloutStateReason": f"ECS deployment {deployment_id} completed.",
            "runningCount": service.desired_count,
            "platformVersion": service.platform_version,
            "networkConfiguration": service.network_configuration or old.get("networkConfiguration"),
            "platformFamily": "EC2" if service.launch_type == "EC2" else "FARGATE",
            "status": "PRIMARY",
            "taskDefinition": service.task_definition,
            "updatedAt": now,
        }
    ]


def patch_ecs_rollouts() -> None:
    """ECS CreateService and UpdateService of a service with the ECS deployment controller: its
    deployments end as a finished rollout does on AWS.

    moto 5.2.5 runs no task: a new service's one deployment stays IN_PROGRESS with no task running,
    and UpdateService with a new task definition (or forceNewDeployment) starts no deployment, so
    `deployments` keeps naming the old task definition and never completes. On AWS, UpdateService
    starts a new PRIMARY deployment and, once its tasks are healthy, it is the only one, COMPLETED,
    with runningCount = desiredCount. As moto runs nothing, that final state is reached at once: a
    new task definition or a forced deployment is a new COMPLETED PRIMARY deployment, a new desired
    count is that deployment's. CODE_DEPLOY services (no ECS deployments; CodeDeploy's task sets)
    are left as they are.
    """
    from moto.ecs.models import EC2ContainerServiceBackend

    @wrap_existing(EC2ContainerServiceBackend, "create_service")
    def create_service(original: Original, self: EC2ContainerServiceBackend, *args: Any, **kwargs: Any) -> Any:
        service = original(self, *args, **kwargs)
        if service.deployment_controller.get("type") == "ECS":
            _rolled_out(self, service, new=False)
        return service

    @wrap_existing(EC2ContainerServiceBackend, "update_service")
    def update_service(original: Original, self: EC2ContainerServiceBackend, properties: dict[str, Any]) -> Any:
        before = self._get_service(properties.get("cluster", "default"), properties["service"].split("/")[-1])
        task_definition, forced = before.task_definition, bool(properties.get("force_new_deployment"))
        service = original(self, properties)
        if service.task_definition and service.task_definition != task_definition:
            service.task_definition = self.describe_task_definition(service.task_definition).arn  # as AWS names it
        if service.deployment_controller.get("type") == "ECS":
            new = forced or service.task_definition != task_definition
            if new and RUNNER is not None and RUNNER(self, service, list(service.deployments)):
                return service
            _rolled_out(self, service, new=new)
        return service
