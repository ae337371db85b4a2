"""`release rollback` of a blue_green environment redeploys the revision before the current one as AWS lists
it: by its sha256 only (GetDeployment/BatchGetDeployments), so the AppSpec comes from GetApplicationRevision.
Against the local emulator, which answers as AWS does (emulator/compat/codedeploy.py)."""

from __future__ import annotations

import pytest

from orchestrator.release.actions import _stored_revision
from orchestrator.release.common import ReleaseError
from tests.unit.compat.helpers import role, unique
from tests.unit.conftest import LocalAws

APPSPEC = """version: 0.0
Resources:
- TargetService:
    Type: AWS::ECS::Service
    Properties:
      TaskDefinition: arn:aws:ecs:eu-west-1:123456789012:task-definition/web:{revision}
      LoadBalancerInfo:
        ContainerName: web
        ContainerPort: 8080
Hooks:
- AfterAllowTestTraffic: acme-web-production-release-hook
"""


def _group(local_aws: LocalAws) -> tuple[str, str]:
    codedeploy = local_aws.client("codedeploy")
    app, group = unique("app"), unique("dg")
    codedeploy.create_application(applicationName=app, computePlatform="ECS")
    codedeploy.create_deployment_group(
        applicationName=app,
        deploymentGroupName=group,
        serviceRoleArn=role(local_aws.client, "codedeploy.amazonaws.com"),
        deploymentStyle={"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
        ecsServices=[{"serviceName": "web", "clusterName": "prod"}],
    )
    return app, group


def test_the_previous_revision_is_redeployed_with_its_whole_appspec(local_aws: LocalAws) -> None:
    codedeploy = local_aws.client("codedeploy")
    app, group = _group(local_aws)
    first = codedeploy.create_deployment(
        applicationName=app,
        deploymentGroupName=group,
        revision={"revisionType": "AppSpecContent", "appSpecContent": {"content": APPSPEC.format(revision=1)}},
    )["deploymentId"]
    (listed,) = codedeploy.batch_get_deployments(deploymentIds=[first])["deploymentsInfo"]
    assert set(listed["revision"]["appSpecContent"]) == {"sha256"}  # what the rollback finds: no content

    revision = _stored_revision(codedeploy, app, listed["revision"])
    assert revision == {"revisionType": "AppSpecContent", "appSpecContent": {"content": APPSPEC.format(revision=1)}}
    again = codedeploy.create_deployment(applicationName=app, deploymentGroupName=group, revision=revision)
    redeployed = codedeploy.get_deployment(deploymentId=again["deploymentId"])["deploymentInfo"]["revision"]
    assert redeployed == listed["revision"]  # the same AppSpec, byte for byte
    for deployment in (first, again["deploymentId"]):
        codedeploy.stop_deployment(deploymentId=deployment, autoRollbackEnabled=False)


def test_a_revision_codedeploy_no_longer_has_is_named(local_aws: LocalAws) -> None:
    app, _ = _group(local_aws)
    gone = {"revisionType": "AppSpecContent", "appSpecContent": {"sha256": "0" * 64}}
    with pytest.raises(ReleaseError, match="no longer has the revision"):
        _stored_revision(local_aws.client("codedeploy"), app, gone)


def test_an_s3_revision_is_its_own_location() -> None:
    s3 = {"revisionType": "S3", "s3Location": {"bucket": "b", "key": "k", "bundleType": "zip"}}
    assert _stored_revision(None, "any", s3) == s3  # nothing to ask CodeDeploy
