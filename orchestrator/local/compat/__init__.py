"""Make moto 5.2.5 answer like AWS where the Terraform AWS provider 5.100.0 needs it.

The local emulator (:mod:`orchestrator.local.server`) imports moto, calls :func:`apply` and
serves. Every patch below only adds a missing operation or corrects a response to the shape
AWS returns; none relaxes a check AWS itself makes. Each gap was reproduced against an
unpatched moto 5.2.5 server with Terraform 1.11.4 + hashicorp/aws 5.100.0 (apply error, plan
diff or destroy error), and each test below fails without its patch.

:func:`apply` refuses any moto but :data:`MOTO_VERSION` (the Pipfile's pin): before moving the
pin, re-check every gap of the table against the new moto, unpatched, and drop the patches it
no longer needs. Each patch also checks, as it installs (:mod:`._patching`), that moto still
lacks what it adds (``add_missing``) or still has what it wraps (``wrap_existing``).

==============================================  =======================================  ===============================================================
Gap in moto 5.2.5                               Patch                                    Test (tests/unit/compat/)
==============================================  =======================================  ===============================================================
IAM: AWS-managed policy ARNs don't exist        server.py sets                           test_iam.py::test_aws_managed_policy_can_be_attached
(iam_role_policy_attachment: NoSuchEntity)      MOTO_IAM_LOAD_MANAGED_POLICIES=true
CodePipeline: ISO-string timestamps (Get/List)  patch_codepipeline_timestamps            test_codepipeline.py::test_codepipeline_timestamps_are_epoch_numbers
CodeDeploy: GetDeploymentGroup returns          patch_codedeploy_alarm_configuration     test_codedeploy.py::test_codedeploy_alarm_configuration_round_trips
alarmConfiguration={} (perpetual diff)
CodeDeploy: UpdateDeploymentGroup,              patch_codedeploy_update_and_delete       test_codedeploy.py::test_codedeploy_update_deployment_group_round_trips,
DeleteDeploymentGroup, DeleteApplication                                                 test_codedeploy.py::test_codedeploy_delete_group_and_application
missing (HTTP 500)
Application Auto Scaling: tags on scalable      patch_appautoscaling_tags                test_appautoscaling.py::test_appautoscaling_target_tags
targets (Register Tags, List/Tag/Untag 500)
Application Auto Scaling: PutScalingPolicy     patch_appautoscaling_policy_update       test_appautoscaling.py::test_appautoscaling_policy_update_keeps_arn_and_alarms
update makes a new ARN, leaks the old alarms
CodeBuild: CreateProject demands a location     patch_codebuild_create_project           test_codebuild.py::test_codebuild_create_project_with_codepipeline_source
for CODEPIPELINE/NO_SOURCE, drops fields
CodeBuild: UpdateProject missing (HTTP 500)     patch_codebuild_update_project           test_codebuild.py::test_codebuild_update_project_round_trips
CodeBuild: DeleteProject ignores an ARN (the    patch_codebuild_delete_project_by_arn    test_codebuild.py::test_codebuild_delete_project_by_arn
provider's id): project survives destroy
ECS: CreateService drops availabilityZone-      patch_ecs_create_service_members         test_ecs.py::test_ecs_availability_zone_rebalancing_round_trips,
Rebalancing, deploymentConfiguration, health-                                            test_ecs.py::test_ecs_create_service_members_round_trip
CheckGracePeriodSeconds, enableECSManagedTags
CodeStar Connections / CodeConnections: no      patch_codestar_connections               test_connections.py::test_codestar_connection_lifecycle
such service in moto (HTTP 500)
==============================================  =======================================  ===============================================================

The emulator's lifecycle is tested in test_emulator.py, the version pin and the two decorators'
refusals in test_patching.py.

Checked and left alone (they apply and plan clean on plain moto 5.2.5): CloudWatch dashboards,
SNS email subscriptions, IAM OIDC providers, S3 public access block / encryption / versioning /
lifecycle / ownership controls, ECR lifecycle policy and image scanning, ALB listener rules and
redirects, ALB drop_invalid_header_fields, Application Auto Scaling target-tracking policies
(create/delete).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from orchestrator.local.compat._patching import PatchError
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

MOTO_VERSION = "5.2.5"
"""The moto every patch was verified against (Pipfile pins the same)."""

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


class MotoVersionError(PatchError):
    """The installed moto is not the one the patches were verified against."""


def check_moto_version() -> None:
    """Raise MotoVersionError unless the installed moto is MOTO_VERSION, naming what to re-check."""
    import moto

    if moto.__version__ == MOTO_VERSION:
        return
    gaps = "\n".join(f"  - {p.__name__}: {_gap(p)}" for p in PATCHES)
    raise MotoVersionError(
        f"moto {moto.__version__} is installed, but the local emulator's compatibility patches "
        f"(orchestrator/local/compat/) were verified against moto {MOTO_VERSION} only; refusing to start.\n"
        f"Install moto {MOTO_VERSION} (`make setup`, from Pipfile.lock), or, to move the pin, re-check every gap "
        "listed in orchestrator/local/compat/__init__.py against the new moto without the patches (apply error, "
        "plan diff or destroy error with Terraform), drop the patches it no longer needs, then update "
        "MOTO_VERSION, the Pipfile and tests/unit/compat/. The gaps:\n"
        f"  - server.py: MOTO_IAM_LOAD_MANAGED_POLICIES=true (AWS-managed policy ARNs)\n{gaps}"
    )


def _gap(patch: Callable[[], None]) -> str:
    """The first paragraph of a patch's docstring, on one line: what moto lacks."""
    return " ".join((patch.__doc__ or "").strip().split("\n\n")[0].split())


def apply() -> None:
    """Apply every patch once (idempotent, thread-safe); refuses a moto other than MOTO_VERSION."""
    global _applied
    with _lock:
        if _applied:
            return
        check_moto_version()
        for patch in PATCHES:
            patch()
        _applied = True
