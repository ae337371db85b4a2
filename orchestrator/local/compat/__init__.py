"""Make moto 5.2.5 answer like AWS where the Terraform AWS provider 5.100.0 needs it.

The local emulator (:mod:`orchestrator.local.server`) imports moto, calls :func:`apply` and
serves. Every patch below only adds a missing operation or corrects a response to the shape
AWS returns; none relaxes a check AWS itself makes. Each gap was reproduced against an
unpatched moto 5.2.5 server with Terraform 1.11.4 + hashicorp/aws 5.100.0 (apply error, plan
diff or destroy error), and each test below fails without its patch.

==============================================  =======================================  ==================================================
Gap in moto 5.2.5                               Patch                                    Test (tests/unit/test_local_emulator.py)
==============================================  =======================================  ==================================================
IAM: AWS-managed policy ARNs don't exist        server.py sets                           test_aws_managed_policy_can_be_attached
(iam_role_policy_attachment: NoSuchEntity)      MOTO_IAM_LOAD_MANAGED_POLICIES=true
CodePipeline: ISO-string timestamps (Get/List)  patch_codepipeline_timestamps            test_codepipeline_timestamps_are_epoch_numbers
CodeDeploy: GetDeploymentGroup returns          patch_codedeploy_alarm_configuration     test_codedeploy_alarm_configuration_round_trips
alarmConfiguration={} (perpetual diff)
CodeDeploy: UpdateDeploymentGroup,              patch_codedeploy_update_and_delete       test_codedeploy_update_deployment_group_round_trips
DeleteDeploymentGroup, DeleteApplication                                                 test_codedeploy_delete_group_and_application
missing (HTTP 500)
Application Auto Scaling: tags on scalable      patch_appautoscaling_tags                test_appautoscaling_target_tags
targets (Register Tags, List/Tag/Untag 500)
Application Auto Scaling: PutScalingPolicy     patch_appautoscaling_policy_update       test_appautoscaling_policy_update_keeps_arn_and_alarms
update makes a new ARN, leaks the old alarms
CodeBuild: CreateProject demands a location     patch_codebuild_create_project           test_codebuild_create_project_with_codepipeline_source
for CODEPIPELINE/NO_SOURCE, drops fields
CodeBuild: UpdateProject missing (HTTP 500)     patch_codebuild_update_project           test_codebuild_update_project_round_trips
CodeBuild: DeleteProject ignores an ARN (the    patch_codebuild_delete_project_by_arn    test_codebuild_delete_project_by_arn
provider's id): project survives destroy
ECS: CreateService drops availabilityZone-      patch_ecs_create_service_members         test_ecs_availability_zone_rebalancing_round_trips
Rebalancing, deploymentConfiguration, health-                                            test_ecs_create_service_members_round_trip
CheckGracePeriodSeconds, enableECSManagedTags
CodeStar Connections / CodeConnections: no      patch_codestar_connections               test_codestar_connection_lifecycle
such service in moto (HTTP 500)
==============================================  =======================================  ==================================================

Checked and left alone (they apply and plan clean on plain moto 5.2.5): CloudWatch dashboards,
SNS email subscriptions, IAM OIDC providers, S3 public access block / encryption / versioning /
lifecycle / ownership controls, ECR lifecycle policy and image scanning, ALB listener rules and
redirects, ALB drop_invalid_header_fields, Application Auto Scaling target-tracking policies
(create/delete).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from orchestrator.local.compat.appautoscaling import patch_appautoscaling_policy_update, patch_appautoscaling_tags
from orchestrator.local.compat.codebuild import (
    patch_codebuild_create_project,
    patch_codebuild_delete_project_by_arn,
    patch_codebuild_update_project,
)
from orchestrator.local.compat.codedeploy import (
    patch_codedeploy_alarm_configuration,
    patch_codedeploy_update_and_delete,
)
from orchestrator.local.compat.codepipeline import patch_codepipeline_timestamps
from orchestrator.local.compat.connections import patch_codestar_connections
from orchestrator.local.compat.ecs import patch_ecs_create_service_members

_applied = False
_lock = threading.Lock()

PATCHES: tuple[Callable[[], None], ...] = (
    patch_codepipeline_timestamps,
    patch_codedeploy_alarm_configuration,
    patch_codedeploy_update_and_delete,
    patch_appautoscaling_tags,
    patch_appautoscaling_policy_update,
    patch_codebuild_create_project,
    patch_codebuild_update_project,
    patch_codebuild_delete_project_by_arn,
    patch_ecs_create_service_members,
    patch_codestar_connections,
)


def apply() -> None:
    """Apply every patch once (idempotent, thread-safe)."""
    global _applied
    with _lock:
        if _applied:
            return
        for patch in PATCHES:
            patch()
        _applied = True
