"""Render the release artifacts of one commit from the project config.

The files CodePipeline's deploy actions read are derived from the same config and the
same `config.task_definition` the ECS module synthesizes, so the container name, port,
family, roles and log settings of a release cannot disagree with what Terraform created.
Every environment gets all four files whatever its strategy, so switching an environment
between rolling and blue/green needs no change to the build.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from artifacts.parameters import ReleaseParameter
from config.names import names_for
from config.schema import Environment, Project, ProjectSettings
from config.task_definition import IMAGE_PLACEHOLDER, image_uri, task_definition

IMAGE_DETAIL = "imageDetail.json"  # CodeDeployToECS reads it at the root of its image artifact
IMAGE_DEFINITIONS = "imagedefinitions.json"  # ECS (rolling) deploy action
TASK_DEFINITION = "taskdef.json"  # CodeDeployToECS TaskDefinitionTemplatePath
APPSPEC = "appspec.yaml"  # CodeDeployToECS AppSpecTemplatePath
TASK_DEFINITION_PLACEHOLDER = "<TASK_DEFINITION>"  # CodeDeployToECS puts the registered ARN here
ECS_HOOK_EVENTS = ("BeforeInstall", "AfterInstall", "AfterAllowTestTraffic", "BeforeAllowTraffic", "AfterAllowTraffic")

_COMMIT = re.compile(r"[0-9a-fA-F]{7,40}")

Hooks = Mapping[str, str]  # lifecycle event -> Lambda function name or ARN


class InvalidCommit(ValueError):
    """The commit is not a git SHA, so it cannot be the (immutable) image tag."""


class UnknownEnvironment(ValueError):
    """An environment name that has no environments/<name>.yaml."""


def validate_commit(commit: str) -> str:
    if not _COMMIT.fullmatch(commit):
        raise InvalidCommit(f"expected a git commit SHA (7-40 hex characters), got {commit!r}")
    return commit


def select_environments(project: Project, names: Iterable[str] | None = None) -> tuple[Environment, ...]:
    """`names` in any order, duplicates allowed; the result is in release order."""
    if names is None:
        return project.environments
    known = [env.name for env in project.environments]
    wanted = list(names)
    for name in wanted:
        if name not in known:
            raise UnknownEnvironment(f"unknown environment {name!r}; expected one of {', '.join(known)}")
    return tuple(env for env in project.environments if env.name in wanted)


def image_definitions(settings: ProjectSettings, env: Environment, commit: str) -> list[dict[str, str]]:
    """The ECS deploy action swaps this image into the service's current task definition."""
    return [{"name": names_for(settings, env).container, "imageUri": image_uri(settings, env, commit)}]


def appspec(
    settings: ProjectSettings,
    env: Environment,
    *,
    hooks: Hooks | None = None,
    network: Mapping[str, Any] | None = None,
    platform_version: str | None = "LATEST",
) -> dict[str, Any]:
    """The CodeDeploy ECS appspec; `hooks` maps lifecycle events to validation Lambdas, `network` is the
    ECS awsvpcConfiguration the replacement tasks get (a CODE_DEPLOY service changes it only this way)."""
    properties: dict[str, Any] = {
        "TaskDefinition": TASK_DEFINITION_PLACEHOLDER,
        "LoadBalancerInfo": {
            "ContainerName": names_for(settings, env).container,
            "ContainerPort": env.service.container_port,
        },
    }
    if platform_version:
        properties["PlatformVersion"] = platform_version
    if network:
        properties["NetworkConfiguration"] = {
            "AwsvpcConfiguration": {
                "Subnets": list(network["subnets"]),
                "SecurityGroups": list(network["securityGroups"]),
                "AssignPublicIp": network["assignPublicIp"],
            }
        }
    spec: dict[str, Any] = {
        "version": 0.0,
        "Resources": [{"TargetService": {"Type": "AWS::ECS::Service", "Properties": properties}}],
    }
    if hooks:
        unknown = sorted(set(hooks) - set(ECS_HOOK_EVENTS))
        if unknown:
            raise ValueError(
                f"unknown ECS lifecycle event(s) {', '.join(unknown)}; expected {', '.join(ECS_HOOK_EVENTS)}"
            )
        spec["Hooks"] = [{event: hooks[event]} for event in ECS_HOOK_EVENTS if event in hooks]
    return spec


def render(
    project: Project,
    commit: str,
    environments: Iterable[str] | None = None,
    *,
    parameters: Mapping[str, ReleaseParameter] | None = None,
) -> dict[str, str | bytes]:
    """Relative path -> content of every artifact; `parameters` (artifacts.parameters) is keyed by environment."""
    commit = validate_commit(commit)
    selected = select_environments(project, environments)
    select_environments(project, parameters or ())  # a parameter of an unknown environment is a mistake too
    settings = project.settings
    files: dict[str, str | bytes] = {
        IMAGE_DETAIL: _json({"ImageURI": image_uri(settings, project.environments[0], commit)})
    }
    for env in selected:
        files[f"{env.name}/{IMAGE_DEFINITIONS}"] = _json(image_definitions(settings, env, commit))
        files[f"{env.name}/{TASK_DEFINITION}"] = _json(task_definition(settings, env, IMAGE_PLACEHOLDER))
        parameter = (parameters or {}).get(env.name) or ReleaseParameter()
        spec = appspec(settings, env, hooks=parameter.hooks, network=parameter.network)
        files[f"{env.name}/{APPSPEC}"] = yaml.safe_dump(spec, sort_keys=False, default_flow_style=False)
    return files


def write(files: Mapping[str, str | bytes], out_dir: Path | str) -> list[Path]:
    """Write `files` under `out_dir` (created as needed); returns the written paths."""
    out = Path(out_dir)
    written = []
    for name, content in sorted(files.items()):
        relative = PurePosixPath(name)
        if relative.is_absolute() or ".." in relative.parts:
            raise ValueError(f"{name!r}: expected a path inside the output directory")
        path = out.joinpath(*relative.parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        written.append(path)
    return written


def _json(data: Any) -> str:
    return json.dumps(data, indent=2) + "\n"
