"""Synth-level checks: what each stack declares, for both strategies."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def resources(stack: dict, kind: str) -> list[dict]:
    return list(stack.get("resource", {}).get(kind, {}).values())


def one(stack: dict, kind: str) -> dict:
    found = resources(stack, kind)
    assert len(found) == 1, f"expected one {kind}, found {len(found)}"
    return found[0]


def test_every_stack_is_synthesized(synth_dir: Path):
    manifest = json.loads((synth_dir / "manifest.json").read_text())
    assert set(manifest["stacks"]) == {"access", "staging", "production", "release", "gitlab"}
    assert manifest["stacks"]["access"]["dependencies"] == []
    for name in ("staging", "production", "release", "gitlab"):  # the boundary (and CI roles) first, then in parallel
        assert manifest["stacks"][name]["dependencies"] == ["access"], name


def _synth_in_subprocess(out: Path, prelude: str) -> str:
    """Synthesize the repo's configuration into `out` in a fresh interpreter; returns its report line."""
    code = (
        f"{prelude}\nimport sys\nfrom pathlib import Path\nfrom config import load_project\nfrom stacks.app import build_app\n"
        f"build_app(load_project(Path({str(ROOT)!r})), Path({str(out)!r})).synth()\n"
        "print(sum(m.startswith('cdktf_cdktf_provider_aws.') for m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=os.environ, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip()


def test_lean_provider_imports_synthesize_the_same_json_as_the_full_package(tmp_path: Path):
    """modules/bindings.py skips the provider package's __init__ (2,100 submodules): same output, far fewer imports."""
    lean = int(_synth_in_subprocess(tmp_path / "lean", ""))
    full = int(_synth_in_subprocess(tmp_path / "full", "import cdktf_cdktf_provider_aws, cdktf_cdktf_provider_gitlab"))
    assert lean < 150 < 2000 < full  # ~105 bindings used (each resource type: one module), of ~2,100
    files = {d: sorted(p.relative_to(tmp_path / d) for p in (tmp_path / d).rglob("*.json")) for d in ("lean", "full")}
    assert files["lean"] == files["full"] and files["full"]
    for rel in files["full"]:
        assert (tmp_path / "lean" / rel).read_text() == (tmp_path / "full" / rel).read_text(), rel


@pytest.mark.parametrize("name", ["access", "staging", "production", "release", "gitlab"])
def test_each_stack_has_its_own_encrypted_locked_state(stack_json, project, name: str):
    backend = stack_json(name)["terraform"]["backend"]["s3"]
    keys = {
        "access": "acme-web/access.tfstate",
        "staging": "acme-web/staging.tfstate",
        "production": "acme-web/production.tfstate",
        "release": "acme-web/release.tfstate",
        "gitlab": "acme-web/gitlab.tfstate",
    }
    assert backend["key"] == keys[name]
    assert backend["encrypt"] is True and backend["use_lockfile"] is True
    assert backend["bucket"] == project.settings.state.bucket


def test_production_is_blue_green_through_codedeploy(stack_json):
    prod = stack_json("production")
    service = one(prod, "aws_ecs_service")
    assert service["deployment_controller"] == {"type": "CODE_DEPLOY"}
    assert "deployment_circuit_breaker" not in service
    # What AWS changes on a CODE_DEPLOY service only through CodeDeploy, plus the autoscaled count.
    assert set(service["lifecycle"]["ignore_changes"]) == {
        "task_definition",
        "load_balancer",
        "network_configuration",
        "platform_version",
        "desired_count",
    }
    routing = next(iter(prod["resource"]["terraform_data"]))
    assert service["lifecycle"]["replace_triggered_by"] == [f"terraform_data.{routing}"]
    group = one(prod, "aws_codedeploy_deployment_group")
    assert group["deployment_style"] == {"deployment_option": "WITH_TRAFFIC_CONTROL", "deployment_type": "BLUE_GREEN"}
    assert group["deployment_config_name"] == "CodeDeployDefault.ECSCanary10Percent5Minutes"
    bg = group["blue_green_deployment_config"]
    assert bg["terminate_blue_instances_on_deployment_success"] == {
        "action": "TERMINATE",
        "termination_wait_time_in_minutes": 10,
    }
    assert group["auto_rollback_configuration"]["enabled"] is True
    assert {"DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"} <= set(group["auto_rollback_configuration"]["events"])
    alarm_ids = prod["resource"]["aws_cloudwatch_metric_alarm"]
    wired = {alarm_ids[ref.split(".")[1]]["alarm_name"] for ref in group["alarm_configuration"]["alarms"]}
    assert (
        wired
        == {a["alarm_name"] for a in alarm_ids.values()}
        == {
            *(
                f"acme-web-production-{what}-{c}"
                for what in ("target-5xx-rate", "connection-errors", "unhealthy")
                for c in ("blue", "green")
            ),
            "acme-web-production-elb-5xx-rate",
        }
    )
    pair = group["load_balancer_info"]["target_group_pair_info"]
    assert len(pair["target_group"]) == 2
    assert pair["test_traffic_route"]["listener_arns"] and pair["prod_traffic_route"]["listener_arns"]
    assert one(prod, "aws_appautoscaling_policy")["policy_type"] == "TargetTrackingScaling"


def alarms_by_name(stack: dict) -> dict[str, dict]:
    return {a["alarm_name"]: a for a in resources(stack, "aws_cloudwatch_metric_alarm")}


def queries(alarm: dict) -> dict[str, dict]:
    return {q["id"]: q for q in alarm["metric_query"]}


@pytest.mark.parametrize("color", ["blue", "green"])
def test_each_colour_has_a_5xx_rate_alarm_with_a_minimum_traffic_guard(stack_json, color: str):
    alarm = alarms_by_name(stack_json("production"))[f"acme-web-production-target-5xx-rate-{color}"]
    q = queries(alarm)
    assert set(q) == {"e0", "requests", "rate"}
    assert q["e0"]["metric"]["metric_name"] == "HTTPCode_Target_5XX_Count"
    assert q["requests"]["metric"]["metric_name"] == "RequestCount"
    for metric in (q["e0"]["metric"], q["requests"]["metric"]):  # this colour's target group, per minute
        assert f"alb_tg-{color}_" in metric["dimensions"]["TargetGroup"] and metric["dimensions"]["LoadBalancer"]
        assert (metric["stat"], metric["period"]) == ("Sum", 60)
    assert [x["id"] for x in alarm["metric_query"] if x["return_data"]] == ["rate"]
    assert q["rate"]["expression"] == "IF(requests >= 10, 100 * (FILL(e0, 0)) / requests, 0)"
    assert (alarm["threshold"], alarm["evaluation_periods"], alarm["datapoints_to_alarm"]) == (5, 3, 2)
    assert alarm["comparison_operator"] == "GreaterThanOrEqualToThreshold"
    assert alarm["treat_missing_data"] == "notBreaching" and "metric_name" not in alarm
    errors = alarms_by_name(stack_json("production"))[f"acme-web-production-connection-errors-{color}"]
    assert (errors["metric_name"], errors["statistic"], errors["period"]) == ("TargetConnectionErrorCount", "Sum", 60)
    assert f"alb_tg-{color}_" in errors["dimensions"]["TargetGroup"]


def test_the_load_balancer_rate_alarm_counts_502_503_504_not_501(stack_json):
    alarm = alarms_by_name(stack_json("production"))["acme-web-production-elb-5xx-rate"]
    q = queries(alarm)
    counted = {q[i]["metric"]["metric_name"] for i in ("e0", "e1", "e2")}
    assert counted == {"HTTPCode_ELB_502_Count", "HTTPCode_ELB_503_Count", "HTTPCode_ELB_504_Count"}
    assert all("TargetGroup" not in x["metric"]["dimensions"] for x in q.values() if "metric" in x)
    assert q["rate"]["expression"] == (
        "IF(requests >= 10, 100 * (FILL(e0, 0) + FILL(e1, 0) + FILL(e2, 0)) / requests, 0)"
    )
    text = json.dumps(stack_json("production")["resource"]["aws_cloudwatch_metric_alarm"])
    assert "501" not in text and "HTTPCode_ELB_5XX_Count" not in text  # noise anyone can send


def test_alarm_thresholds_come_from_the_yaml(tmp_path: Path):
    from config import load_project
    from stacks.app import build_app

    shutil.copytree(ROOT / "environments", tmp_path / "environments")
    path = tmp_path / "environments" / "production.yaml"
    data = yaml.safe_load(path.read_text())
    data["alarms"] = {
        "error_rate_percent": 2.5,
        "minimum_requests": 50,
        "connection_errors_threshold": 7,
        "unhealthy_hosts_threshold": 2,
        "evaluation_periods": 4,
        "datapoints_to_alarm": 3,
    }
    path.write_text(yaml.safe_dump(data))
    build_app(load_project(ROOT, tmp_path / "environments"), tmp_path / "out").synth()
    prod = json.loads((tmp_path / "out" / "stacks" / "production" / "cdk.tf.json").read_text())
    alarms = alarms_by_name(prod)
    for color in ("blue", "green"):
        rate = alarms[f"acme-web-production-target-5xx-rate-{color}"]
        assert (rate["threshold"], rate["evaluation_periods"], rate["datapoints_to_alarm"]) == (2.5, 4, 3)
        assert queries(rate)["rate"]["expression"].startswith("IF(requests >= 50, ")
        assert alarms[f"acme-web-production-connection-errors-{color}"]["threshold"] == 7
        assert alarms[f"acme-web-production-unhealthy-{color}"]["threshold"] == 2
    assert queries(alarms["acme-web-production-elb-5xx-rate"])["rate"]["expression"].startswith("IF(requests >= 50, ")
    group = one(prod, "aws_codedeploy_deployment_group")
    wired = {
        prod["resource"]["aws_cloudwatch_metric_alarm"][r.split(".")[1]]["alarm_name"]
        for r in group["alarm_configuration"]["alarms"]
    }
    assert wired == set(alarms)


def test_staging_rolls_back_on_the_release_alarms(stack_json):
    staging = stack_json("staging")
    service = one(staging, "aws_ecs_service")
    names = set(alarms_by_name(staging))
    assert names == {
        "acme-web-staging-target-5xx-rate-main",
        "acme-web-staging-connection-errors-main",
        "acme-web-staging-unhealthy-main",
        "acme-web-staging-elb-5xx-rate",
    }
    assert set(service["alarms"]["alarm_names"]) == names
    assert service["alarms"]["enable"] is True and service["alarms"]["rollback"] is True
    created_first = {d.split(".")[1] for d in service["depends_on"] if d.startswith("aws_cloudwatch_metric_alarm.")}
    assert created_first == set(staging["resource"]["aws_cloudwatch_metric_alarm"])
    assert "alarms" not in one(stack_json("production"), "aws_ecs_service")  # CodeDeploy watches production's


@pytest.mark.parametrize("name", ["staging", "production"])
def test_drain_figures_reach_the_task_and_the_target_groups(stack_json, name: str):
    stack = stack_json(name)
    container = json.loads(one(stack, "aws_ecs_task_definition")["container_definitions"])[0]
    env = {e["name"]: e["value"] for e in container["environment"]}
    assert container["stopTimeout"] == 30
    assert (env["DRAIN_SECONDS"], env["REQUEST_TIMEOUT_SECONDS"]) == ("10", "10")
    assert {tg["deregistration_delay"] for tg in resources(stack, "aws_lb_target_group")} == {"10"}


def test_the_hook_is_given_the_smoke_paths(stack_json):
    variables = one(stack_json("production"), "aws_lambda_function")["environment"]["variables"]
    assert json.loads(variables["SMOKE_PATHS"]) == [{"path": "/", "status": 200}]


def test_blue_green_alb_has_two_target_groups_and_two_listeners(stack_json):
    prod = stack_json("production")
    assert sorted(tg["name"] for tg in resources(prod, "aws_lb_target_group")) == [
        "acme-web-production-blue",
        "acme-web-production-green",
    ]
    listeners = resources(prod, "aws_lb_listener")
    assert sorted(x["port"] for x in listeners) == [80, 8443]
    assert all(x["lifecycle"]["ignore_changes"] == ["default_action"] for x in listeners)
    assert one(prod, "aws_lb")["drop_invalid_header_fields"] is True


ROUTING = {
    "staging": {"main": "acme-web-staging-main"},
    "production": {"blue": "acme-web-production-blue", "green": "acme-web-production-green"},
}
"""stack -> the routing record's input: role -> name of the target group whose ARN it holds."""


@pytest.mark.parametrize("name", ["staging", "production"])
def test_listeners_are_replaced_whenever_the_target_group_set_changes(stack_json, name: str):
    """Terraform cannot repoint a listener whose default action CodeDeploy owns, nor know which group it uses."""
    stack = stack_json(name)
    (routing_id, routing), *others = stack["resource"]["terraform_data"].items()
    assert not others
    groups = stack["resource"]["aws_lb_target_group"]
    refs = {
        role: re.fullmatch(r"\$\{aws_lb_target_group\.(\w[\w-]*)\.arn\}", ref) for role, ref in routing["input"].items()
    }
    assert all(refs.values()), routing["input"]
    assert {role: groups[m.group(1)]["name"] for role, m in refs.items() if m} == ROUTING[name]
    for listener in resources(stack, "aws_lb_listener"):
        assert listener["lifecycle"]["replace_triggered_by"] == [f"terraform_data.{routing_id}"]
        assert sorted(listener["depends_on"]) == sorted(f"aws_lb_target_group.{k}" for k in groups)


@pytest.mark.parametrize("name", ["staging", "production"])
def test_terraform_owns_the_task_definition_with_the_live_image(stack_json, name: str):
    stack = stack_json(name)
    td = one(stack, "aws_ecs_task_definition")
    assert td["track_latest"] is True and td["skip_destroy"] is True
    assert td["lifecycle"] == {"ignore_changes": ["tags_all"]}  # released revisions carry no tags
    assert json.loads(td["container_definitions"])[0]["image"] == "${var.image}"
    assert "default" not in stack["variable"]["image"]  # only the CLI, which reads the live image, supplies it


def test_staging_is_rolling_with_circuit_breaker(stack_json):
    staging = stack_json("staging")
    service = one(staging, "aws_ecs_service")
    assert service["deployment_controller"] == {"type": "ECS"}
    assert service["deployment_circuit_breaker"] == {"enable": True, "rollback": True}
    assert service["deployment_minimum_healthy_percent"] == 100 and service["deployment_maximum_percent"] == 200
    assert "lifecycle" not in service  # Terraform owns the task definition and desired_count
    assert service["network_configuration"]["assign_public_ip"] is True
    assert not resources(staging, "aws_codedeploy_deployment_group")
    assert not resources(staging, "aws_appautoscaling_target")
    assert not resources(staging, "aws_nat_gateway")
    assert [tg["name"] for tg in resources(staging, "aws_lb_target_group")] == ["acme-web-staging-main"]
    assert "ignore_changes" not in one(staging, "aws_lb_listener")["lifecycle"]
    assert not resources(staging, "aws_ssm_parameter")


def test_production_tasks_are_private_and_reachable_only_from_the_alb(stack_json):
    prod = stack_json("production")
    service = one(prod, "aws_ecs_service")
    assert service["network_configuration"]["assign_public_ip"] is False
    assert len(resources(prod, "aws_nat_gateway")) == 2
    groups = {g["name"]: g for g in resources(prod, "aws_security_group")}
    tasks, alb = groups["acme-web-production-tasks"], groups["acme-web-production-alb"]
    assert [(r["from_port"], r["cidr_blocks"], len(r["security_groups"])) for r in tasks["ingress"]] == [(8080, [], 1)]
    assert [(r["from_port"], r["cidr_blocks"]) for r in alb["ingress"]] == [
        (80, ["0.0.0.0/0"]),
        (8443, ["10.20.0.0/16"]),
    ]
    assert [(r["from_port"], r["cidr_blocks"]) for r in alb["egress"]] == [(8080, ["10.20.0.0/16"])]
    assert not resources(prod, "aws_vpc_security_group_ingress_rule")  # inline rules: an added one is drift


def test_task_definition_uses_awslogs_and_separate_roles(stack_json):
    for name in ("staging", "production"):
        stack = stack_json(name)
        td = one(stack, "aws_ecs_task_definition")
        container = json.loads(td["container_definitions"])[0]
        assert container["logConfiguration"]["logDriver"] == "awslogs"
        assert td["execution_role_arn"] != td["task_role_arn"]
        assert one(stack, "aws_ecs_cluster")["setting"] == [{"name": "containerInsights", "value": "enabled"}]
        for role in resources(stack, "aws_iam_role"):
            trust = json.loads(role["assume_role_policy"])
            assert all("Condition" in s or "Federated" in s["Principal"] for s in trust["Statement"])


def test_dashboard_shows_the_release_metrics(stack_json):
    body = json.loads(one(stack_json("production"), "aws_cloudwatch_dashboard")["dashboard_body"])
    metrics = {m[1] for w in body["widgets"] for m in w["properties"]["metrics"]}
    assert {
        "RequestCount",
        "HTTPCode_Target_5XX_Count",
        "TargetResponseTime",
        "HealthyHostCount",
        "CPUUtilization",
        "MemoryUtilization",
    } <= metrics


def test_pipeline_has_the_five_stages(stack_json):
    pipeline = one(stack_json("release"), "aws_codepipeline")
    stages = [s["name"] for s in pipeline["stage"]]
    assert stages == ["Source", "Build", "Deploy-Staging", "Approval-Production", "Deploy-Production"]
    source = pipeline["stage"][0]["action"][0]
    assert source["provider"] == "CodeStarSourceConnection" and source["configuration"]["BranchName"] == "main"
    staging, approval, production = (pipeline["stage"][i]["action"][0] for i in (2, 3, 4))
    assert staging["provider"] == "ECS" and staging["configuration"]["FileName"] == "staging/imagedefinitions.json"
    assert approval["provider"] == "Manual" and "NotificationArn" in approval["configuration"]
    assert production["provider"] == "CodeDeployToECS"
    assert production["configuration"]["AppSpecTemplatePath"] == "production/appspec.yaml"
    assert one(stack_json("release"), "aws_codestarconnections_connection")["provider_type"] == "GitLab"


def test_release_security_defaults(stack_json):
    release = stack_json("release")
    ecr = one(release, "aws_ecr_repository")
    assert ecr["image_tag_mutability"] == "IMMUTABLE" and ecr["image_scanning_configuration"] == {"scan_on_push": True}
    assert one(release, "aws_s3_bucket_public_access_block")["restrict_public_buckets"] is True
    assert one(release, "aws_s3_bucket_versioning")["versioning_configuration"] == {"status": "Enabled"}
    assert one(release, "aws_sns_topic_subscription")["protocol"] == "email"
    specs = sorted(p["source"]["buildspec"] for p in resources(release, "aws_codebuild_project"))
    assert specs == ["buildspecs/build.yml", "buildspecs/test.yml"]
    assert all((ROOT / s).is_file() for s in specs)
    assert ecr["force_delete"] is True  # destroying the release stack deletes its images


def test_release_roles_have_the_documented_permissions(stack_json):
    """AWS's documented CodeBuild service role reads the artifact bucket's identity; the ECS deploy action's
    minimum includes DescribeTasks and ListTasks (CodePipeline user guide)."""
    release = stack_json("release")
    policies = {p["name"]: json.loads(p["policy"]) for p in resources(release, "aws_iam_role_policy")}
    build = {a for st in policies["build-and-push"]["Statement"] for a in st["Action"]}
    pipeline = {a for st in policies["release"]["Statement"] for a in st["Action"]}
    assert {"s3:GetBucketAcl", "s3:GetBucketLocation"} <= build
    # IAM evaluates GetParametersByPath on the path as the buildspec passes it, trailing slash included
    # (aws-ia/terraform-aws-control_tower_account_factory#174): `parameter/acme-web` alone is denied on AWS.
    (parameters,) = [st for st in policies["build-and-push"]["Statement"] if st["Sid"] == "ReleaseParameters"]
    assert parameters["Action"] == ["ssm:GetParametersByPath"]
    assert sorted(r.split(":", 5)[5] for r in parameters["Resource"]) == ["parameter/acme-web", "parameter/acme-web/"]
    assert '--path "$RELEASE_PARAMETERS_PATH"' in (ROOT / "buildspecs/build.yml").read_text()
    assert {
        "ecs:DescribeServices",
        "ecs:DescribeTaskDefinition",
        "ecs:DescribeTasks",
        "ecs:ListTasks",
        "ecs:RegisterTaskDefinition",
        "ecs:TagResource",
        "ecs:UpdateService",
        "iam:PassRole",
    } <= pipeline


def test_gitlab_ci_trust_is_limited_to_the_project(stack_json):
    access = stack_json("access")
    roles = {r["name"]: json.loads(r["assume_role_policy"]) for r in resources(access, "aws_iam_role")}
    plan = roles["acme-web-ci-plan"]["Statement"][0]["Condition"]
    deploy = roles["acme-web-ci-deploy"]["Statement"][0]["Condition"]
    assert plan["StringLike"]["gitlab.com:sub"] == "project_path:acme/platform/acme-web:ref_type:branch:ref:*"
    assert deploy["StringLike"]["gitlab.com:sub"] == "project_path:acme/platform/acme-web:ref_type:branch:ref:main"
    assert deploy["StringEquals"]["gitlab.com:aud"] == "sts.amazonaws.com"
    provider = one(access, "aws_iam_openid_connect_provider")
    assert provider["url"] == "https://gitlab.com"
    assert all(not r["name"].startswith("acme-web-ci-") for r in resources(stack_json("release"), "aws_iam_role"))


def test_an_existing_gitlab_oidc_provider_is_reused(tmp_path: Path):
    """One OIDC provider per URL per account: with gitlab.oidc_provider_arn the access stack trusts it."""
    from config import load_project
    from stacks.app import build_app

    shutil.copytree(ROOT / "environments", tmp_path / "environments")
    data = yaml.safe_load((ROOT / "project.yaml").read_text())
    existing = "arn:aws:iam::111111111111:oidc-provider/gitlab.com"
    data["gitlab"]["oidc_provider_arn"] = existing
    (tmp_path / "project.yaml").write_text(yaml.safe_dump(data))
    build_app(load_project(tmp_path, tmp_path / "environments"), tmp_path / "out").synth()
    access = json.loads((tmp_path / "out" / "stacks" / "access" / "cdk.tf.json").read_text())
    assert not resources(access, "aws_iam_openid_connect_provider")
    for role in resources(access, "aws_iam_role"):
        assert json.loads(role["assume_role_policy"])["Statement"][0]["Principal"] == {"Federated": existing}


def test_gitlab_stack_manages_variables_branch_and_schedule(stack_json):
    gitlab = stack_json("gitlab")
    variables = {v["key"]: v for v in resources(gitlab, "gitlab_project_variable")}
    assert variables["AWS_DEPLOY_ROLE_ARN"]["protected"] is True
    assert variables["AWS_PLAN_ROLE_ARN"]["protected"] is False
    assert one(gitlab, "gitlab_branch_protection")["branch"] == "main"
    assert one(gitlab, "gitlab_pipeline_schedule")["cron"] == "0 6 * * 1-5"
    assert not resources(gitlab, "gitlab_pipeline_schedule_variable")  # CI knows a schedule by its source alone
    assert variables["TOKEN_ROTATE_BEFORE_DAYS"]["value"] == "30"  # ci/token_expiry.py's window


def test_gitlab_stack_makes_the_ci_tokens_without_writing_them(stack_json):
    gitlab = stack_json("gitlab")
    tokens = gitlab["resource"]["gitlab_project_access_token"]
    assert len(tokens) == 2
    variables = {v["key"]: v for v in resources(gitlab, "gitlab_project_variable")}
    for key, protected in (("PLAN_NOTE_TOKEN", False), ("DRIFT_ISSUE_TOKEN", True)):
        token_id = next(t for t in tokens if variables[key]["value"] == f"${{gitlab_project_access_token.{t}.token}}")
        token = tokens[token_id]  # GitLab makes it, not the JSON
        assert token["access_level"] == "reporter" and token["scopes"] == ["api"]
        assert token["rotation_configuration"] == {"expiration_days": 365, "rotate_before_days": 30}
        # merge-request pipelines need the note token; only main and its schedule see the issue token
        assert variables[key]["masked"] is True and variables[key]["protected"] is protected, key


def test_no_secrets_in_synthesized_json(synth_dir: Path):
    """No literal secret: a reference to one Terraform resolves at apply time (`${...token}`) is fine."""
    text = "".join(p.read_text() for p in synth_dir.glob("stacks/*/cdk.tf.json"))
    literal = re.sub(r"\$\{[^}]*\}", "", text)
    for needle in ("secret_key", "access_key", '"token":', "password", "AKIA", "glpat-"):
        assert needle not in literal


def test_switching_strategy_changes_service_codedeploy_and_pipeline(synth_dir, tmp_path: Path):
    """Moving staging to blue_green is one YAML line; the same modules do the rest."""
    from config import load_project
    from stacks.app import build_app

    shutil.copytree(ROOT / "environments", tmp_path / "environments")
    path = tmp_path / "environments" / "staging.yaml"
    data = yaml.safe_load(path.read_text())
    data["deployment"]["strategy"] = "blue_green"
    path.write_text(yaml.safe_dump(data))
    build_app(load_project(ROOT, tmp_path / "environments"), tmp_path / "out").synth()
    staging = json.loads((tmp_path / "out" / "stacks" / "staging" / "cdk.tf.json").read_text())
    release = json.loads((tmp_path / "out" / "stacks" / "release" / "cdk.tf.json").read_text())
    assert one(staging, "aws_ecs_service")["deployment_controller"] == {"type": "CODE_DEPLOY"}
    assert len(resources(staging, "aws_lb_target_group")) == 2
    assert one(staging, "aws_codedeploy_deployment_group")["deployment_group_name"] == "acme-web-staging-web"
    parameter = one(staging, "aws_ssm_parameter")
    assert parameter["name"] == "/acme-web/staging/release"
    network = json.loads(parameter["value"])["networkConfiguration"]["awsvpcConfiguration"]
    assert network["assignPublicIp"] == "ENABLED" and len(network["subnets"]) == 2
    stage = one(release, "aws_codepipeline")["stage"][2]
    assert stage["name"] == "Deploy-Staging" and stage["action"][0]["provider"] == "CodeDeployToECS"


def test_https_when_a_certificate_is_named(synth_dir, tmp_path: Path):
    from config import load_project
    from stacks.app import build_app

    shutil.copytree(ROOT / "environments", tmp_path / "environments")
    path = tmp_path / "environments" / "production.yaml"
    data = yaml.safe_load(path.read_text())
    data["listener"] = {"certificate_arn": "arn:aws:acm:eu-west-1:111111111111:certificate/abc"}
    path.write_text(yaml.safe_dump(data))
    build_app(load_project(ROOT, tmp_path / "environments"), tmp_path / "out").synth()
    prod = json.loads((tmp_path / "out" / "stacks" / "production" / "cdk.tf.json").read_text())
    by_port = {x["port"]: x for x in resources(prod, "aws_lb_listener")}
    assert by_port[443]["protocol"] == "HTTPS" and by_port[443]["ssl_policy"].startswith("ELBSecurityPolicy-TLS13")
    assert by_port[80]["default_action"][0]["type"] == "redirect"
    assert by_port[8443]["protocol"] == "HTTPS"
