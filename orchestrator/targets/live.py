"""What runs now: the facts about live services that a plan must not overwrite.

An environment stack's `image` variable (stacks/environment.py) is the image its service
runs now, as the last release left it, read here from the target before every plan. So a
plan after a release keeps the released image, and a config change rolls out with it.
Before the service exists (day 0, or after it was destroyed), it is the bootstrap image of
the YAML's `service.image_tag`.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from config.names import IMAGE_VARIABLE, names_for
from config.schema import Environment, Project, ProjectSettings
from config.task_definition import image_uri
from orchestrator.targets import Target


def stack_variables(target: Target, project: Project, stack: str) -> dict[str, str]:
    """The variables a plan of `stack` needs: the live image for an environment stack, else none."""
    env = next((e for e in project.environments if e.name == stack), None)
    return {IMAGE_VARIABLE: live_image(target, project.settings, env)} if env else {}


def live_image(target: Target, settings: ProjectSettings, env: Environment) -> str:
    return running_image(target, settings, env) or image_uri(settings, env, env.service.image_tag)


def running_image(target: Target, settings: ProjectSettings, env: Environment) -> str | None:
    """The container image of the service's current task definition, or None when there is no service."""
    names = names_for(settings, env)
    ecs = target.client("ecs", env.aws.region)
    try:
        services = ecs.describe_services(cluster=names.cluster, services=[names.ecs_service])["services"]
    except ClientError as exc:
        if _code(exc) == "ClusterNotFoundException":
            return None
        raise
    service = next((s for s in services if s.get("status") == "ACTIVE"), None)
    if not service:
        return None
    definition: dict[str, Any] = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])[
        "taskDefinition"
    ]
    return next((c["image"] for c in definition["containerDefinitions"] if c["name"] == names.container), None)


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))
