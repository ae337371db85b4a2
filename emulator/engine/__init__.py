"""The local release engine: what CodePipeline, CodeBuild, CodeDeploy and ECS do on their own, in the
emulator's process, driven only by the AWS APIs a release uses.

StartPipelineExecution runs the execution (pipeline.py): the commit's tree as the source artifact, the
buildspecs' phases (build.py, with docker_shim.py for `docker`), the ECS deploy action and its rollout
(rollouts.py), the manual approval, CodeDeployToECS and the CodeDeploy lifecycle (codedeploy.py) with the
AfterAllowTestTraffic hook run from its packaged code. Tasks run as local processes behind local
listeners (tasks.py). Every step runs with its AWS role's credentials, evaluated by IAM (aws.py). The
rules each module plays, with their AWS sources, are in its docstring; the compat table
(emulator.compat) lists them.

Configuration (environment of the emulator process): ENGINE_SOURCE_REPO, the git repository the
source action reads (default: the emulator's checkout); ENGINE_WORK_DIR, where builds, hooks and
task logs go (default: a temporary directory).
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emulator.compat._patching import Original, wrap_existing
from emulator.engine import resources
from emulator.engine.aws import (
    Aws,
    patch_enforce_role_sessions,
    patch_s3_secure_transport,
)
from emulator.engine.tasks import REPO_ROOT, Balancer, Fleet

log = logging.getLogger("emulator.engine")


@dataclass
class Balancers:
    """The local stand-in of each ALB: a loopback address, its listeners, its recorded network interface."""

    aws: Aws
    fleet: Fleet
    base: int
    known: dict[str, Balancer] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def serve(self, deployment: Any) -> None:
        from moto.elbv2.models import elbv2_backends

        account, region = deployment.compat_where
        backend = elbv2_backends[account][region]
        info = deployment.deployment_group.load_balancer_info or {}
        pair = (info.get("targetGroupPairInfoList") or [{}])[0]
        listener = ((pair.get("prodTrafficRoute") or {}).get("listenerArns") or [""])[0]
        for balancer in backend.load_balancers.values():
            if listener in balancer.listeners:
                self._serve(backend, balancer, account, region)

    def _serve(self, backend: Any, balancer: Any, account: str, region: str) -> None:
        with self._lock:
            local = self.known.get(balancer.arn)
            if local is None:
                address = f"127.{(self.base >> 8) & 255}.{self.base & 255}.{len(self.known) + 1}"
                local = self.known[balancer.arn] = Balancer(address)
                self._interface(balancer, address, account, region)
                log.warning(
                    "load balancer %s: served locally at %s (the ALB's address substituted)", balancer.name, address
                )
        for listener in balancer.listeners.values():
            local.listen(int(listener.port), self._route(backend, listener.arn))

    def _route(self, backend: Any, listener_arn: str) -> Any:
        import random

        def route(_: int) -> Any:
            for balancer in backend.load_balancers.values():
                listener = balancer.listeners.get(listener_arn)
                if listener is None:
                    continue
                for action in listener.default_actions:
                    data = action.data
                    groups = (data.get("ForwardConfig") or {}).get("TargetGroups") or []
                    if groups:
                        weights = [float(g.get("Weight", 1)) for g in groups]
                        chosen = random.choices(groups, weights=weights)[0]["TargetGroupArn"]
                    else:
                        chosen = data.get("TargetGroupArn")
                    if chosen:
                        return self.fleet.pick(str(chosen))
            return None

        return route

    def _interface(self, balancer: Any, address: str, account: str, region: str) -> None:
        """The ALB node's network interface, as AWS describes it (``ELB app/<name>/<id>``), at the local address."""
        from moto.ec2.models import ec2_backends

        ec2 = ec2_backends[account][region]
        first = balancer.subnets[0]
        subnet = first if hasattr(first, "id") else ec2.get_subnet(first)
        suffix = balancer.arn.split(":loadbalancer/", 1)[1]
        ec2.create_network_interface(subnet, [address], description=f"ELB {suffix}")

    def close(self) -> None:
        for local in self.known.values():
            local.close()


@dataclass
class Engine:
    aws: Aws
    work: Path
    source_repo: Path
    fleet: Fleet
    balancers: Balancers

    def start_execution(self, account: str, region: str, name: str, execution_id: str) -> None:
        from moto.codepipeline.models import codepipeline_backends

        from emulator.engine import pipeline

        backend = codepipeline_backends[account][region]
        found = backend.pipelines[name]
        aws = Aws(self.aws.endpoint, account, region)

        def run() -> None:
            try:
                session = aws.assume(found.pipeline["roleArn"], f"codepipeline-{execution_id[:8]}")
                pipeline.execute(
                    pipeline.Run(aws, self.work, self.source_repo, found, found.executions[execution_id], session)
                )
            except Exception:
                log.exception("pipeline execution %s", execution_id)

        threading.Thread(target=run, name=f"execution-{execution_id}", daemon=True).start()

    def start_deployment(self, account: str, region: str, deployment_id: str) -> None:
        from moto.codedeploy.models import codedeploy_backends

        from emulator.engine.codedeploy import Lifecycle

        backend = codedeploy_backends[account][region]
        deployment = backend.deployments[deployment_id]
        if getattr(deployment, "compat_state", None) is None or not self._runnable(account, region, deployment):
            return
        aws = Aws(self.aws.endpoint, account, region)

        def run() -> None:
            try:
                Lifecycle(aws, self.fleet, self.balancers, self.work, backend, deployment).run()
            except Exception:
                log.exception("deployment %s", deployment_id)

        threading.Thread(target=run, name=f"deployment-{deployment_id}", daemon=True).start()

    def _runnable(self, account: str, region: str, deployment: Any) -> bool:
        """Whether the AppSpec's task definition runs an image the engine's build pushed. Other
        deployments (the compat tests' images, never built) stay Created, for the test drivers."""
        import re

        from moto.ecs.exceptions import ECSException
        from moto.ecs.models import ecs_backends

        content = ((deployment.revision or {}).get("appSpecContent") or {}).get("content") or ""
        found = re.search(r"(arn:aws[a-z-]*:ecs:[^\s\"',}]+:task-definition/[^\s\"',}]+)", content)
        if not found:
            return False
        try:
            definition = ecs_backends[account][region].describe_task_definition(found.group(1))
        except ECSException:  # no such task definition: CodeDeploy would fail it at Install
            return False
        return self.fleet.source_of(str(definition.container_definitions[0].get("image", "")))[1]


ENGINE: Engine | None = None


def install(endpoint: str, account: str, region: str = "us-east-1") -> Engine:
    """Run releases in this process from now on (called by emulator.server after compat.apply)."""
    global ENGINE
    from moto.codedeploy.responses import CodeDeployResponse
    from moto.codepipeline.responses import CodePipelineResponse

    from emulator.compat import ecs_rollouts

    work = Path(os.environ.get("ENGINE_WORK_DIR") or tempfile.mkdtemp(prefix="emulator-engine-"))
    work.mkdir(parents=True, exist_ok=True)
    aws = Aws(endpoint, account, region)
    fleet = Fleet(images=work / "images", logs=work / "tasks")
    port = int(endpoint.rsplit(":", 1)[1])
    engine = ENGINE = Engine(
        aws, work, Path(os.environ.get("ENGINE_SOURCE_REPO") or REPO_ROOT), fleet, Balancers(aws, fleet, port)
    )
    atexit.register(fleet.shutdown)
    patch_enforce_role_sessions()
    patch_s3_secure_transport()
    for patch in resources.PATCHES:
        patch()
    from emulator.engine.rollouts import patch_ecs_task_level_memory

    patch_ecs_task_level_memory()
    from emulator import compat
    from emulator.compat.iam import patch_ssm_parameters_by_path_resource

    if patch_ssm_parameters_by_path_resource not in compat.PATCHES:  # issue 22's branch registers it there
        patch_ssm_parameters_by_path_resource()

    @wrap_existing(CodePipelineResponse, "start_pipeline_execution")
    def start_pipeline_execution(original: Original, self: CodePipelineResponse) -> str:
        answer: str = original(self)
        engine.start_execution(
            self.current_account, self.region, self._get_param("name"), json.loads(answer)["pipelineExecutionId"]
        )
        return answer

    @wrap_existing(CodeDeployResponse, "create_deployment")
    def create_deployment(original: Original, self: CodeDeployResponse) -> Any:
        answer = original(self)
        result = answer.result if hasattr(answer, "result") else json.loads(answer)
        deployment_id = result.get("deploymentId") if isinstance(result, dict) else None
        if deployment_id:
            engine.start_deployment(self.current_account, self.region, deployment_id)
        return answer

    ecs_rollouts.RUNNER = engine_rollout
    return engine


def engine_rollout(backend: Any, service: Any, previous: list[dict[str, Any]]) -> bool:
    """ecs_rollouts.RUNNER: roll the service out with local tasks when its image can run here."""
    from emulator.engine import rollouts

    engine = ENGINE
    if engine is None or not rollouts.runnable(backend, service.task_definition, engine.fleet):
        return False
    from moto.elbv2.models import elbv2_backends

    group, path = f"service:{service.arn}", "/"
    for lb in service.load_balancers or []:
        arn = lb.get("targetGroupArn")
        found = elbv2_backends[backend.account_id][backend.region_name].target_groups.get(arn)
        if found is not None:
            group, path = arn, found.health_check_path or "/"
    rollouts.start(backend, service, previous, engine.fleet, path, group)
    return True
