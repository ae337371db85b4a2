"""CodeDeploy AfterAllowTestTraffic hook: the traffic shift starts only when the green tasks answer.

CodeDeploy invokes it with ``{"DeploymentId", "LifecycleEventHookExecutionId"}`` once the ALB's test
listener forwards to the replacement (green) task set, before any production traffic moves. It:

1. learns the commit being released. GetDeployment gives the deployment's application and revision;
   AWS lists an AppSpecContent revision there by its sha256 only, so GetApplicationRevision gives
   the AppSpec text (as kayac/ecspresso's rollback reads it), which names the task definition
   (CodeDeployToECS registered it from taskdef.json; a rollback's revision names the previous one);
   DescribeTaskDefinition gives the container's image, whose tag is the commit (buildspecs/build.yml
   tags every image with its full commit SHA, immutably). Nothing is configured per release, so a
   stale setting can never approve the wrong build.
2. finds the ALB's private addresses: its network interfaces, described ``ELB app/<name>/<id>``. The
   test listener admits only the VPC's CIDR, and an internet-facing ALB's DNS name resolves to public
   addresses even inside the VPC (a request to them would leave through a NAT gateway's public IP, or,
   without NAT, not at all).
3. calls each address on the test listener: the health path must answer 200, ``/version`` must
   report the commit and every smoke path must answer its status (``SMOKE_PATHS``: the service's own
   pages, so a release whose handlers fail is stopped although its health check passes), for
   ``ROUNDS`` rounds in a row (each ALB node, each green task behind it).
4. reports Succeeded or Failed with PutLifecycleEventHookExecutionStatus, always and before its own
   timeout: a hook that never reports holds the deployment for an hour before CodeDeploy fails it.
   The report itself is retried with backoff on throttling, 5xx and connection errors, within the
   REPORT_MARGIN_SECONDS kept for it; an error that a retry cannot cure is not retried.

Its network needs (modules/release_hook.py): the VPC (the ALB's test port) and the CodeDeploy, ECS
and EC2 APIs (HTTPS), through NAT gateways or, without them, interface VPC endpoints. Standard library
and boto3 only: what the Lambda runtime provides.

Environment: TEST_LISTENER_PORT, TEST_LISTENER_PROTOCOL (HTTP | HTTPS), HEALTH_PATH, LOAD_BALANCER
(the ALB's ARN suffix ``app/<name>/<id>``), CONTAINER_NAME, and optionally LOAD_BALANCER_DNS (the Host
header), VERSION_PATH (/version), ROUNDS (3), INTERVAL_SECONDS (5), REQUEST_TIMEOUT_SECONDS (3),
SMOKE_PATHS (a JSON list of ``{"path": "/", "status": 200}``; none when unset: the stack always sets it,
from deployment.blue_green.smoke_paths).
"""

from __future__ import annotations

import json
import logging
import os
import re
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotocoreConnectionError

log = logging.getLogger()
log.setLevel(logging.INFO)

SUCCEEDED, FAILED = "Succeeded", "Failed"
REPORT_MARGIN_SECONDS = 10.0
"""Time kept back from the function's timeout to report the outcome."""
REPORT_ATTEMPTS = 5
REPORT_FIRST_DELAY_SECONDS = 0.5
"""The report's retries: at most REPORT_ATTEMPTS calls, waiting 0.5, 1, 2, 4 s between them (7.5 s
in all, inside REPORT_MARGIN_SECONDS), and never past the function's own timeout."""
RETRYABLE_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "InternalFailure",
        "InternalError",
    }
)
"""Error codes a later identical call may not get (botocore's standard retry mode treats them so)."""
_TASK_DEFINITION = re.compile(r"""["']?TaskDefinition["']?\s*:\s*["']?(arn:aws[a-z-]*:ecs:[^\s"',}]+)""")
_COMMIT = re.compile(r"^[0-9a-f]{7,40}$")


class CheckFailed(Exception):
    """Why the green task set may not take traffic; the message goes to the log and the result."""


@dataclass(frozen=True)
class Settings:
    port: int
    protocol: str
    health_path: str
    load_balancer: str
    container: str
    host: str = ""
    version_path: str = "/version"
    rounds: int = 3
    interval: float = 5.0
    request_timeout: float = 3.0
    smoke_paths: tuple[tuple[str, int], ...] = ()
    """(path, status) pairs each address must answer (SMOKE_PATHS)."""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        return cls(
            port=int(env["TEST_LISTENER_PORT"]),
            protocol=env.get("TEST_LISTENER_PROTOCOL", "HTTP").upper(),
            health_path=env.get("HEALTH_PATH", "/health"),
            load_balancer=env["LOAD_BALANCER"],
            container=env["CONTAINER_NAME"],
            host=env.get("LOAD_BALANCER_DNS", ""),
            version_path=env.get("VERSION_PATH", "/version"),
            rounds=int(env.get("ROUNDS", "3")),
            interval=float(env.get("INTERVAL_SECONDS", "5")),
            request_timeout=float(env.get("REQUEST_TIMEOUT_SECONDS", "3")),
            smoke_paths=smoke_paths_from_env(env),
        )


def smoke_paths_from_env(env: Mapping[str, str]) -> tuple[tuple[str, int], ...]:
    """SMOKE_PATHS, a JSON list of {"path", "status"}, as (path, status) pairs."""
    return tuple((str(item["path"]), int(item.get("status", 200))) for item in json.loads(env.get("SMOKE_PATHS", "[]")))


@dataclass(frozen=True)
class Clients:
    codedeploy: Any
    ecs: Any
    ec2: Any

    @classmethod
    def from_boto3(cls) -> Clients:
        import boto3  # the Lambda runtime's; imported here so that the tests need no AWS
        from botocore.config import Config

        # Bounded per call, so that a stuck call cannot eat the time kept to report.
        config = Config(connect_timeout=3, read_timeout=10, retries={"mode": "standard", "max_attempts": 3})
        return cls(*(boto3.client(service, config=config) for service in ("codedeploy", "ecs", "ec2")))


def handler(event: Mapping[str, Any], context: Any) -> dict[str, str]:
    """The Lambda entry point (`after_allow_test_traffic.handler`)."""
    deadline = time.monotonic() + context.get_remaining_time_in_millis() / 1000 - REPORT_MARGIN_SECONDS
    return run(event, Settings.from_env(os.environ), Clients.from_boto3(), deadline)


def run(
    event: Mapping[str, Any],
    settings: Settings,
    clients: Clients,
    deadline: float,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, str]:
    """Check, then report to CodeDeploy exactly once, whatever happened; returns what was reported."""
    deployment_id = event["DeploymentId"]
    execution_id = event["LifecycleEventHookExecutionId"]
    status, reason = FAILED, "the check did not finish"
    try:
        commit = expected_commit(clients, deployment_id, settings.container)
        addresses = load_balancer_addresses(clients, settings.load_balancer)
        check(settings, addresses, commit, deadline, clock=clock, sleep=sleep)
        status, reason = SUCCEEDED, f"{len(addresses)} ALB address(es) serve commit {commit} on the test listener"
    except CheckFailed as exc:
        reason = str(exc)
    except Exception as exc:  # anything unexpected must still fail the deployment, not hang it
        log.exception("check raised")
        reason = f"the check raised {type(exc).__name__}: {exc}"
    log.info(json.dumps({"deploymentId": deployment_id, "status": status, "reason": reason}))
    report(clients, deployment_id, execution_id, status, deadline + REPORT_MARGIN_SECONDS, clock=clock, sleep=sleep)
    return {"status": status, "reason": reason}


def report(
    clients: Clients,
    deployment_id: str,
    execution_id: str,
    status: str,
    until: float,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """PutLifecycleEventHookExecutionStatus, retried with backoff while the error is transient and
    time is left before `until` (the function's timeout); the last error is raised, so the invocation
    ends as an error in Lambda's metrics and logs rather than silently."""
    delay = REPORT_FIRST_DELAY_SECONDS
    for attempt in range(1, REPORT_ATTEMPTS + 1):
        try:
            clients.codedeploy.put_lifecycle_event_hook_execution_status(
                deploymentId=deployment_id, lifecycleEventHookExecutionId=execution_id, status=status
            )
            return
        except (ClientError, BotoCoreError) as exc:
            if attempt > 1 and _code(exc) == "LifecycleEventAlreadyCompletedException":
                log.info("an earlier attempt's report was recorded (its answer was lost)")
                return
            if not _transient(exc) or attempt == REPORT_ATTEMPTS or clock() + delay >= until:
                raise
            log.warning(f"report attempt {attempt} failed ({_code(exc) or type(exc).__name__}); retrying in {delay} s")
            sleep(delay)
            delay *= 2


def _code(exc: Exception) -> str:
    return str(getattr(exc, "response", {}).get("Error", {}).get("Code", "")) if isinstance(exc, ClientError) else ""


def _transient(exc: Exception) -> bool:
    """Throttling, a 5xx, or the connection: what a later identical call can get past."""
    if isinstance(exc, (BotocoreConnectionError, HTTPClientError)):
        return True
    if isinstance(exc, ClientError):
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        return _code(exc) in RETRYABLE_CODES or status >= 500
    return False


def expected_commit(clients: Clients, deployment_id: str, container: str) -> str:
    """The image tag of `container` in the task definition the deployment's AppSpec names.

    GetDeployment lists an AppSpecContent revision by its sha256 only; GetApplicationRevision of
    that revision returns the AppSpec text (botocore codedeploy GetApplicationRevisionOutput)."""
    info = clients.codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]
    revision = info.get("revision") or {}
    if revision.get("revisionType") not in ("AppSpecContent", "String"):
        raise CheckFailed(
            f"deployment {deployment_id}: its revision is {revision.get('revisionType')}, not an AppSpec "
            "(AppSpecContent), so the task definition being released is unknown"
        )
    stored = clients.codedeploy.get_application_revision(applicationName=info["applicationName"], revision=revision)
    inline = [(stored.get("revision") or {}).get(member) or {} for member in ("appSpecContent", "string")]
    content = next((i["content"] for i in inline if i.get("content")), "")
    if not content:
        raise CheckFailed(
            f"deployment {deployment_id}: GetApplicationRevision returned no AppSpec content, so the task "
            "definition being released is unknown"
        )
    found = _TASK_DEFINITION.search(content)
    if not found:
        raise CheckFailed(f"deployment {deployment_id}: the AppSpec names no task definition ARN")
    definition = clients.ecs.describe_task_definition(taskDefinition=found.group(1))["taskDefinition"]
    images = [c.get("image", "") for c in definition.get("containerDefinitions", []) if c.get("name") == container]
    if not images:
        raise CheckFailed(f"{found.group(1)} has no container named {container}")
    image = images[0]
    tag = image.rsplit(":", 1)[-1] if ":" in image.rsplit("/", 1)[-1] else ""
    if not _COMMIT.match(tag):
        raise CheckFailed(f"{found.group(1)}: image {image} is not tagged with a commit SHA")
    return tag


def load_balancer_addresses(clients: Clients, load_balancer: str) -> list[str]:
    """The private IPv4 addresses of the ALB's nodes (one network interface per subnet)."""
    found = clients.ec2.describe_network_interfaces(
        Filters=[{"Name": "description", "Values": [f"ELB {load_balancer}"]}]
    )["NetworkInterfaces"]
    addresses = sorted({i["PrivateIpAddress"] for i in found if i.get("PrivateIpAddress")})
    if not addresses:
        raise CheckFailed(f"no network interface of the load balancer {load_balancer} was found")
    return addresses


def check(
    settings: Settings,
    addresses: list[str],
    commit: str,
    deadline: float,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """`settings.rounds` passing rounds in a row over every address, before `deadline`; else CheckFailed."""
    passed, attempt, last = 0, 0, "no round ran before the deadline"
    while passed < settings.rounds:
        if clock() + settings.request_timeout * 2 * len(addresses) > deadline:
            raise CheckFailed(f"not healthy in time: {last} (after {attempt} round(s), {passed} passing in a row)")
        attempt += 1
        problems = [p for a in addresses if (p := _probe(settings, a, commit))]
        if problems:
            passed, last = 0, "; ".join(problems)
            log.info(f"round {attempt}: {last}")
        else:
            passed += 1
        if passed < settings.rounds:
            sleep(settings.interval)


def _probe(settings: Settings, address: str, commit: str) -> str:
    """'' when `address` answers the health path with 200 and /version with `commit`, else what is wrong."""
    status, _ = _get(settings, address, settings.health_path)
    if status != 200:
        return f"{address}{settings.health_path}: {status}"
    status, body = _get(settings, address, settings.version_path)
    if status != 200:
        return f"{address}{settings.version_path}: {status}"
    try:
        served = json.loads(body).get("commit")
    except (ValueError, AttributeError):
        return f"{address}{settings.version_path}: not a JSON object"
    if served != commit:
        return f"{address}{settings.version_path}: serves commit {served}, the deployment releases {commit}"
    return _smoke(settings, address)


def _smoke(settings: Settings, address: str) -> str:
    """'' when every smoke path answers its expected status at `address`, else what each answered instead."""
    problems = []
    for path, expected in settings.smoke_paths:
        status, _ = _get(settings, address, path)
        if status != expected:
            problems.append(f"{address}{path}: {status}, expected {expected}")
    return "; ".join(problems)


def _get(settings: Settings, address: str, path: str) -> tuple[int | str, str]:
    scheme = "https" if settings.protocol == "HTTPS" else "http"
    request = urllib.request.Request(f"{scheme}://{address}:{settings.port}{path}", method="GET")
    if settings.host:
        request.add_header("Host", settings.host)
    context = None
    if scheme == "https":
        # An ALB node is addressed by its private IP, which no certificate names; what is checked is what
        # the green tasks answer, inside the VPC, not the listener's identity.
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    try:
        with urllib.request.urlopen(request, timeout=settings.request_timeout, context=context) as response:
            return response.status, response.read(65536).decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, ""
    except (urllib.error.URLError, OSError) as exc:
        return f"unreachable ({getattr(exc, 'reason', exc)})", ""
