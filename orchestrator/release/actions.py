"""`release start | approve | reject | rollback`: the steps of a release a person takes."""

from __future__ import annotations

import argparse
from typing import Any

from botocore.exceptions import ClientError

from artifacts.render import InvalidCommit, validate_commit
from config.schema import Environment, Strategy
from orchestrator.release import wait
from orchestrator.release.common import (
    CODEDEPLOY_ACTIVE,
    Images,
    Release,
    ReleaseError,
    codedeploy_deployments,
    ecs_service,
    emit_json,
    error_code,
    image_tag,
    open_release,
    say,
)


def start(args: argparse.Namespace) -> int:
    """StartPipelineExecution: the branch's latest commit, or `--commit`."""
    release = open_release(args)
    request: dict[str, Any] = {"name": release.names.pipeline}
    if args.commit:
        try:
            commit = validate_commit(args.commit)
        except InvalidCommit as exc:
            raise ReleaseError(f"--commit: {exc}", code=2) from exc
        request["sourceRevisions"] = [{"actionName": "Source", "revisionType": "COMMIT_ID", "revisionValue": commit}]
    try:
        execution = release.client("codepipeline").start_pipeline_execution(**request)["pipelineExecutionId"]
    except ClientError as exc:
        if error_code(exc) == "PipelineNotFoundException":
            raise ReleaseError(f"no pipeline {release.names.pipeline}: deploy the release stack first") from exc
        raise
    what = f"commit {args.commit}" if args.commit else f"the latest commit of {release.project.settings.gitlab.branch}"
    if args.json:
        emit_json({"pipeline": release.names.pipeline, "execution": execution, "commit": args.commit})
    else:
        print(execution)
    say(f"started {release.names.pipeline} execution {execution} ({what}); follow it: python main.py release status")
    return 0


def approve(args: argparse.Namespace) -> int:
    return _answer(args, "Approved", args.summary or "Approved with python main.py release approve")


def reject(args: argparse.Namespace) -> int:
    return _answer(args, "Rejected", args.reason)


def _answer(args: argparse.Namespace, status: str, summary: str) -> int:
    """PutApprovalResult with the token of the environment's approval in progress."""
    release = open_release(args)
    env = release.environment(args.environment)
    if not env.release.approval_emails:
        raise ReleaseError(
            f"{env.name} has no manual approval: its release.approval_emails is empty, so the pipeline deploys it "
            "without asking",
            code=2,
        )
    stage, action = release.names.approval_stage(env.name), release.names.approval_action
    codepipeline = release.client("codepipeline")
    try:
        state = codepipeline.get_pipeline_state(name=release.names.pipeline)
    except ClientError as exc:
        if error_code(exc) == "PipelineNotFoundException":
            raise ReleaseError(f"no pipeline {release.names.pipeline}: deploy the release stack first") from exc
        raise
    found = next((s for s in state.get("stageStates", []) if s["stageName"] == stage), None)
    latest = next(
        (a.get("latestExecution") or {} for a in (found or {}).get("actionStates", []) if a["actionName"] == action),
        {},
    )
    if latest.get("status") != "InProgress" or not latest.get("token"):
        last = latest.get("status") or "never run"
        raise ReleaseError(f"no approval is pending for {env.name}: {stage} is {last}")
    execution = ((found or {}).get("latestExecution") or {}).get("pipelineExecutionId")
    summary = f"{summary} (by {_caller(release)})"
    try:
        answered = codepipeline.put_approval_result(
            pipelineName=release.names.pipeline,
            stageName=stage,
            actionName=action,
            result={"summary": summary[:512], "status": status},
            token=latest["token"],
        )
    except ClientError as exc:
        if error_code(exc) in ("InvalidApprovalTokenException", "ApprovalAlreadyCompletedException"):
            raise ReleaseError(f"the approval for {env.name} was answered meanwhile ({error_code(exc)})") from exc
        raise
    if args.json:
        emit_json(
            {"environment": env.name, "stage": stage, "execution": execution, "result": status, "summary": summary}
        )
    verb = "approved" if status == "Approved" else "rejected"
    say(f"{verb} {stage} of execution {execution} at {answered.get('approvedAt')}")
    return 0


def _caller(release: Release) -> str:
    try:
        return str(release.client("sts").get_caller_identity()["Arn"])
    except ClientError:
        return "unknown caller"


def rollback(args: argparse.Namespace) -> int:
    release = open_release(args)
    env = release.environment(args.environment)
    if env.strategy is Strategy.BLUE_GREEN:
        result = _rollback_blue_green(release, env)
    else:
        result = _rollback_rolling(release, env, args.timeout)
    if args.json:
        emit_json(result)
    return 0


def _rollback_blue_green(release: Release, env: Environment) -> dict[str, Any]:
    """Stop the deployment in progress with rollback; with none, redeploy the previous revision."""
    codedeploy = release.client("codedeploy", env)
    names = release.env_names(env)
    deployments = codedeploy_deployments(release, env)
    active = [d for d in deployments if d.get("status") in CODEDEPLOY_ACTIVE]
    if active:
        deployment = active[-1]
        try:
            stopped = codedeploy.stop_deployment(deploymentId=deployment["deploymentId"], autoRollbackEnabled=True)
        except ClientError as exc:
            if error_code(exc) == "DeploymentAlreadyCompletedException":
                raise ReleaseError(f"{deployment['deploymentId']} completed meanwhile: run the rollback again") from exc
            raise
        info = codedeploy.get_deployment(deploymentId=deployment["deploymentId"])["deploymentInfo"]
        rollback_id = (info.get("rollbackInfo") or {}).get("rollbackDeploymentId")
        say(
            f"{env.name}: stopped {deployment['deploymentId']} with rollback ({stopped.get('status')}: "
            f"{stopped.get('statusMessage')})"
            + (f"; rollback deployment {rollback_id}" if rollback_id else "")
            + f". Watch it: python main.py release wait {env.name}"
        )
        return {
            "environment": env.name,
            "action": "stopped",
            "deployment": deployment["deploymentId"],
            "stop_status": stopped.get("status"),
            "rollback_deployment": rollback_id,
        }
    succeeded = [d for d in deployments if d.get("status") == "Succeeded"]
    if not succeeded:
        raise ReleaseError(f"nothing to roll back to: {env.name} has no successful CodeDeploy deployment yet")
    current = succeeded[-1]
    target = current.get("previousRevision") or (succeeded[-2]["revision"] if len(succeeded) > 1 else None)
    if not target:
        raise ReleaseError(
            f"nothing to roll back to: {current['deploymentId']} is {env.name}'s first successful deployment, "
            "no earlier revision exists"
        )
    created = codedeploy.create_deployment(
        applicationName=names.codedeploy_app,
        deploymentGroupName=names.codedeploy_group,
        revision=_stored_revision(codedeploy, names.codedeploy_app, target),
        description=f"Rollback of {current['deploymentId']} to the revision before it (python main.py release rollback)",
    )["deploymentId"]
    say(
        f"{env.name}: no deployment in progress; redeploying the revision before {current['deploymentId']} "
        f"as {created}. Watch it: python main.py release wait {env.name}"
    )
    return {"environment": env.name, "action": "redeployed", "replaces": current["deploymentId"], "deployment": created}


def _stored_revision(codedeploy: Any, application: str, listed: dict[str, Any]) -> dict[str, Any]:
    """The revision `listed` (as BatchGetDeployments lists it) with its AppSpec text, to deploy again.

    AWS lists an AppSpecContent revision in a deployment's `revision`/`previousRevision` by its sha256
    only, without `content`; GetApplicationRevision returns the content (botocore codedeploy
    GetApplicationRevisionOutput; kayac/ecspresso rollback.go reads a deployment's AppSpec so)."""
    if listed.get("revisionType") not in ("AppSpecContent", "String"):
        return listed  # S3 or GitHub: the location itself is the revision
    try:
        revision: dict[str, Any] = codedeploy.get_application_revision(applicationName=application, revision=listed)[
            "revision"
        ]
    except ClientError as exc:
        if error_code(exc) == "RevisionDoesNotExistException":
            raise ReleaseError(f"nothing to roll back to: CodeDeploy no longer has the revision {listed}") from exc
        raise
    member = "appSpecContent" if revision.get("revisionType") == "AppSpecContent" else "string"
    if not (revision.get(member) or {}).get("content"):
        raise ReleaseError(f"nothing to roll back to: GetApplicationRevision returned no AppSpec for {listed}")
    return {"revisionType": revision["revisionType"], member: {"content": revision[member]["content"]}}


def _rollback_rolling(release: Release, env: Environment, timeout: float) -> dict[str, Any]:
    """UpdateService to the previous task definition, wait for the rollout, then deregister the one it left."""
    names = release.env_names(env)
    ecs = release.client("ecs", env)
    service = ecs_service(release, env)
    if service is None:
        raise ReleaseError(f"{env.name}: no service {names.cluster}/{names.ecs_service} to roll back")
    current = service["taskDefinition"]
    active = [d for d in service.get("deployments", []) if d.get("status") == "ACTIVE" and d.get("taskDefinition")]
    if active:  # a rollout in progress: back to what ran before it
        target = active[0]["taskDefinition"]
    else:
        revision = int(current.rsplit(":", 1)[1])
        family = current.rsplit("/", 1)[-1].rsplit(":", 1)[0]
        earlier = sorted(
            (
                arn
                for arn in ecs.list_task_definitions(familyPrefix=family, status="ACTIVE", sort="DESC").get(
                    "taskDefinitionArns", []
                )
                if arn.rsplit("/", 1)[-1].rsplit(":", 1)[0] == family and int(arn.rsplit(":", 1)[1]) < revision
            ),
            key=lambda arn: int(arn.rsplit(":", 1)[1]),
        )
        if not earlier:
            raise ReleaseError(f"nothing to roll back to: {current} is the only revision of {family} left")
        target = earlier[-1]  # the newest before the current one
    images = Images(release, env)
    say(
        f"{env.name}: rolling {names.ecs_service} back from {current.rsplit('/', 1)[-1]} "
        f"(image {image_tag(images(current))}) to {target.rsplit('/', 1)[-1]} (image {image_tag(images(target))})"
    )
    ecs.update_service(cluster=names.cluster, service=names.ecs_service, taskDefinition=target)
    outcome = wait.wait_rolling(release, env, timeout, follow_pipeline=False)
    if outcome.code != 0:
        raise ReleaseError(f"{env.name}: the rollback did not complete: {outcome.message}")
    say(f"{env.name}: {outcome.message}")
    # As kayac/ecspresso's rollback does: the revision rolled back from is deregistered, so the family's latest
    # ACTIVE revision, which Terraform's task definition tracks (modules/ecs_service.py), is again the one the
    # service runs, and the next plan is clean instead of registering a copy of it.
    ecs.deregister_task_definition(taskDefinition=current)
    say(f"{env.name}: deregistered {current.rsplit('/', 1)[-1]}, the revision rolled back from")
    return {"environment": env.name, "action": "rolled back", "from": current, "to": target}
