"""CodeDeploy's ECS blue/green deployments, run as CodeDeploy runs them, as the deployment group's role.

Rules played (CodeDeploy user guide, "What happens during an Amazon ECS deployment", "AppSpec 'hooks'
section for an Amazon ECS deployment", "Deployment configurations on an Amazon ECS compute platform"):
the lifecycle BeforeInstall, Install (the replacement task set, with the AppSpec's task definition,
behind the target group the production listener does not forward to), AfterInstall,
AllowTestTraffic (the test listener forwards to the replacement), AfterAllowTestTraffic,
BeforeAllowTraffic, AllowTraffic (production traffic shifts per the deployment configuration:
Canary<P>Percent<M>Minutes, Linear<P>PercentEvery<M>Minutes, AllAtOnce), AfterAllowTraffic; then,
after the group's termination wait, the original task set is terminated. A hook is the AppSpec's
Lambda function, invoked with ``{"DeploymentId", "LifecycleEventHookExecutionId"}`` and run with its
own execution role; it must call PutLifecycleEventHookExecutionStatus, else the event fails after
an hour. A failed hook fails the deployment and, when the group rolls back on DEPLOYMENT_FAILURE,
CodeDeploy reroutes traffic to the original task set, which kept running, and terminates the
replacement.

Waits are compressed locally by :data:`COMPRESSION` (the canary's 5 minutes take 5 s; the termination
wait too); the hook's own checks run at their configured pace.
"""

from __future__ import annotations

import io
import json
import logging
import re
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import yaml

from emulator.compat import codedeploy as cd
from emulator.engine.aws import Aws
from emulator.engine.tasks import Fleet, wait_healthy

log = logging.getLogger("emulator.engine")
COMPRESSION = 60.0
"""Local seconds per AWS minute: 1 s for every minute CodeDeploy would wait."""
HOOK_TIMEOUT_MINUTES = 60.0
"""CodeDeploy fails a hook that never reports after an hour."""
_CONFIG = re.compile(r"ECS(Canary|Linear)(\d+)Percent(?:Every)?(\d+)Minutes?")


def traffic_steps(config: str) -> list[tuple[float, float]]:
    """[(green weight, minutes to wait after it)] of a deployment configuration's traffic shift."""
    found = _CONFIG.search(config)
    if not found:
        return [(100.0, 0.0)]  # ECSAllAtOnce
    kind, percent, minutes = found.group(1), float(found.group(2)), float(found.group(3))
    if kind == "Canary":
        return [(percent, minutes), (100.0, 0.0)]
    steps, weight = [], 0.0
    while weight + percent < 100.0:
        weight += percent
        steps.append((weight, minutes))
    return [*steps, (100.0, 0.0)]


class DeploymentFailed(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


class Lifecycle:
    """One deployment, from Created to Succeeded, or Failed with its rollback done."""

    def __init__(self, aws: Aws, fleet: Fleet, balancers: Any, work: Path, backend: Any, deployment: Any):
        self.aws, self.fleet, self.balancers, self.work = aws, fleet, balancers, work
        self.backend, self.deployment = backend, deployment
        state = cd._ecs(deployment)
        assert state is not None  # only ECS deployments are started here
        self.state: cd.DeploymentState = state
        group = deployment.deployment_group
        self.role = aws.assume(group.service_role_arn, f"codedeploy-{deployment.deployment_id}")
        self.ecs, self.elb = aws.client("ecs", self.role), aws.client("elbv2", self.role)
        self.cluster, self.service_name, self.service = cd._ecs_service(deployment)
        info = group.load_balancer_info or {}
        pair = (info.get("targetGroupPairInfoList") or [{}])[0]
        self.production = ((pair.get("prodTrafficRoute") or {}).get("listenerArns") or [])[0]
        self.test = ((pair.get("testTrafficRoute") or {}).get("listenerArns") or [None])[0]
        names = [self.state.blue, self.state.green]
        groups = self.elb.describe_target_groups(Names=names)["TargetGroups"]
        self.groups = {g["TargetGroupName"]: g for g in groups}
        spec = yaml.safe_load(((deployment.revision or {}).get("appSpecContent") or {}).get("content") or "{}")
        props = spec["Resources"][0]["TargetService"]["Properties"]
        self.task_definition = str(props["TaskDefinition"])
        self.container = props["LoadBalancerInfo"]["ContainerName"]
        self.port = int(props["LoadBalancerInfo"]["ContainerPort"])
        blue_green = group.blue_green_deployment_configuration or {}
        termination = blue_green.get("terminateBlueInstancesOnDeploymentSuccess") or {}
        self.termination_minutes = float(termination.get("terminationWaitTimeInMinutes", 0) or 0)
        self.config = str(deployment.deployment_config_name or group.deployment_config_name or "")

    def arn(self, name: str) -> str:
        return str(self.groups[name]["TargetGroupArn"])

    def health_path(self, name: str) -> str:
        return str(self.groups[name].get("HealthCheckPath") or "/")

    def run(self) -> None:
        blue, green = self.state.blue, self.state.green
        try:
            self.balancers.serve(self.deployment)
            self._blue_running()
            cd._advance(self.deployment, "BeforeInstall")
            self._hook("BeforeInstall")
            cd._advance(self.deployment, "Install")
            task_set = self._install()
            cd._advance(self.deployment, "AfterInstall")
            self._hook("AfterInstall")
            if self.test:
                cd._advance(self.deployment, "AllowTestTraffic")
                self._forward(self.test, [(self.arn(green), 100)])
                cd._advance(self.deployment, "AfterAllowTestTraffic")
                self._hook("AfterAllowTestTraffic")
            cd._advance(self.deployment, "BeforeAllowTraffic")
            self._hook("BeforeAllowTraffic")
            cd._advance(self.deployment, "AllowTraffic")
            for weight, minutes in traffic_steps(self.config):
                self.state.green_weight = weight
                self._forward(
                    self.production,
                    [(self.arn(green), int(weight)), (self.arn(blue), int(100 - weight))],
                )
                self._pause(minutes)
            cd._advance(self.deployment, "AfterAllowTraffic")
            self._hook("AfterAllowTraffic")
            self.ecs.update_service_primary_task_set(
                cluster=self.cluster, service=self.service_name, primaryTaskSet=task_set
            )
            cd._finish(self.backend, self.deployment, "Succeeded")
            self._pause(self.termination_minutes)
            self._terminate_original(task_set)
        except DeploymentFailed as exc:
            self._fail(exc.code, str(exc))
        except Exception as exc:
            log.exception("codedeploy engine error")
            self._fail("INTERNAL_ERROR", f"{type(exc).__name__}: {exc}")

    def _pause(self, minutes: float) -> None:
        if minutes:
            log.warning(
                "%s: waiting %g min, compressed to %.1f s",
                self.deployment.deployment_id,
                minutes,
                minutes * COMPRESSION / 60,
            )
            time.sleep(minutes * COMPRESSION / 60)

    def _alive(self) -> bool:
        return str(self.deployment.status) in cd.ACTIVE

    def _blue_running(self) -> None:
        """The original task set's tasks (the service's current task definition), if none run yet."""
        from moto.ecs.models import ecs_backends

        arn = self.arn(self.state.blue)
        if self.fleet.pick(arn) is not None:
            return
        backend = ecs_backends[self.aws.account][self.aws.region]
        primary = next((t for t in getattr(self.service, "task_sets", []) if t.status == "PRIMARY"), None)
        definition = backend.describe_task_definition(
            primary.task_definition if primary else self.service.task_definition
        )
        for _ in range(max(1, int(self.state.desired))):
            self.fleet.start(arn, definition, self.container)

    def _install(self) -> str:
        from moto.ecs.models import ecs_backends

        green = self.arn(self.state.green)
        task_set = self.ecs.create_task_set(
            cluster=self.cluster,
            service=self.service_name,
            taskDefinition=self.task_definition,
            externalId=self.deployment.deployment_id,
            launchType="FARGATE",
            loadBalancers=[{"targetGroupArn": green, "containerName": self.container, "containerPort": self.port}],
            networkConfiguration=self.service.network_configuration,
            scale={"value": 100.0, "unit": "PERCENT"},
        )["taskSet"]["taskSetArn"]
        self.state.green_task_set = task_set
        definition = ecs_backends[self.aws.account][self.aws.region].describe_task_definition(self.task_definition)
        tasks = [self.fleet.start(green, definition, self.container) for _ in range(max(1, int(self.state.desired)))]
        grace = float(getattr(self.service, "health_check_grace_period_seconds", 0) or 0) or 30.0
        if not all(wait_healthy(t, self.health_path(self.state.green), grace) for t in tasks):
            raise DeploymentFailed(
                "ECS_UPDATE_ERROR",
                f"The replacement task set's tasks failed the target group's health check ({self.health_path(self.state.green)})",
            )
        return str(task_set)

    def _forward(self, listener: str, weights: list[tuple[str, int]]) -> None:
        groups = [{"TargetGroupArn": arn, "Weight": w} for arn, w in weights if w > 0]
        action: dict[str, Any] = (
            {"Type": "forward", "TargetGroupArn": groups[0]["TargetGroupArn"]}
            if len(groups) == 1
            else {"Type": "forward", "ForwardConfig": {"TargetGroups": groups}}
        )
        self.elb.modify_listener(ListenerArn=listener, DefaultActions=[action])

    def _hook(self, event: str) -> None:
        """Invoke the AppSpec's function for `event`; wait for its PutLifecycleEventHookExecutionStatus."""
        if event not in self.state.hooks or not self._alive():
            if not self._alive():
                raise DeploymentFailed("ABORTED", "the deployment is no longer in progress")
            return
        execution = next((i for i, e in self.state.hook_executions.items() if e == event), None)
        if execution is None:
            execution = cd._advance(self.deployment, event)
        assert execution is not None
        invoke(self.aws, self.work, self.state.hooks[event], self.deployment.deployment_id, execution)
        deadline = time.monotonic() + HOOK_TIMEOUT_MINUTES * COMPRESSION
        while self.state.event(event).status == "InProgress" and self._alive():
            if time.monotonic() > deadline:
                raise DeploymentFailed("TIMEOUT", f"The {event} hook did not report its status within an hour")
            time.sleep(0.2)
        if not self._alive() and self.deployment.status != "Succeeded":
            raise DeploymentFailed("HOOK_EXECUTION_FAILURE", f"the {event} hook reported Failed")

    def _fail(self, code: str, message: str) -> None:
        """The deployment failed (if not already: a failed hook fails it itself); the rollback is done here."""
        if self._alive():
            cd._finish(self.backend, self.deployment, "Failed", {"code": code, "message": message})
            rollback = self.deployment.deployment_group.auto_rollback_configuration or {}
            if rollback.get("enabled") and "DEPLOYMENT_FAILURE" in (rollback.get("events") or []):
                cd._roll_back(self.backend, self.deployment, message)
        log.warning("%s failed: %s: %s", self.deployment.deployment_id, code, message)
        rollback_id = (self.state.rollback or {}).get("rollbackDeploymentId")
        if not rollback_id:
            return
        blue = self.arn(self.state.blue)
        self._forward(self.production, [(blue, 100)])
        if self.test:
            self._forward(self.test, [(blue, 100)])
        if self.state.green_task_set and self.state.green_task_set.startswith("arn:"):
            self.ecs.delete_task_set(cluster=self.cluster, service=self.service_name, taskSet=self.state.green_task_set)
        self.fleet.stop(self.arn(self.state.green))
        rollback = self.backend.deployments[rollback_id]
        cd._advance(rollback, "AfterAllowTraffic")
        cd._finish(self.backend, rollback, "Succeeded")

    def _terminate_original(self, keep: str) -> None:
        # CodeDeploy knows the task sets it made (AWSCodeDeployRoleForECS grants no ecs:DescribeTaskSets).
        for task_set in [t.task_set_arn for t in getattr(self.service, "task_sets", [])]:
            if task_set != keep:
                self.ecs.delete_task_set(cluster=self.cluster, service=self.service_name, taskSet=task_set)
        self.fleet.stop(self.arn(self.state.blue))


_RUNNER = """
import json, sys, time, importlib
sys.path.insert(0, sys.argv[1])
module, function = sys.argv[2].rsplit(".", 1)
deadline = time.monotonic() + float(sys.argv[3])
class Context:
    function_name = sys.argv[4]
    def get_remaining_time_in_millis(self):
        return int(max(0.0, deadline - time.monotonic()) * 1000)
print(json.dumps(getattr(importlib.import_module(module), function)(json.loads(sys.argv[5]), Context())))
"""


def invoke(aws: Aws, work: Path, function: str, deployment_id: str, execution_id: str) -> None:
    """Run the function's packaged code (its zip) with its execution role's credentials, in the background."""
    from moto.awslambda.models import lambda_backends

    found = lambda_backends[aws.account][aws.region].get_function(function)
    where = work / "hooks" / execution_id
    where.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(io.BytesIO(found.code_bytes)) as archive:
        archive.extractall(where / "code")
    role = aws.assume(found.role, found.function_name)
    env = {
        "PATH": "/usr/bin:/bin",
        **{str(k): str(v) for k, v in (found.environment_vars or {}).items()},
        **aws.env(),
        **role.env(),
        "AWS_LAMBDA_FUNCTION_NAME": found.function_name,
    }
    event = {"DeploymentId": deployment_id, "LifecycleEventHookExecutionId": execution_id}
    log.warning("invoking %s (%s) with %s as %s", found.function_name, found.handler, json.dumps(event), found.role)
    with open(where / "output.log", "wb") as out:
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                _RUNNER,
                str(where / "code"),
                str(found.handler),
                str(found.timeout),
                found.function_name,
                json.dumps(event),
            ],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
