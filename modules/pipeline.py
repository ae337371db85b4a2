"""The release path: GitLab -> CodeBuild -> ECR -> one deploy stage per environment.

Each environment's stage follows its strategy: an ECS deploy action on
`<env>/imagedefinitions.json` for rolling, a CodeDeployToECS action on `<env>/taskdef.json`,
`<env>/appspec.yaml` and `imageDetail.json` for blue_green. A non-empty approval list puts
a Manual approval (SNS e-mail) before the stage.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.codebuild_project import (
    CodebuildProject,
)
from cdktf_cdktf_provider_aws.codebuild_project import (
    CodebuildProjectEnvironmentEnvironmentVariable as EnvVar,
)
from cdktf_cdktf_provider_aws.codepipeline import (
    Codepipeline,
    CodepipelineArtifactStore,
    CodepipelineStage,
    CodepipelineStageAction,
)
from cdktf_cdktf_provider_aws.codestarconnections_connection import CodestarconnectionsConnection
from cdktf_cdktf_provider_aws.ecr_lifecycle_policy import EcrLifecyclePolicy
from cdktf_cdktf_provider_aws.ecr_repository import EcrRepository, EcrRepositoryEncryptionConfiguration
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.s3_bucket_lifecycle_configuration import (
    S3BucketLifecycleConfiguration,
    S3BucketLifecycleConfigurationRule,
    S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload,
    S3BucketLifecycleConfigurationRuleExpiration,
    S3BucketLifecycleConfigurationRuleFilter,
    S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration,
)
from cdktf_cdktf_provider_aws.s3_bucket_ownership_controls import S3BucketOwnershipControls
from cdktf_cdktf_provider_aws.s3_bucket_policy import S3BucketPolicy
from cdktf_cdktf_provider_aws.s3_bucket_public_access_block import S3BucketPublicAccessBlock
from cdktf_cdktf_provider_aws.s3_bucket_server_side_encryption_configuration import (
    S3BucketServerSideEncryptionConfigurationA as S3BucketEncryption,
)
from cdktf_cdktf_provider_aws.s3_bucket_server_side_encryption_configuration import (
    S3BucketServerSideEncryptionConfigurationRuleA as S3BucketEncryptionRule,
)
from cdktf_cdktf_provider_aws.s3_bucket_versioning import S3BucketVersioningA as S3BucketVersioning
from cdktf_cdktf_provider_aws.sns_topic import SnsTopic
from cdktf_cdktf_provider_aws.sns_topic_subscription import SnsTopicSubscription
from constructs import Construct

from config.names import ReleaseNames, arn, parameters_by_path_arns
from config.schema import Strategy
from modules.iam import allow, policy, project_role, trust_policy

BUILD_OUTPUT = "BuildOutput"
SOURCE_OUTPUT = "SourceOutput"
SOURCE_VARIABLES = "SourceVariables"


@dataclass(frozen=True)
class DeployStage:
    """One environment's place in the pipeline."""

    environment: str
    strategy: Strategy
    cluster_name: str
    service_name: str
    codedeploy_application: str
    codedeploy_group: str
    task_role_arns: list[str]
    """Roles the deploy may pass to ECS (task and execution role)."""
    approval_emails: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        return self.environment.capitalize()


@dataclass(frozen=True)
class PipelineProps:
    account_id: str
    region: str
    pipeline_name: str
    repository_name: str
    artifact_bucket_prefix: str
    build_project_name: str
    test_project_name: str
    build_role_name: str
    pipeline_role_name: str
    connection_name: str
    approval_topic_prefix: str
    gitlab_project_path: str
    branch: str
    stages: list[DeployStage]
    release_parameters_path: str
    """SSM path of the environments' release parameters the build reads into the appspecs (`/<project>/`)."""
    permissions_boundary: str
    """Of the CodeBuild and CodePipeline roles (config.names.AccessNames.boundary_arn)."""
    build_spec: str = "buildspecs/build.yml"
    test_spec: str = "buildspecs/test.yml"
    build_image: str = "aws/codebuild/standard:7.0"
    log_retention_days: int = 30
    images_kept: int = 100
    """ECR lifecycle: how many images to keep; untagged ones expire after a week."""
    tags: dict[str, str] = field(default_factory=dict)


class ReleasePipeline(Construct):
    def __init__(self, scope: Construct, id_: str, props: PipelineProps):
        super().__init__(scope, id_)
        p = props
        self.repository = self._repository(p)
        self.bucket = self._artifact_bucket(p)
        self.connection = CodestarconnectionsConnection(
            self, "gitlab", name=p.connection_name, provider_type="GitLab", tags=p.tags
        )
        self.topics = {s.environment: self._approval_topic(s, p) for s in p.stages if s.approval_emails}
        self.build_log_group = CloudwatchLogGroup(
            self,
            "build-logs",
            name=f"/codebuild/{p.pipeline_name}",
            retention_in_days=p.log_retention_days,
            tags=p.tags,
        )
        build_role = self._build_role(p)
        self.test_project = self._codebuild("test", p.test_project_name, p.test_spec, build_role, p, privileged=False)
        self.build_project = self._codebuild(
            "build", p.build_project_name, p.build_spec, build_role, p, privileged=True
        )
        self.pipeline = Codepipeline(
            self,
            "pipeline",
            name=p.pipeline_name,
            pipeline_type="V2",
            role_arn=self._pipeline_role(p).arn,
            artifact_store=[CodepipelineArtifactStore(location=self.bucket.bucket, type="S3")],
            stage=self._stages(p),
            tags=p.tags,
        )

    def _repository(self, p: PipelineProps) -> EcrRepository:
        repo = EcrRepository(
            self,
            "ecr",
            name=p.repository_name,
            image_tag_mutability="IMMUTABLE",
            # Destroying the release stack deletes the images too (ECR refuses to delete a repository
            # that holds images: RepositoryNotEmptyException); they are rebuilt from source.
            force_delete=True,
            image_scanning_configuration={"scan_on_push": True},
            encryption_configuration=[EcrRepositoryEncryptionConfiguration(encryption_type="KMS")],
            tags=p.tags,
        )
        rules = [
            {
                "rulePriority": 1,
                "description": "Expire untagged images after 7 days",
                "selection": {
                    "tagStatus": "untagged",
                    "countType": "sinceImagePushed",
                    "countUnit": "days",
                    "countNumber": 7,
                },
                "action": {"type": "expire"},
            },
            {
                "rulePriority": 2,
                "description": f"Keep the last {p.images_kept} images",
                "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": p.images_kept},
                "action": {"type": "expire"},
            },
        ]
        EcrLifecyclePolicy(self, "ecr-lifecycle", repository=repo.name, policy=json.dumps({"rules": rules}))
        return repo

    def _artifact_bucket(self, p: PipelineProps) -> S3Bucket:
        bucket = S3Bucket(self, "artifacts", bucket_prefix=p.artifact_bucket_prefix, force_destroy=True, tags=p.tags)
        S3BucketPublicAccessBlock(
            self,
            "artifacts-public-access",
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
        )
        S3BucketOwnershipControls(
            self, "artifacts-ownership", bucket=bucket.id, rule={"object_ownership": "BucketOwnerEnforced"}
        )
        S3BucketVersioning(
            self, "artifacts-versioning", bucket=bucket.id, versioning_configuration={"status": "Enabled"}
        )
        S3BucketEncryption(
            self,
            "artifacts-encryption",
            bucket=bucket.id,
            rule=[
                S3BucketEncryptionRule(
                    apply_server_side_encryption_by_default={"sse_algorithm": "aws:kms"}, bucket_key_enabled=True
                )
            ],
        )
        S3BucketLifecycleConfiguration(
            self,
            "artifacts-lifecycle",
            bucket=bucket.id,
            rule=[
                S3BucketLifecycleConfigurationRule(
                    id="expire-old-artifacts",
                    status="Enabled",
                    filter=[S3BucketLifecycleConfigurationRuleFilter(prefix="")],
                    expiration=[S3BucketLifecycleConfigurationRuleExpiration(days=90)],
                    noncurrent_version_expiration=[
                        S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration(noncurrent_days=30)
                    ],
                    abort_incomplete_multipart_upload=[
                        S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload(days_after_initiation=7)
                    ],
                )
            ],
        )
        S3BucketPolicy(
            self,
            "artifacts-tls-only",
            bucket=bucket.id,
            policy=policy(
                {
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [bucket.arn, f"{bucket.arn}/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }
            ),
        )
        return bucket

    def _approval_topic(self, stage: DeployStage, p: PipelineProps) -> SnsTopic:
        topic = SnsTopic(
            self,
            f"approval-{stage.environment}",
            name=f"{p.approval_topic_prefix}-{stage.environment}",
            kms_master_key_id="alias/aws/sns",
            tags=p.tags,
        )
        for i, email in enumerate(stage.approval_emails):
            SnsTopicSubscription(
                self, f"approval-{stage.environment}-{i}", topic_arn=topic.arn, protocol="email", endpoint=email
            )
        return topic

    def _codebuild(
        self, id_: str, name: str, spec: str, role: IamRole, p: PipelineProps, *, privileged: bool
    ) -> CodebuildProject:
        env_vars = [
            EnvVar(name="AWS_ACCOUNT_ID", value=p.account_id),
            EnvVar(name="ECR_REPOSITORY_URI", value=self.repository.repository_url),
            EnvVar(name="RELEASE_PARAMETERS_PATH", value=p.release_parameters_path),
        ]
        return CodebuildProject(
            self,
            id_,
            name=name,
            service_role=role.arn,
            build_timeout=30,
            queued_timeout=60,
            source={"type": "CODEPIPELINE", "buildspec": spec},
            artifacts={"type": "CODEPIPELINE"},
            environment={
                "type": "LINUX_CONTAINER",
                "compute_type": "BUILD_GENERAL1_SMALL",
                "image": p.build_image,
                "image_pull_credentials_type": "CODEBUILD",
                "privileged_mode": privileged,
                "environment_variable": env_vars,
            },
            logs_config={"cloudwatch_logs": {"group_name": self.build_log_group.name, "stream_name": id_}},
            tags=p.tags,
        )

    def _build_role(self, p: PipelineProps) -> IamRole:
        role = project_role(
            self,
            "build-role",
            name=p.build_role_name,
            tags=p.tags,
            assume_role_policy=trust_policy("codebuild.amazonaws.com", p.account_id),
            permissions_boundary=p.permissions_boundary,
        )
        IamRolePolicy(
            self,
            "build-policy",
            name="build-and-push",
            role=role.id,
            policy=policy(
                allow(["logs:CreateLogStream", "logs:PutLogEvents"], [f"{self.build_log_group.arn}:*"], sid="Logs"),
                allow(
                    ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"], [f"{self.bucket.arn}/*"], sid="Artifacts"
                ),
                # The bucket-identity reads of AWS's documented CodeBuild service role.
                allow(["s3:GetBucketAcl", "s3:GetBucketLocation"], [self.bucket.arn], sid="ArtifactBucket"),
                allow(["ecr:GetAuthorizationToken"], "*", sid="EcrToken"),
                allow(
                    ["ssm:GetParametersByPath"],
                    # IAM evaluates the path as the buildspec passes it (`/<project>/`): both forms.
                    parameters_by_path_arns(p.region, p.account_id, p.release_parameters_path),
                    sid="ReleaseParameters",
                ),
                allow(
                    [
                        "ecr:BatchCheckLayerAvailability",
                        "ecr:BatchGetImage",
                        "ecr:CompleteLayerUpload",
                        "ecr:DescribeImages",
                        "ecr:GetDownloadUrlForLayer",
                        "ecr:InitiateLayerUpload",
                        "ecr:PutImage",
                        "ecr:UploadLayerPart",
                    ],
                    [self.repository.arn],
                    sid="PushImage",
                ),
            ),
        )
        return role

    def _pipeline_role(self, p: PipelineProps) -> IamRole:
        role = project_role(
            self,
            "pipeline-role",
            name=p.pipeline_role_name,
            tags=p.tags,
            assume_role_policy=trust_policy("codepipeline.amazonaws.com", p.account_id),
            permissions_boundary=p.permissions_boundary,
        )

        def here(service: str, resource: str) -> str:
            return arn(service, p.region, p.account_id, resource)

        services = [here("ecs", f"service/{s.cluster_name}/{s.service_name}") for s in p.stages]
        codedeploy = [
            r
            for s in p.stages
            for r in (
                here("codedeploy", f"application:{s.codedeploy_application}"),
                here("codedeploy", f"deploymentgroup:{s.codedeploy_application}/{s.codedeploy_group}"),
            )
        ] + [here("codedeploy", "deploymentconfig:*")]
        statements = [
            allow(
                ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:GetBucketVersioning"],
                [self.bucket.arn, f"{self.bucket.arn}/*"],
                sid="Artifacts",
            ),
            allow(
                ["codestar-connections:UseConnection", "codeconnections:UseConnection"],
                [self.connection.arn],
                sid="Source",
            ),
            allow(
                ["codebuild:StartBuild", "codebuild:BatchGetBuilds"],
                [self.build_project.arn, self.test_project.arn],
                sid="Build",
            ),
            allow(["ecs:DescribeServices", "ecs:UpdateService"], services, sid="DeployServices"),
            # The rest of AWS's documented minimum for the ECS deploy action: it watches the new tasks.
            allow(
                ["ecs:DescribeTasks"], [here("ecs", f"task/{s.cluster_name}/*") for s in p.stages], sid="DeployTasks"
            ),
            allow(
                ["ecs:ListTasks"],
                "*",
                sid="ListDeployTasks",
                Condition={"ArnEquals": {"ecs:cluster": [here("ecs", f"cluster/{s.cluster_name}") for s in p.stages]}},
            ),
            allow(
                ["ecs:DescribeTaskDefinition", "ecs:RegisterTaskDefinition", "ecs:TagResource"],
                "*",
                sid="TaskDefinitions",
            ),
            allow(
                [
                    "codedeploy:CreateDeployment",
                    "codedeploy:GetApplication",
                    "codedeploy:GetApplicationRevision",
                    "codedeploy:GetDeployment",
                    "codedeploy:GetDeploymentConfig",
                    "codedeploy:RegisterApplicationRevision",
                ],
                codedeploy,
                sid="DeployBlueGreen",
            ),
            allow(
                ["iam:PassRole"],
                sorted({a for s in p.stages for a in s.task_role_arns}),
                sid="PassTaskRoles",
                Condition={"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
            ),
        ]
        if self.topics:
            statements.append(allow(["sns:Publish"], [t.arn for t in self.topics.values()], sid="Approvals"))
        IamRolePolicy(self, "pipeline-policy", name="release", role=role.id, policy=policy(*statements))
        return role

    def _stages(self, p: PipelineProps) -> list[CodepipelineStage]:
        stages: list[dict[str, Any]] = [
            {
                "name": "Source",
                "action": [
                    {
                        "name": "Source",
                        "category": "Source",
                        "owner": "AWS",
                        "provider": "CodeStarSourceConnection",
                        "version": "1",
                        "output_artifacts": [SOURCE_OUTPUT],
                        "namespace": SOURCE_VARIABLES,
                        "configuration": {
                            "ConnectionArn": self.connection.arn,
                            "FullRepositoryId": p.gitlab_project_path,
                            "BranchName": p.branch,
                            "OutputArtifactFormat": "CODE_ZIP",
                        },
                    }
                ],
            },
            {
                "name": "Build",
                "action": [
                    {
                        "name": "Test",
                        "category": "Test",
                        "owner": "AWS",
                        "provider": "CodeBuild",
                        "version": "1",
                        "run_order": 1,
                        "input_artifacts": [SOURCE_OUTPUT],
                        "configuration": {"ProjectName": self.test_project.name},
                    },
                    {
                        "name": "Build",
                        "category": "Build",
                        "owner": "AWS",
                        "provider": "CodeBuild",
                        "version": "1",
                        "run_order": 2,
                        "input_artifacts": [SOURCE_OUTPUT],
                        "output_artifacts": [BUILD_OUTPUT],
                        "configuration": {
                            "ProjectName": self.build_project.name,
                            # The image tag: the commit the source action fetched, whatever CodeBuild resolves.
                            "EnvironmentVariables": json.dumps(
                                [
                                    {
                                        "name": "COMMIT_ID",
                                        "value": f"#{{{SOURCE_VARIABLES}.CommitId}}",
                                        "type": "PLAINTEXT",
                                    }
                                ]
                            ),
                        },
                    },
                ],
            },
        ]
        for stage in p.stages:
            if stage.environment in self.topics:
                stages.append(
                    {
                        "name": ReleaseNames.approval_stage(stage.environment),
                        "action": [
                            {
                                "name": ReleaseNames.approval_action,
                                "category": "Approval",
                                "owner": "AWS",
                                "provider": "Manual",
                                "version": "1",
                                "configuration": {
                                    "NotificationArn": self.topics[stage.environment].arn,
                                    "CustomData": f"Approve the release to {stage.environment}.",
                                },
                            }
                        ],
                    }
                )
            stages.append(
                {"name": ReleaseNames.deploy_stage(stage.environment), "action": [self._deploy_action(stage)]}
            )
        return [
            CodepipelineStage(name=st["name"], action=[CodepipelineStageAction(**a) for a in st["action"]])
            for st in stages
        ]

    @staticmethod
    def _deploy_action(stage: DeployStage) -> dict[str, Any]:
        if stage.strategy is Strategy.ROLLING:
            return {
                "name": "Deploy",
                "category": "Deploy",
                "owner": "AWS",
                "provider": "ECS",
                "version": "1",
                "input_artifacts": [BUILD_OUTPUT],
                "configuration": {
                    "ClusterName": stage.cluster_name,
                    "ServiceName": stage.service_name,
                    "FileName": f"{stage.environment}/imagedefinitions.json",
                },
            }
        return {
            "name": "Deploy",
            "category": "Deploy",
            "owner": "AWS",
            "provider": "CodeDeployToECS",
            "version": "1",
            "input_artifacts": [BUILD_OUTPUT],
            "configuration": {
                "ApplicationName": stage.codedeploy_application,
                "DeploymentGroupName": stage.codedeploy_group,
                "TaskDefinitionTemplateArtifact": BUILD_OUTPUT,
                "TaskDefinitionTemplatePath": f"{stage.environment}/taskdef.json",
                "AppSpecTemplateArtifact": BUILD_OUTPUT,
                "AppSpecTemplatePath": f"{stage.environment}/appspec.yaml",
                "Image1ArtifactName": BUILD_OUTPUT,
                "Image1ContainerName": "IMAGE1_NAME",
            },
        }
