"""The main job on the local target: deploy from nothing, converge, lock, interrupt, destroy."""

from __future__ import annotations

import json
import signal
import time

import pytest

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


def test_deploy_without_approval_and_without_a_terminal_refuses(deployed):
    deployed.client("logs").put_retention_policy(logGroupName="/ecs/acme-web-staging/web", retentionInDays=1)
    result = deployed.run("deploy", "staging", stdin=None)
    assert result.returncode == 1
    assert "rerun with --auto-approve" in result.stderr
    assert (
        deployed.client("logs").describe_log_groups(logGroupNamePrefix="/ecs/acme-web-staging/web")["logGroups"][0][
            "retentionInDays"
        ]
        == 1
    )  # nothing was applied
    deployed.deploy("staging")


def test_unknown_stack_and_gitlab_on_local_are_refused(deployed):
    unknown = deployed.run("plan", "nope")
    assert unknown.returncode == 2 and "argument STACK: unknown stack 'nope'; expected one of" in unknown.stderr
    gitlab = deployed.run("plan", "gitlab")
    assert gitlab.returncode == 1 and "cannot run on the local target" in gitlab.stderr


@pytest.fixture(scope="module")
def staging_applying(deployed):
    """staging destroyed, then a deploy of it running: the ALB alone keeps apply busy for a minute."""
    result = deployed.run("destroy", "staging", "--auto-approve")
    assert result.returncode == 0, result.stdout + result.stderr
    proc = deployed.popen("deploy", "staging", "--auto-approve")
    lines: list[str] = []
    deadline = time.monotonic() + 300
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        lines.append(line)
        if "apply    started" in line:
            break
    else:
        pytest.fail("apply did not start:\n" + "".join(lines))
    time.sleep(8)  # well inside the apply
    yield proc, lines
    if proc.poll() is None:
        proc.kill()


def test_concurrent_deploy_of_the_same_stack_is_refused_by_the_lock(deployed, staging_applying):
    began = time.monotonic()
    second = deployed.run("deploy", "staging", "--auto-approve")
    assert second.returncode == 1
    assert "staging: plan failed: the state of staging is locked by" in second.stdout + second.stderr
    assert "--lock-timeout" in second.stdout + second.stderr
    assert time.monotonic() - began < 60  # fails fast instead of waiting


def test_interrupted_deploy_releases_the_lock_and_converges_on_rerun(deployed, project, staging_applying):
    proc, lines = staging_applying
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=300)
    assert proc.returncode == 130, "".join(lines) + out
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
def test_destroy_removes_everything(deployed, project):
    result = deployed.run("destroy", "--auto-approve", "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    assert sorted(s["stack"] for s in json.loads(result.stdout)["stacks"]) == sorted(AWS_STACKS)
    ecs = deployed.client("ecs")
    clusters = ecs.describe_clusters(clusters=["acme-web-staging", "acme-web-production"])["clusters"]
    assert {c["status"] for c in clusters} <= {"INACTIVE"}  # as on AWS, deleted clusters linger as INACTIVE
    assert deployed.client("elbv2").describe_load_balancers()["LoadBalancers"] == []
    assert deployed.client("codepipeline").list_pipelines()["pipelines"] == []
    assert deployed.client("ecr").describe_repositories()["repositories"] == []
    vpcs = deployed.client("ec2").describe_vpcs(Filters=[{"Name": "tag:project", "Values": ["acme-web"]}])["Vpcs"]
    assert vpcs == []
    plan = deployed.run("plan", "--json")
    assert all(s["changes"]["create"] > 0 for s in json.loads(plan.stdout)["stacks"])
