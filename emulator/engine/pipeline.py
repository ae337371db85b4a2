"""CodePipeline executions, run stage by stage as CodePipeline runs them, each action as its role.

Rules played (CodePipeline user guide, "How pipeline executions are processed" and the action
reference): stages run in order and a stage's actions by runOrder; an action that fails fails its stage
and the execution (later stages do not run); artifacts pass through the pipeline's artifact store (S3),
written and read with the credentials of the pipeline's service role or the CodeBuild project's role;
a source action's output variables (``#{SourceVariables.CommitId}``) resolve in later actions'
configuration; a manual approval publishes to its NotificationArn as the pipeline role, waits for
PutApprovalResult, and a rejection fails the stage; the ECS deploy action registers a revision of the
service's current task definition with the image of imagedefinitions.json and updates the service,
then waits for the deployment; CodeDeployToECS registers taskdef.json with ``<IMAGE1_NAME>`` replaced
by imageDetail.json's ImageURI, puts the new ARN at ``<TASK_DEFINITION>`` in appspec.yaml, creates the
deployment and waits for it.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import re
import subprocess
import time
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError
from moto.core.utils import utcnow

from emulator.compat import codepipeline as cp
from emulator.engine import build
from emulator.engine.aws import Aws, Session

log = logging.getLogger("emulator.engine")
REGISTER_KEYS = (
    "family",
    "taskRoleArn",
    "executionRoleArn",
    "networkMode",
    "containerDefinitions",
    "volumes",
    "placementConstraints",
    "requiresCompatibilities",
    "cpu",
    "memory",
    "runtimePlatform",
    "tags",
)
_VARIABLE = re.compile(r"#\{([A-Za-z0-9_@\-]+)\.([A-Za-z0-9_@\-]+)\}")


class ActionFailed(Exception):
    """The action failed: its summary, as GetPipelineState shows it."""

    def __init__(self, message: str, code: str = "JobFailed"):
        super().__init__(message)
        self.code = code


@dataclass
class Run:
    """One execution in progress."""

    aws: Aws
    work: Path
    source_repo: Path
    pipeline: Any
    execution: Any
    session: Session
    artifacts: dict[str, tuple[str, str]] = field(default_factory=dict)
    variables: dict[str, dict[str, str]] = field(default_factory=dict)
    timeouts: dict[str, float] = field(default_factory=dict)

    @property
    def definition(self) -> dict[str, Any]:
        return dict(self.pipeline.pipeline)

    def client(self, service: str, session: Session | None = None) -> Any:
        return self.aws.client(service, session or self.session)

    def resolve(self, value: str) -> str:
        return _VARIABLE.sub(lambda m: self.variables.get(m.group(1), {}).get(m.group(2), m.group(0)), value)

    def read(self, artifact: str, session: Session | None = None) -> bytes:
        bucket, key = self.artifacts[artifact]
        body: bytes = self.client("s3", session).get_object(Bucket=bucket, Key=key)["Body"].read()
        return body

    def write(self, artifact: str, data: bytes, session: Session | None = None) -> None:
        bucket = self.definition["artifactStore"]["location"]
        key = f"{self.definition['name'][:20]}/{artifact[:10]}/{uuid.uuid4().hex[:7]}"
        self.client("s3", session).put_object(Bucket=bucket, Key=key, Body=data)
        self.artifacts[artifact] = (bucket, key)

    def file(self, artifact: str, path: str) -> bytes:
        with zipfile.ZipFile(io.BytesIO(self.read(artifact))) as archive:
            try:
                return archive.read(path)
            except KeyError as exc:
                raise ActionFailed(f"{path} not found in the input artifact {artifact}") from exc


def _error(exc: ClientError) -> str:
    """`Code: Message`; moto answers some JSON services' AccessDenied as an XML body, read it too."""
    error = exc.response.get("Error", {})
    code, message = str(error.get("Code", "")), str(error.get("Message", ""))
    body = message if "<Message>" in message else ""
    if body:
        found = re.search(r"<Code>(.*?)</Code>.*?<Message>(.*?)</Message>", body, re.S)
        if found:
            code, message = found.group(1), found.group(2)
    return f"{code}: {message}"


def _action_state(run: Run, stage: str, action: str) -> cp.ActionState:
    return cp._state(run.execution).stages[stage].actions[action]


def _mark(run: Run, stage: dict[str, Any], action: str, status: str, summary: str | None = None) -> None:
    state = _action_state(run, stage["name"], action)
    state.status, state.changed, state.summary = status, utcnow(), summary
    states = [a.status for a in cp._state(run.execution).stages[stage["name"]].actions.values()]
    stage_state = cp._state(run.execution).stages[stage["name"]]
    if status == "Failed":
        stage_state.status = "Failed"
    elif len(states) == len(stage["actions"]) and all(s == "Succeeded" for s in states):
        stage_state.status = "Succeeded"
    cp._refresh(run.execution, run.definition)


def execute(run: Run) -> None:
    """Every stage in order; stops at the first failed action (or a rejection)."""
    for stage in run.definition["stages"]:
        cp._set_stage(run.execution, stage, "InProgress")
        cp._state(run.execution).stages[stage["name"]].actions = {}  # each action shows once it starts
        cp._refresh(run.execution, run.definition)
        for action in sorted(stage["actions"], key=lambda a: int(a.get("runOrder", 1))):
            kind = action["actionTypeId"]
            token = str(uuid.uuid4()) if kind["category"] == "Approval" else None
            cp._state(run.execution).stages[stage["name"]].actions[action["name"]] = cp.ActionState(
                status="InProgress", changed=utcnow(), token=token
            )
            try:
                summary = ACTIONS[(kind["category"], kind["provider"])](run, stage, action)
            except ActionFailed as exc:
                log.warning("%s %s/%s failed: %s", run.definition["name"], stage["name"], action["name"], exc)
                _mark(run, stage, action["name"], "Failed", f"{exc.code}: {exc}")
                return
            except ClientError as exc:
                message = f"{_error(exc)} ({exc.operation_name})"
                log.warning("%s %s/%s failed: %s", run.definition["name"], stage["name"], action["name"], message)
                _mark(run, stage, action["name"], "Failed", message)
                return
            except Exception as exc:  # the engine's own fault must still end the execution
                log.exception("engine error")
                _mark(run, stage, action["name"], "Failed", f"InternalError: {type(exc).__name__}: {exc}")
                return
            if _action_state(run, stage["name"], action["name"]).status == "InProgress":
                _mark(run, stage, action["name"], "Succeeded", summary)
            elif _action_state(run, stage["name"], action["name"]).status != "Succeeded":
                return  # a rejected approval: PutApprovalResult failed the stage
    cp._refresh(run.execution, run.definition)


def source(run: Run, stage: dict[str, Any], action: dict[str, Any]) -> str:
    """CodeStarSourceConnection (CODE_ZIP): the commit's tree as a zip in the artifact store."""
    state = cp._state(run.execution)
    branch = action.get("configuration", {}).get("BranchName", "HEAD")
    commit = state.source_revision
    if not commit:
        found = subprocess.run(
            ["git", "rev-parse", "--verify", f"{branch}^{{commit}}"],
            cwd=run.source_repo,
            capture_output=True,
            text=True,
            check=False,
        )
        if found.returncode != 0:
            found = subprocess.run(["git", "rev-parse", "HEAD"], cwd=run.source_repo, capture_output=True, text=True)
        commit = found.stdout.strip()
        state.source_revision = commit
    archive = subprocess.run(
        ["git", "archive", "--format=zip", commit], cwd=run.source_repo, capture_output=True, check=False
    )
    if archive.returncode != 0:
        raise ActionFailed(f"commit {commit} not found in {branch}: {archive.stderr.decode(errors='replace')[:200]}")
    for name in action.get("outputArtifacts") or []:
        run.write(name["name"], archive.stdout)
    if action.get("namespace"):
        run.variables[action["namespace"]] = {"CommitId": commit, "BranchName": branch}
    return f"commit {commit}"


def s3_source(run: Run, stage: dict[str, Any], action: dict[str, Any]) -> str:
    """S3 source: the object (a zip) as the output artifact, read as the pipeline role."""
    config = action.get("configuration", {})
    found = run.client("s3").get_object(Bucket=config["S3Bucket"], Key=config["S3ObjectKey"])
    for name in action.get("outputArtifacts") or []:
        run.write(name["name"], found["Body"].read())
    return f"s3://{config['S3Bucket']}/{config['S3ObjectKey']}"


def codebuild(run: Run, stage: dict[str, Any], action: dict[str, Any]) -> str:
    from moto.codebuild.models import codebuild_backends

    config = action.get("configuration", {})
    name = config["ProjectName"]
    build_id = run.client("codebuild").start_build(projectName=name)["build"]["id"]  # as the pipeline role
    project = codebuild_backends[run.aws.account][run.aws.region].codebuild_projects[name].project_metadata
    role = run.aws.assume(project["serviceRole"], f"AWSCodeBuild-{build_id.split(':')[-1]}")
    inputs = [a["name"] for a in action.get("inputArtifacts") or []]
    source_zip = run.read(inputs[0], role)
    variables = {
        str(v["name"]): run.resolve(str(v["value"]))
        for v in [
            *(project["environment"].get("environmentVariables") or []),
            *json.loads(config.get("EnvironmentVariables") or "[]"),
        ]
    }
    commit = cp._state(run.execution).source_revision or ""
    variables.update(
        CODEBUILD_BUILD_ID=build_id,
        CODEBUILD_BUILD_ARN=f"arn:aws:codebuild:{run.aws.region}:{run.aws.account}:build/{build_id}",
        CODEBUILD_INITIATOR=f"codepipeline/{run.definition['name']}",
        CODEBUILD_RESOLVED_SOURCE_VERSION=commit,
        CODEBUILD_SOURCE_VERSION=f"arn:aws:s3:::{'/'.join(run.artifacts[inputs[0]])}",
        **run.aws.env(),
    )
    work = run.work / "builds" / build_id.replace(":", "-")
    try:
        done = build.run(
            work,
            source_zip,
            str(project["source"].get("buildspec") or "buildspec.yml"),
            variables,
            role.env(),
            run.work / "images",
            timeout=run.timeouts.get("build", 1800.0),
        )
    except build.BuildFailed as exc:
        raise ActionFailed(f"build {build_id} failed: {exc}", code="BuildFailed") from exc
    for out in action.get("outputArtifacts") or []:
        if done.artifact is None:
            raise ActionFailed(f"{name}'s buildspec declares no artifacts")
        run.write(out["name"], done.artifact, role)
    return f"build {build_id} succeeded (log {done.log})"


def approval(run: Run, stage: dict[str, Any], action: dict[str, Any]) -> str:
    """Publish the approval request, then wait for PutApprovalResult (AWS: 7 days at most)."""
    config = action.get("configuration", {})
    state = _action_state(run, stage["name"], action["name"])
    if config.get("NotificationArn"):
        message = {
            "region": run.aws.region,
            "consoleLink": "(local emulator)",
            "approval": {
                "pipelineName": run.definition["name"],
                "stageName": stage["name"],
                "actionName": action["name"],
                "token": state.token,
                "customData": config.get("CustomData"),
            },
        }
        run.client("sns").publish(
            TopicArn=config["NotificationArn"],
            Subject=f"APPROVAL NEEDED: AWS CodePipeline {run.definition['name']} for action {action['name']}",
            Message=json.dumps(message),
        )
        log.warning("approval requested on %s: %s", config["NotificationArn"], json.dumps(message))
    deadline = time.monotonic() + run.timeouts.get("approval", 7 * 24 * 3600.0)
    while state.status == "InProgress":
        if time.monotonic() > deadline:
            raise ActionFailed("the approval was not answered in time", code="ApprovalExpired")
        time.sleep(0.2)
    return state.summary or ""


def ecs_deploy(run: Run, stage: dict[str, Any], action: dict[str, Any]) -> str:
    config = action["configuration"]
    cluster, name = config["ClusterName"], config["ServiceName"]
    inputs = [a["name"] for a in action.get("inputArtifacts") or []]
    definitions = json.loads(run.file(inputs[0], config.get("FileName", "imagedefinitions.json")))
    images = {d["name"]: d["imageUri"] for d in definitions}
    ecs = run.client("ecs")
    service = ecs.describe_services(cluster=cluster, services=[name])["services"][0]
    current = ecs.describe_task_definition(taskDefinition=service["taskDefinition"], include=["TAGS"])
    definition = current["taskDefinition"]
    for container in definition["containerDefinitions"]:
        if container["name"] in images:
            container["image"] = images[container["name"]]
    request = {k: definition[k] for k in REGISTER_KEYS if definition.get(k)}
    if current.get("tags"):
        request["tags"] = current["tags"]
    arn = ecs.register_task_definition(**request)["taskDefinition"]["taskDefinitionArn"]
    ecs.update_service(cluster=cluster, service=name, taskDefinition=arn)
    deadline = time.monotonic() + run.timeouts.get("ecs", 3600.0)
    while time.monotonic() < deadline:
        deployments = ecs.describe_services(cluster=cluster, services=[name])["services"][0]["deployments"]
        mine = next((d for d in deployments if d["taskDefinition"] == arn), None)
        if mine is None or mine.get("rolloutState") == "FAILED":
            reason = (mine or {}).get("rolloutStateReason") or "the deployment was rolled back"
            raise ActionFailed(f"ECS deployment of {arn} failed: {reason}", code="DeploymentFailed")
        if mine.get("rolloutState") == "COMPLETED" and mine.get("status") == "PRIMARY" and len(deployments) == 1:
            return f"{cluster}/{name} runs {arn}"
        time.sleep(0.5)
    raise ActionFailed(f"ECS deployment of {arn} did not finish in time", code="DeploymentTimedOut")


def codedeploy_to_ecs(run: Run, stage: dict[str, Any], action: dict[str, Any]) -> str:
    config = action["configuration"]
    taskdef = run.file(config["TaskDefinitionTemplateArtifact"], config["TaskDefinitionTemplatePath"]).decode()
    appspec = run.file(config["AppSpecTemplateArtifact"], config["AppSpecTemplatePath"]).decode()
    detail = json.loads(run.file(config["Image1ArtifactName"], "imageDetail.json"))
    placeholder = f"<{config.get('Image1ContainerName', 'IMAGE1_NAME')}>"
    if placeholder not in taskdef:
        raise ActionFailed(f"{config['TaskDefinitionTemplatePath']} has no {placeholder} placeholder")
    definition = json.loads(taskdef.replace(placeholder, detail["ImageURI"]))
    ecs = run.client("ecs")
    arn = ecs.register_task_definition(**definition)["taskDefinition"]["taskDefinitionArn"]
    content = appspec.replace("<TASK_DEFINITION>", arn)
    codedeploy = run.client("codedeploy")
    deployment = codedeploy.create_deployment(
        applicationName=config["ApplicationName"],
        deploymentGroupName=config["DeploymentGroupName"],
        revision={
            "revisionType": "AppSpecContent",
            "appSpecContent": {"content": content, "sha256": hashlib.sha256(content.encode()).hexdigest()},
        },
    )["deploymentId"]
    deadline = time.monotonic() + run.timeouts.get("codedeploy", 3 * 3600.0)
    while time.monotonic() < deadline:
        info = codedeploy.get_deployment(deploymentId=deployment)["deploymentInfo"]
        if info["status"] == "Succeeded":
            return f"deployment {deployment} succeeded"
        if info["status"] in ("Failed", "Stopped"):
            error = info.get("errorInformation") or {}
            raise ActionFailed(
                f"deployment {deployment} {info['status'].lower()}: {error.get('code')}: {error.get('message')}",
                code="DeploymentFailed",
            )
        time.sleep(0.5)
    raise ActionFailed(f"deployment {deployment} did not finish in time", code="DeploymentTimedOut")


ACTIONS: dict[tuple[str, str], Any] = {
    ("Source", "CodeStarSourceConnection"): source,
    ("Source", "S3"): s3_source,
    ("Build", "CodeBuild"): codebuild,
    ("Test", "CodeBuild"): codebuild,
    ("Approval", "Manual"): approval,
    ("Deploy", "ECS"): ecs_deploy,
    ("Deploy", "CodeDeployToECS"): codedeploy_to_ecs,
}
