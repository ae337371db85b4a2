"""What a blue_green service will run only after its next release.

AWS changes a CODE_DEPLOY service's task definition and network configuration only through a
CodeDeploy deployment, so Terraform ignores them on the service (modules/ecs_service.py): a
config change registers a new task-definition revision, and updates the release parameter's
network configuration (modules/codedeploy.py), and the next release deploys both. This reads
what is pending, so `deploy` and `plan` can say so instead of pretending the change is live.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from config.names import names_for
from config.schema import Environment, ProjectSettings, Strategy
from orchestrator.targets import Target

RELEASE_HOW = "it goes out with the next release: push to main, or `python main.py release start`"


def pending_release(target: Target, settings: ProjectSettings, env: Environment) -> list[str]:
    """One line per change the service does not run yet; empty for rolling or when nothing is pending."""
    if env.strategy is not Strategy.BLUE_GREEN:
        return []
    names = names_for(settings, env)
    ecs = target.client("ecs", env.aws.region)
    try:
        service = next(iter(ecs.describe_services(cluster=names.cluster, services=[names.ecs_service])["services"]))
    except (ClientError, StopIteration):
        return []
    found = []
    latest = ecs.describe_task_definition(taskDefinition=names.task_family)["taskDefinition"]["taskDefinitionArn"]
    if latest != service["taskDefinition"]:
        found.append(f"task definition {_revision(latest)} (the service runs {_revision(service['taskDefinition'])})")
    wanted = _release_network(target, env.aws.region, names.release_parameter)
    running = (service.get("networkConfiguration") or {}).get("awsvpcConfiguration") or {}
    if wanted and _network_key(wanted) != _network_key(running):
        found.append(
            f"network configuration: subnets {', '.join(sorted(wanted['subnets']))}, security groups "
            f"{', '.join(sorted(wanted['securityGroups']))}, public IP {wanted['assignPublicIp']} "
            f"(the service has subnets {', '.join(sorted(running.get('subnets', [])))}, "
            f"public IP {running.get('assignPublicIp', 'DISABLED')})"
        )
    return found


def _release_network(target: Target, region: str, parameter: str) -> dict[str, Any] | None:
    try:
        value = target.client("ssm", region).get_parameter(Name=parameter)["Parameter"]["Value"]
    except ClientError:
        return None
    return (json.loads(value).get("networkConfiguration") or {}).get("awsvpcConfiguration")


def _network_key(network: dict[str, Any]) -> tuple[frozenset[str], frozenset[str], str]:
    subnets, groups = network.get("subnets") or [], network.get("securityGroups") or []
    return frozenset(subnets), frozenset(groups), network.get("assignPublicIp") or "DISABLED"


def _revision(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]
