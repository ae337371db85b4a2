"""Make moto 5.2.5 answer like AWS where the Terraform AWS provider 5.100.0 needs it.

The local emulator (:mod:`emulator.server`) imports moto, calls :func:`apply` and
serves. Every patch below only adds a missing operation or corrects a response to the shape
AWS returns, or makes moto refuse what AWS refuses; none relaxes a check AWS itself makes. Each gap was reproduced against an
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
CodePipeline: no GetPipelineState or PutAppro-  patch_codepipeline_release_state         test_codepipeline.py::test_a_started_execution_is_in_progress_at_its_source,
valResult (HTTP 500); executions never run                                               test_codepipeline.py::test_pipeline_state_shows_the_waiting_approval_and_its_token,
(Succeeded at once, sourceRevisions ignored)                                             test_codepipeline.py::test_approval_answers_only_the_pending_token
CodeDeploy: no StopDeployment, ListDeployment-  patch_codedeploy_release_state           test_codedeploy.py::test_deployment_info_is_shaped_like_aws,
Targets, BatchGetDeploymentTargets, PutLife-                                             test_codedeploy.py::test_targets_show_lifecycle_events_and_task_sets,
cycleEventHookExecutionStatus (HTTP 500);                                                test_codedeploy.py::test_stop_with_rollback_creates_the_rollback_deployment,
deployments never run; empty previousRevision,                                           test_codedeploy.py::test_hook_status_moves_the_deployment_on_or_fails_it,
errorInformation, rollbackInfo                                                           test_codedeploy.py::test_a_first_deployment_rolls_back_to_the_original_task_set
ECS: rollouts never complete (IN_PROGRESS, 0    patch_ecs_rollouts                       test_ecs_rollouts.py::test_update_service_rolls_out_the_new_task_definition
running); UpdateService starts no deployment
==============================================  =======================================  ===============================================================

Where AWS is stricter than moto, the emulator is made as strict, so that the tests fail where AWS
would (each patch's docstring quotes the AWS rule and its source; ../shared/AWS-FACTS.md):

==============================================  =======================================  ===============================================================
AWS rule moto 5.2.5 does not enforce            Patch                                    Test (tests/unit/compat/)
==============================================  =======================================  ===============================================================
ECS: UpdateService of a CODE_DEPLOY service     patch_ecs_code_deploy_update_rules       test_ecs.py::test_code_deploy_service_refuses_what_only_codedeploy_changes
refuses a task definition, network config-
uration, load balancer or platform version
ECS: DescribeServices of a CODE_DEPLOY service  patch_ecs_code_deploy_platform_version   test_ecs.py::test_code_deploy_service_reports_the_resolved_platform_version
reports LATEST resolved (1.4.0)
ECS: a family alone names its latest ACTIVE     patch_ecs_family_latest_active           test_ecs.py::test_a_family_names_its_latest_active_revision
revision (moto: the newest, INACTIVE too)
CodeDeploy: Get/BatchGetDeployments list an     patch_codedeploy_revision_content        test_codedeploy.py::test_a_deployment_lists_its_appspec_by_sha256_only,
AppSpecContent revision by sha256 only (no                                               test_codedeploy.py::test_application_revision_returns_the_appspec
content; ecspresso rollback.go); GetAppli-
cationRevision returns it (moto: HTTP 500)
EC2: a second interface endpoint with private   patch_ec2_private_dns_conflict           test_duplicates.py::test_a_second_private_dns_endpoint_is_refused
DNS for a service in a VPC is refused (conflic-
ting DNS domain; terraform-provider-aws#17269)
IAM: policy names are unique in the account on  patch_iam_policy_names_unique            test_duplicates.py::test_policy_names_are_unique_across_paths_and_case
any path, case-insensitively (EntityAlready-
Exists; IAM API reference, CreatePolicy)
==============================================  =======================================  ===============================================================

IAM enforcement (moto's access control, off unless switched on: `POST /moto-api/reset-auth` with `0`,
`inf` to switch off; tests/integration/test_iam.py) evaluated as AWS does where the project relies on it
(iam.py; iam:PassRole and other condition keys stay unevaluated: tests/unit/test_iam_policies.py):

==============================================  =======================================  ===============================================================
AWS rule moto 5.2.5 evaluates otherwise         Patch                                    Test (tests/unit/compat/)
==============================================  =======================================  ===============================================================
CloudWatch actions are `cloudwatch:*` (moto:    patch_iam_action_prefixes                test_iam.py::test_cloudwatch_actions_have_the_cloudwatch_prefix
`monitoring:*`, the signing name)
S3 HeadBucket needs s3:ListBucket (moto: an     patch_s3_head_bucket_action              test_iam.py::test_head_bucket_needs_list_bucket
action `s3:HeadBucket` no policy can allow)
SSM parameter actions on the parameter's ARN    patch_ssm_parameter_resources            test_iam.py::test_ssm_parameter_reads_are_scoped_to_the_parameter
(moto: `*`)
Lambda function actions on the function's ARN   patch_lambda_function_resources          test_iam.py::test_lambda_reads_are_scoped_to_the_function
(moto: `*`)
SigV4 of a GET without a body: the empty        patch_iam_signature_of_bodyless_requests test_iam.py::test_lambda_reads_are_scoped_to_the_function
payload (moto: its headers, so every REST GET
fails SignatureDoesNotMatch)
SSM GetParametersByPath on the path as passed,  patch_ssm_parameters_by_path_resource    test_iam.py::test_parameters_by_path_are_authorized_on_the_path_as_passed
trailing slash included (aws-ia/terraform-
aws-control_tower_account_factory#174;
moto: `*`)
IAM CreateRole on the new role's ARN (moto:     patch_iam_create_role_resource           test_iam.py::test_role_management_only_with_the_boundary
`*`)
IAM conditions on iam:PermissionsBoundary       patch_iam_permissions_boundary_condition test_iam.py::test_role_management_only_with_the_boundary
(moto: no identity-policy condition evaluated)
IAM conditions on iam:PolicyARN (Attach/Detach  patch_iam_policy_arn_condition           test_iam.py::test_only_allow_listed_policies_can_be_attached
RolePolicy; moto: counted as met)
A role's permissions boundary caps it, its      patch_iam_permissions_boundaries         test_iam.py::test_the_boundary_caps_a_role
Denies deny (IAM User Guide, permissions
boundaries; moto: never read)
NotResource: the statement applies, with its    patch_iam_not_resource                   test_iam.py::test_a_deny_with_not_resource_denies
Effect, to what it does not list (moto: a
Deny with NotResource allows everywhere)
==============================================  =======================================  ===============================================================

moto runs no pipeline execution and no deployment: the release engine (emulator/engine/, installed by
server.py after these patches) plays what CodePipeline, CodeBuild, CodeDeploy and ECS do on their own,
driven only by the AWS APIs a release uses. The rules it plays, each with its AWS source (the module
docstrings quote them), and the tests that assert the documented behaviour:

==============================================  =======================================  ===============================================================
AWS behaviour the engine plays (source)         Where                                    Test
==============================================  =======================================  ===============================================================
CodePipeline runs stages in order, actions by   engine/pipeline.py                       tests/integration/test_rehearsal.py::test_a_good_commit_reaches_production_traffic
runOrder; a failed action fails the stage and
the execution (CodePipeline user guide, "How
pipeline executions are processed")
Manual approval: SNS publish as the pipeline    engine/pipeline.py::approval             test_rehearsal.py::test_a_rejected_approval_stops_the_execution
role; a rejection fails the stage (CodePipeline
user guide, "Manage approval actions")
CodeBuild: buildspec phases in one shell,       engine/build.py                          test_rehearsal.py::test_a_good_commit_reaches_production_traffic
on-failure ABORT, CODEBUILD_* variables, the
project role's credentials (CodeBuild user
guide, "Build specification reference")
ECS deploy action: a revision of the service's  engine/pipeline.py::ecs_deploy           test_rehearsal.py::test_a_good_commit_reaches_production_traffic
task definition with the image, UpdateService
(CodePipeline action reference, Amazon ECS)
CodeDeployToECS: <IMAGE1_NAME> from image-      engine/pipeline.py::codedeploy_to_ecs    test_rehearsal.py::test_a_good_commit_reaches_production_traffic
Detail.json, <TASK_DEFINITION> in the AppSpec
(action reference, CodeDeployToECS)
CodeDeploy ECS lifecycle, hooks invoked with    engine/codedeploy.py                     test_rehearsal.py::test_a_commit_serving_another_version_is_stopped_by_the_hook
{DeploymentId, LifecycleEventHookExecutionId},
a failed hook fails and rolls back (CodeDeploy
user guide, "AppSpec hooks for ECS")
Canary/Linear/AllAtOnce traffic shifts (Code-   engine/codedeploy.py::traffic_steps      tests/unit/compat/test_engine.py::test_traffic_steps_follow_the_deployment_configuration
Deploy user guide, "Deployment configurations
on an Amazon ECS compute platform")
ECS circuit breaker: threshold = half the       engine/rollouts.py                       test_rehearsal.py::test_a_failing_staging_rollout_is_rolled_back_by_the_circuit_breaker,
desired count, min 3, max 200; FAILED, then                                              tests/unit/compat/test_engine.py::test_circuit_breaker_threshold
rollback (ECS developer guide, "deployment
circuit breaker")
Each step as its role, IAM evaluated            engine/aws.py::patch_enforce_role_sessions  test_rehearsal.py::test_a_missing_permission_fails_the_step_with_access_denied
S3 bucket policy Deny on aws:SecureTransport=   engine/aws.py::patch_s3_secure_transport  tests/unit/compat/test_engine.py::test_a_secure_transport_deny_admits_requests
false refuses every object request in moto
(no such key evaluated); requests count as TLS
moto's RunTask/CreateTaskSet fail (500) for a     engine/rollouts.py::patch_ecs_task_level_memory  test_rehearsal.py::test_a_good_commit_reaches_production_traffic
Fargate container without memory (task-level
memory; ECS "Task definition parameters")
Release calls on their resources (Service       engine/resources.py                      test_rehearsal.py::test_a_missing_permission_fails_the_step_with_access_denied
Authorization Reference; moto: ``*``)
Faults: a seeded, bounded share of requests     engine/faults.py (EMULATOR_FAULTS,       tests/unit/compat/test_engine.py::test_injected_faults_are_bounded_seeded_and_retried
answered 503 Throttling/SlowDown, as AWS        POST /moto-api/faults)
sheds load; SDKs retry them
==============================================  =======================================  ===============================================================

Waits are compressed (engine/codedeploy.py COMPRESSION: one second per minute CodeDeploy waits).

Every field the project's code reads from an AWS response, whether AWS returns it in that call and the
source: docs/emulator.md, "Response fields the project reads" (each path checked against botocore's
model by test_response_fields.py); where AWS omits what moto returns, a patch above omits it too.

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

from emulator.compat._patching import PatchError
from emulator.compat.appautoscaling import patch_appautoscaling_policy_update, patch_appautoscaling_tags
from emulator.compat.codebuild import (
    patch_codebuild_create_project,
    patch_codebuild_delete_project_by_arn,
    patch_codebuild_update_project,
)
from emulator.compat.codedeploy import (
    patch_codedeploy_alarm_configuration,
    patch_codedeploy_release_state,
    patch_codedeploy_revision_content,
    patch_codedeploy_update_and_delete,
)
from emulator.compat.codepipeline import patch_codepipeline_release_state, patch_codepipeline_timestamps
from emulator.compat.connections import patch_codestar_connections
from emulator.compat.duplicates import patch_ec2_private_dns_conflict, patch_iam_policy_names_unique
from emulator.compat.ecs import (
    patch_ecs_code_deploy_platform_version,
    patch_ecs_code_deploy_update_rules,
    patch_ecs_create_service_members,
    patch_ecs_family_latest_active,
)
from emulator.compat.ecs_rollouts import patch_ecs_rollouts
from emulator.compat.iam import (
    patch_iam_action_prefixes,
    patch_iam_create_role_resource,
    patch_iam_not_resource,
    patch_iam_permissions_boundaries,
    patch_iam_permissions_boundary_condition,
    patch_iam_policy_arn_condition,
    patch_iam_signature_of_bodyless_requests,
    patch_lambda_function_resources,
    patch_s3_head_bucket_action,
    patch_ssm_parameter_resources,
    patch_ssm_parameters_by_path_resource,
)

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
    patch_ecs_code_deploy_update_rules,
    patch_ecs_code_deploy_platform_version,
    patch_ecs_family_latest_active,
    patch_ec2_private_dns_conflict,
    patch_iam_policy_names_unique,
    patch_codestar_connections,
    patch_codepipeline_release_state,
    patch_codedeploy_release_state,
    patch_codedeploy_revision_content,
    patch_ecs_rollouts,
    patch_iam_action_prefixes,
    patch_iam_signature_of_bodyless_requests,
    patch_s3_head_bucket_action,
    patch_ssm_parameter_resources,
    patch_ssm_parameters_by_path_resource,
    patch_lambda_function_resources,
    patch_iam_create_role_resource,
    patch_iam_permissions_boundary_condition,
    patch_iam_policy_arn_condition,
    patch_iam_permissions_boundaries,
    patch_iam_not_resource,
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
        f"(emulator/compat/) were verified against moto {MOTO_VERSION} only; refusing to start.\n"
        f"Install moto {MOTO_VERSION} (`make setup`, from Pipfile.lock), or, to move the pin, re-check every gap "
        "listed in emulator/compat/__init__.py against the new moto without the patches (apply error, "
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
