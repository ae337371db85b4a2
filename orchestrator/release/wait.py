"""`release wait ENV [--timeout]`: block until the environment's release finishes.

Exit 0 when it succeeded, 1 when it failed, was stopped or rolled back, 124 when it is still running
at the timeout (as timeout(1)), so a pipeline or a person can script it.

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

from config.schema import Environment, Strategy
from orchestrator.release.common import (
    CODEDEPLOY_ACTIVE,
    Release,
    ReleaseError,
    codedeploy_deployments,
    ecs_service,
    emit_json,
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


def wait_blue_green(release: Release, env: Environment, timeout: float, interval: float = POLL_SECONDS) -> Outcome:
    deadline = _deadline(timeout)
    announced = None
    while True:
        deployments = codedeploy_deployments(release, env)
        by_id = {d["deploymentId"]: d for d in deployments}
        releases = [d for d in deployments if d.get("creator") != "codeDeployRollback"]
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


def wait_rolling(release: Release, env: Environment, timeout: float, interval: float = POLL_SECONDS) -> Outcome:
    deadline = _deadline(timeout)
    service = ecs_service(release, env)
    if service is None:
        raise ReleaseError(f"{env.name} has no ECS service to wait for")
    primary = next((d for d in service.get("deployments", []) if d.get("status") == "PRIMARY"), None)
    if primary is None:
        raise ReleaseError(f"{env.name}: the service reports no deployment")
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
