"""ECS rolling deployments (ECS deployment controller) that run tasks and can fail, as ECS runs them.

Rules played (Amazon ECS developer guide, "Deploy Amazon ECS services by replacing tasks" and "How the
Amazon ECS deployment circuit breaker detects failures"): UpdateService with a new task definition
starts a PRIMARY deployment (rolloutState IN_PROGRESS) beside the ACTIVE one; once the new tasks pass
the load balancer's health check the old deployment's tasks stop and the new one is COMPLETED. A task
that fails its health check is stopped and counted in failedTasks; when failedTasks reaches the circuit
breaker's threshold (half the desired count, at least 3 and at most 200) the deployment is FAILED and,
with rollback enabled, ECS starts a deployment of the last COMPLETED one's task definition ("ECS
deployment circuit breaker: rolling back to deploymentId ...").

Only images in the emulator's ECR run (an image ECS cannot pull would fail its tasks): a rollout of an
image the engine did not push (Terraform's bootstrap image) completes at once, as before.
"""

from __future__ import annotations

import logging
import math
import threading
from typing import Any

from moto.core.utils import utcnow

from emulator.engine.tasks import Fleet, wait_healthy

log = logging.getLogger("emulator.engine")
HEALTH_SECONDS = 20.0
"""How long a new task may take to pass its health check locally (ECS: grace period + checks)."""


def threshold(desired: int) -> int:
    return min(200, max(3, math.ceil(0.5 * desired)))


def runnable(backend: Any, task_definition: str, fleet: Fleet) -> bool:
    """True when the task definition's image is one the engine's build pushed (in its image store)."""
    definition = backend.describe_task_definition(task_definition)
    image = str(definition.container_definitions[0].get("image", ""))
    return fleet.source_of(image)[1]


def _deployment(service: Any, task_definition: str, reason: str) -> dict[str, Any]:
    from moto.moto_api._internal import mock_random

    now = utcnow()
    deployment_id = f"ecs-svc/{mock_random.randint(0, 32**12)}"
    return {
        "createdAt": now,
        "desiredCount": service.desired_count,
        "failedTasks": 0,
        "id": deployment_id,
        "launchType": service.launch_type,
        "pendingCount": service.desired_count,
        "rolloutState": "IN_PROGRESS",
        "rolloutStateReason": reason or f"ECS deployment {deployment_id} in progress.",
        "runningCount": 0,
        "platformVersion": service.platform_version,
        "networkConfiguration": service.network_configuration,
        "platformFamily": "FARGATE",
        "status": "PRIMARY",
        "taskDefinition": task_definition,
        "updatedAt": now,
    }


def start(
    backend: Any, service: Any, previous: list[dict[str, Any]], fleet: Fleet, health_path: str, group: str
) -> None:
    """A new PRIMARY deployment of the service's task definition, rolled out in the background."""
    new = _deployment(service, service.task_definition, "")
    for old in previous:
        old["status"] = "ACTIVE"
    service.deployments = [new, *previous]
    threading.Thread(target=_roll, args=(backend, service, new, fleet, health_path, group), daemon=True).start()


def _roll(backend: Any, service: Any, deployment: dict[str, Any], fleet: Fleet, health_path: str, group: str) -> None:
    definition = backend.describe_task_definition(deployment["taskDefinition"])
    limit = threshold(service.desired_count)
    config = (service.deployment_configuration or {}).get("deploymentCircuitBreaker") or {}
    running: list[Any] = []
    while len(running) < service.desired_count:
        task = fleet.start(group, definition)
        if wait_healthy(task, health_path, HEALTH_SECONDS):
            running.append(task)
            deployment.update(runningCount=len(running), pendingCount=service.desired_count - len(running))
            continue
        fleet.stop(group, [task])
        deployment["failedTasks"] += 1
        deployment["updatedAt"] = utcnow()
        log.warning(
            "%s: task of %s failed its health check (%d/%d)",
            deployment["id"],
            definition.arn,
            deployment["failedTasks"],
            limit,
        )
        if config.get("enable") and deployment["failedTasks"] >= limit:
            _circuit_breaker(
                backend, service, deployment, fleet, health_path, group, bool(config.get("rollback")), running
            )
            return
    for old in [d for d in service.deployments if d is not deployment]:
        fleet.stop(f"{group}#{old['id']}")
    fleet.stop(group, [t for t in fleet.groups.get(group, []) if t not in running])
    deployment.update(
        rolloutState="COMPLETED", rolloutStateReason=f"ECS deployment {deployment['id']} completed.", updatedAt=utcnow()
    )
    service.deployments = [deployment]
    service.running_count, service.pending_count = service.desired_count, 0


def _circuit_breaker(
    backend: Any,
    service: Any,
    failed: dict[str, Any],
    fleet: Fleet,
    health_path: str,
    group: str,
    rollback: bool,
    started: list[Any],
) -> None:
    fleet.stop(group, started)
    failed.update(
        status="ACTIVE",
        rolloutState="FAILED",
        rolloutStateReason="ECS deployment circuit breaker: tasks failed to start.",
        updatedAt=utcnow(),
    )
    last = next((d for d in service.deployments if d is not failed), None)
    if not rollback or last is None:
        failed["status"] = "PRIMARY"
        return
    service.task_definition = last["taskDefinition"]
    back = _deployment(
        service, last["taskDefinition"], f"ECS deployment circuit breaker: rolling back to deploymentId {last['id']}."
    )
    back.update(rolloutState="COMPLETED", runningCount=service.desired_count, pendingCount=0)
    service.deployments = [back]  # the old tasks kept running: the rollback completes at once


def patch_ecs_task_level_memory() -> None:
    """ECS RunTask/CreateTaskSet of a task definition whose containers set no memory: HTTP 500.

    moto 5.2.5 sums the containers' ``memory`` to place a task and fails (TypeError) when a container
    has none; on Fargate memory is set at the task level and a container's is optional (ECS developer
    guide, "Task definition parameters": container ``memory`` is optional when the task sets it), so
    CodeDeploy's replacement task set of the rendered taskdef.json could not be created. The task's
    own memory is used for such a container.
    """
    from moto.ecs.models import EC2ContainerServiceBackend

    original = EC2ContainerServiceBackend._calculate_task_resource_requirements  # a staticmethod

    def requirements(task_definition: Any) -> Any:
        containers = task_definition.container_definitions
        filled = [
            c
            if any(c.get(k) is not None for k in ("memory", "memoryReservation", "Memory", "MemoryReservation"))
            else {**c, "memory": int(task_definition.memory or 0) // max(1, len(containers))}
            for c in containers
        ]
        task_definition.container_definitions = filled
        try:
            return original(task_definition)
        finally:
            task_definition.container_definitions = containers

    EC2ContainerServiceBackend._calculate_task_resource_requirements = staticmethod(requirements)  # type: ignore[method-assign]
