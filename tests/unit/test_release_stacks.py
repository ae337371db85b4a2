"""Synth-level: the release hook, the release parameter naming it, the CodeDeploy role invoking only it,
the release notifications, and the hook's code packaged at synth (and mirrored into Terraform's work dir)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from artifacts.parameters import ReleaseParameter
from artifacts.render import render

ROOT = Path(__file__).resolve().parents[2]
HOOK = "acme-web-production-release-hook"


def resources(stack: dict, kind: str) -> dict[str, dict]:
    return dict(stack.get("resource", {}).get(kind, {}))


def one(stack: dict, kind: str) -> tuple[str, dict]:
    found = resources(stack, kind)
    assert len(found) == 1, f"expected one {kind}, found {len(found)}"
    return next(iter(found.items()))


def ref(kind: str, name: str, attribute: str) -> str:
    return f"${{{kind}.{name}.{attribute}}}"


def policies_of(stack: dict, role_name: str) -> list[dict[str, Any]]:
    """The inline policy documents of the role named `role_name` (by its Terraform reference)."""
    role = next(n for n, r in resources(stack, "aws_iam_role").items() if r["name"] == role_name)
    return [
        json.loads(p["policy"])
        for p in resources(stack, "aws_iam_role_policy").values()
        if p["role"] in (ref("aws_iam_role", role, "id"), ref("aws_iam_role", role, "name"))
    ]


def synth_with(tmp_path: Path, change) -> dict[str, dict]:
    """Synthesize with the repo's environments changed by `change(name -> data)`; stack name -> JSON."""
    from config import load_project
    from stacks.app import build_app

    shutil.copytree(ROOT / "environments", tmp_path / "environments")
    for path in (tmp_path / "environments").glob("*.yaml"):
        data = yaml.safe_load(path.read_text())
        change(path.stem, data)
        path.write_text(yaml.safe_dump(data))
    build_app(load_project(ROOT, tmp_path / "environments"), tmp_path / "out").synth()
    return {p.parent.name: json.loads(p.read_text()) for p in (tmp_path / "out" / "stacks").glob("*/cdk.tf.json")}


def test_production_has_the_hook_function_and_its_code(stack_json, synth_dir: Path):
    prod = stack_json("production")
    name, function = one(prod, "aws_lambda_function")
    assert function["function_name"] == HOOK and not HOOK.startswith("CodeDeployHook_")
    assert (function["runtime"], function["handler"]) == ("python3.11", "after_allow_test_traffic.handler")
    assert function["filename"].startswith("assets/") and function["filename"].endswith("/archive.zip")
    assert function["source_code_hash"] == f'${{filebase64sha256("{function["filename"]}")}}'
    archive = synth_dir / "stacks" / "production" / function["filename"]
    with zipfile.ZipFile(archive) as zipped:
        assert zipped.namelist() == ["after_allow_test_traffic.py"]  # no tests, no __pycache__
        assert (
            zipped.read("after_allow_test_traffic.py") == (ROOT / "hooks" / "after_allow_test_traffic.py").read_bytes()
        )
    print(f"release hook archive: {archive.stat().st_size} bytes")
    # In the private subnets, with its own security group: the test listener (VPC) and HTTPS out.
    private = {
        ref("aws_subnet", n, "id") for n, s in resources(prod, "aws_subnet").items() if s["tags"]["tier"] == "private"
    }
    assert set(function["vpc_config"]["subnet_ids"]) == private
    (group_ref,) = function["vpc_config"]["security_group_ids"]
    group = next(
        g for n, g in resources(prod, "aws_security_group").items() if ref("aws_security_group", n, "id") == group_ref
    )
    assert group["ingress"] == []
    assert {(e["to_port"], tuple(e["cidr_blocks"])) for e in group["egress"]} == {
        (8443, ("10.20.0.0/16",)),
        (443, ("0.0.0.0/0",)),
    }
    variables = function["environment"]["variables"]
    assert (variables["TEST_LISTENER_PORT"], variables["HEALTH_PATH"], variables["CONTAINER_NAME"]) == (
        "8443",
        "/health",
        "web",
    )
    assert variables["LOAD_BALANCER"].endswith(".arn_suffix}")
    assert not resources(prod, "aws_vpc_endpoint")  # production has NAT gateways: the hook reaches AWS through them
    # CodeDeploy may invoke exactly this function (and its versions), nothing else.
    (invoke,) = (p for p in resources(prod, "aws_iam_role_policy").values() if "lambda:InvokeFunction" in p["policy"])
    arn = f"${{aws_lambda_function.{name}.arn}}"
    allow, deny = json.loads(invoke["policy"])["Statement"]
    assert (allow["Effect"], allow["Resource"]) == ("Allow", [arn, f"{arn}:*"])
    assert (deny["Effect"], deny["NotResource"]) == ("Deny", [arn, f"{arn}:*"])


def test_hook_role_may_only_report_and_run_in_the_vpc(stack_json):
    prod = stack_json("production")
    role = next(r for r in resources(prod, "aws_iam_role").values() if r["name"] == HOOK)
    assert json.loads(role["assume_role_policy"])["Statement"][0]["Principal"] == {"Service": "lambda.amazonaws.com"}
    assert role["permissions_boundary"].endswith(":policy/acme-web/acme-web-boundary") and role["path"] == "/acme-web/"
    (document,) = policies_of(prod, HOOK)
    actions = {s["Sid"]: (sorted(s["Action"]), s["Resource"]) for s in document["Statement"]}
    assert actions["ReportToCodeDeploy"] == (
        ["codedeploy:GetDeployment", "codedeploy:PutLifecycleEventHookExecutionStatus"],
        ["arn:aws:codedeploy:eu-west-1:111111111111:deploymentgroup:acme-web-production/acme-web-production-web"],
    )
    # GetDeployment lists the AppSpec by its sha256 only: its text comes from the application's revision.
    assert actions["ReadAppSpec"] == (
        ["codedeploy:GetApplicationRevision"],
        ["arn:aws:codedeploy:eu-west-1:111111111111:application:acme-web-production"],
    )
    assert actions["ReadTaskDefinition"] == (["ecs:DescribeTaskDefinition"], "*")
    assert set(actions) == {"Logs", "ReportToCodeDeploy", "ReadAppSpec", "ReadTaskDefinition", "RunInVpc"}
    assert not resources(prod, "aws_iam_role_policy_attachment") or all(
        "Lambda" not in a["policy_arn"] for a in resources(prod, "aws_iam_role_policy_attachment").values()
    )


def test_the_release_parameter_names_the_hook_and_the_appspec_lists_it(stack_json, project):
    prod = stack_json("production")
    _, parameter = one(prod, "aws_ssm_parameter")
    function, _ = one(prod, "aws_lambda_function")
    value = json.loads(parameter["value"])
    assert value["hooks"] == {"AfterAllowTestTraffic": ref("aws_lambda_function", function, "function_name")}
    # What the build does with it once Terraform wrote the name: the appspec names the function.
    published = json.dumps({**value, "hooks": {"AfterAllowTestTraffic": HOOK}})
    files = render(project, "0" * 40, ["production"], parameters={"production": ReleaseParameter.parse(published)})
    spec = yaml.safe_load(files["production/appspec.yaml"])
    assert spec["Hooks"] == [{"AfterAllowTestTraffic": HOOK}]


def test_the_codedeploy_role_can_invoke_only_the_hook(stack_json):
    prod = stack_json("production")
    function, _ = one(prod, "aws_lambda_function")
    arn = ref("aws_lambda_function", function, "arn")
    statements = [s for d in policies_of(prod, "acme-web-production-codedeploy") for s in d["Statement"]]
    invoking = [s for s in statements if "lambda:InvokeFunction" in json.dumps(s.get("Action"))]
    assert invoking == [
        {
            "Effect": "Allow",
            "Action": ["lambda:InvokeFunction"],
            "Resource": [arn, f"{arn}:*"],
            "Sid": "InvokeReleaseHooks",
        },
        {
            "Sid": "InvokeNothingElse",
            "Effect": "Deny",
            "Action": "lambda:InvokeFunction",
            "NotResource": [arn, f"{arn}:*"],
        },
    ]
    # The managed policy (ECSLimited allows CodeDeployHook_* functions) is overridden by the explicit Deny.
    managed = [a["policy_arn"] for a in resources(prod, "aws_iam_role_policy_attachment").values()]
    assert not any(p.endswith("/AWSCodeDeployRoleForECS") for p in managed)


def test_without_the_hook_nothing_is_invoked(tmp_path: Path):
    stacks = synth_with(tmp_path, lambda name, d: d["deployment"].setdefault("blue_green", {}).update(hook=False))
    prod = stacks["production"]
    assert not resources(prod, "aws_lambda_function")
    _, parameter = one(prod, "aws_ssm_parameter")
    assert "hooks" not in json.loads(parameter["value"])
    statements = [s for d in policies_of(prod, "acme-web-production-codedeploy") for s in d["Statement"]]
    invoking = [s for s in statements if "lambda:InvokeFunction" in json.dumps(s.get("Action"))]
    assert invoking == [{"Sid": "InvokeNothing", "Effect": "Deny", "Action": "lambda:InvokeFunction", "Resource": "*"}]


def test_staging_as_blue_green_gets_interface_endpoints_for_the_hook(tmp_path: Path):
    """One YAML line; without NAT gateways the hook reaches CodeDeploy, ECS and EC2 through endpoints."""
    stacks = synth_with(
        tmp_path, lambda name, d: d["deployment"].update(strategy="blue_green") if name == "staging" else None
    )
    staging = stacks["staging"]
    _, function = one(staging, "aws_lambda_function")
    assert function["function_name"] == "acme-web-staging-release-hook"
    endpoints = resources(staging, "aws_vpc_endpoint").values()
    assert sorted(e["service_name"] for e in endpoints) == [
        "com.amazonaws.eu-west-1.codedeploy",
        "com.amazonaws.eu-west-1.ec2",
        "com.amazonaws.eu-west-1.ecs",
    ]
    for endpoint in endpoints:
        assert endpoint["vpc_endpoint_type"] == "Interface" and endpoint["private_dns_enabled"] is True
        assert set(endpoint["subnet_ids"]) == set(function["vpc_config"]["subnet_ids"])
    group = next(
        g for g in resources(staging, "aws_security_group").values() if g["name"] == "acme-web-staging-endpoints"
    )
    assert [(i["to_port"], i["cidr_blocks"]) for i in group["ingress"]] == [(443, ["10.10.0.0/16"])]
    assert not resources(stacks["production"], "aws_vpc_endpoint")


def test_rolling_staging_has_no_hook(stack_json):
    staging = stack_json("staging")
    assert not resources(staging, "aws_lambda_function") and not resources(staging, "aws_vpc_endpoint")


@pytest.mark.parametrize("name", ["staging", "production"])
def test_release_notifications(stack_json, name: str):
    stack = stack_json(name)
    topic_name, topic = one(stack, "aws_sns_topic")
    topic_arn = ref("aws_sns_topic", topic_name, "arn")
    assert topic["name"] == f"acme-web-{name}-release"
    key_name, key = one(stack, "aws_kms_key")
    assert topic["kms_master_key_id"] == ref(
        "aws_kms_key", key_name, "arn"
    )  # not aws/sns: see modules/notifications.py
    assert key["enable_key_rotation"] is True
    key_users = next(s for s in json.loads(key["policy"])["Statement"] if s["Sid"] == "PublishersUseTheKey")
    assert set(key_users["Principal"]["Service"]) == {"events.amazonaws.com", "cloudwatch.amazonaws.com"}
    assert key_users["Condition"] == {  # the key serves SNS's requests for this topic only
        "StringEquals": {
            "kms:EncryptionContext:aws:sns:topicArn": f"arn:aws:sns:eu-west-1:111111111111:{topic['name']}"
        }
    }
    _, topic_policy = one(stack, "aws_sns_topic_policy")
    statements = {s["Principal"]["Service"]: s for s in json.loads(topic_policy["policy"])["Statement"]}
    assert set(statements) == {"events.amazonaws.com", "cloudwatch.amazonaws.com"}
    assert statements["cloudwatch.amazonaws.com"]["Condition"] == {
        "StringEquals": {"aws:SourceAccount": "111111111111"},
        "ArnLike": {"aws:SourceArn": f"arn:aws:cloudwatch:eu-west-1:111111111111:alarm:acme-web-{name}-*"},
    }
    assert statements["events.amazonaws.com"]["Condition"]["ArnLike"] == {
        "aws:SourceArn": f"arn:aws:events:eu-west-1:111111111111:rule/acme-web-{name}-release-*"
    }
    for alarm in resources(stack, "aws_cloudwatch_metric_alarm").values():
        assert alarm["alarm_actions"] == [topic_arn] and alarm["ok_actions"] == [topic_arn], alarm["alarm_name"]
    rules = {r["name"]: json.loads(r["event_pattern"]) for r in resources(stack, "aws_cloudwatch_event_rule").values()}
    targets = resources(stack, "aws_cloudwatch_event_target").values()
    assert len(targets) == len(rules) and all(t["arn"] == topic_arn for t in targets)
    pipeline = rules[f"acme-web-{name}-release-pipeline"]
    assert pipeline["detail"]["pipeline"] == ["acme-web-release"]
    deploy, earlier = pipeline["detail"]["$or"]
    assert deploy == {"stage": [f"Deploy-{name.capitalize()}"], "state": ["FAILED", "SUCCEEDED"]}
    assert earlier["state"] == ["FAILED"] and {"Source", "Build"} <= set(earlier["stage"])
    if name == "production":  # blue_green, behind an approval
        approval = rules["acme-web-production-release-approval"]
        assert approval["detail"]["stage"] == ["Approval-Production"] and approval["detail"]["state"] == ["STARTED"]
        codedeploy = rules["acme-web-production-release-codedeploy"]["detail"]
        assert codedeploy["deploymentGroup"] == ["acme-web-production-web"] and "FAILURE" in codedeploy["state"]
        assert set(rules) == {f"acme-web-{name}-release-{w}" for w in ("pipeline", "approval", "codedeploy")}
    else:  # rolling, no approval: ECS deployment failures (circuit breaker)
        ecs = rules["acme-web-staging-release-ecs"]
        assert ecs["detail"] == {"eventName": ["SERVICE_DEPLOYMENT_FAILED"]}
        assert ecs["resources"] == [ref("aws_ecs_service", one(stack, "aws_ecs_service")[0], "id")]
        assert set(rules) == {f"acme-web-{name}-release-{w}" for w in ("pipeline", "ecs")}
    assert not resources(stack, "aws_sns_topic_subscription")  # release.notify is empty in the examples


def test_notify_subscribes_the_emails(tmp_path: Path):
    stacks = synth_with(tmp_path, lambda name, d: d["release"].update(notify=["oncall@example.com"]))
    (subscription,) = resources(stacks["staging"], "aws_sns_topic_subscription").values()
    assert (subscription["protocol"], subscription["endpoint"]) == ("email", "oncall@example.com")


def test_the_archive_is_the_same_bytes_whatever_the_files_times(tmp_path: Path):
    """Staged with fixed times and modes: a fresh checkout (new mtimes) must not change the function."""
    from cdktf import App, AssetType, TerraformAsset, TerraformStack

    from stacks.assets import staged_source

    digests = []
    source = ROOT / "hooks" / "after_allow_test_traffic.py"
    for i, mtime in enumerate((1_600_000_000, 1_700_000_000)):
        copy = tmp_path / f"repo{i}" / "hooks" / source.name
        copy.parent.mkdir(parents=True)
        shutil.copyfile(source, copy)
        copy.chmod(0o600 if i else 0o664)
        os.utime(copy, (mtime, mtime))
        app = App(outdir=str(tmp_path / f"out{i}"))
        stack = TerraformStack(app, "s")
        path = staged_source(stack, "hook", "hooks", ["after_allow_test_traffic"], root=tmp_path / f"repo{i}")
        asset = TerraformAsset(stack, "code", path=path, type=AssetType.ARCHIVE)
        app.synth()
        digests.append(hashlib.sha256((tmp_path / f"out{i}" / "stacks" / "s" / asset.path).read_bytes()).hexdigest())
    assert digests[0] == digests[1]


def test_a_change_to_the_hooks_code_resynthesizes(tmp_path: Path):
    from synthesis.synth import inputs_digest

    for d in ("config", "hooks"):
        shutil.copytree(ROOT / d, tmp_path / d, ignore=shutil.ignore_patterns("__pycache__"))
    before = inputs_digest(tmp_path, ROOT / "environments")
    (tmp_path / "hooks" / "after_allow_test_traffic.py").write_text("# changed\n")
    assert inputs_digest(tmp_path, ROOT / "environments") != before


def test_terraforms_work_dir_gets_the_stacks_assets(tmp_path: Path, project):
    """The function's `filename` is relative to the stack: StackRunner.init mirrors cdktf's assets/ beside it."""
    from orchestrator.targets import Target
    from orchestrator.terraform.runner import RunContext, StackRunner
    from synthesis.manifest import Stack

    stack_dir = tmp_path / "stacks" / "demo"
    (stack_dir / "assets" / "code" / "H").mkdir(parents=True)
    (stack_dir / "assets" / "code" / "H" / "archive.zip").write_bytes(b"zip")
    (stack_dir / "cdk.tf.json").write_text(json.dumps({"output": {"o": {"value": "1"}}}))
    ctx = RunContext(target=Target(project), log_dir=tmp_path / "logs", cache_dir=tmp_path / "terraform")
    runner = StackRunner(Stack("demo", stack_dir, (), ()), ctx)
    (runner.workdir / "assets" / "stale").mkdir(parents=True)
    runner.init()
    assert (runner.workdir / "assets" / "code" / "H" / "archive.zip").read_bytes() == b"zip"
    assert not (runner.workdir / "assets" / "stale").exists()  # an old asset never lingers
