"""The release: ECR and the pipeline across environments (GitLab CI's AWS access: the access stack)."""

from __future__ import annotations

from cdktf import TerraformOutput
from constructs import Construct

from config.names import RELEASE_STACK, AccessNames, ReleaseNames, names_for
from config.schema import Project
from modules.pipeline import DeployStage, PipelineProps, ReleasePipeline
from stacks.base import AwsStack

STACK = RELEASE_STACK


class ReleaseStack(AwsStack):
    def __init__(self, scope: Construct, project: Project):
        s = project.settings
        super().__init__(scope, STACK, aws=s.aws, state=s.state, tags=s.tags)
        names = ReleaseNames(s.name)
        stages = []
        for env in project.environments:
            n = names_for(s, env)
            stages.append(
                DeployStage(
                    environment=env.name,
                    strategy=env.deployment.strategy,
                    cluster_name=n.cluster,
                    service_name=n.ecs_service,
                    codedeploy_application=n.codedeploy_app,
                    codedeploy_group=n.codedeploy_group,
                    task_role_arns=[n.role_arn(env.aws.account_id, r) for r in (n.task_role, n.execution_role)],
                    approval_emails=list(env.release.approval_emails),
                )
            )
        pipeline = ReleasePipeline(
            self,
            "release",
            PipelineProps(
                account_id=s.aws.account_id,
                region=s.aws.region,
                pipeline_name=names.pipeline,
                repository_name=project.image_repository,
                artifact_bucket_prefix=names.artifact_bucket_prefix,
                build_project_name=names.build_project,
                test_project_name=names.test_project,
                build_role_name=names.build_role,
                pipeline_role_name=names.pipeline_role,
                connection_name=names.connection,
                release_parameters_path=names.release_parameters_path,
                approval_topic_prefix=names.approval_topic,
                gitlab_project_path=s.gitlab.project_path,
                branch=s.gitlab.branch,
                stages=stages,
                permissions_boundary=AccessNames(s.name).boundary_arn(s.aws.account_id),
            ),
        )
        TerraformOutput(self, "ecr_repository_url", value=pipeline.repository.repository_url)
        TerraformOutput(self, "pipeline", value=pipeline.pipeline.name)
        TerraformOutput(self, "gitlab_connection_arn", value=pipeline.connection.arn)
