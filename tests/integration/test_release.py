"""`python main.py release ...` on the local target, the release put in states CodePipeline and CodeDeploy reach.

The release engine (emulator/engine/) runs executions started with StartPipelineExecution and the
deployments of images its build pushed; end to end, on its own emulator: test_rehearsal.py. Here, on
the shared deployment, the compat layer's test-only drivers (emulator/compat/_driver.py) still put an
execution at the production approval or a deployment of a never-built image at its hook, so each test
checks that a command reads and changes that state as it would on AWS, without a release changing
the shared deployment. The module leaves the deployment converged (last test).
"""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from artifacts import IMAGE_DETAIL, TASK_DEFINITION_PLACEHOLDER, render
from artifacts.parameters import from_ssm_output
from config.task_definition import IMAGE_PLACEHOLDER

PIPELINE = "acme-web-release"
APP, GROUP = "acme-web-production", "acme-web-production-web"
HOOK = "acme-web-production-release-hook"
RELEASED = "0123456789abcdef0123456789abcdef01234567"
UP_TO_APPROVAL = {"Source": "Succeeded", "Build": "Succeeded", "Deploy-Staging": "Succeeded"}
EVERY_STAGE = ["Source", "Build", "Deploy-Staging", "Approval-Production", "Deploy-Production"]


def drive(deployed, name: str, body: dict[str, Any]) -> dict[str, Any]:
    """A compat test driver: move a release as the AWS service would."""
    request = urllib.request.Request(
        f"{deployed.endpoint}/moto-api/compat/{name}",
        data=json.dumps({"region": deployed.region, **body}).encode(),
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        answer: dict[str, Any] = json.loads(response.read())
    return answer


def release(deployed, *args: str):
    return deployed.run("release", *args, timeout=300)


def active_deployments(aws) -> list[str]:
    found = aws("codedeploy").list_deployments(
        applicationName=APP,
        deploymentGroupName=GROUP,
        includeOnlyStatuses=["Created", "Queued", "InProgress", "Baking", "Ready"],
    )
    return list(found["deployments"])


def settle(deployed, aws) -> None:
    """No deployment in progress and no execution in progress: what CodeDeploy and CodePipeline end with."""
    for deployment in active_deployments(aws):
        aws("codedeploy").stop_deployment(deploymentId=deployment, autoRollbackEnabled=False)
    for summary in aws("codepipeline").list_pipeline_executions(pipelineName=PIPELINE)["pipelineExecutionSummaries"]:
        if summary["status"] == "InProgress":
            drive(
                deployed,
                "codepipeline/execution",
                {
                    "pipelineName": PIPELINE,
                    "pipelineExecutionId": summary["pipelineExecutionId"],
                    "stages": dict.fromkeys(EVERY_STAGE, "Succeeded"),
                },
            )


@pytest.fixture(scope="module", autouse=True)
def quiet(deployed, aws) -> Iterator[None]:
    settle(deployed, aws)  # what earlier modules left (test_release_artifacts creates a deployment)
    yield
    settle(deployed, aws)


@pytest.fixture
def codedeploy_release(deployed, aws, project):
    """What the pipeline's CodeDeployToECS action does with the build's artifacts, for `commit`."""

    def create(commit: str = RELEASED) -> str:
        parameters = from_ssm_output(
            project, aws("ssm").get_parameters_by_path(Path="/acme-web/", Recursive=True)
        )  # what the build reads
        files = render(project, commit, ["production"], parameters=parameters)
        image = json.loads(files[IMAGE_DETAIL])["ImageURI"]
        taskdef = json.loads(str(files["production/taskdef.json"]).replace(IMAGE_PLACEHOLDER, image))
        arn = aws("ecs").register_task_definition(**taskdef)["taskDefinition"]["taskDefinitionArn"]
        appspec = str(files["production/appspec.yaml"]).replace(TASK_DEFINITION_PLACEHOLDER, arn)
        assert f"AfterAllowTestTraffic: {HOOK}" in appspec  # the hook gates the shift
        return str(
            aws("codedeploy").create_deployment(
                applicationName=APP,
                deploymentGroupName=GROUP,
                revision={"revisionType": "AppSpecContent", "appSpecContent": {"content": appspec}},
            )["deploymentId"]
        )

    return create


def test_release_help_lists_the_subcommands(deployed):
    result = release(deployed, "--help")
    assert result.returncode == 0
    for name in ("status", "start", "approve", "reject", "rollback", "wait", "verify"):
        assert f"    {name} " in result.stdout, name


def test_status_reports_every_environment(deployed):
    result = release(deployed, "status", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert set(report["environments"]) == {"staging", "production"}
    assert report["pipeline"]["pipeline"] == PIPELINE and report["pipeline"]["found"]
    assert [s["stage"] for s in report["pipeline"]["stages"]] == EVERY_STAGE
    staging, production = report["environments"]["staging"], report["environments"]["production"]
    assert staging["strategy"] == "rolling" and staging["deployments"][0]["status"] == "PRIMARY"
    assert staging["circuit_breaker"]["enabled"] is True
    assert production["strategy"] == "blue_green"
    assert production["live_target_group"] in ("acme-web-production-blue", "acme-web-production-green")
    assert production["test_target_group"] in ("acme-web-production-blue", "acme-web-production-green")
    assert [s["live"] for s in production["sides"]] == [True]
    assert production["sides"][0]["image"].startswith("111111111111.dkr.ecr.eu-west-1.amazonaws.com/acme-web:")


def test_approve_answers_the_waiting_approval(deployed, aws):
    waiting = drive(
        deployed,
        "codepipeline/execution",
        {
            "pipelineName": PIPELINE,
            "sourceRevision": RELEASED,
            "stages": {**UP_TO_APPROVAL, "Approval-Production": "InProgress"},
            "waitingSeconds": 900,
        },
    )
    status = json.loads(release(deployed, "status", "--json").stdout)["pipeline"]
    assert status["execution"]["id"] == waiting["pipelineExecutionId"]
    assert (status["execution"]["status"], status["execution"]["commit"]) == ("InProgress", RELEASED)
    (wait,) = status["waiting"]
    assert (wait["stage"], wait["on"], wait["environment"]) == ("Approval-Production", "approval", "production")
    assert wait["token_age_seconds"] >= 900  # the approval has waited since the driver put it there

    result = release(deployed, "approve", "production")
    assert result.returncode == 0, result.stderr
    states = {s["stageName"]: s for s in aws("codepipeline").get_pipeline_state(name=PIPELINE)["stageStates"]}
    approval = states["Approval-Production"]["actionStates"][0]["latestExecution"]
    assert approval["status"] == "Succeeded" and "release approve" in approval["summary"]
    assert states["Deploy-Production"]["latestExecution"]["status"] == "InProgress"  # CodePipeline goes on

    again = release(deployed, "approve", "production")
    assert again.returncode == 1 and "error: no approval is pending for production" in again.stderr
    settle(deployed, aws)


def test_reject_fails_the_execution(deployed, aws):
    waiting = drive(
        deployed,
        "codepipeline/execution",
        {"pipelineName": PIPELINE, "stages": {**UP_TO_APPROVAL, "Approval-Production": "InProgress"}},
    )
    result = release(deployed, "reject", "production", "--reason", "5xx on staging")
    assert result.returncode == 0, result.stderr
    execution = aws("codepipeline").get_pipeline_execution(
        pipelineName=PIPELINE, pipelineExecutionId=waiting["pipelineExecutionId"]
    )["pipelineExecution"]
    assert execution["status"] == "Failed"
    states = {s["stageName"]: s for s in aws("codepipeline").get_pipeline_state(name=PIPELINE)["stageStates"]}
    assert "5xx on staging" in states["Approval-Production"]["actionStates"][0]["latestExecution"]["summary"]
    refused = release(deployed, "approve", "staging")
    assert refused.returncode == 2 and "staging has no manual approval" in refused.stderr


def test_start_starts_an_execution_of_the_commit(deployed, aws):
    result = release(deployed, "start", "--commit", RELEASED)
    assert result.returncode == 0, result.stderr
    execution = result.stdout.strip()
    (latest,) = aws("codepipeline").list_pipeline_executions(pipelineName=PIPELINE, maxResults=1)[
        "pipelineExecutionSummaries"
    ]
    assert latest["pipelineExecutionId"] == execution
    assert latest["sourceRevisions"][0]["revisionId"] == RELEASED
    # The release engine runs it: a commit the repository does not have fails the source action.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = aws("codepipeline").get_pipeline_execution(pipelineName=PIPELINE, pipelineExecutionId=execution)
        if found["pipelineExecution"]["status"] != "InProgress":
            break
        time.sleep(0.2)
    assert found["pipelineExecution"]["status"] == "Failed"
    states = {s["stageName"]: s for s in aws("codepipeline").get_pipeline_state(name=PIPELINE)["stageStates"]}
    assert f"commit {RELEASED} not found" in states["Source"]["actionStates"][0]["latestExecution"]["summary"]
    bad = release(deployed, "start", "--commit", "not-a-sha")
    assert bad.returncode == 2 and "--commit" in bad.stderr
    settle(deployed, aws)


def test_rollback_stops_the_deployment_in_progress_and_wait_fails(deployed, aws, codedeploy_release):
    good = codedeploy_release("1111111111111111111111111111111111111111")
    drive(deployed, "codedeploy/deployment", {"deploymentId": good, "status": "Succeeded"})
    deployment = codedeploy_release()
    hook = drive(
        deployed,
        "codedeploy/deployment",
        {"deploymentId": deployment, "status": "InProgress", "lifecycleEvent": "AfterAllowTestTraffic"},
    )
    assert hook["lifecycleEventHookExecutionId"]  # CodeDeploy would invoke the hook now
    status = json.loads(release(deployed, "status", "production", "--json").stdout)["environments"]["production"]
    assert status["in_progress"] and status["deployment"]["id"] == deployment
    events = {e["event"]: e["status"] for e in status["deployment"]["lifecycle_events"]}
    assert events["AfterAllowTestTraffic"] == "InProgress" and events["AllowTraffic"] == "Pending"
    assert status["deployment"]["traffic_shifted_percent"] == 0.0
    assert {s["label"] for s in status["deployment"]["task_sets"]} == {"Blue", "Green"}

    result = release(deployed, "rollback", "production")
    assert result.returncode == 0, result.stderr
    info = aws("codedeploy").get_deployment(deploymentId=deployment)["deploymentInfo"]
    assert info["status"] == "Stopped" and info["errorInformation"]["code"] == "MANUAL_STOP"
    rollback = aws("codedeploy").get_deployment(deploymentId=info["rollbackInfo"]["rollbackDeploymentId"])
    assert rollback["deploymentInfo"]["creator"] == "codeDeployRollback"
    assert (
        rollback["deploymentInfo"]["revision"]
        == aws("codedeploy").get_deployment(deploymentId=good)["deploymentInfo"]["revision"]
    )

    waited = release(deployed, "wait", "production", "--timeout", "30", "--json")
    assert waited.returncode == 1, waited.stderr
    outcome = json.loads(waited.stdout)
    assert (outcome["deployment"], outcome["status"]) == (deployment, "Stopped")
    assert outcome["rollback_deployment"] == info["rollbackInfo"]["rollbackDeploymentId"]
    assert "stopped" in waited.stderr and "rolled back by" in waited.stderr
    settle(deployed, aws)


def test_wait_succeeds_and_rollback_redeploys_the_previous_revision(deployed, aws, codedeploy_release):
    previous = codedeploy_release("2222222222222222222222222222222222222222")
    drive(deployed, "codedeploy/deployment", {"deploymentId": previous, "status": "Succeeded"})
    current = codedeploy_release("3333333333333333333333333333333333333333")
    drive(deployed, "codedeploy/deployment", {"deploymentId": current, "status": "Succeeded"})
    waited = release(deployed, "wait", "production", "--timeout", "30")
    assert waited.returncode == 0, waited.stderr

    result = release(deployed, "rollback", "production", "--json")
    assert result.returncode == 0, result.stderr
    redeployed = json.loads(result.stdout)
    assert (redeployed["action"], redeployed["replaces"]) == ("redeployed", current)
    revision = aws("codedeploy").get_deployment(deploymentId=redeployed["deployment"])["deploymentInfo"]["revision"]
    assert revision == aws("codedeploy").get_deployment(deploymentId=previous)["deploymentInfo"]["revision"]
    appspec = aws("codedeploy").get_application_revision(applicationName=APP, revision=revision)["revision"]
    assert f"AfterAllowTestTraffic: {HOOK}" in appspec["appSpecContent"]["content"]  # the whole AppSpec, hook too
    timed_out = release(deployed, "wait", "production", "--timeout", "1", "--interval", "0.2")
    assert timed_out.returncode == 124  # the redeploy is still running: CodeDeploy has not moved it
    drive(deployed, "codedeploy/deployment", {"deploymentId": redeployed["deployment"], "status": "Succeeded"})


def test_verify_names_the_missing_image_until_it_is_pushed(deployed, aws):
    missing = release(deployed, "verify", "production", "--json")
    assert missing.returncode == 1
    report = json.loads(missing.stdout)
    image = report["image"]
    assert image.startswith("111111111111.dkr.ecr.eu-west-1.amazonaws.com/acme-web:")
    failed = [c for c in report["checks"] if not c["ok"]]
    assert [c["check"] for c in failed] == ["image"] and image in failed[0]["detail"]
    assert image in missing.stderr and "error: production: a release would fail" in missing.stderr

    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json"})
    aws("ecr").put_image(repositoryName="acme-web", imageManifest=manifest, imageTag=image.rsplit(":", 1)[1])
    passed = release(deployed, "verify", "production")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "ok   hook: AfterAllowTestTraffic runs acme-web-production-release-hook" in passed.stdout
    staging = json.loads(release(deployed, "verify", "staging", "--json").stdout)["image"]  # rolling checks
    if staging != image:  # earlier tests may have released another image to one of them
        aws("ecr").put_image(repositoryName="acme-web", imageManifest=manifest, imageTag=staging.rsplit(":", 1)[1])
    assert release(deployed, "verify", "staging").returncode == 0

    candidate = release(deployed, "verify", "production", "--commit", "4444444444444444444444444444444444444444")
    assert candidate.returncode == 1 and "acme-web:4444444444444444444444444444444444444444" in candidate.stdout


def test_rolling_rollback_returns_to_the_previous_task_definition(deployed, aws):
    ecs = aws("ecs")
    service = ecs.describe_services(cluster="acme-web-staging", services=["web"])["services"][0]
    before = service["taskDefinition"]
    # What the ECS deploy action does: a revision of the service's task definition with only the image changed.
    current = ecs.describe_task_definition(taskDefinition=before)["taskDefinition"]
    keep = (
        "family",
        "taskRoleArn",
        "executionRoleArn",
        "networkMode",
        "requiresCompatibilities",
        "cpu",
        "memory",
        "runtimePlatform",
    )
    containers = [{**c, "image": f"{c['image'].rsplit(':', 1)[0]}:{RELEASED}"} for c in current["containerDefinitions"]]
    released = ecs.register_task_definition(
        **{k: current[k] for k in keep if k in current}, containerDefinitions=containers
    )["taskDefinition"]["taskDefinitionArn"]
    ecs.update_service(cluster="acme-web-staging", service="web", taskDefinition=released)
    assert release(deployed, "wait", "staging", "--timeout", "60").returncode == 0

    result = release(deployed, "rollback", "staging", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "environment": "staging",
        "action": "rolled back",
        "from": released,
        "to": before,
    }
    service = ecs.describe_services(cluster="acme-web-staging", services=["web"])["services"][0]
    assert service["taskDefinition"] == before
    (primary,) = service["deployments"]
    assert (primary["taskDefinition"], primary["rolloutState"]) == (before, "COMPLETED")
    status = json.loads(release(deployed, "status", "staging", "--json").stdout)["environments"]["staging"]
    assert status["image"].endswith(":" + current["containerDefinitions"][0]["image"].rsplit(":", 1)[1])
    # The revision rolled back from is deregistered: the family's latest ACTIVE revision is what runs again,
    # so the plan right after the rollback registers nothing (no redundant rolling deployment).
    assert ecs.describe_task_definition(taskDefinition=released)["taskDefinition"]["status"] == "INACTIVE"
    plan = deployed.run("plan", "staging", "--detailed-exitcode")
    assert plan.returncode == 0, plan.stdout + plan.stderr


def test_the_deployment_is_left_converged(deployed):
    """Terraform follows what runs (the rolled-back image), then plans clean."""
    deployed.deploy("staging", "production")
    plan = deployed.run("plan", "--detailed-exitcode")
    assert plan.returncode == 0, plan.stdout + plan.stderr
