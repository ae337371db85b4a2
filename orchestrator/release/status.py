"""`release status [ENV ...]`: where the latest pipeline execution is, and what each environment runs now.

The pipeline: the latest execution (its commit, status), each stage's latest execution and actions,
and what it waits on (an approval: for how long its token has been waiting). Per environment:
- rolling: the ECS service's deployments (PRIMARY and, mid-rollout, ACTIVE; rollout state,
  running/desired tasks, task definition and image) and the circuit breaker's outcome;
- blue_green: the group's deployment in progress (or the latest): status, lifecycle events,
  traffic shifted to green, error and rollback; which target group the production and test
  listeners forward to; the task definition and image each side (task set) runs.
"""

from __future__ import annotations

import argparse
from typing import Any

from botocore.exceptions import ClientError

from config.schema import Environment, Strategy
from orchestrator.release.common import (
    CODEDEPLOY_ACTIVE,
    Images,
    Release,
    age_seconds,
    codedeploy_deployments,
    duration,
    ecs_service,
    emit_json,
    error_code,
    image_tag,
    iso,
    listener_targets,
    open_release,
    production_port,
)


def run(args: argparse.Namespace) -> int:
    release = open_release(args)
    environments = release.environments(args.environments_wanted)
    report = {
        "pipeline": pipeline_status(release),
        "environments": {env.name: environment_status(release, env) for env in environments},
    }
    if args.json:
        emit_json(report)
    else:
        print("\n".join(_text(report)))
    return 0


def latest_execution(release: Release) -> dict[str, Any] | None:
    """The pipeline's newest execution summary, or None (none yet, or no pipeline)."""
    try:
        page = release.client("codepipeline").list_pipeline_executions(
            pipelineName=release.names.pipeline, maxResults=1
        )
    except ClientError as exc:
        if error_code(exc) == "PipelineNotFoundException":
            return None
        raise
    summaries = page.get("pipelineExecutionSummaries", [])
    return summaries[0] if summaries else None


def commit_of(summary: dict[str, Any] | None) -> str | None:
    revisions = (summary or {}).get("sourceRevisions") or []
    return revisions[0].get("revisionId") if revisions else None


def pipeline_status(release: Release) -> dict[str, Any]:
    name = release.names.pipeline
    codepipeline = release.client("codepipeline")
    try:
        state = codepipeline.get_pipeline_state(name=name)
    except ClientError as exc:
        if error_code(exc) == "PipelineNotFoundException":
            return {"pipeline": name, "found": False, "execution": None, "stages": [], "waiting": []}
        raise
    latest = latest_execution(release)
    latest_id = (latest or {}).get("pipelineExecutionId")
    stages, waiting = [], []
    for stage in state.get("stageStates", []):
        execution = stage.get("latestExecution") or {}
        actions = []
        for action in stage.get("actionStates", []):
            last = action.get("latestExecution") or {}
            actions.append(
                {
                    "action": action["actionName"],
                    "status": last.get("status"),
                    "since": iso(last.get("lastStatusChange")),
                    "summary": last.get("summary"),
                }
            )
            if last.get("status") != "InProgress":
                continue
            env = release.approval_stage_of(stage["stageName"])
            if last.get("token"):
                waiting.append(
                    {
                        "stage": stage["stageName"],
                        "action": action["actionName"],
                        "on": "approval",
                        "environment": env.name if env else None,
                        "token_age_seconds": age_seconds(last.get("lastStatusChange")),
                        "execution": execution.get("pipelineExecutionId"),
                    }
                )
            else:
                waiting.append(
                    {
                        "stage": stage["stageName"],
                        "action": action["actionName"],
                        "on": "action",
                        "running_seconds": age_seconds(last.get("lastStatusChange")),
                        "execution": execution.get("pipelineExecutionId"),
                    }
                )
        stages.append(
            {
                "stage": stage["stageName"],
                "status": execution.get("status"),
                "execution": execution.get("pipelineExecutionId"),
                "latest": bool(latest_id) and execution.get("pipelineExecutionId") == latest_id,
                "actions": actions,
            }
        )
    summary = None
    if latest:
        summary = {
            "id": latest_id,
            "status": latest.get("status"),
            "commit": commit_of(latest),
            "started": iso(latest.get("startTime")),
            "updated": iso(latest.get("lastUpdateTime")),
            "trigger": (latest.get("trigger") or {}).get("triggerType"),
        }
    return {"pipeline": name, "found": True, "execution": summary, "stages": stages, "waiting": waiting}


def environment_status(release: Release, env: Environment) -> dict[str, Any]:
    if env.strategy is Strategy.ROLLING:
        return {"strategy": str(env.strategy), **rolling_status(release, env)}
    return {"strategy": str(env.strategy), **blue_green_status(release, env)}


def rolling_status(release: Release, env: Environment) -> dict[str, Any]:
    service = ecs_service(release, env)
    if service is None:
        return {"service": None, "deployments": [], "circuit_breaker": None}
    images = Images(release, env)
    deployments = [
        {
            "id": d.get("id"),
            "status": d.get("status"),
            "rollout_state": d.get("rolloutState"),
            "rollout_reason": d.get("rolloutStateReason"),
            "running": d.get("runningCount"),
            "desired": d.get("desiredCount"),
            "pending": d.get("pendingCount"),
            "failed_tasks": d.get("failedTasks"),
            "task_definition": d.get("taskDefinition"),
            "image": images(d.get("taskDefinition")),
            "created": iso(d.get("createdAt")),
            "updated": iso(d.get("updatedAt")),
        }
        for d in service.get("deployments", [])
    ]
    breaker = (service.get("deploymentConfiguration") or {}).get("deploymentCircuitBreaker") or {}
    tripped = [
        d
        for d in deployments
        if d["rollout_state"] == "FAILED" or "circuit breaker" in str(d["rollout_reason"] or "").lower()
    ]
    return {
        "service": service.get("serviceName"),
        "task_definition": service.get("taskDefinition"),
        "image": images(service.get("taskDefinition")),
        "running": service.get("runningCount"),
        "desired": service.get("desiredCount"),
        "deployments": deployments,
        "circuit_breaker": {
            "enabled": breaker.get("enable"),
            "rollback": breaker.get("rollback"),
            "outcome": f"tripped: {tripped[0]['rollout_reason']}" if tripped else "not tripped",
        },
    }


def deployment_targets(release: Release, env: Environment, deployment_id: str) -> list[dict[str, Any]]:
    """The deployment's ECS targets (empty before it has started)."""
    codedeploy = release.client("codedeploy", env)
    try:
        ids = codedeploy.list_deployment_targets(deploymentId=deployment_id).get("targetIds", [])
        if not ids:
            return []
        found = codedeploy.batch_get_deployment_targets(deploymentId=deployment_id, targetIds=ids)
    except ClientError as exc:
        if error_code(exc) == "DeploymentNotStartedException":
            return []
        raise
    return [t["ecsTarget"] for t in found.get("deploymentTargets", []) if t.get("ecsTarget")]


def describe_deployment(release: Release, env: Environment, info: dict[str, Any]) -> dict[str, Any]:
    targets = deployment_targets(release, env, info["deploymentId"])
    events = [
        {"event": e.get("lifecycleEventName"), "status": e.get("status")}
        for t in targets
        for e in t.get("lifecycleEvents", [])
    ]
    task_sets = [
        {
            "label": s.get("taskSetLabel"),
            "traffic_weight": s.get("trafficWeight"),
            "target_group": (s.get("targetGroup") or {}).get("name"),
            "status": s.get("status"),
            "running": s.get("runningCount"),
            "desired": s.get("desiredCount"),
        }
        for t in targets
        for s in t.get("taskSetsInfo", [])
    ]
    green = next((s for s in task_sets if s["label"] == "Green"), None)
    return {
        "id": info["deploymentId"],
        "status": info.get("status"),
        "creator": info.get("creator"),
        "description": info.get("description"),
        "created": iso(info.get("createTime")),
        "completed": iso(info.get("completeTime")),
        "overview": info.get("deploymentOverview"),
        "error": info.get("errorInformation"),
        "rollback": info.get("rollbackInfo"),
        "lifecycle_events": events,
        "traffic_shifted_percent": green["traffic_weight"] if green else 0.0,
        "task_sets": task_sets,
    }


def blue_green_status(release: Release, env: Environment) -> dict[str, Any]:
    names = release.env_names(env)
    deployments = codedeploy_deployments(release, env)
    active = [d for d in deployments if d.get("status") in CODEDEPLOY_ACTIVE]
    current = active[-1] if active else (deployments[-1] if deployments else None)
    listeners = listener_targets(release, env)
    production = listeners.get(production_port(env), {})
    test = listeners.get(env.deployment.blue_green.test_listener_port, {})
    live = production.get("target_group")
    images = Images(release, env)
    service = ecs_service(release, env)
    sides = []
    if service is not None:
        task_sets = service.get("taskSets") or []
        groups = {
            a: n for a, n in ((x.get("target_group_arn"), x.get("target_group")) for x in listeners.values()) if a
        }
        if task_sets:
            for task_set in task_sets:
                arn = next((lb.get("targetGroupArn") for lb in task_set.get("loadBalancers", [])), None)
                sides.append(
                    {
                        "task_set": task_set.get("id"),
                        "status": task_set.get("status"),
                        "target_group": groups.get(arn, arn.rsplit("/", 2)[-2] if arn else None),
                        "task_definition": task_set.get("taskDefinition"),
                        "image": images(task_set.get("taskDefinition")),
                        "running": task_set.get("runningCount"),
                        "desired": task_set.get("computedDesiredCount"),
                    }
                )
        else:  # no task sets reported: the service's own task definition and target group are the one side
            arn = next((lb.get("targetGroupArn") for lb in service.get("loadBalancers", [])), None)
            sides.append(
                {
                    "task_set": None,
                    "status": "PRIMARY",
                    "target_group": groups.get(arn, arn.rsplit("/", 2)[-2] if arn else None),
                    "task_definition": service.get("taskDefinition"),
                    "image": images(service.get("taskDefinition")),
                    "running": service.get("runningCount"),
                    "desired": service.get("desiredCount"),
                }
            )
    for side in sides:
        side["live"] = side["target_group"] == live
    return {
        "application": names.codedeploy_app,
        "deployment_group": names.codedeploy_group,
        "deployment": describe_deployment(release, env, current) if current else None,
        "in_progress": bool(active),
        "live_target_group": live,
        "test_target_group": test.get("target_group"),
        "sides": sides,
    }


def _text(report: dict[str, Any]) -> list[str]:
    lines = []
    pipeline = report["pipeline"]
    if not pipeline["found"]:
        lines.append(f"pipeline {pipeline['pipeline']}: not found (deploy the release stack)")
    else:
        execution = pipeline["execution"]
        if execution:
            lines.append(
                f"pipeline {pipeline['pipeline']}: execution {execution['id']} {execution['status']}"
                f" (commit {execution['commit'] or 'unknown'}, started {execution['started']})"
            )
        else:
            lines.append(f"pipeline {pipeline['pipeline']}: no execution yet")
        for stage in pipeline["stages"]:
            actions = ", ".join(f"{a['action']} {a['status'] or '-'}" for a in stage["actions"])
            mark = "" if stage["latest"] or not stage["status"] else f" (execution {stage['execution']})"
            lines.append(f"  {stage['stage']:<22} {stage['status'] or '-':<11} {actions}{mark}")
            for action in stage["actions"]:
                if action["status"] == "Failed" and action["summary"]:  # why the execution stopped here
                    lines.append(f"    {action['action']} failed: {action['summary']}")
        for wait in pipeline["waiting"]:
            if wait["on"] == "approval":
                lines.append(
                    f"  waiting: {wait['stage']} for a person for {duration(wait['token_age_seconds'])} "
                    f"(python main.py release approve {wait['environment']})"
                )
            else:
                lines.append(f"  running: {wait['stage']}/{wait['action']} for {duration(wait['running_seconds'])}")
    for name, env in report["environments"].items():
        lines.append(f"{name} ({env['strategy']}):")
        if env["strategy"] == "rolling":
            if env["service"] is None:
                lines.append("  no service")
                continue
            for d in env["deployments"]:
                lines.append(
                    f"  {d['status']:<8} {d['rollout_state'] or '-':<11} {d['running']}/{d['desired']} running  "
                    f"{d['task_definition']}  image {image_tag(d['image']) or d['image']}"
                )
            breaker = env["circuit_breaker"]
            lines.append(f"  circuit breaker: {'on' if breaker['enabled'] else 'off'}, {breaker['outcome']}")
            continue
        deployment = env["deployment"]
        if deployment:
            lines.append(
                f"  deployment {deployment['id']} {deployment['status']} (by {deployment['creator']}), "
                f"{deployment['traffic_shifted_percent']:g}% shifted to green"
            )
            current = next((e for e in deployment["lifecycle_events"] if e["status"] in ("InProgress", "Failed")), None)
            if current:
                lines.append(f"    lifecycle: {current['event']} {current['status']}")
            if deployment["error"]:
                lines.append(f"    error: {deployment['error'].get('code')}: {deployment['error'].get('message')}")
            if deployment["rollback"]:
                lines.append(f"    rollback: {deployment['rollback']}")
        else:
            lines.append("  no deployment yet")
        lines.append(
            f"  production listener -> {env['live_target_group']}, test listener -> {env['test_target_group']}"
        )
        for side in env["sides"]:
            lines.append(
                f"  {'live ' if side['live'] else 'idle '}{side['target_group']}: {side['task_definition']}  "
                f"image {image_tag(side['image']) or side['image']}"
            )
    return lines
