"""The ECS task definition as plain data, derived from the config.

One function serves both the ECS module (what Terraform registers) and the release
renderer (the taskdef.json CodeDeploy registers), so container name, port, family,
roles and log settings cannot disagree between the two.
"""

from __future__ import annotations

from typing import Any

from config.names import names_for
from config.schema import Environment, ProjectSettings

IMAGE_PLACEHOLDER = "<IMAGE1_NAME>"  # what CodeDeployToECS substitutes with imageDetail.json's ImageURI


def image_uri(settings: ProjectSettings, env: Environment, tag: str) -> str:
    registry = f"{settings.aws.account_id}.dkr.ecr.{settings.aws.region}.amazonaws.com"
    return f"{registry}/{env.service.image_repository}:{tag}"


def runtime_environment(env: Environment) -> dict[str, str]:
    """What the service must agree on with the ALB (port, health path) and with its stopTimeout (the drain and
    request timeout: docs/zero-downtime.md), plus the user's variables."""
    service = env.service
    return {
        **service.environment,
        "APP_ENV": env.name,
        "PORT": str(service.container_port),
        "HEALTH_PATH": service.health_check_path,
        "DRAIN_SECONDS": str(service.drain_seconds),
        "REQUEST_TIMEOUT_SECONDS": str(service.request_timeout_seconds),
    }


def container_definitions(settings: ProjectSettings, env: Environment, image: str) -> list[dict[str, Any]]:
    names = names_for(settings, env)
    service = env.service
    return [
        {
            "name": names.container,
            "image": image,
            "essential": True,
            "readonlyRootFilesystem": True,
            "portMappings": [
                {"containerPort": service.container_port, "hostPort": service.container_port, "protocol": "tcp"}
            ],
            "environment": [{"name": k, "value": v} for k, v in sorted(runtime_environment(env).items())],
            "logConfiguration": {
                "logDriver": "awslogs",
                "options": {
                    "awslogs-group": names.log_group,
                    "awslogs-region": env.aws.region,
                    "awslogs-stream-prefix": names.log_stream_prefix,
                },
            },
            "stopTimeout": service.stop_timeout_seconds,
        }
    ]


def task_definition(settings: ProjectSettings, env: Environment, image: str) -> dict[str, Any]:
    """The RegisterTaskDefinition request (camelCase, as ECS and taskdef.json spell it)."""
    names = names_for(settings, env)
    return {
        "family": names.task_family,
        "networkMode": "awsvpc",
        "requiresCompatibilities": ["FARGATE"],
        "cpu": str(env.service.cpu),
        "memory": str(env.service.memory),
        "executionRoleArn": names.role_arn(env.aws.account_id, names.execution_role),
        "taskRoleArn": names.role_arn(env.aws.account_id, names.task_role),
        "runtimePlatform": {"operatingSystemFamily": "LINUX", "cpuArchitecture": "X86_64"},
        "containerDefinitions": container_definitions(settings, env, image),
    }
