"""Application Auto Scaling: tags on scalable targets, policy updates in place."""

from __future__ import annotations

import json
from typing import Any

from moto.core.exceptions import JsonRESTError

from emulator.compat._patching import Original, add_missing, wrap_existing


class _AppAutoScalingNotFound(JsonRESTError):
    def __init__(self, arn: str) -> None:
        super().__init__("ResourceNotFoundException", f"No scalable target found for ARN {arn}")


def patch_appautoscaling_tags() -> None:
    """Application Auto Scaling RegisterScalableTarget ``Tags``, ListTagsForResource, TagResource
    and UntagResource.

    moto ignores ``Tags`` on RegisterScalableTarget and does not implement the three tagging
    operations (HTTP 500), so aws_appautoscaling_target (which reads its tags after every
    create/refresh) cannot be created, refreshed or destroyed. Tags live on the scalable-target
    object, so they disappear with DeregisterScalableTarget, as on AWS. As on AWS, ``Tags`` on
    RegisterScalableTarget only apply when the call creates the target.
    """
    from moto.applicationautoscaling.models import (
        ApplicationAutoscalingBackend,
        FakeScalableTarget,
    )
    from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse

    def all_targets(backend: ApplicationAutoscalingBackend) -> list[FakeScalableTarget]:
        return [t for by_id in backend.targets.values() for t in by_id.values()]

    def find(backend: ApplicationAutoscalingBackend, arn: str) -> FakeScalableTarget:
        for target in all_targets(backend):
            if target.arn == arn:
                return target
        raise _AppAutoScalingNotFound(arn)

    def tags_of(target: FakeScalableTarget) -> dict[str, str]:
        """The target's tags, kept on the object itself (moto's FakeScalableTarget has no such attribute)."""
        tags: dict[str, str] = vars(target).setdefault("compat_tags", {})
        return tags

    @wrap_existing(ApplicationAutoScalingResponse, "register_scalable_target")
    def register_scalable_target(original: Original, self: ApplicationAutoScalingResponse) -> str:
        backend = self.applicationautoscaling_backend
        existing = {t.arn for t in all_targets(backend)}
        body: str = original(self)
        arn = json.loads(body)["ScalableTargetARN"]
        if arn not in existing:
            tags_of(find(backend, arn)).update(self._get_param("Tags") or {})
        return body

    @add_missing(ApplicationAutoScalingResponse, "list_tags_for_resource")
    def list_tags_for_resource(self: ApplicationAutoScalingResponse) -> str:
        target = find(self.applicationautoscaling_backend, self._get_param("ResourceARN"))
        return json.dumps({"Tags": tags_of(target)})

    @add_missing(ApplicationAutoScalingResponse, "tag_resource")
    def tag_resource(self: ApplicationAutoScalingResponse) -> str:
        target = find(self.applicationautoscaling_backend, self._get_param("ResourceARN"))
        tags_of(target).update(self._get_param("Tags") or {})
        return "{}"

    @add_missing(ApplicationAutoScalingResponse, "untag_resource")
    def untag_resource(self: ApplicationAutoScalingResponse) -> str:
        target = find(self.applicationautoscaling_backend, self._get_param("ResourceARN"))
        for key in self._get_param("TagKeys") or []:
            tags_of(target).pop(key, None)
        return "{}"


def patch_appautoscaling_policy_update() -> None:
    """Application Auto Scaling PutScalingPolicy on an existing policy (an update).

    moto replaces the policy with a new one: a new policy ARN and a new pair of target-tracking
    CloudWatch alarms, while the old pair is left behind, so every in-place update of an
    aws_appautoscaling_policy leaks two alarms that survive ``terraform destroy``. On AWS the
    update keeps the policy (and its ARN) and replaces its alarms.
    """
    from moto.applicationautoscaling.models import (
        ApplicationAutoscalingBackend,
        FakeApplicationAutoscalingPolicy,
    )

    @wrap_existing(ApplicationAutoscalingBackend, "put_scaling_policy")
    def put_scaling_policy(
        original: Original, self: ApplicationAutoscalingBackend, policy_name: str, service_namespace: str,
        resource_id: str, scalable_dimension: str, policy_body: dict[str, Any],
        policy_type: str | None,
    ) -> FakeApplicationAutoscalingPolicy:  # fmt: skip
        key = FakeApplicationAutoscalingPolicy.formulate_key(
            service_namespace, resource_id, scalable_dimension, policy_name
        )
        old = self.policies.get(key)
        policy: FakeApplicationAutoscalingPolicy = original(
            self, policy_name, service_namespace, resource_id, scalable_dimension,
            policy_body, policy_type,
        )  # fmt: skip
        if old is not None:
            old.delete_alarms(self.account_id, self.region_name)
            policy.delete_alarms(self.account_id, self.region_name)
            policy._guid, policy.policy_arn = old._guid, old.policy_arn
            policy.creation_time = old.creation_time
            policy.alarms = []
            policy.create_alarms()  # alarm actions name the kept policy ARN
        return policy
