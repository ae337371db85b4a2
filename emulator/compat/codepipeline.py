"""CodePipeline: timestamps as the epoch numbers the Go SDK expects; executions' release state."""

from __future__ import annotations

import datetime
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from moto.core.utils import unix_time, utcnow

from emulator.compat import _driver
from emulator.compat._patching import Original, add_missing, wrap_existing


def patch_codepipeline_timestamps() -> None:
    """CodePipeline GetPipeline ``metadata.created/updated``, ListPipelines ``created/updated`` and
    ListPipelineExecutions ``startTime/lastUpdateTime``.

    moto writes ISO-8601 strings; the protocol (awsJson1.1) encodes timestamps as epoch-seconds
    JSON numbers, and the Go SDK v2 used by the provider fails with "expected Timestamp to be a
    JSON Number, got string", so aws_codepipeline cannot be read at all.
    """
    from moto.codepipeline.models import CodePipeline, PipelineExecution

    @wrap_existing(CodePipeline, "metadata")
    def metadata(original: Original, self: CodePipeline) -> dict[str, Any]:
        return {**original(self), "created": unix_time(self._created), "updated": unix_time(self._updated)}

    @wrap_existing(PipelineExecution, "to_summary_dict")
    def to_summary_dict(original: Original, self: PipelineExecution) -> dict[str, Any]:
        summary = original(self)
        summary["startTime"] = unix_time(self.start_time)
        summary["lastUpdateTime"] = unix_time(self.last_update_time)
        return summary


# --- Release state: executions as CodePipeline runs them -------------------------------------------

STAGE_STATUSES = ("InProgress", "Succeeded", "Failed", "Stopped", "Cancelled")


def _error(code: str, message: str) -> Exception:
    from moto.core.exceptions import JsonRESTError

    error = JsonRESTError(code, message)
    error.code = 400
    return error


@dataclass
class ActionState:
    status: str
    changed: datetime.datetime
    execution_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    token: str | None = None
    summary: str | None = None
    updated_by: str | None = None

    def to_json(self) -> dict[str, Any]:
        """ActionExecution, as GetPipelineState returns it (the token only while an approval waits)."""
        out: dict[str, Any] = {
            "actionExecutionId": self.execution_id,
            "status": self.status,
            "lastStatusChange": unix_time(self.changed),
        }
        if self.token and self.status == "InProgress":
            out["token"] = self.token
        if self.summary:
            out["summary"] = self.summary
        if self.updated_by:
            out["lastUpdatedBy"] = self.updated_by
        return out


@dataclass
class StageState:
    status: str
    actions: dict[str, ActionState] = field(default_factory=dict)


@dataclass
class ExecutionState:
    """What moto's PipelineExecution lacks: each stage's and action's state, and the source revision."""

    stages: dict[str, StageState] = field(default_factory=dict)
    source_revision: str | None = None
    created: datetime.datetime = field(default_factory=utcnow)

    def status(self, definition: dict[str, Any]) -> str:
        """The execution's status from its stages', as CodePipeline reports it."""
        states = [self.stages[s["name"]].status for s in definition["stages"] if s["name"] in self.stages]
        for terminal in ("Failed", "Stopped", "Cancelled"):
            if terminal in states:
                return terminal
        if len(states) == len(definition["stages"]) and all(s == "Succeeded" for s in states):
            return "Succeeded"
        return "InProgress"


def _state(execution: Any) -> ExecutionState:
    if not hasattr(execution, "compat_state"):
        execution.compat_state = ExecutionState()
    state: ExecutionState = execution.compat_state
    return state


def _set_stage(execution: Any, stage: dict[str, Any], status: str, since: datetime.datetime | None = None) -> None:
    """Stage `stage` (its definition) and every action of it to `status`; an approval in progress gets a token."""
    when = since or utcnow()
    actions = {}
    for action in stage["actions"]:
        approval = action.get("actionTypeId", {}).get("category") == "Approval"
        token = str(uuid.uuid4()) if approval and status == "InProgress" else None
        actions[action["name"]] = ActionState(status=status, changed=when, token=token)
    _state(execution).stages[stage["name"]] = StageState(status=status, actions=actions)


def _refresh(execution: Any, definition: dict[str, Any]) -> None:
    execution.status = _state(execution).status(definition)
    execution.last_update_time = utcnow()


def _source_action(definition: dict[str, Any]) -> dict[str, Any] | None:
    for stage in definition["stages"]:
        for action in stage["actions"]:
            if action.get("actionTypeId", {}).get("category") == "Source":
                return dict(action)
    return None


def patch_codepipeline_release_state() -> None:
    """CodePipeline GetPipelineState and PutApprovalResult (missing), StartPipelineExecution's state
    and source revision, and GetPipelineExecution/ListPipelineExecutions reporting them.

    moto 5.2.5 runs no execution: StartPipelineExecution records one as Succeeded at once, ignores
    `sourceRevisions`, and GetPipelineState and PutApprovalResult answer HTTP 500, so nothing can
    show where a release is or answer its approval. AWS semantics implemented: a started execution
    is InProgress in its first stage (the source action), with the commit asked for; GetPipelineState
    shows, per stage, the latest execution that reached it and each action's latest execution (an
    approval waiting shows its token); PutApprovalResult accepts only the token of the approval in
    progress (InvalidApprovalTokenException otherwise, ApprovalAlreadyCompletedException once
    answered), an approval moves the execution to the next stage and a rejection fails it.
    Executions move further only through the test driver `POST /moto-api/compat/codepipeline/execution`
    (emulator/compat/_driver.py), as CodePipeline would move them.
    """
    from moto.codepipeline.models import CodePipelineBackend, PipelineExecution, codepipeline_backends
    from moto.codepipeline.responses import CodePipelineResponse

    @wrap_existing(CodePipelineResponse, "start_pipeline_execution")
    def start_pipeline_execution(original: Original, self: CodePipelineResponse) -> str:
        answer = original(self)
        name = self._get_param("name")
        pipeline = self.codepipeline_backend.pipelines[name]
        execution = pipeline.executions[json.loads(answer)["pipelineExecutionId"]]
        revisions = self._get_param("sourceRevisions") or []
        _state(execution).source_revision = next((r["revisionValue"] for r in revisions), None)
        first = pipeline.pipeline["stages"][0]
        _set_stage(execution, first, "InProgress")
        _refresh(execution, pipeline.pipeline)
        return answer

    @wrap_existing(PipelineExecution, "to_dict")
    def to_dict(original: Original, self: PipelineExecution) -> dict[str, Any]:
        out: dict[str, Any] = original(self)
        commit = _state(self).source_revision
        if commit:
            out["artifactRevisions"] = [
                {"name": "SourceOutput", "revisionId": commit, "created": unix_time(self.start_time)}
            ]
        return out

    @wrap_existing(PipelineExecution, "to_summary_dict")
    def to_summary_dict(original: Original, self: PipelineExecution) -> dict[str, Any]:
        out: dict[str, Any] = original(self)
        commit = _state(self).source_revision
        if commit:
            out["sourceRevisions"] = [{"actionName": "Source", "revisionId": commit}]
        return out

    def pipeline_of(backend: CodePipelineBackend, name: str) -> Any:
        backend.get_pipeline(name)  # PipelineNotFoundException, as moto words it
        return backend.pipelines[name]

    @add_missing(CodePipelineResponse, "get_pipeline_state")
    def get_pipeline_state(self: CodePipelineResponse) -> str:
        pipeline = pipeline_of(self.codepipeline_backend, self._get_param("name"))
        executions = list(reversed(pipeline.executions.values()))  # newest first
        stage_states = []
        for stage in pipeline.pipeline["stages"]:
            latest = next((e for e in executions if stage["name"] in _state(e).stages), None)
            entry: dict[str, Any] = {
                "stageName": stage["name"],
                "inboundTransitionState": {"enabled": True},
                "actionStates": [],
            }
            state = _state(latest).stages[stage["name"]] if latest else None
            for action in stage["actions"]:
                action_state: dict[str, Any] = {"actionName": action["name"]}
                if state and action["name"] in state.actions:
                    action_state["latestExecution"] = state.actions[action["name"]].to_json()
                if latest and action.get("actionTypeId", {}).get("category") == "Source":
                    commit = _state(latest).source_revision
                    if commit:
                        action_state["currentRevision"] = {
                            "revisionId": commit,
                            "created": unix_time(latest.start_time),
                        }
                entry["actionStates"].append(action_state)
            if latest and state:
                entry["latestExecution"] = {
                    "pipelineExecutionId": latest.pipeline_execution_id,
                    "status": state.status,
                    "type": "STANDARD",
                }
            stage_states.append(entry)
        return json.dumps(
            {
                "pipelineName": pipeline.pipeline["name"],
                "pipelineVersion": pipeline.pipeline["version"],
                "stageStates": stage_states,
                "created": unix_time(pipeline._created),
                "updated": unix_time(pipeline._updated),
            }
        )

    @add_missing(CodePipelineResponse, "put_approval_result")
    def put_approval_result(self: CodePipelineResponse) -> str:
        pipeline = pipeline_of(self.codepipeline_backend, self._get_param("pipelineName"))
        stage_name, action_name = self._get_param("stageName"), self._get_param("actionName")
        result, token = self._get_param("result") or {}, self._get_param("token")
        stages = pipeline.pipeline["stages"]
        index = next((i for i, s in enumerate(stages) if s["name"] == stage_name), None)
        if index is None:
            raise _error("StageNotFoundException", f"Stage {stage_name} not found in pipeline")
        if not any(a["name"] == action_name for a in stages[index]["actions"]):
            raise _error("ActionNotFoundException", f"Action {action_name} not found in stage {stage_name}")
        if result.get("status") not in ("Approved", "Rejected"):
            raise _error("ValidationException", "result.status: expected Approved or Rejected")
        for execution in pipeline.executions.values():
            stage = _state(execution).stages.get(stage_name)
            action = stage.actions.get(action_name) if stage else None
            if action is None or action.token != token:
                continue
            if action.status != "InProgress":
                raise _error("ApprovalAlreadyCompletedException", f"Approval action {action_name} is already completed")
            approved = result["status"] == "Approved"
            now = utcnow()
            action.status, action.changed = ("Succeeded" if approved else "Failed"), now
            action.summary = result.get("summary")
            action.updated_by = f"arn:aws:iam::{self.current_account}:root"
            assert stage is not None  # found the action in it
            stage.status = action.status
            if approved and index + 1 < len(stages):
                _set_stage(execution, stages[index + 1], "InProgress")
            _refresh(execution, pipeline.pipeline)
            return json.dumps({"approvedAt": unix_time(now)})
        raise _error(
            "InvalidApprovalTokenException",
            f"The token {token} is not valid for the approval action {action_name} in stage {stage_name}",
        )

    def drive(body: dict[str, Any]) -> dict[str, Any]:
        """{pipelineName, [pipelineExecutionId], [sourceRevision], stages: {name: status}, [waitingSeconds],
        [account], [region]} -> {pipelineExecutionId, status, tokens: {stage: approval token}}."""
        backend = codepipeline_backends[body.get("account") or _driver.default_account()][body["region"]]
        pipeline = pipeline_of(backend, body["pipelineName"])
        definition = pipeline.pipeline
        execution_id = body.get("pipelineExecutionId")
        if execution_id:
            execution = backend.get_pipeline_execution(definition["name"], execution_id)
        else:
            execution_id = backend.start_pipeline_execution(definition["name"], None)
            execution = pipeline.executions[execution_id]
        if "sourceRevision" in body:
            _state(execution).source_revision = body["sourceRevision"]
        known = {s["name"]: s for s in definition["stages"]}
        since = utcnow() - datetime.timedelta(seconds=float(body.get("waitingSeconds", 0)))
        for name, status in (body.get("stages") or {}).items():
            if name not in known or status not in STAGE_STATUSES:
                raise _driver.DriverError(
                    f"stage {name}: expected one of {', '.join(known)} and a status of {STAGE_STATUSES}"
                )
            _set_stage(execution, known[name], status, since)
        _refresh(execution, definition)
        tokens = {
            name: action.token
            for name, stage in _state(execution).stages.items()
            for action in stage.actions.values()
            if action.token and action.status == "InProgress"
        }
        return {"pipelineExecutionId": execution_id, "status": execution.status, "tokens": tokens}

    _driver.route("codepipeline/execution", drive)
