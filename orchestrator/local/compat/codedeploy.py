"""CodeDeploy: alarm configuration round trip, UpdateDeploymentGroup, deletes."""

from __future__ import annotations

from typing import Any

from moto.core.responses import ActionResult, EmptyResult

from orchestrator.local.compat._patching import Original, add_missing, wrap_existing


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
