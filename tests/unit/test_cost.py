"""`python main.py cost`: the example environments priced by hand, overrides, regions, diffs, output.

The examples are synthesized once per module from a copy of the repo's YAML; expected
figures are computed here from the price table and the YAML with explicit arithmetic,
and each stack's total is also pinned as a literal, so a pricing regression fails.
"""

from __future__ import annotations

import copy
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

import cost.cli
import cost.estimate
from config import ConfigError, load_project
from config.schema import Project
from cost.__main__ import main
from cost.diff import diff
from cost.estimate import estimate
from cost.model import CostError, Estimate, StackEstimate
from cost.pricing import REQUIRED, load_table
from cost.resources import load_stacks
from synthesis.synth import synthesize

ROOT = Path(__file__).resolve().parents[2]
PRICES = yaml.safe_load((ROOT / "cost" / "prices" / "eu-west-1.yaml").read_text())["prices"]
H = 730  # hours_per_month
RELEASES = 20  # releases_per_month
DAYS = H / 24  # days in a month, for log retention


def price(key: str) -> float:
    return PRICES[key]["value"]


@dataclass(frozen=True)
class Synthesized:
    root: Path
    outdir: Path
    project: Project
    stacks: dict[str, dict[str, Any]]

    def estimate(self, project: Project | None = None) -> Estimate:
        return estimate(self.stacks, project or self.project)


def copy_config(dest: Path) -> Path:
    dest.mkdir(parents=True)
    shutil.copy(ROOT / "project.yaml", dest / "project.yaml")
    shutil.copytree(ROOT / "environments", dest / "environments")
    return dest


def edit_yaml(path: Path, **changes: Any) -> None:
    """`section__field=value` sets data[section][field]."""
    data = yaml.safe_load(path.read_text())
    for dotted, value in changes.items():
        *parents, last = dotted.split("__")
        node = data
        for key in parents:
            node = node.setdefault(key, {})
        node[last] = value
    path.write_text(yaml.safe_dump(data))


def synth(root: Path) -> Synthesized:
    env_dir = root / "environments"
    outdir = synthesize(root, outdir=root / "cdktf.out", environments_dir=env_dir).outdir
    return Synthesized(root, outdir, load_project(root, env_dir), load_stacks(outdir))


@pytest.fixture(scope="module")
def examples(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    return synth(copy_config(tmp_path_factory.mktemp("examples") / "repo"))


@pytest.fixture(scope="module")
def changed(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    """The examples with two staging tasks (min = desired = max, so no autoscaling) and a `qa` copy of staging."""
    root = copy_config(tmp_path_factory.mktemp("changed") / "repo")
    envs = root / "environments"
    edit_yaml(envs / "staging.yaml", service__desired_count=2, service__min_count=2, service__max_count=2)
    shutil.copy(envs / "staging.yaml", envs / "qa.yaml")
    edit_yaml(
        envs / "qa.yaml", state__key="acme-web/qa.tfstate", release__order=3, tags__environment="qa", **_one_task()
    )
    return synth(root)


def _one_task() -> dict[str, int]:
    return {"service__desired_count": 1, "service__min_count": 1, "service__max_count": 1}


def by_item(stack: StackEstimate) -> dict[str, float]:
    """Item -> monthly USD, summed over resources (e.g. two NAT gateways, seven alarms)."""
    items: dict[str, float] = {}
    for line in stack.lines:
        items[line.item] = items.get(line.item, 0.0) + line.monthly
    return items


def test_staging_by_hand(examples: Synthesized):
    """rolling, 1 task of 0.25 vCPU / 0.5 GB in public subnets (no NAT), 14 days of logs."""
    items = by_item(examples.estimate().stacks["staging"])
    release_hours = 1 * 10 / 60 * RELEASES  # 1 extra task (maximum_percent 200) × release_minutes 10 × 20 releases
    expected = {
        "Fargate vCPU-hours": 0.25 * 1 * H * price("fargate.linux_x86.vcpu_hour"),
        "Fargate GB-hours": 0.5 * 1 * H * price("fargate.linux_x86.gb_hour"),
        "Fargate vCPU-hours, releases": 0.25 * release_hours * price("fargate.linux_x86.vcpu_hour"),
        "Fargate GB-hours, releases": 0.5 * release_hours * price("fargate.linux_x86.gb_hour"),
        "Public IPv4, tasks": (1 * H + release_hours) * price("public_ipv4.hour"),
        "ALB hours": H * price("alb.hour"),
        "ALB LCU-hours": 1 * H * price("alb.lcu_hour"),
        "Public IPv4, ALB": 2 * H * price("public_ipv4.hour"),  # 2 subnets × 1 address
        "Container Insights metrics": 30 * price("cloudwatch.metric_month"),
        "Container Insights performance logs": 0.05 * 1 * price("cloudwatch.logs_ingest_gb"),
        # per metric: the 5xx rate (5xx, requests), connection errors, unhealthy; the ALB's rate (502, 503, 504, requests)
        "CloudWatch alarm": (2 + 1 + 1 + 4) * price("cloudwatch.alarm_standard_month"),
        "CloudWatch dashboard": price("cloudwatch.dashboard_month"),
        "Task logs, ingestion": 1.0 * 1 * price("cloudwatch.logs_ingest_gb"),
        "Task logs, storage": 1.0 * 14 / DAYS * price("cloudwatch.logs_storage_gb_month"),
        "VPC flow logs, ingestion": 1.0 * price("cloudwatch.vended_logs_gb"),
        "VPC flow logs, storage": 1.0 * 14 / DAYS * price("cloudwatch.logs_storage_gb_month"),
        "KMS key": price("kms.key_month"),  # the release topic's (modules/notifications.py)
    }
    assert items == pytest.approx(expected, abs=1e-9)
    # 7.3876 + 1.622425 + 0.033733 + 0.007408 (Fargate) + 3.666667 (task IPv4) + 18.396 + 5.84 + 7.30 (ALB)
    # + 9.00 + 0.0285 (Container Insights) + 0.80 + 3.00 (alarms, dashboard) + 2 × (0.57 + 0.013808) (logs)
    assert round(sum(expected.values()), 2) == 59.25  # with the KMS key's 1.00
    assert "NAT gateway hours" not in items  # tasks_in_public_subnets: the trade the YAML makes


def test_production_by_hand(examples: Synthesized):
    """blue_green, autoscaled 2..6 tasks of 0.5 vCPU / 1 GB (min_count on average), two NAT gateways, 90 days of logs."""
    items = by_item(examples.estimate().stacks["production"])
    deploy_minutes = 10 + 5 + 10  # release_minutes + Canary10Percent5Minutes shift + termination_wait_minutes
    release_hours = 2 * deploy_minutes / 60 * RELEASES  # blue stays beside green: the 2 tasks doubled
    nat_gb = 20 + RELEASES * 2 * 0.15  # nat_gb_per_month + image pulls by the 2 new tasks of each release
    expected = {
        "Fargate vCPU-hours": 0.5 * 2 * H * price("fargate.linux_x86.vcpu_hour"),
        "Fargate GB-hours": 1.0 * 2 * H * price("fargate.linux_x86.gb_hour"),
        "Fargate vCPU-hours, releases": 0.5 * release_hours * price("fargate.linux_x86.vcpu_hour"),
        "Fargate GB-hours, releases": 1.0 * release_hours * price("fargate.linux_x86.gb_hour"),
        "NAT gateway hours": 2 * H * price("nat_gateway.hour"),
        "NAT data processed": nat_gb * price("nat_gateway.gb"),
        "Public IPv4, Elastic IP": 2 * H * price("public_ipv4.hour"),
        "ALB hours": H * price("alb.hour"),
        "ALB LCU-hours": 1 * H * price("alb.lcu_hour"),
        "Public IPv4, ALB": 2 * H * price("public_ipv4.hour"),
        "Container Insights metrics": 30 * price("cloudwatch.metric_month"),
        "Container Insights performance logs": 0.05 * 2 * price("cloudwatch.logs_ingest_gb"),
        # per metric: blue's and green's 5xx rate (2 each), connection errors, unhealthy; the ALB's rate (4)
        "CloudWatch alarm": (2 * (2 + 1 + 1) + 4) * price("cloudwatch.alarm_standard_month"),
        "CloudWatch dashboard": price("cloudwatch.dashboard_month"),
        "Task logs, ingestion": 1.0 * 2 * price("cloudwatch.logs_ingest_gb"),
        "Task logs, storage": 2.0 * 90 / DAYS * price("cloudwatch.logs_storage_gb_month"),
        "VPC flow logs, ingestion": 1.0 * price("cloudwatch.vended_logs_gb"),
        "VPC flow logs, storage": 1.0 * 90 / DAYS * price("cloudwatch.logs_storage_gb_month"),
        "KMS key": price("kms.key_month"),  # the release topic's; the hook (Lambda, its logs) is below a cent
    }
    assert items == pytest.approx(expected, abs=1e-9)
    # 29.5504 + 6.4897 + 0.337333 + 0.074083 (Fargate) + 70.08 + 1.248 (NAT) + 7.30 (EIPs) + 31.536 (ALB)
    # + 9.057 (Container Insights) + 1.20 + 3.00 + 1.14 + 0.177534 + 0.57 + 0.088767 (CloudWatch)
    assert round(sum(expected.values()), 2) == 162.85  # with the KMS key's 1.00
    assert "Public IPv4, tasks" not in items  # private subnets


def test_release_by_hand(examples: Synthesized):
    items = by_item(examples.estimate().stacks["release"])
    minutes = 1 + 5 + 5 + 10 + 25  # source, test, build, deploy staging (rolling), deploy production (blue_green)
    expected = {
        "CodePipeline V2 action minutes": minutes * RELEASES * price("codepipeline.v2_action_minute"),
        "CodeBuild minutes": 2 * 5 * RELEASES * price("codebuild.linux.general1_small.minute"),  # test and build
        "ECR storage": 100 * 0.15 * price("ecr.storage_gb_month"),  # the lifecycle policy keeps 100 images
        "S3 Standard storage": RELEASES * 0.01 * (90 + 30) / DAYS * price("s3.standard_gb_month"),
        "SNS e-mail notifications": 1 * RELEASES * price("sns.email_notification"),
        "Build logs, ingestion": 0.005 * RELEASES * price("cloudwatch.logs_ingest_gb"),
        "Build logs, storage": 0.005 * RELEASES * 30 / DAYS * price("cloudwatch.logs_storage_gb_month"),
    }
    assert items == pytest.approx(expected, abs=1e-9)
    # 1.84 (920 action minutes) + 1.00 (200 build minutes) + 1.50 (15 GB) + 0.018148 + 0.0004 + 0.057 + 0.002959
    assert round(sum(expected.values()), 2) == 4.42


def test_staging_costs_less_than_production_and_gitlab_nothing(examples: Synthesized):
    result = examples.estimate()
    assert result.stacks["staging"].monthly < result.stacks["production"].monthly
    gitlab = result.stacks["gitlab"]
    assert (gitlab.monthly, gitlab.region, gitlab.lines) == (0, None, ())
    assert "no AWS provider" in gitlab.note
    assert list(result.stacks) == ["staging", "production", "access", "release", "gitlab"]
    access = result.stacks["access"]  # IAM only: nothing billed
    assert (access.monthly, access.not_estimated) == (0, ())
    assert round(result.monthly, 2) == 226.52  # 59.249950 + 162.848818 + 4.418507
    assert all(not s.not_estimated for s in result.stacks.values()), {
        n: s.not_estimated for n, s in result.stacks.items()
    }


def test_an_override_in_project_yaml_changes_the_figure(examples: Synthesized, tmp_path: Path):
    """cost: does not change what is synthesized, so the examples' stacks are priced with the copy's assumptions."""
    root = copy_config(tmp_path / "repo")
    edit_yaml(root / "project.yaml", cost__releases_per_month=40, cost__environments={"production": {"alb_lcu": 5}})
    project = load_project(root, root / "environments")
    base, result = examples.estimate(), examples.estimate(project)
    production = result.stacks["production"]
    lcu = next(line for line in production.lines if line.item == "ALB LCU-hours")
    assert lcu.monthly == pytest.approx(5 * H * 0.008)  # 29.20
    assert lcu.assumptions == ("environments.production.alb_lcu", "hours_per_month")
    assert by_item(result.stacks["staging"])["ALB LCU-hours"] == pytest.approx(1 * H * 0.008)  # staging keeps 1 LCU
    pipeline = by_item(result.stacks["release"])["CodePipeline V2 action minutes"]
    assert pipeline == pytest.approx(46 * 40 * 0.002)  # 3.68: twice the releases
    # production: 4 more LCU, and twice the blue/green overlap and image pulls
    extra = 4 * H * 0.008 + 20 * (2 * 25 / 60) * (0.5 * 0.04048 + 1 * 0.004445) + 20 * 2 * 0.15 * 0.048
    assert production.monthly - base.stacks["production"].monthly == pytest.approx(extra)
    assert result.assumptions["releases_per_month"] == 40
    assert result.assumptions["environments.production.alb_lcu"] == 5
    assert "environments.production.nat_gb_per_month" not in result.assumptions  # only what is set


def test_assumptions_are_validated_like_the_rest_of_the_yaml(examples: Synthesized, tmp_path: Path):
    root = copy_config(tmp_path / "repo")
    edit_yaml(root / "project.yaml", cost__releases_per_mont=40)
    with pytest.raises(ConfigError, match=r"project.yaml: cost.releases_per_mont: unknown field"):
        load_project(root, root / "environments")
    edit_yaml(root / "project.yaml", cost={"environments": {"qa": {"alb_lcu": 2}}})
    with pytest.raises(CostError, match=r"cost\.environments: no environment qa; expected one of staging, production"):
        examples.estimate(load_project(root, root / "environments"))


def test_a_region_without_a_price_table_names_the_file_to_add(examples: Synthesized):
    stacks = copy.deepcopy(examples.stacks)
    stacks["staging"]["provider"]["aws"][0]["region"] = "ap-south-1"
    with pytest.raises(CostError) as raised:
        estimate(stacks, examples.project)
    message = str(raised.value)
    assert "no price table for region ap-south-1: add cost/prices/ap-south-1.yaml" in message
    assert all(key in message for key in REQUIRED) and "value, unit, source, read" in message


def test_price_tables_name_their_page_and_date():
    for region in ("eu-west-1", "us-east-1"):
        table = load_table(region)
        assert set(REQUIRED) <= set(table.prices)
        assert all(p.source.startswith("https://aws.amazon.com/") and p.read for p in table.prices.values())
        assert table.source.file == f"cost/prices/{region}.yaml"
    assert load_table("us-east-1")["alb.hour"].value < load_table("eu-west-1")["alb.hour"].value


def test_diff_names_what_changed(examples: Synthesized, changed: Synthesized):
    change = diff(examples.estimate(), changed.estimate())
    staging_extra = (
        0.25 * H * 0.04048  # a second task's vCPU
        + 0.5 * H * 0.004445  # and GB
        + (10 / 60 * 20) * (0.25 * 0.04048 + 0.5 * 0.004445)  # its share of the rolling overlap
        + (H + 10 / 60 * 20) * 0.005  # its public IPv4
        + 0.05 * 0.57  # Container Insights logs
        + 1.0 * 0.57
        + 1.0 * 14 / DAYS * 0.03  # its logs
    )
    assert round(staging_extra, 2) == 13.33
    lines = change.lines()
    assert lines[0] == (
        "staging +$13.33/mo (service.desired_count 1 -> 2, service.min_count 1 -> 2, service.max_count 1 -> 2)"
    )
    assert lines[1] == "qa +$59.25/mo (new stack)"  # a copy of staging's one task
    assert lines[2].startswith("release +$0.40/mo (environments staging, production -> staging, production, qa, ")
    assert "pipeline minutes per release 46 -> 56" in lines[2]  # qa's deploy action: 10 min × 20 × $0.002
    assert lines[3] == "total +$72.98/mo ($226.52 -> $299.50)"  # 13.330141 + 59.249950 + 0.40 on 226.517275
    assert [c.name for c in change.changes] == ["staging", "qa", "release"]  # production unchanged
    back = diff(changed.estimate(), examples.estimate()).lines()
    assert "qa -$59.25/mo (stack removed)" in back
    assert diff(examples.estimate(), examples.estimate()).lines() == ["no cost change ($226.52/mo)"]


@pytest.fixture
def checkout(examples: Synthesized, monkeypatch: pytest.MonkeyPatch) -> Synthesized:
    """The command run on the examples' copy, reusing its synthesis (same inputs: a cache hit)."""
    monkeypatch.setattr(cost.cli, "ROOT", examples.root)
    monkeypatch.setenv("CDKTF_OUTDIR", str(examples.outdir))
    return examples


def test_json_gives_a_figure_per_stack_and_resource_with_assumptions(
    checkout: Synthesized, capsys: pytest.CaptureFixture[str], tmp_path: Path
):
    md = tmp_path / "cost.md"
    assert main(["--environments", str(checkout.root / "environments"), "--json", "--markdown", str(md)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["currency"] == "USD" and data["total"] == 226.52
    assert {n: s["monthly"] for n, s in data["stacks"].items()} == {
        "staging": 59.25,
        "production": 162.85,
        "access": 0,
        "release": 4.42,
        "gitlab": 0,
    }
    nat = next(r for r in data["stacks"]["production"]["resources"] if r["item"] == "NAT gateway hours")
    assert nat["type"] == "aws_nat_gateway" and nat["address"].startswith("aws_nat_gateway.")
    assert (nat["quantity"], nat["unit"], nat["unit_price"], nat["monthly"]) == (730, "NAT-gateway-hour", 0.048, 35.04)
    assert nat["assumptions"] == ["hours_per_month"]
    assert data["assumptions"]["releases_per_month"] == 20 and data["assumptions"]["traffic.alb_lcu"] == 1
    assert data["prices"] == {"eu-west-1": {"file": "cost/prices/eu-west-1.yaml", "read": "2026-12-01"}}
    assert "| staging | $59.25 |" in md.read_text()


def test_text_lists_stacks_resources_and_where_to_override(checkout: Synthesized, capsys: pytest.CaptureFixture[str]):
    assert main(["staging", "--environments", str(checkout.root / "environments")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("staging  eu-west-1  $59.25/mo\n")
    assert "ALB hours" in out and "production" not in out.split("total")[0]
    assert "total  $59.25/mo" in out
    assert "override in project.yaml under `cost:`" in out
    assert "releases_per_month" in out and "cost/prices/eu-west-1.yaml (read 2026-12-01)" in out


def test_user_errors_exit_2_without_a_traceback(
    checkout: Synthesized, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    envs = str(checkout.root / "environments")
    assert main(["nope", "--environments", envs]) == 2  # refused before any synthesis (config.arguments)
    assert capsys.readouterr().err.splitlines()[-1] == (
        "python -m cost: error: argument STACK: unknown stack 'nope'; expected one of access, staging, production, "
        "release, gitlab"
    )
    monkeypatch.setattr(cost.estimate, "load_table", lambda region: load_table(region, tmp_path))
    assert main(["--environments", envs]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: no price table for region eu-west-1: add ") and "Traceback" not in err
