"""CodeDeploy: alarm configuration round trip, UpdateDeploymentGroup, deletes; ECS deployments' release state."""

from __future__ import annotations

import datetime
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from moto.core.responses import ActionResult, EmptyResult
from moto.core.utils import utcnow

from emulator.compat import _driver
from emulator.compat._patching import Original, add_missing, wrap_existing


def _alarm_configuration(stored: dict[str, Any] | None) -> dict[str, Any]:
    """The AlarmConfiguration AWS returns: what was set, or the disabled default."""
    stored = stored or {}
    return {
        "enabled": bool(stored.get("enabled", False)),
        "ignorePollAlarmFailure": bool(stored.get("ignorePollAlarmFailure", False)),
        "alarms": [{"name": alarm["name"]} for alarm in stored.get("alarms") or []],
    }


def patch_codedeploy_alarm_configuration() -> None:
    """CodeDeploy GetDeploymentGroup ``alarmConfiguration``.

    moto stores the alarmConfiguration sent to CreateDeploymentGroup but always returns ``{}``.
    AWS returns what was set (or ``{"enabled": false, "alarms": [], "ignorePollAlarmFailure":
    false}``); the provider flattens the response into ``alarm_configuration``, so with moto a
    deployment group with alarms shows a perpetual diff.
    """
    from moto.codedeploy import responses

    @wrap_existing(responses, "_deployment_group_info")
    def deployment_group_info(original: Original, group: Any) -> dict[str, Any]:
        info: dict[str, Any] = original(group)
        info["alarmConfiguration"] = _alarm_configuration(group.alarm_configuration)
        return info


# UpdateDeploymentGroup request member -> moto DeploymentGroup attribute
_DEPLOYMENT_GROUP_FIELDS = {
    "deploymentConfigName": "deployment_config_name",
    "ec2TagFilters": "ec2_tag_filters",
    "onPremisesInstanceTagFilters": "on_premises_instance_tag_filters",
    "autoScalingGroups": "auto_scaling_groups",
    "serviceRoleArn": "service_role_arn",
    "triggerConfigurations": "trigger_configurations",
    "alarmConfiguration": "alarm_configuration",
    "autoRollbackConfiguration": "auto_rollback_configuration",
    "outdatedInstancesStrategy": "outdated_instances_strategy",
    "deploymentStyle": "deployment_style",
    "blueGreenDeploymentConfiguration": "blue_green_deployment_configuration",
    "loadBalancerInfo": "load_balancer_info",
    "ec2TagSet": "ec2_tag_set",
    "ecsServices": "ecs_services",
    "onPremisesTagSet": "on_premises_tag_set",
    "terminationHookEnabled": "termination_hook_enabled",
}


def patch_codedeploy_update_and_delete() -> None:
    """CodeDeploy UpdateDeploymentGroup, DeleteDeploymentGroup and DeleteApplication.

    moto 5.2.5 does not implement them (HTTP 500), so any change to an
    aws_codedeploy_deployment_group fails and destroy of a group or app fails. AWS semantics
    implemented: UpdateDeploymentGroup changes only the members sent (the provider sends only
    what changed) and may rename the group (tags follow); the deletes succeed when the
    resource is already gone, and deleting an application deletes its deployment groups.
    """
    from moto.codedeploy.exceptions import DeploymentGroupAlreadyExistsException
    from moto.codedeploy.responses import CodeDeployResponse

    @add_missing(CodeDeployResponse, "update_deployment_group")
    def update_deployment_group(self: CodeDeployResponse) -> ActionResult:
        backend = self.codedeploy_backend
        app_name = self._get_param("applicationName")
        current = self._get_param("currentDeploymentGroupName")
        group = backend.get_deployment_group(app_name, current)
        for member, attribute in _DEPLOYMENT_GROUP_FIELDS.items():
            value = self._get_param(member)
            if value is not None:
                setattr(group, attribute, value)
        new = self._get_param("newDeploymentGroupName")
        if new and new != current:
            groups = backend.deployment_groups[app_name]
            if new in groups:
                raise DeploymentGroupAlreadyExistsException(f"Deployment group {new} already exists.")
            groups[new] = groups.pop(current)
            group.deployment_group_name = new
            old_arn = backend._deployment_group_arn(app_name, current)
            backend.tagger.copy_tags(old_arn, backend._deployment_group_arn(app_name, new))
            backend.tagger.delete_all_tags_for_resource(old_arn)
        return ActionResult({"hooksNotCleanedUp": []})

    @add_missing(CodeDeployResponse, "delete_deployment_group")
    def delete_deployment_group(self: CodeDeployResponse) -> ActionResult:
        backend = self.codedeploy_backend
        app_name = self._get_param("applicationName")
        name = self._get_param("deploymentGroupName")
        if backend.deployment_groups.get(app_name, {}).pop(name, None) is not None:
            backend.tagger.delete_all_tags_for_resource(backend._deployment_group_arn(app_name, name))
        return ActionResult({"hooksNotCleanedUp": []})

    @add_missing(CodeDeployResponse, "delete_application")
    def delete_application(self: CodeDeployResponse) -> EmptyResult:
        backend = self.codedeploy_backend
        app_name = self._get_param("applicationName")
        for name in backend.deployment_groups.pop(app_name, {}):
            backend.tagger.delete_all_tags_for_resource(backend._deployment_group_arn(app_name, name))
        if backend.applications.pop(app_name, None) is not None:
            backend.tagger.delete_all_tags_for_resource(backend._application_arn(app_name))
        return EmptyResult()


# --- Release state: ECS blue/green deployments as CodeDeploy runs them ------------------------------

ECS_LIFECYCLE = (
    "BeforeInstall",
    "Install",
    "AfterInstall",
    "AllowTestTraffic",
    "AfterAllowTestTraffic",
    "BeforeAllowTraffic",
    "AllowTraffic",
    "AfterAllowTraffic",
)
"""An ECS blue/green deployment's lifecycle events, in order (hooks: the Before*/After* ones)."""
HOOK_EVENTS = ("BeforeInstall", "AfterInstall", "AfterAllowTestTraffic", "BeforeAllowTraffic", "AfterAllowTraffic")
ACTIVE = ("Created", "Queued", "InProgress", "Baking", "Ready")
TERMINAL = ("Succeeded", "Failed", "Stopped")


def _error(code: str, message: str) -> Exception:
    from moto.codedeploy.exceptions import CodeDeployException

    return CodeDeployException(code, message)


@dataclass
class LifecycleEvent:
    name: str
    status: str = "Pending"
    start: datetime.datetime | None = None
    end: datetime.datetime | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"lifecycleEventName": self.name, "status": self.status}
        if self.start:
            out["startTime"] = self.start
        if self.end:
            out["endTime"] = self.end
        return out


@dataclass
class DeploymentState:
    """What moto's DeploymentInfo lacks for an ECS deployment: its target's lifecycle and task sets."""

    events: list[LifecycleEvent]
    hooks: dict[str, str]
    """Lifecycle event -> the function the AppSpec names."""
    blue: str
    green: str
    """Target group names: where production traffic is when the deployment starts, and the other."""
    desired: int
    blue_task_set: str = field(default_factory=lambda: f"ecs-svc/{uuid.uuid4().int % 10**19}")
    green_task_set: str = field(default_factory=lambda: f"ecs-svc/{uuid.uuid4().int % 10**19}")
    green_weight: float = 0.0
    hook_executions: dict[str, str] = field(default_factory=dict)
    """Lifecycle event hook execution id -> its event (one per hook invoked)."""
    error: dict[str, str] | None = None
    rollback: dict[str, str] | None = None
    updated: datetime.datetime = field(default_factory=utcnow)

    def event(self, name: str) -> LifecycleEvent:
        return next(e for e in self.events if e.name == name)

    def reached(self, name: str) -> bool:
        return self.event(name).status != "Pending"


def _hooks(revision: dict[str, Any]) -> dict[str, str]:
    """The AppSpec's Hooks (YAML or JSON), as CodeDeploy reads them."""
    import yaml

    content = ((revision or {}).get("appSpecContent") or {}).get("content") or ""
    try:
        spec = yaml.safe_load(content) or {}
    except yaml.YAMLError:
        return {}
    hooks: dict[str, str] = {}
    for item in spec.get("Hooks") or [] if isinstance(spec, dict) else []:
        if isinstance(item, dict):
            hooks.update({str(k): str(v) for k, v in item.items()})
    return hooks


def _target_groups(deployment: Any) -> tuple[str, str]:
    """(blue, green): the pair's target group the production listener forwards to, and the other."""
    from moto.elbv2.models import elbv2_backends

    info = deployment.deployment_group.load_balancer_info or {}
    pair = (info.get("targetGroupPairInfoList") or [{}])[0]
    names = [g["name"] for g in pair.get("targetGroups") or []] + ["blue", "green"]
    listeners = (pair.get("prodTrafficRoute") or {}).get("listenerArns") or []
    account, region = deployment.compat_where
    backend = elbv2_backends[account][region]
    for listener_arn in listeners:
        for balancer in backend.load_balancers.values():
            listener = balancer.listeners.get(listener_arn)
            for action in listener.default_actions if listener else []:
                arn = action.data.get("TargetGroupArn") or action.data.get("target_group_arn")
                group = backend.target_groups.get(arn) if arn else None
                if group is not None and group.name in names[:2]:
                    return group.name, next(n for n in names[:2] if n != group.name)
    return names[0], names[1]


def _ecs_service(deployment: Any) -> tuple[str, str, Any]:
    """(cluster, service, moto's service or None) of the deployment group."""
    from moto.ecs.models import ecs_backends

    service = (deployment.deployment_group.ecs_services or [{}])[0]
    cluster, name = service.get("clusterName", ""), service.get("serviceName", "")
    account, region = deployment.compat_where
    found = ecs_backends[account][region].services.get(f"{cluster}:{name}")
    return cluster, name, found


def _ecs(deployment: Any) -> DeploymentState | None:
    state: DeploymentState | None = getattr(deployment, "compat_state", None)
    return state


def _advance(deployment: Any, to: str, status: str = "InProgress") -> str | None:
    """Events before `to` succeed, `to` gets `status`, the rest wait; returns a hook execution id when
    `to` is in progress and the AppSpec names a function for it (CodeDeploy would invoke it now)."""
    state = _ecs(deployment)
    assert state is not None
    now = utcnow()
    index = ECS_LIFECYCLE.index(to)
    for i, event in enumerate(state.events):
        if i < index and event.status in ("Pending", "InProgress"):
            event.status, event.start, event.end = "Succeeded", event.start or now, now
        elif i == index:
            event.status, event.start = status, event.start or now
            event.end = None if status == "InProgress" else now
    if deployment.status in ("Created", "Queued"):
        deployment.status, deployment.start_time = "InProgress", now
    state.green_weight = 100.0 if index > ECS_LIFECYCLE.index("AllowTraffic") else state.green_weight
    state.updated = now
    if status == "InProgress" and to in state.hooks:
        execution_id = str(uuid.uuid4())
        state.hook_executions[execution_id] = to
        return execution_id
    return None


def _finish(backend: Any, deployment: Any, status: str, error: dict[str, str] | None = None) -> None:
    """End the deployment; a failure (or a stop, per `rollback`) rolls back when its configuration says so."""
    state = _ecs(deployment)
    now = utcnow()
    deployment.status, deployment.complete_time = status, now
    for key in deployment.deployment_overview:
        deployment.deployment_overview[key] = 0
    deployment.deployment_overview["Succeeded" if status == "Succeeded" else "Failed"] = 1
    if state is None:
        return
    state.updated, state.error = now, error
    for event in state.events:
        if status == "Succeeded":
            event.status, event.start, event.end = "Succeeded", event.start or now, event.end or now
        elif event.status == "InProgress":
            event.status, event.end = "Failed", now
        elif event.status == "Pending":
            event.status = "Skipped"
    if status == "Succeeded":
        state.green_weight = 100.0


def _original_revision(deployment: Any) -> dict[str, Any] | None:
    """Before any successful deployment, what an ECS rollback returns to: the original task set, which
    still runs the service's task definition (the deployment's AppSpec, naming that one instead)."""
    _, _, service = _ecs_service(deployment)
    content = ((deployment.revision or {}).get("appSpecContent") or {}).get("content")
    if service is None or not content or not service.task_definition:
        return None
    original = re.sub(
        r"(TaskDefinition[\"']?\s*:\s*[\"']?)arn:[^\s\"',}]+", rf"\g<1>{service.task_definition}", content
    )
    return {"revisionType": "AppSpecContent", "appSpecContent": {"content": original}}


def _roll_back(backend: Any, deployment: Any, why: str) -> None:
    """A new deployment of the previous revision, created by CodeDeploy itself (creator codeDeployRollback)."""
    state = _ecs(deployment)
    assert state is not None
    previous = getattr(deployment, "compat_previous_revision", None) or _original_revision(deployment)
    if not previous:
        state.rollback = {"rollbackMessage": "No deployment found for rollback: no earlier successful revision."}
        return
    rollback_id = backend.create_deployment(
        deployment.application_name,
        deployment.deployment_group_name,
        previous,
        description=f"Rollback of {deployment.deployment_id}: {why}",
    )
    rollback = backend.deployments[rollback_id]
    rollback.creator = "codeDeployRollback"
    rollback_state = _ecs(rollback)
    if rollback_state is not None:  # it reroutes production back to the original task set, which keeps serving
        rollback_state.blue, rollback_state.green = state.green, state.blue
        rollback_state.green_weight = 100.0 - state.green_weight
        rollback_state.rollback = {"rollbackTriggeringDeploymentId": deployment.deployment_id}
        _advance(rollback, "Install")
    state.rollback = {
        "rollbackDeploymentId": rollback_id,
        "rollbackMessage": f"Active, desired revision {rollback_id} is being deployed to roll back",
    }


def patch_codedeploy_release_state() -> None:
    """CodeDeploy StopDeployment, ListDeploymentTargets, BatchGetDeploymentTargets and
    PutLifecycleEventHookExecutionStatus (missing), and GetDeployment/BatchGetDeployments of an ECS
    deployment shaped as AWS reports it.

    moto 5.2.5 records a deployment as Created and never runs it; its DeploymentInfo always carries
    empty `previousRevision`, `errorInformation` and `rollbackInfo` objects, and the four calls above
    answer HTTP 500, so a release can be neither watched nor stopped nor rolled back. AWS semantics
    implemented, for ECS blue/green deployments: `previousRevision` is the revision of the group's
    last successful deployment; the deployment's one target (`<cluster>:<service>`, listed once the
    deployment has started: DeploymentNotStartedException before) carries the eight ECS lifecycle
    events and the Blue (original) and Green (replacement) task sets with their traffic weights;
    StopDeployment ends an active deployment as Stopped (DeploymentAlreadyCompletedException once
    complete) and, with autoRollbackEnabled, creates the rollback deployment of the previous revision
    (creator codeDeployRollback, `rollbackInfo` on both); PutLifecycleEventHookExecutionStatus accepts
    only the id of a hook in progress (InvalidLifecycleEventHookExecutionIdException,
    LifecycleEventAlreadyCompletedException) and Succeeded or Failed: Succeeded moves the deployment on
    to the traffic shift, Failed fails it (HOOK_EXECUTION_FAILURE) and rolls back when the group rolls
    back on DEPLOYMENT_FAILURE. Deployments move through their lifecycle only through the test driver
    `POST /moto-api/compat/codedeploy/deployment` (emulator/compat/_driver.py), as CodeDeploy
    would move them; the driver changes CodeDeploy's records only, not the ECS service or the listeners.
    """
    from moto.codedeploy import responses
    from moto.codedeploy.models import CodeDeployBackend, codedeploy_backends
    from moto.codedeploy.responses import CodeDeployResponse

    @wrap_existing(CodeDeployBackend, "create_deployment")
    def create_deployment(original: Original, self: CodeDeployBackend, *args: Any, **kwargs: Any) -> str:
        group_name = kwargs.get("deployment_group_name") or (args[1] if len(args) > 1 else None)
        app_name = kwargs.get("application_name") or args[0]
        earlier = [
            d
            for d in self.deployments.values()
            if d.application_name == app_name and d.deployment_group_name == group_name and d.status == "Succeeded"
        ]
        deployment_id: str = original(self, *args, **kwargs)
        deployment: Any = self.deployments[deployment_id]
        deployment.compat_where = (self.account_id, self.region_name)
        if earlier:
            deployment.compat_previous_revision = max(earlier, key=lambda d: d.complete_time or d.create_time).revision
        if deployment.application.compute_platform == "ECS":
            blue, green = _target_groups(deployment)
            _, _, service = _ecs_service(deployment)
            deployment.compat_state = DeploymentState(
                events=[LifecycleEvent(name) for name in ECS_LIFECYCLE],
                hooks=_hooks(deployment.revision),
                blue=blue,
                green=green,
                desired=int(getattr(service, "desired_count", 1) or 1),
            )
            deployment.deployment_overview["Pending"] = 1
        return deployment_id

    @wrap_existing(responses, "_deployment_info")
    def deployment_info(original: Original, deployment: Any) -> dict[str, Any]:
        info: dict[str, Any] = original(deployment)
        state = _ecs(deployment)
        previous = getattr(deployment, "compat_previous_revision", None)
        for member, value in (
            ("previousRevision", previous),
            ("errorInformation", state.error if state else None),
            ("rollbackInfo", state.rollback if state else None),
        ):
            if value:
                info[member] = value
            else:
                info.pop(member, None)
        for member in ("targetInstances", "overrideAlarmConfiguration", "relatedDeployments", "externalId"):
            if not info.get(member):
                info.pop(member, None)
        if not info.get("additionalDeploymentStatusInfo"):
            info.pop("additionalDeploymentStatusInfo", None)
        if state is not None:
            info["instanceTerminationWaitTimeStarted"] = deployment.status == "Succeeded"
        return info

    def deployment_of(backend: CodeDeployBackend, deployment_id: str | None) -> Any:
        if not deployment_id:
            raise _error("DeploymentIdRequiredException", "At least one deployment ID must be specified.")
        return backend.get_deployment(deployment_id)  # DeploymentDoesNotExistException

    def target_id(deployment: Any) -> str:
        cluster, service, _ = _ecs_service(deployment)
        return f"{cluster}:{service}"

    @add_missing(CodeDeployResponse, "list_deployment_targets")
    def list_deployment_targets(self: CodeDeployResponse) -> ActionResult:
        deployment = deployment_of(self.codedeploy_backend, self._get_param("deploymentId"))
        if _ecs(deployment) is None:
            return ActionResult({"targetIds": []})
        if deployment.status in ("Created", "Queued"):
            raise _error("DeploymentNotStartedException", f"The deployment {deployment.deployment_id} has not started.")
        return ActionResult({"targetIds": [target_id(deployment)]})

    @add_missing(CodeDeployResponse, "batch_get_deployment_targets")
    def batch_get_deployment_targets(self: CodeDeployResponse) -> ActionResult:
        deployment = deployment_of(self.codedeploy_backend, self._get_param("deploymentId"))
        wanted = self._get_param("targetIds") or []
        if not wanted:
            raise _error("DeploymentTargetIdRequiredException", "A deployment target ID must be specified.")
        state = _ecs(deployment)
        if state is None or deployment.status in ("Created", "Queued"):
            raise _error("DeploymentNotStartedException", f"The deployment {deployment.deployment_id} has not started.")
        known = target_id(deployment)
        targets = []
        for wanted_id in wanted:
            if wanted_id != known:
                raise _error("DeploymentTargetDoesNotExistException", f"The target {wanted_id} does not exist.")
            _, _, service = _ecs_service(deployment)
            task_sets = [
                {
                    "identifer": state.blue_task_set,
                    "desiredCount": state.desired,
                    "pendingCount": 0,
                    "runningCount": state.desired,
                    "status": "PRIMARY",
                    "trafficWeight": 100.0 - state.green_weight,
                    "targetGroup": {"name": state.blue},
                    "taskSetLabel": "Blue",
                }
            ]
            if state.reached("Install"):
                task_sets.append(
                    {
                        "identifer": state.green_task_set,
                        "desiredCount": state.desired,
                        "pendingCount": 0,
                        "runningCount": state.desired if state.event("Install").status == "Succeeded" else 0,
                        "status": "ACTIVE",
                        "trafficWeight": state.green_weight,
                        "targetGroup": {"name": state.green},
                        "taskSetLabel": "Green",
                    }
                )
            status = {"Created": "Pending", "Queued": "Pending", "Stopped": "Failed"}.get(deployment.status)
            targets.append(
                {
                    "deploymentTargetType": "ECSTarget",
                    "ecsTarget": {
                        "deploymentId": deployment.deployment_id,
                        "targetId": known,
                        "targetArn": service.arn if service is not None else known,
                        "lastUpdatedAt": state.updated,
                        "lifecycleEvents": [e.to_json() for e in state.events],
                        "status": status or ("InProgress" if deployment.status in ACTIVE else deployment.status),
                        "taskSetsInfo": task_sets,
                    },
                }
            )
        return ActionResult({"deploymentTargets": targets})

    @add_missing(CodeDeployResponse, "stop_deployment")
    def stop_deployment(self: CodeDeployResponse) -> ActionResult:
        backend = self.codedeploy_backend
        deployment = deployment_of(backend, self._get_param("deploymentId"))
        if deployment.status in TERMINAL:
            raise _error(
                "DeploymentAlreadyCompletedException",
                f"The deployment {deployment.deployment_id} is already completed.",
            )
        requested = self._get_param("autoRollbackEnabled")
        rollback = (
            deployment.auto_rollback_configuration or deployment.deployment_group.auto_rollback_configuration or {}
        )
        if requested is None:
            requested = bool(rollback.get("enabled")) and "DEPLOYMENT_STOP_ON_REQUEST" in (rollback.get("events") or [])
        _finish(
            backend, deployment, "Stopped", {"code": "MANUAL_STOP", "message": "The deployment was stopped by a user."}
        )
        if requested and _ecs(deployment) is not None:
            _roll_back(backend, deployment, "stopped by a user")
        return ActionResult(
            {"status": "Pending", "statusMessage": "Stopping pending: the deployment is being stopped."}
        )

    @add_missing(CodeDeployResponse, "put_lifecycle_event_hook_execution_status")
    def put_lifecycle_event_hook_execution_status(self: CodeDeployResponse) -> ActionResult:
        backend = self.codedeploy_backend
        deployment = deployment_of(backend, self._get_param("deploymentId"))
        execution_id = self._get_param("lifecycleEventHookExecutionId")
        status = self._get_param("status")
        state = _ecs(deployment)
        if state is None or execution_id not in state.hook_executions:
            raise _error(
                "InvalidLifecycleEventHookExecutionIdException",
                f"A lifecycle event hook execution ID {execution_id} is not valid for deployment {deployment.deployment_id}.",
            )
        if status not in ("Succeeded", "Failed"):
            raise _error(
                "InvalidLifecycleEventHookExecutionStatusException",
                f"The status {status} is not valid: expected Succeeded or Failed.",
            )
        event = state.event(state.hook_executions[execution_id])
        if event.status != "InProgress" or deployment.status not in ACTIVE:
            raise _error(
                "LifecycleEventAlreadyCompletedException",
                f"The lifecycle event {event.name} of deployment {deployment.deployment_id} is already completed.",
            )
        if status == "Failed":
            event.status, event.end = "Failed", utcnow()
            _finish(
                backend,
                deployment,
                "Failed",
                {
                    "code": "HOOK_EXECUTION_FAILURE",
                    "message": f"The deployment failed because the {event.name} hook reported Failed.",
                },
            )
            rollback = deployment.deployment_group.auto_rollback_configuration or {}
            if rollback.get("enabled") and "DEPLOYMENT_FAILURE" in (rollback.get("events") or []):
                _roll_back(backend, deployment, f"the {event.name} hook failed")
        else:
            following = ECS_LIFECYCLE[ECS_LIFECYCLE.index(event.name) + 1 :]
            hooked = next((e for e in following if e in state.hooks), None)
            # CodeDeploy moves on: to the next hook, or into the traffic shift, which it then runs.
            _advance(deployment, hooked or ("AllowTraffic" if "AllowTraffic" in following else ECS_LIFECYCLE[-1]))
        return ActionResult({"lifecycleEventHookExecutionId": execution_id})

    def drive(body: dict[str, Any]) -> dict[str, Any]:
        """{deploymentId, status: InProgress | Succeeded | Failed, [lifecycleEvent], [trafficWeight],
        [account], [region]} -> {deploymentId, status, [lifecycleEventHookExecutionId]}."""
        backend = codedeploy_backends[body.get("account") or _driver.default_account()][body["region"]]
        deployment = backend.get_deployment(body["deploymentId"])
        state = _ecs(deployment)
        if state is None:
            raise _driver.DriverError(f"{deployment.deployment_id} is not an ECS deployment")
        if deployment.status in TERMINAL:
            raise _driver.DriverError(f"{deployment.deployment_id} is already {deployment.status}")
        status, answer = body["status"], {}
        if status == "InProgress":
            event = body.get("lifecycleEvent", "Install")
            if event not in ECS_LIFECYCLE:
                raise _driver.DriverError(f"lifecycleEvent: expected one of {', '.join(ECS_LIFECYCLE)}")
            if "trafficWeight" in body:
                state.green_weight = float(body["trafficWeight"])
            execution_id = _advance(deployment, event)
            if execution_id:
                answer["lifecycleEventHookExecutionId"] = execution_id
        elif status == "Succeeded":
            _finish(backend, deployment, "Succeeded")
        elif status == "Failed":
            _finish(
                backend,
                deployment,
                "Failed",
                {"code": "HEALTH_CONSTRAINTS", "message": body.get("message", "The deployment failed.")},
            )
            rollback = deployment.deployment_group.auto_rollback_configuration or {}
            if rollback.get("enabled") and "DEPLOYMENT_FAILURE" in (rollback.get("events") or []):
                _roll_back(backend, deployment, "it failed")
        else:
            raise _driver.DriverError("status: expected InProgress, Succeeded or Failed")
        return {"deploymentId": deployment.deployment_id, "status": deployment.status, **answer}

    _driver.route("codedeploy/deployment", drive)


# --- Revisions: what GetDeployment shows of an AppSpec, and GetApplicationRevision -----------------

_INLINE_REVISIONS = {"AppSpecContent": "appSpecContent", "String": "string"}
"""Inline revision types -> their RevisionLocation member (AppSpecContent, or the deprecated RawString)."""


def _sha256(revision: dict[str, Any]) -> str | None:
    """The SHA-256 (hex) of an inline revision's content as CodeDeploy records it; None for S3/GitHub ones."""
    import hashlib

    member = _INLINE_REVISIONS.get((revision or {}).get("revisionType", ""))
    inline = (revision or {}).get(member or "") or {}
    if "content" in inline:
        return hashlib.sha256(str(inline["content"]).encode()).hexdigest()
    return str(inline["sha256"]) if inline.get("sha256") else None


def _as_listed(revision: dict[str, Any] | None) -> dict[str, Any] | None:
    """A revision as GetDeployment and BatchGetDeployments list it: an inline one by its sha256 only."""
    if not revision:
        return revision
    member = _INLINE_REVISIONS.get(revision.get("revisionType", ""))
    if member is None:
        return revision
    return {"revisionType": revision["revisionType"], member: {"sha256": _sha256(revision)}}


def patch_codedeploy_revision_content() -> None:
    """CodeDeploy GetDeployment/BatchGetDeployments return an inline revision's content; no
    GetApplicationRevision (HTTP 500).

    AWS lists an `AppSpecContent` (or `String`) revision in a deployment's `revision` and
    `previousRevision` by its `sha256` only, without `content`; the AppSpec text comes from
    GetApplicationRevision(applicationName, revision) (kayac/ecspresso rollback.go,
    findTaskDefinitionOfDeployment, reads a deployment's task definition that way; botocore's
    codedeploy service-2.json: GetApplicationRevisionOutput = applicationName, revision
    (RevisionLocation), revisionInfo (GenericRevisionInfo)). moto returns the content where AWS
    does not, so code that reads it from GetDeployment passes on the emulator and fails on AWS.
    Implemented: both revisions listed as AWS lists them; GetApplicationRevision answers a revision
    some deployment of the application used (matched by its content's or its given sha256), with
    its content, sha256 and revisionInfo (deploymentGroups, registerTime, firstUsedTime and
    lastUsedTime from those deployments); ApplicationDoesNotExistException,
    RevisionRequiredException and RevisionDoesNotExistException otherwise. The emulator keeps the
    content internally (its own hooks and rollbacks read it, as CodeDeploy does).
    """
    from moto.codedeploy import responses
    from moto.codedeploy.responses import CodeDeployResponse

    @wrap_existing(responses, "_deployment_info")
    def deployment_info(original: Original, deployment: Any) -> dict[str, Any]:
        info: dict[str, Any] = original(deployment)
        for member in ("revision", "previousRevision"):
            if member in info:
                info[member] = _as_listed(info[member])
        return info

    @add_missing(CodeDeployResponse, "get_application_revision")
    def get_application_revision(self: CodeDeployResponse) -> ActionResult:
        backend = self.codedeploy_backend
        app_name = self._get_param("applicationName")
        application = backend.get_application(app_name)  # ApplicationDoesNotExistException
        wanted = self._get_param("revision") or {}
        if not wanted.get("revisionType"):
            raise _error("RevisionRequiredException", "The revision ID was not specified.")
        sha = _sha256(wanted)
        used = [
            d
            for d in backend.deployments.values()
            if d.application_name == application.application_name
            and (d.revision or {}).get("revisionType") == wanted["revisionType"]
            and (_sha256(d.revision) == sha if sha else d.revision == wanted)
        ]
        if not used:
            raise _error(
                "RevisionDoesNotExistException",
                f"The revision does not exist with the application {app_name} in the user or AWS account.",
            )
        first = min(used, key=lambda d: d.create_time)
        last = max(used, key=lambda d: d.create_time)
        revision = dict(first.revision)
        member = _INLINE_REVISIONS.get(revision["revisionType"])
        if member:
            revision[member] = {**revision[member], "sha256": sha}
        return ActionResult(
            {
                "applicationName": application.application_name,
                "revision": revision,
                "revisionInfo": {
                    "deploymentGroups": sorted({d.deployment_group_name for d in used}),
                    "firstUsedTime": first.create_time,
                    "lastUsedTime": last.create_time,
                    "registerTime": first.create_time,
                },
            }
        )
