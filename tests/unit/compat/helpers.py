"""What the compat tests share: boto3 clients of the session's emulator (see conftest.py), unique names, roles."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

REGION = "eu-west-1"
Client = Callable[[str], Any]


def emulator_clients(endpoint: str) -> Client:
    """boto3 clients of an emulator as moto's admin, in REGION, with no retries: a test sees the first answer."""
    import boto3
    from botocore.config import Config

    config = Config(retries={"max_attempts": 1, "mode": "standard"})

    def make(service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=endpoint,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=config,
        )

    return make


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def raw_bodies(service_client: Any) -> dict[str, Any]:
    """Record each operation's raw JSON response body (before botocore parses timestamps)."""
    bodies: dict[str, Any] = {}

    def record(http_response: Any, model: Any, **_: Any) -> None:
        bodies[model.name] = json.loads(http_response.content or b"{}")

    service_client.meta.events.register("after-call", record)
    return bodies


def is_json_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def answers(endpoint: str) -> bool:
    try:
        with urllib.request.urlopen(f"{endpoint}/moto-api/config", timeout=2):
            return True
    except (urllib.error.URLError, OSError):
        return False


def role(client: Client, service_principal: str) -> str:
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": service_principal},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    created = client("iam").create_role(RoleName=unique("role"), AssumeRolePolicyDocument=json.dumps(document))
    return str(created["Role"]["Arn"])


def ecs_service(client: Client, **extra: Any) -> tuple[str, str, dict[str, Any]]:
    ecs = client("ecs")
    cluster = unique("cluster")
    ecs.create_cluster(clusterName=cluster)
    family = unique("task")
    ecs.register_task_definition(
        family=family,
        containerDefinitions=[{"name": "web", "image": "nginx", "memory": 128}],
    )
    name = unique("svc")
    service = ecs.create_service(cluster=cluster, serviceName=name, taskDefinition=family, desiredCount=1, **extra)
    return cluster, name, service["service"]


def drive(endpoint: str, name: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST a test-only driver of the compat layer (emulator/compat/_driver.py)."""
    request = urllib.request.Request(
        f"{endpoint}/moto-api/compat/{name}",
        data=json.dumps({"region": REGION, **body}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        answer: dict[str, Any] = json.loads(response.read())
        return answer


@contextmanager
def iam_enforced(endpoint: str) -> Iterator[None]:
    """moto's IAM enforcement on (`0` requests without it), then off again (`inf`) whatever happens.

    Every request is then evaluated against the caller's policies, the fake `testing` admin's too,
    so only calls made with a real IAM principal's credentials belong inside."""

    def reset(count: str) -> None:
        request = urllib.request.Request(
            f"{endpoint}/moto-api/reset-auth",
            data=count.encode(),
            method="POST",
            headers={"Content-Type": "application/octet-stream"},
        )
        with urllib.request.urlopen(request, timeout=10):
            pass

    reset("0")
    try:
        yield
    finally:
        reset("inf")
