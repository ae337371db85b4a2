"""The rendered release artifacts, used as the pipeline's deploy actions use them, against
the local AWS emulator with the stacks deployed.

Fixtures (tests/integration/conftest.py): `aws(service) -> boto3 client` on the emulator,
and `project`, the loaded config.Project the stacks were deployed from.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import yaml

from artifacts import IMAGE_DETAIL, TASK_DEFINITION_PLACEHOLDER, render
from config import Environment, Project
from config.names import names_for
from config.task_definition import IMAGE_PLACEHOLDER

COMMIT = "0123456789abcdef0123456789abcdef01234567"

Aws = Callable[[str], Any]
Register = Callable[[Environment], dict[str, Any]]


@pytest.fixture
def register(aws: Aws, project: Project) -> Iterator[Register]:
    """What the deploy actions do with taskdef.json: put the image in, register it.

    The revisions are deregistered afterwards, so the deployed family's latest ACTIVE
    revision is still the one Terraform registered for the tests that run after these.
    """
    ecs = aws("ecs")
    arns: list[str] = []

    def register_rendered(env: Environment) -> dict[str, Any]:
        files = render(project, COMMIT, [env.name])
        image = json.loads(files[IMAGE_DETAIL])["ImageURI"]
        taskdef = files[f"{env.name}/taskdef.json"]
        assert taskdef.count(IMAGE_PLACEHOLDER) == 1
        registered = ecs.register_task_definition(**json.loads(taskdef.replace(IMAGE_PLACEHOLDER, image)))[
            "taskDefinition"
        ]
        arns.append(registered["taskDefinitionArn"])
        return registered

    yield register_rendered
    for arn in arns:
        ecs.deregister_task_definition(taskDefinition=arn)


def test_ecs_accepts_the_rendered_task_definitions(aws: Aws, project: Project, register: Register) -> None:
    for env in project.environments:
        names = names_for(project.settings, env)
        registered = register(env)

        assert registered["family"] == names.task_family, env.name
        assert registered["revision"] >= 1, env.name
        assert registered["status"] == "ACTIVE", env.name
        (container,) = registered["containerDefinitions"]
        assert container["name"] == names.container, env.name
        assert container["image"].endswith(f"/{env.service.image_repository}:{COMMIT}"), env.name
        assert [m["containerPort"] for m in container["portMappings"]] == [env.service.container_port], env.name
        described = aws("ecs").describe_task_definition(taskDefinition=registered["taskDefinitionArn"])[
            "taskDefinition"
        ]
        assert described["revision"] == registered["revision"], env.name


def test_codedeploy_accepts_a_deployment_of_the_rendered_appspec(
    aws: Aws, project: Project, register: Register
) -> None:
    blue_green = [env for env in project.environments if env.strategy == "blue_green"]
    assert blue_green, "environments/production.yaml is blue_green: this test needs it to prove the appspec"
    codedeploy = aws("codedeploy")
    for env in blue_green:
        names = names_for(project.settings, env)
        arn = register(env)["taskDefinitionArn"]
        template = render(project, COMMIT, [env.name])[f"{env.name}/appspec.yaml"]
        assert template.count(TASK_DEFINITION_PLACEHOLDER) == 1
        content = template.replace(TASK_DEFINITION_PLACEHOLDER, arn)  # what CodeDeployToECS does

        deployment_id = codedeploy.create_deployment(
            applicationName=names.codedeploy_app,
            deploymentGroupName=names.codedeploy_group,
            revision={"revisionType": "AppSpecContent", "appSpecContent": {"content": content}},
        )["deploymentId"]

        assert deployment_id, env.name
        info = codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]
        assert (info["deploymentId"], info["applicationName"], info["deploymentGroupName"]) == (
            deployment_id,
            names.codedeploy_app,
            names.codedeploy_group,
        ), env.name
        # As AWS: GetDeployment lists the AppSpec by its sha256 only; the text is the application's revision.
        assert "content" not in info["revision"]["appSpecContent"], env.name
        stored = codedeploy.get_application_revision(applicationName=names.codedeploy_app, revision=info["revision"])
        deployed = yaml.safe_load(stored["revision"]["appSpecContent"]["content"])
        target = deployed["Resources"][0]["TargetService"]["Properties"]
        assert target["TaskDefinition"] == arn, env.name
        assert target["LoadBalancerInfo"] == {
            "ContainerName": names.container,
            "ContainerPort": env.service.container_port,
        }, env.name
