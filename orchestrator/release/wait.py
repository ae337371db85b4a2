"""`release wait ENV [--timeout]`: block until the environment's release finishes.

Exit 0 when it succeeded, 1 when it failed, was stopped or rolled back, 124 when it is still running
at the timeout (as timeout(1)), so a pipeline or a person can script it.

The release waited for is the one the pipeline's latest execution makes in ENV's deploy stage: right
after `release start`, that deployment does not exist yet, and the environment's earlier deployment
(which succeeded long ago) must not answer for it. So, when the pipeline has executions, only a
deployment created after the latest one started counts; until it exists the wait follows the
execution, and exits 1 when the execution fails, is stopped or rejected before reaching ENV (or
succeeds without deploying it). Without any execution (an environment deployed by Terraform only),
the environment's latest deployment is the release.

- blue_green: the release is the group's latest deployment that is not a rollback (a rollback
  deployment means the release it rolls back failed). It finished when CodeDeploy reports it
  Succeeded, Failed or Stopped; a failed or stopped one exits 1 at once, naming its rollback
  deployment (which `release status` follows), whose progress does not change the verdict.
- rolling: the release is the ECS service's PRIMARY deployment when the wait starts. It finished
  when its rollout is COMPLETED (exit 0) or FAILED, or when ECS replaced it by a circuit-breaker
  rollback (exit 1).
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from config.schema import Environment, Strategy
from orchestrator.release.common import (
    CODEDEPLOY_ACTIVE,
    Release,
    ReleaseError,
    codedeploy_deployments,
    ecs_service,
    emit_json,
    error_code,
    open_release,
    say,
)

TIMED_OUT = 124
POLL_SECONDS = 5.0


@dataclass(frozen=True)
class Outcome:
    code: int
    message: str
    detail: dict[str, Any]


def run(args: argparse.Namespace) -> int:
    release = open_release(args)
    env = release.environment(args.environment)
    waiter = wait_blue_green if env.strategy is Strategy.BLUE_GREEN else wait_rolling
    outcome = waiter(release, env, args.timeout, args.interval)
    if args.json:
        emit_json({"environment": env.name, "exit_code": outcome.code, "message": outcome.message, **outcome.detail})
    say(f"{env.name}: {outcome.message}")
    return outcome.code


def _deadline(timeout: float) -> float:
    return time.monotonic() + timeout


@dataclass(frozen=True)
class Execution:
    """The pipeline's latest execution, as far as ENV's deploy stage is concerned."""

    id: str
    status: str
    started: Any
    """Its start time: the deployment it makes in ENV is created after it."""
    stage: str
    stopped_at: str | None
    """Where it failed or stopped, with the action's summary, if it did."""


def latest_execution(release: Release, env: Environment) -> Execution | None:
    """The pipeline's latest execution (None without a pipeline or an execution)."""
    codepipeline = release.client("codepipeline")
    name = release.names.pipeline
    try:
        summaries = codepipeline.list_pipeline_executions(pipelineName=name, maxResults=1)
        summaries = summaries.get("pipelineExecutionSummaries", [])
        if not summaries:
            return None
        state = codepipeline.get_pipeline_state(name=name)
    except ClientError as exc:
        if error_code(exc) == "PipelineNotFoundException":
            return None
        raise
    latest = summaries[0]
    stopped_at = None
    for stage in state.get("stageStates", []):
        if (stage.get("latestExecution") or {}).get("pipelineExecutionId") != latest["pipelineExecutionId"]:
            continue
        if stage["latestExecution"].get("status") in ("Failed", "Stopped", "Cancelled"):
            summaries_ = [
                (a.get("latestExecution") or {}).get("summary") or (a.get("latestExecution") or {}).get("status")
                for a in stage.get("actionStates", [])
                if (a.get("latestExecution") or {}).get("status") in ("Failed", "Stopped", "Abandoned")
            ]
            stopped_at = f"{stage['stageName']} ({'; '.join(str(x) for x in summaries_ if x) or 'failed'})"
    return Execution(
        latest["pipelineExecutionId"],
        str(latest.get("status")),
        latest.get("startTime"),
        release.names.deploy_stage(env.name),
        stopped_at,
    )


def _not_reaching(execution: Execution | None, env: Environment, reached: bool) -> Outcome | None:
    """Exit 1 when the latest execution ended without making ENV's deployment."""
    if execution is None or reached or execution.status == "InProgress":
        return None
    where = f" at {execution.stopped_at}" if execution.stopped_at else ""
    return Outcome(
        1,
        f"pipeline execution {execution.id} {execution.status.lower()}{where} before deploying {env.name} "
        f"({execution.stage})",
        {"execution": execution.id, "execution_status": execution.status},
    )


def _since(release: Release, env: Environment) -> Any:
    execution = latest_execution(release, env)
    return execution.started if execution else None


def wait_blue_green(release: Release, env: Environment, timeout: float, interval: float = POLL_SECONDS) -> Outcome:
    deadline = _deadline(timeout)
    announced: Any = None
    since = _since(release, env)
    while True:
        deployments = codedeploy_deployments(release, env)
        by_id = {d["deploymentId"]: d for d in deployments}
        releases = [d for d in deployments if d.get("creator") != "codeDeployRollback"]
        if since is not None:
            releases = [d for d in releases if d.get("createTime") and d["createTime"] >= since]
            if not releases:
                execution = latest_execution(release, env)
                ended = _not_reaching(execution, env, reached=False)
                if ended:
                    return ended
                if time.monotonic() + interval > deadline:
                    return Outcome(TIMED_OUT, f"no deployment of {env.name} yet after {timeout:g}s", {})
                if announced != "execution":
                    say(f"{env.name}: waiting for pipeline execution {execution.id if execution else '?'} to deploy it")
                    announced = "execution"
                time.sleep(interval)
                continue
        if not releases:
            raise ReleaseError(f"{env.name} has no CodeDeploy deployment to wait for")
        deployment = releases[-1]
        status, deployment_id = deployment.get("status"), deployment["deploymentId"]
        detail = {"deployment": deployment_id, "status": status}
        if status == "Succeeded":
            return Outcome(0, f"deployment {deployment_id} succeeded", detail)
        if status not in CODEDEPLOY_ACTIVE:
            error = deployment.get("errorInformation") or {}
            rollback_id = (deployment.get("rollbackInfo") or {}).get("rollbackDeploymentId")
            rollback = by_id.get(rollback_id) if rollback_id else None
            detail.update(
                error=error or None,
                rollback_deployment=rollback_id,
                rollback_status=rollback.get("status") if rollback else None,
            )
            how = (
                f"rolled back by {rollback_id} ({rollback.get('status') if rollback else 'unknown'})"
                if rollback_id
                else "not rolled back"
            )
            reason = f": {error.get('code')}: {error.get('message')}" if error else ""
            return Outcome(1, f"deployment {deployment_id} {str(status).lower()}{reason}; {how}", detail)
        if announced != (deployment_id, status):
            say(f"{env.name}: waiting for deployment {deployment_id} ({status})")
            announced = (deployment_id, status)
        if time.monotonic() + interval > deadline:
            return Outcome(TIMED_OUT, f"deployment {deployment_id} still {status} after {timeout:g}s", detail)
        time.sleep(interval)


def _rolling_release(
    release: Release, env: Environment, deadline: float, interval: float, since: Any
) -> dict[str, Any] | Outcome:
    """The deployment to wait for: the PRIMARY one, or, after an execution started, the first made since."""
    announced = False
    while True:
        service = ecs_service(release, env)
        if service is None:
            raise ReleaseError(f"{env.name} has no ECS service to wait for")
        deployments = service.get("deployments", [])
        if since is None:
            primary = next((d for d in deployments if d.get("status") == "PRIMARY"), None)
            if primary is None:
                raise ReleaseError(f"{env.name}: the service reports no deployment")
            return dict(primary)
        made = sorted(
            (d for d in deployments if d.get("createdAt") and d["createdAt"] >= since), key=lambda d: d["createdAt"]
        )
        if made:
            return dict(made[0])
        execution = latest_execution(release, env)
        ended = _not_reaching(execution, env, reached=False)
        if ended:
            return ended
        if time.monotonic() + interval > deadline:
            return Outcome(TIMED_OUT, f"no deployment of {env.name} yet", {})
        if not announced:
            say(f"{env.name}: waiting for pipeline execution {execution.id if execution else '?'} to deploy it")
            announced = True
        time.sleep(interval)


def wait_rolling(
    release: Release, env: Environment, timeout: float, interval: float = POLL_SECONDS, *, follow_pipeline: bool = True
) -> Outcome:
    """`follow_pipeline=False`: the PRIMARY deployment now (what `release rollback` has just started)."""
    deadline = _deadline(timeout)
    found = _rolling_release(release, env, deadline, interval, _since(release, env) if follow_pipeline else None)
    if isinstance(found, Outcome):
        return found
    primary = found
    service = ecs_service(release, env)
    release_id, task_definition = primary["id"], primary.get("taskDefinition")
    while True:
        deployments: dict[str, dict[str, Any]] = {d["id"]: d for d in (service or {}).get("deployments", [])}
        mine = deployments.get(release_id)
        current: dict[str, Any] = next((d for d in deployments.values() if d.get("status") == "PRIMARY"), {})
        detail = {"deployment": release_id, "task_definition": task_definition}
        if mine and mine.get("rolloutState") == "COMPLETED" and mine.get("status") == "PRIMARY":
            return Outcome(
                0,
                f"deployment {release_id} completed: {mine.get('runningCount')}/{mine.get('desiredCount')} tasks of "
                f"{str(task_definition).rsplit('/', 1)[-1]} running",
                {**detail, "rollout_state": "COMPLETED"},
            )
        if mine and mine.get("rolloutState") == "FAILED":
            return Outcome(
                1,
                f"deployment {release_id} failed: {mine.get('rolloutStateReason')}",
                {**detail, "rollout_state": "FAILED"},
            )
        if current and current.get("id") != release_id:
            reason = str(current.get("rolloutStateReason") or "")
            rolled_back = "rolling back" in reason.lower() or "circuit breaker" in reason.lower()
            what = "rolled back" if rolled_back else "superseded"
            return Outcome(
                1,
                f"deployment {release_id} was {what} by {current.get('id')} ({reason or 'no reason given'})",
                {**detail, "replaced_by": current.get("id")},
            )
        if time.monotonic() + interval > deadline:
            state = (mine or {}).get("rolloutState")
            return Outcome(TIMED_OUT, f"deployment {release_id} still {state} after {timeout:g}s", detail)
        say(
            f"{env.name}: waiting for deployment {release_id} ({(mine or {}).get('rolloutState')}, "
            f"{(mine or {}).get('runningCount')}/{(mine or {}).get('desiredCount')} running)"
        )
        time.sleep(interval)
        service = ecs_service(release, env)
