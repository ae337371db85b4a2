"""compat.codebuild: CODEPIPELINE sources, UpdateProject, DeleteProject by ARN."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.unit.compat.helpers import Client, role, unique


def _project(client: Client, **extra: Any) -> dict[str, Any]:
    request: dict[str, Any] = {
        "name": unique("build"),
        "source": {"type": "CODEPIPELINE", "buildspec": "buildspec.yml"},
        "artifacts": {"type": "CODEPIPELINE"},
        "environment": {
            "type": "LINUX_CONTAINER",
            "image": "aws/codebuild/standard:7.0",
            "computeType": "BUILD_GENERAL1_SMALL",
        },
        "serviceRole": role(client, "codebuild.amazonaws.com"),
        **extra,
    }
    return dict(client("codebuild").create_project(**request)["project"])


def test_codebuild_create_project_with_codepipeline_source(client: Client) -> None:
    codebuild = client("codebuild")
    created = _project(client, concurrentBuildLimit=2, badgeEnabled=False)
    (project,) = codebuild.batch_get_projects(names=[created["name"]])["projects"]
    assert project["source"]["type"] == "CODEPIPELINE" and "location" not in project["source"]
    assert project["artifacts"] == {"type": "CODEPIPELINE"}
    assert project["concurrentBuildLimit"] == 2  # kept, not dropped

    with pytest.raises(ClientError, match="location is required"):  # still checked where AWS does
        _project(client, source={"type": "S3"})


def test_codebuild_update_project_round_trips(client: Client) -> None:
    codebuild = client("codebuild")
    created = _project(client, description="before")
    updated = codebuild.update_project(
        name=created["name"],
        description="after",
        timeoutInMinutes=20,
        environment={
            "type": "LINUX_CONTAINER",
            "image": "aws/codebuild/standard:7.0",
            "computeType": "BUILD_GENERAL1_SMALL",
            "environmentVariables": [{"name": "REV", "value": "2", "type": "PLAINTEXT"}],
        },
        tags=[{"key": "rev", "value": "2"}],
    )["project"]
    assert updated["description"] == "after"
    (project,) = codebuild.batch_get_projects(names=[created["arn"]])["projects"]
    assert project["description"] == "after" and project["timeoutInMinutes"] == 20
    assert project["environment"]["environmentVariables"] == [{"name": "REV", "value": "2", "type": "PLAINTEXT"}]
    assert project["tags"] == [{"key": "rev", "value": "2"}]
    assert project["source"] == created["source"]  # members not sent are kept

    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        codebuild.update_project(name=unique("missing"), description="x")


def test_codebuild_delete_project_by_arn(client: Client) -> None:
    codebuild = client("codebuild")
    created = _project(client)
    codebuild.delete_project(name=created["arn"])
    assert created["name"] not in codebuild.list_projects()["projects"]
