"""What every release command shares: the project and target, AWS clients, errors, output."""

from __future__ import annotations

import argparse
import datetime
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from config import load_project
from config.names import EnvironmentNames, ReleaseNames, names_for
from config.schema import Environment, Project
from orchestrator.targets import Target, make_target

ROOT = Path(__file__).resolve().parents[2]

CODEDEPLOY_ACTIVE = ("Created", "Queued", "InProgress", "Baking", "Ready")
"""CodeDeploy deployment statuses of a deployment still running (the rest: Succeeded, Failed, Stopped)."""


class ReleaseError(Exception):
    """Something the user can fix or must know (unknown environment, nothing to roll back): `error: ...`."""

    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.code = code


@dataclass
class Release:
    """One release command's view of the project on a target."""

    project: Project
    target: Target
    _clients: dict[tuple[str, str], Any] = field(default_factory=dict)

    @property
    def names(self) -> ReleaseNames:
        return ReleaseNames(self.project.settings.name)

    def env_names(self, env: Environment) -> EnvironmentNames:
        return names_for(self.project.settings, env)

    def client(self, service: str, env: Environment | None = None) -> Any:
        """A client in `env`'s region (the release stack's without one)."""
        region = env.aws.region if env else self.project.settings.aws.region
        if (service, region) not in self._clients:
            self._clients[(service, region)] = self.target.client(service, region)
        return self._clients[(service, region)]

    def environment(self, name: str) -> Environment:
        known = [e.name for e in self.project.environments]
        if name not in known:
            raise ReleaseError(f"unknown environment {name!r}; expected one of {', '.join(known)}", code=2)
        return self.project.environment(name)

    def environments(self, names: list[str]) -> list[Environment]:
        wanted = [self.environment(n) for n in names]  # each name checked
        return wanted or list(self.project.environments)

    def approval_stage_of(self, stage: str) -> Environment | None:
        """The environment whose manual approval `stage` is."""
        return next((e for e in self.project.environments if self.names.approval_stage(e.name) == stage), None)


def open_release(args: argparse.Namespace) -> Release:
    """The lighter session of the release commands: the config and a prepared target, no synth.

    The environments named on the command line are checked first, before the target starts."""
    project = load_project(ROOT, args.environments)
    release = Release(project, make_target(args.target, project))
    for name in [getattr(args, "environment", None), *getattr(args, "environments_wanted", [])]:
        if name is not None:
            release.environment(name)
    release.target.prepare()
    return release


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def iso(value: Any) -> str | None:
    """A boto3 timestamp as ISO 8601 (UTC), for JSON output."""
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).isoformat(timespec="seconds")
    return None


def age_seconds(value: Any) -> int | None:
    if isinstance(value, datetime.datetime):
        return max(0, int((now() - value).total_seconds()))
    return None


def duration(seconds: int | None) -> str:
    if seconds is None:
        return "?"
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 7200:
        return f"{seconds // 60}m"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


def image_tag(image: str | None) -> str | None:
    """`repo:tag` -> tag (None for a digest or no tag)."""
    if not image or "@" in image:
        return None
    last = image.rsplit("/", 1)[-1]
    return last.rsplit(":", 1)[1] if ":" in last else None


def emit_json(data: Any) -> None:
    print(json.dumps(data, indent=2, sort_keys=False, default=str))


def say(message: str) -> None:
    """Progress and explanations: stderr, so that stdout stays the result."""
    print(message, file=sys.stderr, flush=True)


class Images:
    """Task definition ARN -> the service container's image (DescribeTaskDefinition, once each)."""

    def __init__(self, release: Release, env: Environment):
        self.ecs = release.client("ecs", env)
        self.container = release.env_names(env).container
        self._seen: dict[str, str | None] = {}

    def __call__(self, task_definition: str | None) -> str | None:
        if not task_definition:
            return None
        if task_definition not in self._seen:
            try:
                found = self.ecs.describe_task_definition(taskDefinition=task_definition)["taskDefinition"]
            except ClientError:
                self._seen[task_definition] = None
            else:
                containers = found.get("containerDefinitions", [])
                self._seen[task_definition] = next(
                    (c.get("image") for c in containers if c.get("name") == self.container),
                    containers[0].get("image") if containers else None,
                )
        return self._seen[task_definition]


def codedeploy_deployments(release: Release, env: Environment) -> list[dict[str, Any]]:
    """Every deployment of the environment's group, oldest first (DeploymentInfo)."""
    names = release.env_names(env)
    codedeploy = release.client("codedeploy", env)
    ids: list[str] = []
    kwargs: dict[str, Any] = {"applicationName": names.codedeploy_app, "deploymentGroupName": names.codedeploy_group}
    try:
        while True:
            page = codedeploy.list_deployments(**kwargs)
            ids += page.get("deployments", [])
            if not page.get("nextToken"):
                break
            kwargs["nextToken"] = page["nextToken"]
    except ClientError as exc:
        if error_code(exc) in ("ApplicationDoesNotExistException", "DeploymentGroupDoesNotExistException"):
            raise ReleaseError(
                f"{env.name}: no CodeDeploy deployment group {names.codedeploy_app}/{names.codedeploy_group}; "
                f"deploy the {env.name} stack first (`python main.py deploy {env.name}`)"
            ) from exc
        raise
    infos: list[dict[str, Any]] = []
    for start in range(0, len(ids), 25):  # BatchGetDeployments takes 25 at most
        infos += codedeploy.batch_get_deployments(deploymentIds=ids[start : start + 25]).get("deploymentsInfo", [])
    return sorted(infos, key=lambda d: d.get("createTime") or now())


def ecs_service(release: Release, env: Environment) -> dict[str, Any] | None:
    names = release.env_names(env)
    try:
        services = release.client("ecs", env).describe_services(cluster=names.cluster, services=[names.ecs_service])
    except ClientError as exc:
        if error_code(exc) == "ClusterNotFoundException":
            return None
        raise
    return next((s for s in services.get("services", []) if s.get("status") == "ACTIVE"), None)


def forward_target(listener: dict[str, Any]) -> str | None:
    """The target group a listener's default action forwards to (the heaviest, when weighted)."""
    for action in listener.get("DefaultActions", []):
        if action.get("Type") != "forward":
            continue
        if action.get("TargetGroupArn"):
            return str(action["TargetGroupArn"])
        groups = (action.get("ForwardConfig") or {}).get("TargetGroups") or []
        if groups:
            return str(max(groups, key=lambda g: g.get("Weight", 1))["TargetGroupArn"])
    return None


def listener_targets(release: Release, env: Environment) -> dict[int, dict[str, Any]]:
    """Port -> {arn, target_group_arn, target_group (name)} of the environment's ALB listeners."""
    elb = release.client("elbv2", env)
    try:
        balancers = elb.describe_load_balancers(Names=[release.env_names(env).alb])["LoadBalancers"]
    except ClientError as exc:
        if error_code(exc) == "LoadBalancerNotFound":
            return {}
        raise
    listeners = elb.describe_listeners(LoadBalancerArn=balancers[0]["LoadBalancerArn"])["Listeners"]
    arns = sorted({a for a in (forward_target(x) for x in listeners) if a})
    groups = (
        {
            g["TargetGroupArn"]: g["TargetGroupName"]
            for g in elb.describe_target_groups(TargetGroupArns=arns)["TargetGroups"]
        }
        if arns
        else {}
    )
    found = {}
    for listener in listeners:
        target = forward_target(listener)
        found[int(listener["Port"])] = {
            "arn": listener["ListenerArn"],
            "target_group_arn": target,
            "target_group": groups.get(target) if target else None,
        }
    return found


def production_port(env: Environment) -> int:
    return 443 if env.listener.certificate_arn else env.listener.port
