"""compat.ecs_rollouts: an ECS-controller service's deployments end as a finished rollout does."""

from __future__ import annotations

from tests.unit.compat.helpers import Client, ecs_service


def test_update_service_rolls_out_the_new_task_definition(client: Client) -> None:
    ecs = client("ecs")
    cluster, name, created = ecs_service(client)
    (first,) = created["deployments"]
    assert (first["status"], first["rolloutState"], first["runningCount"]) == ("PRIMARY", "COMPLETED", 1)
    assert created["runningCount"] == 1 and created["pendingCount"] == 0
    family = created["taskDefinition"].rsplit("/", 1)[-1].split(":")[0]
    second = ecs.register_task_definition(
        family=family, containerDefinitions=[{"name": "web", "image": "nginx:2", "memory": 128}]
    )["taskDefinition"]["taskDefinitionArn"]

    updated = ecs.update_service(cluster=cluster, service=name, taskDefinition=f"{family}:2")["service"]
    assert updated["taskDefinition"] == second  # the ARN, as AWS reports it
    (rollout,) = ecs.describe_services(cluster=cluster, services=[name])["services"][0]["deployments"]
    assert rollout["id"] != first["id"] and rollout["taskDefinition"] == second
    assert (rollout["status"], rollout["rolloutState"], rollout["runningCount"]) == ("PRIMARY", "COMPLETED", 1)
    assert rollout["rolloutStateReason"] == f"ECS deployment {rollout['id']} completed."

    ecs.update_service(cluster=cluster, service=name, desiredCount=3)
    (scaled,) = ecs.describe_services(cluster=cluster, services=[name])["services"][0]["deployments"]
    assert scaled["id"] == rollout["id"] and (scaled["desiredCount"], scaled["runningCount"]) == (3, 3)
    forced = ecs.update_service(cluster=cluster, service=name, forceNewDeployment=True)["service"]
    assert forced["deployments"][0]["id"] != rollout["id"]


def test_code_deploy_services_keep_no_ecs_deployment(client: Client) -> None:
    _, _, created = ecs_service(client, deploymentController={"type": "CODE_DEPLOY"})
    assert created["deployments"] == []
