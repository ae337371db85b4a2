"""compat.codepipeline: timestamps as epoch numbers; executions' stages, approvals and source revisions."""

from __future__ import annotations

import datetime
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.unit.compat.helpers import Client, drive, is_json_number, raw_bodies, role, unique


def test_codepipeline_timestamps_are_epoch_numbers(client: Client) -> None:
    codepipeline = client("codepipeline")
    bodies = raw_bodies(codepipeline)
    name = unique("pipeline")

    def stage(name: str) -> dict[str, Any]:
        source = {"category": "Source", "owner": "AWS", "provider": "S3", "version": "1"}
        return {
            "name": name,
            "actions": [
                {
                    "name": "a",
                    "actionTypeId": source,
                    "configuration": {"S3Bucket": "bucket", "S3ObjectKey": "key"},
                    "outputArtifacts": [{"name": "out"}],
                }
            ],
        }

    pipeline = {
        "name": name,
        "roleArn": role(client, "codepipeline.amazonaws.com"),
        "artifactStore": {"type": "S3", "location": "artifact-bucket"},
        "stages": [stage("One"), stage("Two")],
    }
    codepipeline.create_pipeline(pipeline=pipeline)
    codepipeline.get_pipeline(name=name)
    codepipeline.update_pipeline(pipeline={**pipeline, "stages": [stage("One"), stage("Three")]})
    codepipeline.list_pipelines()
    codepipeline.start_pipeline_execution(name=name)
    codepipeline.list_pipeline_executions(pipelineName=name)

    metadata = bodies["GetPipeline"]["metadata"]
    assert is_json_number(metadata["created"]) and is_json_number(metadata["updated"])
    (listed,) = [p for p in bodies["ListPipelines"]["pipelines"] if p["name"] == name]
    assert is_json_number(listed["created"]) and is_json_number(listed["updated"])
    assert listed["version"] == 2
    (execution,) = bodies["ListPipelineExecutions"]["pipelineExecutionSummaries"]
    assert is_json_number(execution["startTime"]) and is_json_number(execution["lastUpdateTime"])


def _release_pipeline(client: Client) -> str:
    """Source, Build, an approval, Deploy: the release pipeline's shape."""
    name = unique("release")

    def action(name: str, category: str, provider: str, **extra: Any) -> dict[str, Any]:
        return {
            "name": name,
            "actionTypeId": {"category": category, "owner": "AWS", "provider": provider, "version": "1"},
            **extra,
        }

    source = action(
        "Source", "Source", "S3", configuration={"S3Bucket": "b", "S3ObjectKey": "k"}, outputArtifacts=[{"name": "src"}]
    )
    stages = [
        {"name": "Source", "actions": [source]},
        {"name": "Build", "actions": [action("Build", "Build", "CodeBuild", inputArtifacts=[{"name": "src"}])]},
        {"name": "Approval-Production", "actions": [action("Approve", "Approval", "Manual")]},
        {"name": "Deploy-Production", "actions": [action("Deploy", "Deploy", "ECS", inputArtifacts=[{"name": "src"}])]},
    ]
    client("codepipeline").create_pipeline(
        pipeline={
            "name": name,
            "roleArn": role(client, "codepipeline.amazonaws.com"),
            "artifactStore": {"type": "S3", "location": "artifact-bucket"},
            "stages": stages,
        }
    )
    return name


def _states(codepipeline: Any, name: str) -> dict[str, dict[str, Any]]:
    return {s["stageName"]: s for s in codepipeline.get_pipeline_state(name=name)["stageStates"]}


def test_a_started_execution_is_in_progress_at_its_source(client: Client) -> None:
    """The execution starts at its source action with the commit asked for; the release engine then runs
    that action as the pipeline's role, which has no policy: its GetObject of the source is denied
    (IAM evaluated for the role, as on AWS), the action fails, and the stages after it are never reached."""
    codepipeline = client("codepipeline")
    bodies = raw_bodies(codepipeline)
    name = _release_pipeline(client)
    commit = "0123456789abcdef0123456789abcdef01234567"
    execution_id = codepipeline.start_pipeline_execution(
        name=name, sourceRevisions=[{"actionName": "Source", "revisionType": "COMMIT_ID", "revisionValue": commit}]
    )["pipelineExecutionId"]

    (summary,) = codepipeline.list_pipeline_executions(pipelineName=name)["pipelineExecutionSummaries"]
    assert summary["pipelineExecutionId"] == execution_id and summary["status"] in ("InProgress", "Failed")
    assert summary["sourceRevisions"] == [{"actionName": "Source", "revisionId": commit}]
    deadline = time.monotonic() + 30
    while True:
        execution = codepipeline.get_pipeline_execution(pipelineName=name, pipelineExecutionId=execution_id)
        if execution["pipelineExecution"]["status"] != "InProgress" or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert execution["pipelineExecution"]["status"] == "Failed"
    assert execution["pipelineExecution"]["artifactRevisions"][0]["revisionId"] == commit
    states = _states(codepipeline, name)
    assert list(states) == ["Source", "Build", "Approval-Production", "Deploy-Production"]
    assert states["Source"]["latestExecution"] == {
        "pipelineExecutionId": execution_id,
        "status": "Failed",
        "type": "STANDARD",
    }
    (source,) = states["Source"]["actionStates"]
    assert source["latestExecution"]["status"] == "Failed" and source["currentRevision"]["revisionId"] == commit
    assert source["latestExecution"]["summary"].startswith("AccessDenied")
    assert "latestExecution" not in states["Build"]  # never reached
    assert states["Build"]["actionStates"] == [{"actionName": "Build"}]
    raw = bodies["GetPipelineState"]
    assert is_json_number(raw["created"]) and is_json_number(raw["updated"])
    assert is_json_number(raw["stageStates"][0]["actionStates"][0]["latestExecution"]["lastStatusChange"])


def test_pipeline_state_shows_the_waiting_approval_and_its_token(client: Client, running: Any) -> None:
    codepipeline = client("codepipeline")
    name = _release_pipeline(client)
    driven = drive(
        running.endpoint,
        "codepipeline/execution",
        {
            "pipelineName": name,
            "sourceRevision": "abcdef1",
            "stages": {"Source": "Succeeded", "Build": "Succeeded", "Approval-Production": "InProgress"},
            "waitingSeconds": 600,
        },
    )
    assert driven["status"] == "InProgress" and set(driven["tokens"]) == {"Approval-Production"}
    (approve,) = _states(codepipeline, name)["Approval-Production"]["actionStates"]
    latest = approve["latestExecution"]
    assert latest["status"] == "InProgress" and latest["token"] == driven["tokens"]["Approval-Production"]
    age = datetime.datetime.now(datetime.UTC) - latest["lastStatusChange"]
    assert 590 <= age.total_seconds() <= 660
    assert _states(codepipeline, name)["Build"]["latestExecution"]["status"] == "Succeeded"


def test_approval_answers_only_the_pending_token(client: Client, running: Any) -> None:
    codepipeline = client("codepipeline")
    name = _release_pipeline(client)
    waiting = {"Source": "Succeeded", "Build": "Succeeded", "Approval-Production": "InProgress"}
    driven = drive(running.endpoint, "codepipeline/execution", {"pipelineName": name, "stages": waiting})
    token = driven["tokens"]["Approval-Production"]
    where = {"pipelineName": name, "stageName": "Approval-Production", "actionName": "Approve"}
    approved = {"status": "Approved", "summary": "ok"}

    with pytest.raises(ClientError) as wrong:
        codepipeline.put_approval_result(**where, result=approved, token="not-the-token")
    assert wrong.value.response["Error"]["Code"] == "InvalidApprovalTokenException"
    with pytest.raises(ClientError) as no_stage:
        codepipeline.put_approval_result(**{**where, "stageName": "Nope"}, result=approved, token=token)
    assert no_stage.value.response["Error"]["Code"] == "StageNotFoundException"

    answer = codepipeline.put_approval_result(**where, result=approved, token=token)
    assert isinstance(answer["approvedAt"], datetime.datetime)
    states = _states(codepipeline, name)
    approval = states["Approval-Production"]["actionStates"][0]["latestExecution"]
    assert approval["status"] == "Succeeded" and approval["summary"] == "ok" and "token" not in approval
    assert states["Deploy-Production"]["latestExecution"]["status"] == "InProgress"  # CodePipeline moves on
    with pytest.raises(ClientError) as again:
        codepipeline.put_approval_result(**where, result=approved, token=token)
    assert again.value.response["Error"]["Code"] == "ApprovalAlreadyCompletedException"

    rejected = drive(running.endpoint, "codepipeline/execution", {"pipelineName": name, "stages": waiting})
    codepipeline.put_approval_result(
        **where, result={"status": "Rejected", "summary": "no"}, token=rejected["tokens"]["Approval-Production"]
    )
    execution = codepipeline.get_pipeline_execution(
        pipelineName=name, pipelineExecutionId=rejected["pipelineExecutionId"]
    )["pipelineExecution"]
    assert execution["status"] == "Failed"
    latest = codepipeline.list_pipeline_executions(pipelineName=name)["pipelineExecutionSummaries"][0]
    assert (latest["pipelineExecutionId"], latest["status"]) == (rejected["pipelineExecutionId"], "Failed")
