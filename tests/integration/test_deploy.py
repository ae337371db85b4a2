"""The main job on the local target: deploy from nothing, converge, lock, interrupt, destroy."""

from __future__ import annotations

import json
import signal
import subprocess
import time

import pytest

from tests.integration import inventory, processes
from tests.integration.conftest import AWS_STACKS


def test_deploy_from_nothing_applies_every_aws_stack(deployed):
    report = json.loads(deployed.first_deploy.stdout)
    by_stack = {s["stack"]: s for s in report["stacks"]}
    assert sorted(by_stack) == sorted(AWS_STACKS)
    assert all(s["status"] == "ok" and s["changes"]["create"] > 0 for s in by_stack.values())
    assert "gitlab" in report["skipped"]  # the local target cannot serve GitLab, and says so
    assert report["outputs"]["production"]["strategy"] == "blue_green"
    assert report["outputs"]["staging"]["url"].startswith("http://")
    print(f"deploy from nothing: {deployed.first_deploy_seconds:.1f}s")


def test_state_is_remote_versioned_encrypted_and_private(deployed, project):
    s3 = deployed.client("s3")
    bucket = project.settings.state.bucket
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]}
    assert {"acme-web/staging.tfstate", "acme-web/production.tfstate", "acme-web/release.tfstate"} <= keys
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert all(s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"].values())


def test_resources_really_exist_in_the_emulator(deployed):
    ecs = deployed.client("ecs")
    prod = ecs.describe_services(cluster="acme-web-production", services=["web"])["services"][0]
    staging = ecs.describe_services(cluster="acme-web-staging", services=["web"])["services"][0]
    assert prod["deploymentController"]["type"] == "CODE_DEPLOY"
    assert staging["deploymentController"]["type"] == "ECS"
    assert staging["deploymentConfiguration"]["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    group = deployed.client("codedeploy").get_deployment_group(
        applicationName="acme-web-production", deploymentGroupName="acme-web-production-web"
    )["deploymentGroupInfo"]
    assert group["deploymentStyle"]["deploymentType"] == "BLUE_GREEN"
    pipeline = deployed.client("codepipeline").get_pipeline(name="acme-web-release")["pipeline"]
    assert [s["name"] for s in pipeline["stages"]] == [
        "Source",
        "Build",
        "Deploy-Staging",
        "Approval-Production",
        "Deploy-Production",
    ]


def test_release_alarms_are_deployed_and_watched(deployed):
    """The metric-math rate alarms exist as synthesized; CodeDeploy and staging's ECS deployments watch them."""
    alarms = {
        a["AlarmName"]: a
        for a in deployed.client("cloudwatch").describe_alarms(AlarmNamePrefix="acme-web-")["MetricAlarms"]
    }
    rate = alarms["acme-web-production-target-5xx-rate-green"]
    queries = {m["Id"]: m for m in rate["Metrics"]}  # a set: AWS and the provider keep no order
    assert set(queries) == {"e0", "requests", "rate"}
    assert queries["rate"]["Expression"] == "IF(requests >= 10, 100 * (FILL(e0, 0)) / requests, 0)"
    assert queries["e0"]["MetricStat"]["Metric"]["MetricName"] == "HTTPCode_Target_5XX_Count"
    assert (rate["EvaluationPeriods"], rate["DatapointsToAlarm"], rate["Threshold"]) == (3, 2, 5.0)
    elb = {m["Id"]: m for m in alarms["acme-web-production-elb-5xx-rate"]["Metrics"]}
    assert {elb[i]["MetricStat"]["Metric"]["MetricName"] for i in ("e0", "e1", "e2")} == {
        "HTTPCode_ELB_502_Count",
        "HTTPCode_ELB_503_Count",
        "HTTPCode_ELB_504_Count",
    }
    group = deployed.client("codedeploy").get_deployment_group(
        applicationName="acme-web-production", deploymentGroupName="acme-web-production-web"
    )["deploymentGroupInfo"]
    production = {n for n in alarms if n.startswith("acme-web-production-")}
    assert len(production) == 7
    assert {a["name"] for a in group["alarmConfiguration"]["alarms"]} == production
    staging = deployed.client("ecs").describe_services(cluster="acme-web-staging", services=["web"])["services"][0]
    watched = staging["deploymentConfiguration"]["alarms"]
    assert watched["enable"] is True and watched["rollback"] is True
    assert set(watched["alarmNames"]) == {n for n in alarms if n.startswith("acme-web-staging-")}


def test_second_plan_reports_no_changes(deployed):
    result = deployed.run("plan", "--detailed-exitcode", "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    stacks = json.loads(result.stdout)["stacks"]
    assert {s["stack"]: s["changes"] for s in stacks} == {
        n: {"create": 0, "update": 0, "delete": 0} for n in AWS_STACKS
    }


def test_second_deploy_changes_nothing(deployed):
    result = deployed.run("deploy", "--auto-approve", "--json")
    assert result.returncode == 0, result.stderr
    assert all(s["detail"] == "no changes" for s in json.loads(result.stdout)["stacks"])


@pytest.fixture
def staging_log_retention_shortened(deployed):
    """staging's log group changed out of band; staging deployed again afterwards."""
    deployed.client("logs").put_retention_policy(logGroupName="/ecs/acme-web-staging/web", retentionInDays=1)
    yield
    deployed.deploy("staging")


def test_deploy_without_approval_and_without_a_terminal_refuses(deployed, staging_log_retention_shortened):
    result = deployed.run("deploy", "staging", stdin=None)
    assert result.returncode == 1
    assert "rerun with --auto-approve" in result.stderr
    group = deployed.client("logs").describe_log_groups(logGroupNamePrefix="/ecs/acme-web-staging/web")["logGroups"][0]
    assert group["retentionInDays"] == 1  # nothing was applied


def test_unknown_stack_and_gitlab_on_local_are_refused(deployed):
    unknown = deployed.run("plan", "nope")
    assert unknown.returncode == 2 and "argument STACK: unknown stack 'nope'; expected one of" in unknown.stderr
    gitlab = deployed.run("plan", "gitlab")
    assert gitlab.returncode == 1 and "cannot run on the local target" in gitlab.stderr


STAGING_LOCK = "acme-web/staging.tfstate.tflock"


def _lock_held(deployed, project) -> bool:
    listed = deployed.client("s3").list_objects_v2(Bucket=project.settings.state.bucket, Prefix=STAGING_LOCK)
    return [o["Key"] for o in listed.get("Contents", [])] == [STAGING_LOCK]


def _staging_vpcs(deployed) -> list[dict]:
    return deployed.client("ec2").describe_vpcs(Filters=[{"Name": "tag:stack", "Values": ["staging"]}])["Vpcs"]


@pytest.fixture
def staging_applying(deployed, project):
    """staging destroyed, then a deploy of it under way: its lock taken and its first resource in the
    emulator (the ALB alone then keeps the apply busy for a minute). Afterwards staging is deployed."""
    result = deployed.run("destroy", "staging", "--auto-approve")
    assert result.returncode == 0, result.stdout + result.stderr
    assert not _staging_vpcs(deployed)
    proc = deployed.popen("deploy", "staging", "--auto-approve")
    try:
        deadline = time.monotonic() + 600
        while not (_lock_held(deployed, project) and _staging_vpcs(deployed)):
            if proc.poll() is not None or time.monotonic() > deadline:
                out, _ = proc.communicate(timeout=60)
                pytest.fail(f"staging's apply never held its lock with a VPC made (exit {proc.returncode}):\n{out}")
            time.sleep(0.2)
        yield proc
    finally:
        if proc.poll() is None:  # let the apply finish: what it leaves half-made the rerun below has to adopt
            try:
                proc.communicate(timeout=900)
            except subprocess.TimeoutExpired:
                assert not processes.kill_group(proc.pid)
                proc.communicate()
        deployed.deploy("staging")


def test_concurrent_deploy_of_the_same_stack_is_refused_by_the_lock(deployed, project, staging_applying):
    second = deployed.run("deploy", "staging", "--auto-approve")
    assert second.returncode == 1
    assert "staging: plan failed: the state of staging is locked by" in second.stdout + second.stderr
    assert "--lock-timeout" in second.stdout + second.stderr
    # It failed fast: it did not wait for the lock, which the first apply still holds.
    assert staging_applying.poll() is None and _lock_held(deployed, project)


def test_interrupted_deploy_releases_the_lock_and_converges_on_rerun(deployed, project, staging_applying):
    proc = staging_applying
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=300)
    assert proc.returncode == 130, out
    assert "asked 1 running terraform process(es) to stop gracefully" in out
    locks = deployed.client("s3").list_objects_v2(
        Bucket=project.settings.state.bucket, Prefix="acme-web/staging.tfstate"
    )
    assert [o["Key"] for o in locks.get("Contents", [])] == ["acme-web/staging.tfstate"]  # no .tflock left behind
    plan = deployed.run("plan", "staging", "--json")
    assert plan.returncode == 0, plan.stdout + plan.stderr
    assert json.loads(plan.stdout)["stacks"][0]["changes"]["create"] > 0  # the interrupted apply was partial
    deployed.deploy("staging")
    again = deployed.run("plan", "--detailed-exitcode")
    assert again.returncode == 0, again.stdout + again.stderr


@pytest.mark.last
def test_destroy_removes_everything_the_stacks_created(deployed, project, synth_dir):
    """Listed by each service (tests/integration/inventory.py), not by Terraform's state: every type made is gone."""
    assert inventory.unaccounted(inventory.resource_types(synth_dir, AWS_STACKS)) == set()
    kept = inventory.kept_on_destroy(synth_dir, AWS_STACKS)
    assert kept == {"aws_ecs_task_definition"}  # skip_destroy: revisions stay registered, for a rollback
    state_bucket = {project.settings.state.bucket}  # the target's own, which outlives the stacks
    before = inventory.holdings(deployed.client, ignore=state_bucket)
    assert [kind for kind, held in before.items() if not held] == []  # every lister sees what the stacks made
    result = deployed.run("destroy", "--auto-approve", "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    assert sorted(s["stack"] for s in json.loads(result.stdout)["stacks"]) == sorted(AWS_STACKS)
    after = inventory.holdings(deployed.client, ignore=state_bucket)
    assert {kind: held for kind, held in after.items() if held} == {kind: before[kind] for kind in kept}
    plan = deployed.run("plan", "--json")
    assert all(s["changes"]["create"] > 0 for s in json.loads(plan.stdout)["stacks"])
