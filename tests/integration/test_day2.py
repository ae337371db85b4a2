"""Day 2 on the local target: live environments change strategy, ports, network and images, come and go,
and recover from a killed apply, each in one `deploy`, with a clean plan and clean drift after.

Each test edits its own copy of environments/ (`--environments`); the emulator is as strict as AWS
where this project found moto lenient (emulator/compat/ecs.py: UpdateService of a
CODE_DEPLOY service refuses a task definition, network configuration, load balancer or platform
version). After each test, pass or fail, the `envs` fixture returns the deployment to the
repository's configuration and checks it plans clean, for the tests that share it, in any order.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from botocore.exceptions import ClientError

from artifacts.parameters import from_ssm_output
from artifacts.render import render
from config import load_project
from tests.integration import processes, releases
from tests.integration.conftest import ROOT, Deployed
from tests.integration.releases import codedeploy_release, ecs_action_release, listener_targets

COMMIT = "0123456789abcdef0123456789abcdef01234567"


@dataclass
class Environments:
    """A copy of environments/ that the tests edit, and the CLI run against it."""

    path: Path
    deployed: Deployed
    seconds: dict[str, float]

    def edit(self, name: str, change: Callable[[dict[str, Any]], None]) -> None:
        file = self.path / f"{name}.yaml"
        data = yaml.safe_load(file.read_text())
        change(data)
        file.write_text(yaml.safe_dump(data, sort_keys=False))

    def run(self, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
        return self.deployed.run(*args, "--environments", str(self.path), timeout=timeout)

    def deploy(self, *stacks: str, allow_risk: bool = False, label: str = "") -> dict[str, Any]:
        began = time.monotonic()
        result = self.run("deploy", *stacks, "--auto-approve", "--json", *(["--allow-risk"] if allow_risk else []))
        assert result.returncode == 0, result.stdout + result.stderr
        if label:
            self.seconds[label] = round(time.monotonic() - began, 1)
        return {s["stack"]: s for s in json.loads(result.stdout)["stacks"]}

    def assert_converged(self) -> None:
        """The change converged in one deploy: no stack drifted and none plans a change (one drift run tells
        both: it plans every stack and reports a planned change as drift or as a code change)."""
        drift = self.run("drift", "--json")
        assert drift.returncode == 0, drift.stdout + drift.stderr
        stacks = json.loads(drift.stdout)["stacks"]
        assert {n: (d["drifted"], d["code_changes"]) for n, d in stacks.items()} == {n: ([], []) for n in stacks}


@pytest.fixture
def envs(deployed: Deployed, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Environments]:
    """A fresh copy of environments/ to edit; afterwards the repository's configuration deployed again."""
    path = tmp_path_factory.mktemp("environments")
    shutil.copytree(ROOT / "environments", path, dirs_exist_ok=True)
    environments = Environments(path, deployed, {})
    yield environments
    if environments.seconds:
        print(f"day-2 deploy wall times (s): {json.dumps(environments.seconds)}")
    restored = deployed.run("deploy", "--auto-approve", "--allow-risk")
    assert restored.returncode == 0, restored.stdout + restored.stderr
    clean = deployed.run("plan", "--detailed-exitcode")
    assert clean.returncode == 0, clean.stdout + clean.stderr


def strategy(value: str) -> Callable[[dict[str, Any]], None]:
    return lambda data: data["deployment"].update(strategy=value)


def risks(stack: dict[str, Any], kind: str) -> dict[str, str]:
    """address -> reason of the stack's risks of this kind."""
    return {r["address"]: r["reason"] for r in stack["risks"] if r["kind"] == kind}


def pipeline_stages(aws) -> dict[str, str]:
    stages = aws("codepipeline").get_pipeline(name="acme-web-release")["pipeline"]["stages"]
    return {s["name"]: s["actions"][0]["actionTypeId"]["provider"] for s in stages}


def codedeploy_exists(aws, env: str) -> bool:
    try:
        aws("codedeploy").get_application(applicationName=f"acme-web-{env}")
    except ClientError:
        return False
    return True


def test_staging_switches_to_blue_green_and_back_in_one_deploy_each(envs: Environments, aws):
    envs.edit("staging", strategy("blue_green"))
    stacks = envs.deploy("staging", label="staging rolling -> blue_green")
    assert "release" in stacks  # the pipeline's stage of staging changes with it
    replaced = risks(stacks["staging"], "disruptive")
    assert any(a.startswith("aws_ecs_service.") and "serves nothing until" in r for a, r in replaced.items()), replaced
    envs.assert_converged()
    service = releases.service(aws, "staging")
    assert service["deploymentController"]["type"] == "CODE_DEPLOY"
    assert listener_targets(aws, "staging") == {80: "acme-web-staging-blue", 8443: "acme-web-staging-green"}
    assert codedeploy_exists(aws, "staging")
    assert pipeline_stages(aws)["Deploy-Staging"] == "CodeDeployToECS"

    released = codedeploy_release(aws, "staging", "abc1234")
    assert envs.run("plan", "staging", "--detailed-exitcode").returncode == 0  # a release is not a change

    envs.edit("staging", strategy("rolling"))
    envs.deploy("staging", label="staging blue_green -> rolling")
    envs.assert_converged()
    service = releases.service(aws, "staging")
    assert service["deploymentController"]["type"] == "ECS"
    assert listener_targets(aws, "staging") == {80: "acme-web-staging-main"}
    assert not codedeploy_exists(aws, "staging")
    assert pipeline_stages(aws)["Deploy-Staging"] == "ECS"
    assert releases.image_of(aws, service["taskDefinition"]) == released.image  # the release is kept


def test_production_switches_to_rolling_and_back_once_the_risk_is_allowed(envs: Environments, aws):
    codedeploy_release(aws, "production", "bcd2345")  # green serves: Terraform cannot know it
    assert listener_targets(aws, "production")[80] == "acme-web-production-green"
    envs.edit("production", strategy("rolling"))
    refused = envs.run("deploy", "production", "--auto-approve", "--json")
    assert refused.returncode == 1, refused.stdout + refused.stderr
    report = {s["stack"]: s for s in json.loads(refused.stdout)["stacks"]}
    assert report["production"]["status"] == "failed" and "--allow-risk" in report["production"]["detail"]
    assert releases.service(aws, "production")["deploymentController"]["type"] == "CODE_DEPLOY"  # nothing applied

    envs.deploy("production", allow_risk=True, label="production blue_green -> rolling")
    envs.assert_converged()
    assert releases.service(aws, "production")["deploymentController"]["type"] == "ECS"
    assert listener_targets(aws, "production") == {80: "acme-web-production-main"}
    assert not codedeploy_exists(aws, "production")
    assert pipeline_stages(aws)["Deploy-Production"] == "ECS"

    envs.edit("production", strategy("blue_green"))
    envs.deploy("production", allow_risk=True, label="production rolling -> blue_green")
    envs.assert_converged()
    assert listener_targets(aws, "production") == {80: "acme-web-production-blue", 8443: "acme-web-production-green"}
    assert pipeline_stages(aws)["Deploy-Production"] == "CodeDeployToECS"


def test_a_production_container_port_change_is_disruptive_then_converges(envs: Environments, aws):
    codedeploy_release(aws, "production", "cde3456")
    groups_before = {g["TargetGroupArn"] for g in aws("elbv2").describe_target_groups()["TargetGroups"]}
    envs.edit("production", lambda d: d["service"].update(container_port=8081))
    plan = envs.run("plan", "production", "--json")
    assert plan.returncode == 0, plan.stderr
    disruptive = risks(json.loads(plan.stdout)["stacks"][0], "disruptive")
    assert sum(a.startswith("aws_lb_target_group.") for a in disruptive) == 2, disruptive
    assert any(a.startswith("aws_ecs_service.") for a in disruptive)
    assert all("port cannot change in place" in r for a, r in disruptive.items() if a.startswith("aws_lb_target_group"))
    refused = envs.run("deploy", "production", "--auto-approve")
    assert refused.returncode == 1 and "refused" in refused.stderr
    assert {g["TargetGroupArn"] for g in aws("elbv2").describe_target_groups()["TargetGroups"]} == groups_before

    envs.deploy("production", allow_risk=True, label="production container_port 8080 -> 8081")
    envs.assert_converged()
    assert listener_targets(aws, "production") == {80: "acme-web-production-blue", 8443: "acme-web-production-green"}
    group = aws("codedeploy").get_deployment_group(
        applicationName="acme-web-production", deploymentGroupName="acme-web-production-web"
    )["deploymentGroupInfo"]["loadBalancerInfo"]["targetGroupPairInfoList"][0]
    listeners = {
        x["ListenerArn"]
        for x in aws("elbv2").describe_listeners(LoadBalancerArn=releases.alb_arn(aws, "production"))["Listeners"]
    }
    assert {*group["prodTrafficRoute"]["listenerArns"], *group["testTrafficRoute"]["listenerArns"]} == listeners
    assert releases.service(aws, "production")["loadBalancers"][0]["containerPort"] == 8081
    codedeploy_release(aws, "production", "def4567")  # later releases still swap blue and green
    assert listener_targets(aws, "production")[80] == "acme-web-production-green"
    assert envs.run("plan", "production", "--detailed-exitcode").returncode == 0


def test_a_released_image_survives_a_yaml_change_which_staging_then_runs(envs: Environments, aws):
    released = ecs_action_release(aws, "staging", "feed123")  # exactly as the ECS deploy action does it
    assert envs.run("plan", "staging", "--detailed-exitcode").returncode == 0
    envs.edit("staging", lambda d: d["service"]["environment"].update(LOG_LEVEL="trace"))
    envs.deploy("staging", label="staging env var change")
    service = releases.service(aws, "staging")
    definition = aws("ecs").describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"]
    container = definition["containerDefinitions"][0]
    assert {"name": "LOG_LEVEL", "value": "trace"} in container["environment"]
    assert container["image"] == released.image
    assert service["deploymentConfiguration"]["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    envs.assert_converged()


def test_a_production_network_change_is_left_to_the_next_releases_appspec_not_update_service(envs: Environments, aws):
    service_before = releases.service(aws, "production")["networkConfiguration"]["awsvpcConfiguration"]
    envs.edit("production", lambda d: d["network"].update(tasks_in_public_subnets=True))
    stacks = envs.deploy("production", allow_risk=True, label="production tasks_in_public_subnets")
    assert any("network configuration" in p for p in stacks["production"]["pending"]), stacks["production"]
    # The service was not updated in place (AWS refuses it; so does the strict emulator)...
    assert releases.service(aws, "production")["networkConfiguration"]["awsvpcConfiguration"] == service_before
    # ... the next release's appspec carries it instead.
    parameters = aws("ssm").get_parameters_by_path(Path="/acme-web/", Recursive=True)
    edited = load_project(ROOT, envs.path)
    appspec = yaml.safe_load(
        render(edited, COMMIT, parameters=from_ssm_output(edited, parameters))["production/appspec.yaml"]
    )
    network = appspec["Resources"][0]["TargetService"]["Properties"]["NetworkConfiguration"]["AwsvpcConfiguration"]
    public = {
        s["SubnetId"]
        for s in aws("ec2").describe_subnets(Filters=[{"Name": "tag:tier", "Values": ["public"]}])["Subnets"]
    }
    assert network["AssignPublicIp"] == "ENABLED" and set(network["Subnets"]) <= public
    envs.assert_converged()


QA = "acme-web/qa.tfstate"


def write_qa(envs: Environments) -> None:
    """environments/qa.yaml: staging's copy with its own CIDRs, state key and place in the pipeline."""
    staging = yaml.safe_load((envs.path / "staging.yaml").read_text())
    qa = json.loads(json.dumps(staging).replace("10.10.", "10.30."))
    qa["state"]["key"] = QA
    qa["release"]["order"] = 3
    qa["tags"] = {"environment": "qa"}
    (envs.path / "qa.yaml").write_text(yaml.safe_dump(qa))


@pytest.fixture
def qa(envs: Environments, deployed: Deployed) -> Iterator[Path]:
    """environments/qa.yaml written; afterwards no lock left and qa destroyed (then `envs` drops its stage).
    Yields Terraform's work directories of the local target."""
    cache = Path(deployed.env["DEPLOY_CACHE_DIR"]) / "local"
    write_qa(envs)
    yield cache
    _release_locks(envs, cache)
    write_qa(envs)  # the test may have removed it
    destroyed = envs.run("destroy", "qa", "--auto-approve")
    assert destroyed.returncode == 0, destroyed.stdout + destroyed.stderr


def test_a_new_environment_deploys_with_its_stage_even_after_its_first_apply_is_killed(
    envs: Environments, aws, deployed: Deployed, qa: Path
):
    """A lost CI runner in the middle of a first apply: the lock stays, what it created is not in the state,
    and nothing of the killed Terraform (its provider plugin included) runs on."""
    cache = qa
    cli = subprocess.Popen(
        [sys.executable, "main.py", "deploy", "qa", "--auto-approve", "--environments", str(envs.path)],
        cwd=ROOT,
        env=deployed.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        killed = _kill_once_created(aws, cli, cache / "qa")
    finally:
        assert not processes.kill_group(cli.pid)
        cli.wait()
    assert killed, "qa's terraform apply never ran"
    assert killed.left == [], "still running after the kill: " + "; ".join(map(processes.describe, killed.left))
    assert killed.group_size >= 2  # terraform and its provider plugin were both there, and both are gone

    plan = envs.run("plan", "qa", "release", "--json")
    assert "the state of qa is locked by" in plan.stderr and "old, lock ID" in plan.stderr
    locked = envs.run("deploy", "qa", "--auto-approve")
    assert locked.returncode == 1 and "python main.py unlock qa" in locked.stdout + locked.stderr
    assert envs.run("unlock", "qa").returncode == 1  # asks first: no terminal, no --force
    # The killed CLI was applying the release stack too (qa's pipeline stage): its Terraform dies with it
    # (its output pipe is gone) or finishes; every lock it left is released the same way.
    for stack in json.loads(plan.stdout)["locks"]:
        unlocked = envs.run("unlock", stack, "--force")
        assert unlocked.returncode == 0, unlocked.stdout + unlocked.stderr
    assert "qa" in json.loads(plan.stdout)["locks"]

    began = time.monotonic()
    recovered = envs.run("deploy", "qa", "--auto-approve")
    envs.seconds["qa added, after its killed first apply"] = round(time.monotonic() - began, 1)
    assert recovered.returncode == 0, recovered.stdout + recovered.stderr
    assert "aws_iam_role.ecs_task-role" in recovered.stderr and "importing it" in recovered.stderr
    envs.assert_converged()
    assert len(aws("ec2").describe_vpcs(Filters=[{"Name": "tag:stack", "Values": ["qa"]}])["Vpcs"]) == 1
    assert list(pipeline_stages(aws))[-1] == "Deploy-Qa" and pipeline_stages(aws)["Deploy-Qa"] == "ECS"


def test_a_removed_environment_is_named_by_plan_and_destroyed_as_an_orphan(envs: Environments, aws, qa: Path):
    envs.deploy("qa")  # the environment this test removes
    (envs.path / "qa.yaml").unlink()
    plan = envs.run("plan", "--json")
    assert plan.returncode == 0, plan.stderr
    orphans = json.loads(plan.stdout)["orphans"]
    assert [(o["stack"], o["key"], o["remedy"]) for o in orphans] == [
        ("qa", QA, "python main.py destroy qa --orphaned")
    ]
    assert "qa: state s3://" in plan.stderr and "destroy qa --orphaned" in plan.stderr
    resources = orphans[0]["resources"]
    destroyed = envs.run("destroy", "qa", "--orphaned", "--auto-approve", "--json")
    assert destroyed.returncode == 0, destroyed.stdout + destroyed.stderr
    assert json.loads(destroyed.stdout)["stacks"][0]["changes"]["delete"] == resources
    assert not aws("ec2").describe_vpcs(Filters=[{"Name": "tag:stack", "Values": ["qa"]}])["Vpcs"]
    envs.deploy("release")
    assert "Deploy-Qa" not in pipeline_stages(aws)
    after = envs.run("plan", "--json")
    assert json.loads(after.stdout)["orphans"] == []


@dataclass(frozen=True)
class Killed:
    group_size: int
    """Processes in the killed Terraform's process group when it was killed."""
    left: list[int]
    """Those still running after the kill (none, or the kill missed its provider plugin)."""


def _kill_once_created(aws, cli: subprocess.Popen, workdir: Path, timeout: float = 300) -> Killed | None:
    """SIGKILL the process group of the Terraform applying in `workdir` (provider plugin included) and the
    CLI's once it has created qa's task role: what it created since its last state write is then in the
    cloud and not in the state."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and cli.poll() is None:
        try:
            aws("iam").get_role(RoleName="acme-web-qa-task")
        except ClientError:
            time.sleep(0.5)  # polling the role, with the deadline above
            continue
        groups = {g for g in map(processes.group_of, _applies_under(workdir)) if g is not None}
        sizes = {g: len(processes.in_group(g)) for g in groups}
        others = {g for g in map(processes.group_of, _applies_under(workdir.parent)) if g is not None} - groups
        left = [pid for g in groups for pid in processes.kill_group(g)]
        processes.kill_group(cli.pid)
        _wait_for_other_applies(workdir.parent)  # the release stack's, which the killed CLI had started too
        # That Terraform dies with the CLI (its output pipe is gone) or finishes; its provider plugin outlives it.
        left += [pid for g in others for pid in processes.kill_group(g)]
        return Killed(max(sizes.values()), left) if groups else None
    return None


def _applies_under(directory: Path) -> list[int]:
    """The `terraform apply` processes running in `directory` or below it (one may end while we look)."""
    found = subprocess.run(["pgrep", "-f", "terraform apply"], capture_output=True, text=True).stdout.split()
    pids = []
    for pid in map(int, found):
        try:
            cwd = Path(os.readlink(f"/proc/{pid}/cwd"))
        except OSError:  # it ended between pgrep and here
            continue
        if cwd.is_relative_to(directory.resolve()):
            pids.append(pid)
    return pids


def _wait_for_other_applies(cache: Path, timeout: float = 300) -> None:
    left = processes.wait_until(lambda: _applies_under(cache), timeout, interval=1)
    assert not left, "applies still running: " + "; ".join(map(processes.describe, left))


def _release_locks(envs: Environments, cache: Path) -> None:
    """After a killed run: wait for its other applies, then release every lock left."""
    _wait_for_other_applies(cache)
    plan = envs.run("plan", "--json")
    with contextlib.suppress(json.JSONDecodeError):
        for stack in json.loads(plan.stdout).get("locks", {}):
            envs.run("unlock", stack, "--force")
