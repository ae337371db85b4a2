"""hooks/after_allow_test_traffic.py against a local HTTP stub of the test listener, with CodeDeploy and ECS
either the local emulator (answering as AWS: GetDeployment lists the AppSpec by its sha256 only) or fakes
shaped the same way (for what the emulator cannot make happen: throttled reports, broken images).

The ALB's network interfaces stay a fake in both: the stub listener is on 127.0.0.1, which no ENI has."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from hooks import after_allow_test_traffic as hook
from tests.unit.compat.helpers import drive, role, unique
from tests.unit.conftest import LocalAws
from tests.unit.test_app import RAISING_ROOT, start

COMMIT = "0123456789abcdef0123456789abcdef01234567"
TASK_DEFINITION = "arn:aws:ecs:eu-west-1:111111111111:task-definition/acme-web-production-web:7"
APPSPEC = f"""version: 0.0
Resources:
- TargetService:
    Type: AWS::ECS::Service
    Properties:
      TaskDefinition: {TASK_DEFINITION}
      LoadBalancerInfo:
        ContainerName: web
        ContainerPort: 8080
Hooks:
- AfterAllowTestTraffic: acme-web-production-release-hook
"""
EVENT = {"DeploymentId": "d-ABCDEFGHI", "LifecycleEventHookExecutionId": "execution-1"}


@dataclass
class Listener:
    """What the stub test listener answers, and the requests it saw."""

    health: int = 200
    root: int = 200
    commit: str = COMMIT
    requests: list[tuple[str, str]] = field(default_factory=list)


@pytest.fixture
def listener() -> Iterator[tuple[Listener, int]]:
    state = Listener()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.requests.append((self.path, self.headers.get("Host", "")))
            if self.path == "/health":
                status, body = state.health, {"status": "ok"}
            elif self.path == "/version":
                status, body = 200, {"commit": state.commit, "environment": "production"}
            elif self.path == "/":
                status, body = state.root, {"message": "hello"}
            else:
                status, body = 404, {}
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield state, server.server_address[1]
    server.shutdown()
    server.server_close()


class FakeCodeDeploy:
    """CodeDeploy as AWS answers: GetDeployment lists the revision by sha256, GetApplicationRevision has the text."""

    def __init__(self, content: str | None = APPSPEC, failures: list[Exception] | None = None):
        self.content = content
        self.failures = list(failures or [])
        """Raised by the next PutLifecycleEventHookExecutionStatus calls, in order."""
        self.reports: list[dict[str, str]] = []
        self.attempts = 0

    def get_deployment(self, deploymentId: str) -> dict[str, Any]:
        revision = {"revisionType": "AppSpecContent", "appSpecContent": {"sha256": "5" * 64}}
        return {"deploymentInfo": {"deploymentId": deploymentId, "applicationName": "app", "revision": revision}}

    def get_application_revision(self, applicationName: str, revision: dict[str, Any]) -> dict[str, Any]:
        assert applicationName == "app" and revision["appSpecContent"] == {"sha256": "5" * 64}
        stored: dict[str, Any] = {"revisionType": "AppSpecContent", "appSpecContent": {"sha256": "5" * 64}}
        if self.content is not None:
            stored["appSpecContent"]["content"] = self.content
        return {"applicationName": applicationName, "revision": stored}

    def put_lifecycle_event_hook_execution_status(self, **kwargs: str) -> dict[str, str]:
        self.attempts += 1
        if self.failures:
            raise self.failures.pop(0)
        self.reports.append(kwargs)
        return {"lifecycleEventHookExecutionId": kwargs["lifecycleEventHookExecutionId"]}


class FakeEcs:
    def __init__(self, image: str = f"111111111111.dkr.ecr.eu-west-1.amazonaws.com/acme-web:{COMMIT}"):
        self.image = image
        self.asked: list[str] = []

    def describe_task_definition(self, taskDefinition: str) -> dict[str, Any]:
        self.asked.append(taskDefinition)
        return {"taskDefinition": {"containerDefinitions": [{"name": "web", "image": self.image}]}}


class FakeEc2:
    def __init__(self, addresses: list[str] | None = None):
        self.addresses = ["127.0.0.1"] if addresses is None else addresses
        self.filters: list[Any] = []

    def describe_network_interfaces(self, Filters: list[dict[str, Any]]) -> dict[str, Any]:
        self.filters.append(Filters)
        return {"NetworkInterfaces": [{"PrivateIpAddress": a} for a in self.addresses]}


def settings(port: int, **extra: Any) -> hook.Settings:
    values: dict[str, Any] = {
        "port": port,
        "protocol": "HTTP",
        "health_path": "/health",
        "load_balancer": "app/acme-web-production/50dc6c495c0c9188",
        "container": "web",
        "host": "acme-web-production-1.eu-west-1.elb.amazonaws.com",
        "rounds": 2,
        "interval": 0.01,
        "request_timeout": 1.0,
        **extra,
    }
    return hook.Settings(**values)


def run(port: int, codedeploy=None, ecs=None, ec2=None, deadline: float = 1e12, **extra: Any):
    clients = hook.Clients(codedeploy or FakeCodeDeploy(), ecs or FakeEcs(), ec2 or FakeEc2())
    return hook.run(EVENT, settings(port, **extra), clients, deadline), clients


def test_green_serving_the_released_commit_succeeds(listener):
    state, port = listener
    result, clients = run(port)
    assert result["status"] == "Succeeded", result
    assert clients.codedeploy.reports == [
        {"deploymentId": "d-ABCDEFGHI", "lifecycleEventHookExecutionId": "execution-1", "status": "Succeeded"}
    ]
    assert clients.ecs.asked == [TASK_DEFINITION]  # the commit comes from the deployment's own task definition
    assert clients.ec2.filters == [
        [{"Name": "description", "Values": ["ELB app/acme-web-production/50dc6c495c0c9188"]}]
    ]
    assert [p for p, _ in state.requests] == ["/health", "/version"] * 2  # two rounds in a row
    assert {h for _, h in state.requests} == {"acme-web-production-1.eu-west-1.elb.amazonaws.com"}


def test_green_serving_another_commit_fails(listener):
    state, port = listener
    state.commit = "fedcba9876543210fedcba9876543210fedcba98"
    result, clients = run(port, deadline=_soon(0.5), request_timeout=0.1)
    assert result["status"] == "Failed"
    assert "serves commit fedcba98" in result["reason"] and COMMIT in result["reason"]
    assert [r["status"] for r in clients.codedeploy.reports] == ["Failed"]


def test_unhealthy_green_fails_before_the_deadline(listener):
    state, port = listener
    state.health = 503
    result, clients = run(port, deadline=_soon(0.5), request_timeout=0.1)
    assert result["status"] == "Failed" and "/health: 503" in result["reason"]
    assert len(clients.codedeploy.reports) == 1


def test_recovering_green_needs_consecutive_passing_rounds(listener):
    state, port = listener
    state.health = 503
    flips = iter([None, None])

    def sleep(_: float) -> None:
        if next(flips, "done") is None:
            state.health = 200

    clients = hook.Clients(FakeCodeDeploy(), FakeEcs(), FakeEc2())
    result = hook.run(EVENT, settings(port), clients, 1e12, sleep=sleep)
    assert result["status"] == "Succeeded"
    assert [p for p, _ in state.requests].count("/health") == 3  # one failing round, then two passing


def test_unreachable_listener_fails(listener):
    _, port = listener
    result, _ = run(port + 1 if port < 65535 else port - 1, deadline=_soon(0.3), request_timeout=0.1)
    assert result["status"] == "Failed" and "unreachable" in result["reason"]


@pytest.mark.parametrize(
    ("codedeploy", "ecs", "ec2", "reason"),
    [
        (FakeCodeDeploy(content=None), None, None, "returned no AppSpec content"),
        (FakeCodeDeploy(content="version: 0.0\n"), None, None, "names no task definition"),
        (None, FakeEcs(image="111111111111.dkr.ecr.eu-west-1.amazonaws.com/acme-web:bootstrap"), None, "not tagged"),
        (None, FakeEcs(image="acme-web@sha256:" + "a" * 64), None, "not tagged"),
        (None, None, FakeEc2(addresses=[]), "no network interface"),
    ],
)
def test_what_it_cannot_establish_fails_the_deployment(listener, codedeploy, ecs, ec2, reason: str):
    _, port = listener
    result, clients = run(port, codedeploy=codedeploy, ecs=ecs, ec2=ec2)
    assert result["status"] == "Failed" and reason in result["reason"], result
    assert [r["status"] for r in clients.codedeploy.reports] == ["Failed"]


def test_an_unexpected_error_is_reported_as_failed(listener):
    _, port = listener

    class Broken(FakeEcs):
        def describe_task_definition(self, taskDefinition: str) -> dict[str, Any]:
            raise RuntimeError("throttled")

    result, clients = run(port, ecs=Broken())
    assert result == {"status": "Failed", "reason": "the check raised RuntimeError: throttled"}
    assert len(clients.codedeploy.reports) == 1


def test_json_appspec_and_settings_from_the_environment():
    content = json.dumps({"Resources": [{"TargetService": {"Properties": {"TaskDefinition": TASK_DEFINITION}}}]})
    clients = hook.Clients(FakeCodeDeploy(content=content), FakeEcs(), FakeEc2())
    assert hook.expected_commit(clients, "d-1", "web") == COMMIT
    env = {
        "TEST_LISTENER_PORT": "8443",
        "LOAD_BALANCER": "app/x/1",
        "CONTAINER_NAME": "web",
        "HEALTH_PATH": "/healthz",
        "TEST_LISTENER_PROTOCOL": "https",
    }
    s = hook.Settings.from_env(env)
    assert (s.port, s.protocol, s.health_path, s.version_path, s.rounds) == (8443, "HTTPS", "/healthz", "/version", 3)


def test_the_lambda_entry_point_keeps_time_to_report(monkeypatch, listener):
    """`handler` stops checking REPORT_MARGIN_SECONDS before the function's timeout, then reports."""
    state, port = listener
    state.health = 500
    clients = hook.Clients(FakeCodeDeploy(), FakeEcs(), FakeEc2())
    monkeypatch.setattr(hook.Clients, "from_boto3", classmethod(lambda cls: clients))
    for key, value in {
        "TEST_LISTENER_PORT": str(port),
        "LOAD_BALANCER": "app/x/1",
        "CONTAINER_NAME": "web",
        "INTERVAL_SECONDS": "0.01",
        "REQUEST_TIMEOUT_SECONDS": "0.2",
    }.items():
        monkeypatch.setenv(key, value)

    class Context:
        @staticmethod
        def get_remaining_time_in_millis() -> int:
            return int((hook.REPORT_MARGIN_SECONDS + 0.5) * 1000)

    result = hook.handler(EVENT, Context())
    assert result["status"] == "Failed" and "not healthy in time" in result["reason"]
    assert len(clients.codedeploy.reports) == 1


def _soon(seconds: float) -> float:
    import time

    return time.monotonic() + seconds


def _error(code: str, status: int) -> ClientError:
    response: Any = {"Error": {"Code": code, "Message": code}, "ResponseMetadata": {"HTTPStatusCode": status}}
    return ClientError(response, "PutLifecycleEventHookExecutionStatus")


def _report(codedeploy: FakeCodeDeploy, until: float = 1e12, now: float = 0.0) -> list[float]:
    """hook.report with a fixed clock; returns the waits between attempts."""
    waits: list[float] = []
    clients = hook.Clients(codedeploy, FakeEcs(), FakeEc2())
    hook.report(clients, "d-1", "execution-1", "Succeeded", until, clock=lambda: now, sleep=waits.append)
    return waits


def test_the_report_is_retried_with_backoff_on_throttling_5xx_and_the_connection():
    codedeploy = FakeCodeDeploy(
        failures=[
            _error("ThrottlingException", 400),
            _error("InternalFailure", 500),
            EndpointConnectionError(endpoint_url="https://codedeploy.eu-west-1.amazonaws.com"),
        ]
    )
    assert _report(codedeploy) == [0.5, 1.0, 2.0]
    assert codedeploy.attempts == 4 and [r["status"] for r in codedeploy.reports] == ["Succeeded"]


def test_the_report_gives_up_after_its_bounded_attempts():
    codedeploy = FakeCodeDeploy(failures=[_error("ServiceUnavailable", 503)] * 10)
    with pytest.raises(ClientError, match="ServiceUnavailable"):
        _report(codedeploy)
    assert codedeploy.attempts == hook.REPORT_ATTEMPTS == 5


def test_the_report_is_not_retried_past_the_functions_timeout():
    codedeploy = FakeCodeDeploy(failures=[_error("ThrottlingException", 400)] * 10)
    with pytest.raises(ClientError):
        _report(codedeploy, until=100.7, now=100.0)  # waits 0.5 s once; a second wait (1 s) would pass the timeout
    assert codedeploy.attempts == 2


def test_an_error_a_retry_cannot_cure_is_not_retried():
    codedeploy = FakeCodeDeploy(failures=[_error("InvalidLifecycleEventHookExecutionIdException", 400)])
    with pytest.raises(ClientError, match="InvalidLifecycleEventHookExecutionId"):
        _report(codedeploy)
    assert codedeploy.attempts == 1


def test_a_report_recorded_before_its_answer_was_lost_counts_as_done():
    codedeploy = FakeCodeDeploy(
        failures=[_error("InternalFailure", 500), _error("LifecycleEventAlreadyCompletedException", 400)]
    )
    assert _report(codedeploy) == [0.5]
    assert codedeploy.attempts == 2


# --- Against the emulator, which answers as AWS does -----------------------------------------------------


def _deployment_at_the_hook(local_aws: LocalAws) -> dict[str, str]:
    """A CodeDeployToECS-like deployment of a task definition whose image is tagged COMMIT, driven to
    AfterAllowTestTraffic: the event CodeDeploy invokes the hook with."""
    client = local_aws.client
    definition = client("ecs").register_task_definition(
        family=unique("acme-web-production-web"),
        containerDefinitions=[
            {"name": "web", "image": f"111111111111.dkr.ecr.eu-west-1.amazonaws.com/acme-web:{COMMIT}", "memory": 128}
        ],
    )["taskDefinition"]["taskDefinitionArn"]
    codedeploy = client("codedeploy")
    app, group = unique("app"), unique("dg")
    codedeploy.create_application(applicationName=app, computePlatform="ECS")
    codedeploy.create_deployment_group(
        applicationName=app,
        deploymentGroupName=group,
        serviceRoleArn=role(client, "codedeploy.amazonaws.com"),
        deploymentConfigName="CodeDeployDefault.ECSAllAtOnce",
        deploymentStyle={"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
        ecsServices=[{"serviceName": "web", "clusterName": "prod"}],
        autoRollbackConfiguration={"enabled": True, "events": ["DEPLOYMENT_FAILURE"]},
    )
    deployment = codedeploy.create_deployment(
        applicationName=app,
        deploymentGroupName=group,
        revision={
            "revisionType": "AppSpecContent",
            "appSpecContent": {"content": APPSPEC.replace(TASK_DEFINITION, definition)},
        },
    )["deploymentId"]
    at_hook = {"deploymentId": deployment, "status": "InProgress", "lifecycleEvent": "AfterAllowTestTraffic"}
    execution = drive(local_aws.endpoint, "codedeploy/deployment", at_hook)["lifecycleEventHookExecutionId"]
    assert (
        "content"
        not in codedeploy.get_deployment(deploymentId=deployment)["deploymentInfo"]["revision"]["appSpecContent"]
    )
    return {"DeploymentId": deployment, "LifecycleEventHookExecutionId": execution}


def _hook_event_status(client: Callable[[str], Any], deployment: str) -> str:
    codedeploy = client("codedeploy")
    ids = codedeploy.list_deployment_targets(deploymentId=deployment)["targetIds"]
    (target,) = codedeploy.batch_get_deployment_targets(deploymentId=deployment, targetIds=ids)["deploymentTargets"]
    events = {e["lifecycleEventName"]: e["status"] for e in target["ecsTarget"]["lifecycleEvents"]}
    return str(events["AfterAllowTestTraffic"])


def test_on_the_emulator_a_good_commit_is_reported_succeeded(listener, local_aws: LocalAws):
    state, port = listener
    client = local_aws.client
    event = _deployment_at_the_hook(local_aws)
    clients = hook.Clients(client("codedeploy"), client("ecs"), FakeEc2())
    result = hook.run(event, settings(port), clients, 1e12)
    assert result["status"] == "Succeeded", result
    assert [p for p, _ in state.requests] == ["/health", "/version"] * 2
    assert _hook_event_status(client, event["DeploymentId"]) == "Succeeded"
    info = client("codedeploy").get_deployment(deploymentId=event["DeploymentId"])["deploymentInfo"]
    assert info["status"] == "InProgress"  # on to the traffic shift
    client("codedeploy").stop_deployment(deploymentId=event["DeploymentId"], autoRollbackEnabled=False)


def test_on_the_emulator_a_wrong_commit_is_reported_failed(listener, local_aws: LocalAws):
    state, port = listener
    state.commit = "fedcba9876543210fedcba9876543210fedcba98"
    client = local_aws.client
    event = _deployment_at_the_hook(local_aws)
    clients = hook.Clients(client("codedeploy"), client("ecs"), FakeEc2())
    result = hook.run(event, settings(port, request_timeout=0.1), clients, _soon(0.5))
    assert result["status"] == "Failed" and COMMIT in result["reason"], result
    assert _hook_event_status(client, event["DeploymentId"]) == "Failed"
    info = client("codedeploy").get_deployment(deploymentId=event["DeploymentId"])["deploymentInfo"]
    assert info["status"] == "Failed" and info["errorInformation"]["code"] == "HOOK_EXECUTION_FAILURE"


# --- smoke paths -------------------------------------------------------------------------


def test_smoke_paths_are_requested_every_round(listener):
    state, port = listener
    result, _ = run(port, smoke_paths=(("/", 200), ("/nope", 404)))
    assert result["status"] == "Succeeded", result
    assert [p for p, _ in state.requests] == ["/health", "/version", "/", "/nope"] * 2


def test_a_green_answering_500_on_a_smoke_path_fails_the_hook(listener):
    """/health passes, /version serves the commit: only the smoke path sees the broken release."""
    state, port = listener
    state.root = 500
    result, clients = run(port, smoke_paths=(("/", 200),), deadline=_soon(0.5), request_timeout=0.1)
    assert result["status"] == "Failed" and "/: 500, expected 200" in result["reason"], result
    assert [r["status"] for r in clients.codedeploy.reports] == ["Failed"]


@pytest.mark.parametrize(("code", "status"), [(RAISING_ROOT, "Failed"), (None, "Succeeded")])
def test_the_real_service_fails_the_hook_exactly_when_its_root_raises(code: str | None, status: str):
    service = start(code=code, APP_COMMIT=COMMIT, APP_ENV="production")
    try:
        result, _ = run(service.port, smoke_paths=(("/", 200),), deadline=_soon(5), interval=0.05)
    finally:
        service.stop()
    assert result["status"] == status, result
    if status == "Failed":
        assert "/: 500, expected 200" in result["reason"], result


def test_smoke_paths_come_from_the_environment():
    env = {"TEST_LISTENER_PORT": "8443", "LOAD_BALANCER": "app/x/1", "CONTAINER_NAME": "web"}
    assert hook.Settings.from_env(env).smoke_paths == ()
    env["SMOKE_PATHS"] = json.dumps([{"path": "/", "status": 200}, {"path": "/gone"}])
    assert hook.Settings.from_env(env).smoke_paths == (("/", 200), ("/gone", 200))
