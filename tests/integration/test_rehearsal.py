"""A release rehearsed end to end on the local target, by the release engine (emulator/engine/).

Its own emulator, state and Terraform directories (module fixture `rehearsal`): staging, production
and the release stack deployed once from nothing, then only `python main.py release ...` and the AWS
APIs move releases, so the shared session deployment (conftest.py) never sees one. The source is a
clone of this checkout (ENGINE_SOURCE_REPO), where the tests commit the broken variants of app/.

What runs for real: the buildspecs' commands (with the CodeBuild role's credentials, IAM evaluated),
the renderer, the ECS deploy action and CodeDeployToECS as the pipeline role, the sample service as
local tasks behind local listeners, the AfterAllowTestTraffic hook from its packaged zip with its own
role. What does not: a container image (no engine here) and an ALB.
"""

from __future__ import annotations

import json
import os
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.conftest import Deployed

ROOT = Path(__file__).resolve().parents[2]
PIPELINE = "acme-web-release"
PIPELINE_ROLE = "acme-web-codepipeline"
STEP_TIMEOUT = "300"


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True, timeout=60)
    return done.stdout.strip()


def commit_variant(repo: Path, message: str, old: str, new: str) -> str:
    """A commit on the clone whose app/server.py has `old` replaced by `new`; its SHA."""
    server = repo / "app" / "server.py"
    text = server.read_text()
    assert old in text, f"app/server.py no longer contains {old!r}"
    server.write_text(text.replace(old, new))
    git(repo, "commit", "-q", "-am", message)
    sha = git(repo, "rev-parse", "HEAD")
    git(repo, "reset", "-q", "--hard", "HEAD~1")
    return sha


class Rehearsal(Deployed):
    good: str = ""
    wrong_version: str = ""
    unhealthy: str = ""
    raising_root: str = ""
    rollback_before_any_release: subprocess.CompletedProcess | None = None

    def release(self, *args: str) -> subprocess.CompletedProcess:
        return self.run("release", *args, timeout=float(STEP_TIMEOUT) + 60)

    def served_version(self, port: int = 80) -> dict:
        """GET /version through the production listener's local stand-in (the ALB's recorded address)."""
        elb = self.client("elbv2")
        arn = elb.describe_load_balancers(Names=["acme-web-production"])["LoadBalancers"][0]["LoadBalancerArn"]
        suffix = arn.split(":loadbalancer/", 1)[1]
        found = self.client("ec2").describe_network_interfaces(
            Filters=[{"Name": "description", "Values": [f"ELB {suffix}"]}]
        )["NetworkInterfaces"]
        address = found[0]["PrivateIpAddress"]
        with urllib.request.urlopen(f"http://{address}:{port}/version", timeout=10) as answer:
            return dict(json.loads(answer.read()))


@pytest.fixture(scope="module")
def rehearsal(tmp_path_factory, project) -> Iterator[Rehearsal]:
    base = tmp_path_factory.mktemp("rehearsal")
    source = base / "source"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(source)], check=True, timeout=120)
    git(source, "config", "user.email", "rehearsal@example.com")
    git(source, "config", "user.name", "rehearsal")
    env = {
        **os.environ,
        "LOCAL_EMULATOR_DIR": str(base / "emulator"),
        "DEPLOY_CACHE_DIR": str(base / "terraform"),
        "ENGINE_SOURCE_REPO": str(source),
        "DEPLOY_TARGET": "local",
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
        "CHECKPOINT_DISABLE": "1",
    }
    r = Rehearsal(env=env, region=project.settings.aws.region)
    r.good = git(source, "rev-parse", "HEAD")
    # Broken only where they run as ECS tasks (Fargate sets AWS_EXECUTION_ENV): the Test action's unit tests
    # pass, so each reaches the step that must stop it.
    on_ecs = 'os.environ.get("AWS_EXECUTION_ENV") == "AWS_ECS_FARGATE"'
    r.wrong_version = commit_variant(
        source,
        "reports another version on ECS",
        '"commit": os.environ.get("APP_COMMIT") or "unknown"',
        f'"commit": "0" * 40 if {on_ecs} else (os.environ.get("APP_COMMIT") or "unknown")',
    )
    r.unhealthy = commit_variant(
        source,
        "fails its health check on ECS",
        'return HTTPStatus.OK, {"status": "ok"}',
        f'return (HTTPStatus.SERVICE_UNAVAILABLE if {on_ecs} else HTTPStatus.OK), {{"status": "ok"}}',
    )
    r.raising_root = commit_variant(  # /health and /version pass: only the hook's smoke path (/) sees it
        source,
        "raises on / on ECS",
        'return HTTPStatus.OK, {"message": "hello"}',
        f'if {on_ecs}:\n        raise RuntimeError("broken root")\n    return HTTPStatus.OK, {{"message": "hello"}}',
    )
    deployed = r.run("deploy", "--auto-approve", timeout=1500)
    if deployed.returncode != 0:
        pytest.fail(f"deploy failed:\n{deployed.stdout}\n{deployed.stderr}", pytrace=False)
    r.endpoint = json.loads(r.run("local", "status", "--json").stdout)["endpoint"]
    r.rollback_before_any_release = r.release("rollback", "production")  # the one moment no release has succeeded
    yield r
    r.stop()


@pytest.fixture(scope="module")
def good_in_production(rehearsal: Rehearsal) -> list[subprocess.CompletedProcess]:
    """The good commit released to production traffic (start, wait staging, approve, wait production):
    what the tests of a bad release need blue to be, whichever test runs first."""
    steps = [rehearsal.release("start", "--commit", rehearsal.good)]
    steps.append(rehearsal.release("wait", "staging", "--timeout", STEP_TIMEOUT, "--interval", "1"))
    steps.append(rehearsal.release("approve", "production"))
    steps.append(rehearsal.release("wait", "production", "--timeout", STEP_TIMEOUT, "--interval", "1"))
    return steps


def test_rollback_refuses_when_no_release_has_succeeded_yet(rehearsal: Rehearsal):
    result = rehearsal.rollback_before_any_release
    assert result is not None and result.returncode == 1, result
    assert "error: nothing to roll back to: production has no successful CodeDeploy deployment" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_good_commit_reaches_production_traffic(rehearsal: Rehearsal, good_in_production):
    for step in good_in_production:
        assert step.returncode == 0, f"{step.args}:\n{step.stdout}{step.stderr}"

    status = json.loads(rehearsal.release("status", "--json").stdout)
    stages = {s["stage"]: s["status"] for s in status["pipeline"]["stages"]}
    assert stages == dict.fromkeys(
        ["Source", "Build", "Deploy-Staging", "Approval-Production", "Deploy-Production"], "Succeeded"
    )
    production_env = status["environments"]["production"]
    live = [s for s in production_env["sides"] if s["live"]]
    assert live and all(s["image"].endswith(f":{rehearsal.good}") for s in live), production_env
    assert rehearsal.served_version() == {"commit": rehearsal.good, "environment": "production"}
    ecr = rehearsal.client("ecr").describe_images(repositoryName="acme-web", imageIds=[{"imageTag": rehearsal.good}])
    assert ecr["imageDetails"], "the build pushed no manifest tagged with the commit"


def assert_stopped_by_the_hook(rehearsal: Rehearsal, commit: str) -> None:
    """A commit that passes staging (its health check answers) but fails production's hook: CodeDeploy
    rolls back, `wait production` exits 1, and blue (the good commit) keeps serving production."""
    assert rehearsal.release("start", "--commit", commit).returncode == 0
    staging = rehearsal.release("wait", "staging", "--timeout", STEP_TIMEOUT, "--interval", "1")
    assert staging.returncode == 0, staging.stdout + staging.stderr
    assert rehearsal.release("approve", "production").returncode == 0
    production = rehearsal.release("wait", "production", "--timeout", STEP_TIMEOUT, "--interval", "1")
    assert production.returncode == 1, production.stdout + production.stderr
    assert "rolled back" in production.stderr

    status = rehearsal.release("status", "production")
    assert "HOOK_EXECUTION_FAILURE" in status.stdout, status.stdout
    assert rehearsal.served_version()["commit"] == rehearsal.good


def test_a_commit_serving_another_version_is_stopped_by_the_hook(rehearsal: Rehearsal, good_in_production):
    assert_stopped_by_the_hook(rehearsal, rehearsal.wrong_version)  # healthy: only /version is wrong


def test_a_green_that_raises_on_its_root_is_stopped_by_the_smoke_path(rehearsal: Rehearsal, good_in_production):
    assert_stopped_by_the_hook(rehearsal, rehearsal.raising_root)  # /health and /version pass: only / fails


def test_a_failing_staging_rollout_is_rolled_back_by_the_circuit_breaker(rehearsal: Rehearsal):
    assert rehearsal.release("start", "--commit", rehearsal.unhealthy).returncode == 0
    staging = rehearsal.release("wait", "staging", "--timeout", STEP_TIMEOUT, "--interval", "1")
    assert staging.returncode == 1, staging.stdout + staging.stderr
    assert "circuit breaker" in staging.stderr
    service = rehearsal.client("ecs").describe_services(cluster="acme-web-staging", services=["web"])["services"][0]
    image = rehearsal.client("ecs").describe_task_definition(taskDefinition=service["taskDefinition"])[
        "taskDefinition"
    ]["containerDefinitions"][0]["image"]
    assert not image.endswith(rehearsal.unhealthy), "the failed rollout was not rolled back"
    production = rehearsal.release("wait", "production", "--timeout", "60", "--interval", "1")
    assert production.returncode == 1 and "before deploying production" in production.stderr, production.stderr


def test_a_rejected_approval_stops_the_execution(rehearsal: Rehearsal):
    assert rehearsal.release("start", "--commit", rehearsal.good).returncode == 0
    assert rehearsal.release("wait", "staging", "--timeout", STEP_TIMEOUT, "--interval", "1").returncode == 0
    assert rehearsal.release("reject", "production", "--reason", "not today").returncode == 0
    production = rehearsal.release("wait", "production", "--timeout", "60", "--interval", "1")
    assert production.returncode == 1 and "Approval-Production" in production.stderr, production.stderr


def test_a_missing_permission_fails_the_step_with_access_denied(rehearsal: Rehearsal):
    iam = rehearsal.client("iam")
    document = iam.get_role_policy(RoleName=PIPELINE_ROLE, PolicyName="release")["PolicyDocument"]
    narrowed = json.loads(json.dumps(document))
    for statement in narrowed["Statement"]:
        if statement.get("Sid") == "DeployServices":
            statement["Action"] = ["ecs:DescribeServices"]
    iam.put_role_policy(RoleName=PIPELINE_ROLE, PolicyName="release", PolicyDocument=json.dumps(narrowed))
    try:
        assert rehearsal.release("start", "--commit", rehearsal.good).returncode == 0
        staging = rehearsal.release("wait", "staging", "--timeout", STEP_TIMEOUT, "--interval", "1")
    finally:
        iam.put_role_policy(RoleName=PIPELINE_ROLE, PolicyName="release", PolicyDocument=json.dumps(document))
    assert staging.returncode == 1, staging.stderr
    status = rehearsal.release("status")
    assert "AccessDenied" in status.stdout and PIPELINE_ROLE in status.stdout, status.stdout
    assert "ecs:UpdateService" in status.stdout, status.stdout
