"""`release verify ENV [--commit SHA]`: before a release, what would make it fail on AWS.

Checks, each reported with what it found:
- image: the release's image exists in ECR. The image is `--commit`'s; without it, the commit of the
  pipeline's execution in progress (the release on its way); with none, the image the environment
  runs now (what a redeploy or a rollback to it needs);
- roles: the task and execution roles the task definition names exist and trust ecs-tasks.amazonaws.com;
- log group: the containers' awslogs group exists;
- service: the ECS service exists with the strategy's deployment controller (ECS or CODE_DEPLOY);
- routing, rolling: the `main` target group exists, the production listener forwards to it and the
  service is behind it;
- routing, blue_green: the deployment group exists and names this service, target groups that exist,
  and production and test listeners that exist and forward to one of them, production to the one the
  service serves; the release parameter exists and names the hook when the YAML enables it, and the
  hook function exists.
Exit 0 when every check passes, 1 otherwise (each failure named).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from artifacts.render import InvalidCommit, validate_commit
from config.schema import Environment, Strategy
from config.task_definition import image_uri, task_definition
from orchestrator.release.common import (
    Images,
    Release,
    ReleaseError,
    ecs_service,
    emit_json,
    error_code,
    forward_target,
    open_release,
    production_port,
    say,
)
from orchestrator.release.status import commit_of, latest_execution

ECS_TASKS = "ecs-tasks.amazonaws.com"


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str

    def to_json(self) -> dict[str, Any]:
        return {"check": self.name, "ok": self.ok, "detail": self.detail}


def run(args: argparse.Namespace) -> int:
    release = open_release(args)
    env = release.environment(args.environment)
    image, source = release_image(release, env, args.commit)
    checks = [check_image(release, image, source), *check_roles(release, env), check_log_group(release, env)]
    service = ecs_service(release, env)
    checks.append(check_service(env, service))
    if env.strategy is Strategy.BLUE_GREEN:
        checks += check_blue_green(release, env, service)
    else:
        checks += check_rolling(release, env, service)
    failed = [c for c in checks if not c.ok]
    if args.json:
        emit_json({"environment": env.name, "image": image, "ok": not failed, "checks": [c.to_json() for c in checks]})
    else:
        for c in checks:
            print(f"{'ok  ' if c.ok else 'FAIL'} {c.name}: {c.detail}")
    if failed:
        say(f"error: {env.name}: a release would fail: {'; '.join(f'{c.name}: {c.detail}' for c in failed)}")
        return 1
    say(f"{env.name}: every check passed ({len(checks)})")
    return 0


def release_image(release: Release, env: Environment, commit: str | None) -> tuple[str, str]:
    """(image URI, where its tag came from)."""
    settings = release.project.settings
    if commit:
        try:
            return image_uri(settings, env, validate_commit(commit)), "--commit"
        except InvalidCommit as exc:
            raise ReleaseError(f"--commit: {exc}", code=2) from exc
    execution = latest_execution(release)
    if execution and execution.get("status") == "InProgress" and commit_of(execution):
        return image_uri(
            settings, env, str(commit_of(execution))
        ), f"pipeline execution {execution['pipelineExecutionId']}"
    service = ecs_service(release, env)
    running = Images(release, env)(service.get("taskDefinition")) if service else None
    if running:
        return running, "the image the service runs now"
    return image_uri(settings, env, env.service.image_tag), "service.image_tag (no service yet)"


def check_image(release: Release, image: str, source: str) -> Check:
    repository_and_tag = image.split("/", 1)[-1]
    repository, _, tag = repository_and_tag.rpartition(":")
    if not repository or "@" in image:
        return Check("image", False, f"{image} ({source}) is not a repository:tag image")
    try:
        release.client("ecr").describe_images(repositoryName=repository, imageIds=[{"imageTag": tag}])
    except ClientError as exc:
        code = error_code(exc)
        if code in ("ImageNotFoundException", "RepositoryNotFoundException"):
            missing = "no repository" if code == "RepositoryNotFoundException" else "no such image"
            return Check("image", False, f"{image} ({source}) is not in ECR: {missing}")
        raise
    return Check("image", True, f"{image} ({source}) is in ECR")


def check_roles(release: Release, env: Environment) -> list[Check]:
    definition = task_definition(release.project.settings, env, "unused")
    iam = release.client("iam")
    checks = []
    for what, key in (("task role", "taskRoleArn"), ("execution role", "executionRoleArn")):
        name = definition[key].rsplit("/", 1)[-1]
        try:
            role = iam.get_role(RoleName=name)["Role"]
        except ClientError as exc:
            if error_code(exc) == "NoSuchEntity":
                checks.append(Check(what, False, f"role {name} does not exist"))
                continue
            raise
        document = role.get("AssumeRolePolicyDocument") or {}
        if isinstance(document, str):
            document = json.loads(document)
        trusted = any(
            s.get("Effect") == "Allow" and ECS_TASKS in _principals(s) and "sts:AssumeRole" in _list(s.get("Action"))
            for s in _list(document.get("Statement"))
        )
        checks.append(Check(what, trusted, f"role {name} {'trusts' if trusted else 'does not trust'} {ECS_TASKS}"))
    return checks


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value] if value else []


def _principals(statement: dict[str, Any]) -> list[str]:
    principal = statement.get("Principal") or {}
    return _list(principal.get("Service")) if isinstance(principal, dict) else []


def check_log_group(release: Release, env: Environment) -> Check:
    name = release.env_names(env).log_group
    groups = release.client("logs", env).describe_log_groups(logGroupNamePrefix=name).get("logGroups", [])
    found = any(g.get("logGroupName") == name for g in groups)
    return Check("log group", found, f"{name} {'exists' if found else 'does not exist'}")


def check_service(env: Environment, service: dict[str, Any] | None) -> Check:
    if service is None:
        return Check("service", False, "the ECS service does not exist")
    expected = "CODE_DEPLOY" if env.strategy is Strategy.BLUE_GREEN else "ECS"
    controller = (service.get("deploymentController") or {}).get("type", "ECS")
    return Check(
        "service",
        controller == expected,
        f"{service.get('serviceName')} has the {controller} deployment controller"
        + ("" if controller == expected else f"; the {env.strategy} strategy needs {expected}"),
    )


def _service_target_group(service: dict[str, Any] | None) -> str | None:
    """The target group the service serves from: its PRIMARY task set's (CodeDeploy), else its own."""
    if not service:
        return None
    primary = next((t for t in service.get("taskSets") or [] if t.get("status") == "PRIMARY"), None)
    balancers = (primary or service).get("loadBalancers") or []
    return balancers[0].get("targetGroupArn") if balancers else None


def check_rolling(release: Release, env: Environment, service: dict[str, Any] | None) -> list[Check]:
    names = release.env_names(env)
    elb = release.client("elbv2", env)
    group_name = names.target_group("main")
    try:
        group = elb.describe_target_groups(Names=[group_name])["TargetGroups"][0]
    except ClientError as exc:
        if error_code(exc) == "TargetGroupNotFound":
            return [Check("target group", False, f"{group_name} does not exist")]
        raise
    checks = [Check("target group", True, f"{group_name} exists")]
    listener = _listener_on(release, env, production_port(env))
    forwards = forward_target(listener) if listener else None
    checks.append(
        Check(
            "production listener",
            forwards == group["TargetGroupArn"],
            f"port {production_port(env)} "
            + ("does not exist" if listener is None else f"forwards to {_name(forwards)}, expected {group_name}"),
        )
    )
    serving = _service_target_group(service)
    checks.append(
        Check("service target group", serving == group["TargetGroupArn"], f"the service is behind {_name(serving)}")
    )
    return checks


def check_blue_green(release: Release, env: Environment, service: dict[str, Any] | None) -> list[Check]:
    names = release.env_names(env)
    codedeploy, elb = release.client("codedeploy", env), release.client("elbv2", env)
    try:
        group = codedeploy.get_deployment_group(
            applicationName=names.codedeploy_app, deploymentGroupName=names.codedeploy_group
        )["deploymentGroupInfo"]
    except ClientError as exc:
        if error_code(exc) in ("ApplicationDoesNotExistException", "DeploymentGroupDoesNotExistException"):
            return [Check("deployment group", False, f"{names.codedeploy_app}/{names.codedeploy_group} does not exist")]
        raise
    ecs_names = [(s.get("clusterName"), s.get("serviceName")) for s in group.get("ecsServices", [])]
    checks = [
        Check(
            "deployment group",
            ecs_names == [(names.cluster, names.ecs_service)],
            f"{names.codedeploy_group} deploys {', '.join(f'{c}/{s}' for c, s in ecs_names) or 'no service'}",
        )
    ]
    pair = ((group.get("loadBalancerInfo") or {}).get("targetGroupPairInfoList") or [{}])[0]
    wanted = [g["name"] for g in pair.get("targetGroups", [])]
    found: dict[str, str] = {}
    for name in wanted:
        try:
            found[name] = elb.describe_target_groups(Names=[name])["TargetGroups"][0]["TargetGroupArn"]
        except ClientError as exc:
            if error_code(exc) != "TargetGroupNotFound":
                raise
    missing = [n for n in wanted if n not in found]
    checks.append(
        Check(
            "target groups",
            len(wanted) == 2 and not missing,
            f"the group names {', '.join(wanted) or 'none'}"
            + (f"; missing: {', '.join(missing)}" if missing else ", both exist"),
        )
    )
    serving = _service_target_group(service)
    for route, key in (("production", "prodTrafficRoute"), ("test", "testTrafficRoute")):
        arns = (pair.get(key) or {}).get("listenerArns") or []
        if not arns:
            checks.append(Check(f"{route} listener", False, "the deployment group names none"))
            continue
        try:
            listener = elb.describe_listeners(ListenerArns=arns[:1])["Listeners"][0]
        except ClientError as exc:
            if error_code(exc) == "ListenerNotFound":
                checks.append(Check(f"{route} listener", False, f"{arns[0]} does not exist"))
                continue
            raise
        forwards = forward_target(listener)
        ok = forwards in found.values() and (route == "test" or forwards == serving)
        expected = "the target group the service serves from" if route == "production" else "one of the pair"
        checks.append(
            Check(
                f"{route} listener",
                ok,
                f"port {listener['Port']} forwards to {_name(forwards)}; expected {expected}"
                + ("" if route == "test" else f" ({_name(serving)})"),
            )
        )
    checks += _check_hook(release, env)
    return checks


def _check_hook(release: Release, env: Environment) -> list[Check]:
    names = release.env_names(env)
    try:
        value = release.client("ssm", env).get_parameter(Name=names.release_parameter)["Parameter"]["Value"]
    except ClientError as exc:
        if error_code(exc) == "ParameterNotFound":
            return [
                Check("release parameter", False, f"{names.release_parameter} does not exist: the build would stop")
            ]
        raise
    hooks = (json.loads(value).get("hooks") or {}) if value else {}
    checks = [Check("release parameter", True, f"{names.release_parameter} exists")]
    if not env.deployment.blue_green.hook:
        return checks
    hook = hooks.get("AfterAllowTestTraffic")
    if hook != names.release_hook:
        checks.append(
            Check("hook", False, f"the release parameter names {hook or 'no hook'}, expected {names.release_hook}")
        )
        return checks
    try:
        release.client("lambda", env).get_function(FunctionName=hook)
    except ClientError as exc:
        if error_code(exc) == "ResourceNotFoundException":
            checks.append(Check("hook", False, f"function {hook} does not exist"))
            return checks
        raise
    checks.append(Check("hook", True, f"AfterAllowTestTraffic runs {hook}"))
    return checks


def _listener_on(release: Release, env: Environment, port: int) -> dict[str, Any] | None:
    elb = release.client("elbv2", env)
    try:
        balancer = elb.describe_load_balancers(Names=[release.env_names(env).alb])["LoadBalancers"][0]
    except ClientError as exc:
        if error_code(exc) == "LoadBalancerNotFound":
            return None
        raise
    listeners = elb.describe_listeners(LoadBalancerArn=balancer["LoadBalancerArn"])["Listeners"]
    return next((x for x in listeners if int(x["Port"]) == port), None)


def _name(target_group_arn: str | None) -> str:
    return (
        target_group_arn.rsplit("/", 2)[-2] if target_group_arn and "/" in target_group_arn else str(target_group_arn)
    )
