"""The typed schema: good configs load, bad ones fail by file and field, before any Terraform."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import typing
from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel

from config import ConfigError, load_project
from config.schema import Environment, ProjectSettings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A writable copy of the repo's configuration."""
    shutil.copy(ROOT / "project.yaml", tmp_path / "project.yaml")
    shutil.copytree(ROOT / "environments", tmp_path / "environments")
    return tmp_path


def edit(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data))


def problems(root: Path) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_project(root)
    return info.value.problems


def test_repo_config_loads_in_release_order(project):
    assert [e.name for e in project.environments] == ["staging", "production"]
    assert project.environment("staging").strategy == "rolling"
    assert project.environment("production").strategy == "blue_green"
    assert project.environment("production").release.approval_emails


def test_a_new_file_is_a_new_environment(tree: Path):
    qa = tree / "environments" / "qa.yaml"
    shutil.copy(tree / "environments" / "staging.yaml", qa)
    edit(qa, lambda d: (d["release"].update(order=3), d["state"].update(key="acme-web/qa.tfstate")))
    assert [e.name for e in load_project(tree).environments] == ["staging", "production", "qa"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda d: d["service"].update(cpu=300),
            "staging.yaml: service.cpu: expected 256, 512, 1024, 2048 or 4096 (got 300)",
        ),
        (lambda d: d["service"].update(memory=4096), "staging.yaml: service.memory: 4096 is not valid with cpu 256"),
        (
            lambda d: d["deployment"].update(strategy="canary"),
            "staging.yaml: deployment.strategy: expected 'rolling' or 'blue_green'",
        ),
        (lambda d: d["service"].update(nmae="x"), "staging.yaml: service.nmae: unknown field (check the spelling)"),
        (lambda d: d.pop("network"), "staging.yaml: network: required field is missing"),
        (
            lambda d: d["network"].update(public_subnets=["10.99.0.0/24", "10.10.1.0/24"]),
            "staging.yaml: network.public_subnets: 10.99.0.0/24 is not inside vpc_cidr 10.10.0.0/16",
        ),
        (lambda d: d["network"].update(availability_zones=["eu-west-1a"]), "staging.yaml: network.availability_zones:"),
        (lambda d: d["aws"].update(account_id="12345"), "staging.yaml: aws.account_id:"),
        (
            lambda d: d["service"].update(desired_count=5),
            "staging.yaml: service.desired_count: expected min_count <= desired_count <= max_count",
        ),
        (lambda d: d["release"].update(approval_emails=["not-an-email"]), "staging.yaml: release.approval_emails.0:"),
        (lambda d: d.update(log_retention_days=10), "staging.yaml: log_retention_days:"),
        (
            lambda d: d["release"].update(order=2),
            "staging.yaml: release.order: expected a unique order, 2 is also used by production",
        ),
        (
            lambda d: d["service"].update(image_repository="other"),
            "staging.yaml: service.image_repository: expected 'acme-web'",
        ),
        (lambda d: d["aws"].update(account_id="222222222222"), "staging.yaml: aws: expected account 111111111111"),
    ],
)
def test_bad_environment_is_named_by_file_and_field(tree: Path, change, expected: str):
    edit(tree / "environments" / "staging.yaml", change)
    found = problems(tree)
    assert any(expected in p for p in found), found


def test_blue_green_test_port_must_differ_from_production(tree: Path):
    edit(
        tree / "environments" / "production.yaml", lambda d: d["deployment"]["blue_green"].update(test_listener_port=80)
    )
    assert any("deployment.blue_green.test_listener_port" in p for p in problems(tree))


@pytest.mark.parametrize(
    ("arn", "expected"),
    [
        ("arn:aws:iam::111111111111:oidc-provider/gitlab.com", None),
        ("arn:aws:iam::111111111111:role/gitlab.com", "project.yaml: gitlab.oidc_provider_arn:"),
        (
            "arn:aws:iam::111111111111:oidc-provider/gitlab.example.com",
            "project.yaml: gitlab.oidc_provider_arn: expected the provider of https://gitlab.com",
        ),
    ],
)
def test_an_existing_oidc_provider_is_validated(tree: Path, arn: str, expected: str | None):
    edit(tree / "project.yaml", lambda d: d["gitlab"].update(oidc_provider_arn=arn))
    if expected is None:
        assert load_project(tree).settings.gitlab.oidc_provider_arn == arn
    else:
        found = problems(tree)
        assert any(expected in p for p in found), found


def test_every_file_is_reported_at_once(tree: Path):
    edit(tree / "environments" / "staging.yaml", lambda d: d["service"].update(cpu=1))
    edit(tree / "environments" / "production.yaml", lambda d: d["service"].update(container_port=0))
    found = problems(tree)
    assert any("staging.yaml: service.cpu" in p for p in found)
    assert any("production.yaml: service.container_port" in p for p in found)


def test_broken_yaml_and_name_key(tree: Path):
    (tree / "environments" / "staging.yaml").write_text("aws: [unclosed\n")
    edit(tree / "environments" / "production.yaml", lambda d: d.update(name="prod"))
    found = problems(tree)
    assert any("staging.yaml: not valid YAML" in p for p in found)
    assert any("production.yaml: name: not allowed (it comes from the file name)" in p for p in found)


def test_switching_strategy_is_one_line(tree: Path):
    edit(tree / "environments" / "staging.yaml", lambda d: d["deployment"].update(strategy="blue_green"))
    assert load_project(tree).environment("staging").strategy == "blue_green"


def test_json_schema_export_covers_strategies():
    schema = Environment.model_json_schema()
    assert schema["$defs"]["Deployment"]["properties"]["strategy"]["$ref"] == "#/$defs/Strategy"
    assert set(schema["$defs"]["Strategy"]["enum"]) == {"rolling", "blue_green"}
    assert "description" in schema["$defs"]["Service"]["properties"]["max_count"]


def _fields(model: type[BaseModel], seen: set[type] | None = None):
    """(model, field name, field info) of `model` and every section model under it."""
    seen = seen if seen is not None else set()
    if model in seen:
        return
    seen.add(model)
    for name, info in model.model_fields.items():
        yield model, name, info
        for arg in [info.annotation, *typing.get_args(info.annotation)]:
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                yield from _fields(arg, seen)


@pytest.mark.parametrize("root", [Environment, ProjectSettings])
def test_every_schema_field_has_a_description(root: type[BaseModel]):
    """The exported JSON Schema is what an editor shows: a field without a description helps no one."""
    missing = [f"{m.__name__}.{name}" for m, name, info in _fields(root) if not (info.description or "").strip()]
    assert not missing, missing


def test_cli_reports_bad_config_without_traceback_and_writes_nothing(tree: Path, tmp_path: Path):
    edit(tree / "environments" / "staging.yaml", lambda d: d["service"].update(cpu=300))
    out = tmp_path / "out"
    code = (
        "import sys; from orchestrator.cli import main; from synthesis import synth;"
        f"sys.exit(main(['synth', '--environments', '{tree / 'environments'}']))"
    )
    env = {"CDKTF_OUTDIR": str(out), "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 2
    assert "staging.yaml: service.cpu: expected 256" in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()


def test_cli_reports_a_failed_synthesis_and_writes_nothing(tmp_path: Path):
    """A valid configuration whose synthesis fails (here: no node for jsii) exits 1 with the child's error."""
    out = tmp_path / "out"
    env = {**os.environ, "CDKTF_OUTDIR": str(out), "PATH": str(tmp_path)}  # no node on PATH
    result = subprocess.run(
        [sys.executable, "main.py", "synth", "--force"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith("error: synthesis failed: FileNotFoundError:"), result.stderr
    assert "'node'" in result.stderr and "Traceback" not in result.stderr
    assert not out.exists() and not list(tmp_path.glob(".out-*"))


@pytest.mark.parametrize(("region", "partition"), [("us-gov-west-1", "aws-us-gov"), ("cn-north-1", "aws-cn")])
def test_a_region_of_another_partition_is_refused_naming_it(tree: Path, region: str, partition: str):
    """ARNs are built for the commercial partition (config.names.arn): a GovCloud or China region would deploy
    with wrong ARNs, so the schema says so instead."""
    edit(tree / "environments" / "staging.yaml", lambda d: d["aws"].update(region=region))
    (found,) = [p for p in problems(tree) if "aws.region" in p]
    expected = (
        f"aws.region: {region} is in the {partition} partition; expected a region of the commercial partition "
        "(aws), the only one whose ARNs this project builds"
    )
    assert found.endswith(expected), found


# --- the rollback window, the canary and the drain (docs/zero-downtime.md) -----------------


def test_a_termination_wait_shorter_than_detection_is_refused_naming_both_figures(tree: Path):
    edit(
        tree / "environments" / "production.yaml",
        lambda d: d["deployment"]["blue_green"].update(termination_wait_minutes=3),
    )
    (problem,) = [p for p in problems(tree) if "termination_wait_minutes" in p]
    assert "production.yaml: deployment.blue_green.termination_wait_minutes: 3 minute(s) (180 s)" in problem
    assert "worst-case detection, 240 s" in problem and "expected at least 5 minutes" in problem


def test_more_datapoints_move_detection_past_the_wait(tree: Path):
    def change(d: dict) -> None:
        d["alarms"].update(evaluation_periods=9, datapoints_to_alarm=9)  # (9 + 1) x 60 + 60 = 660 s
        d["deployment"]["blue_green"].update(deployment_config="CodeDeployDefault.ECSCanary10Percent15Minutes")

    edit(tree / "environments" / "production.yaml", change)
    (problem,) = problems(tree)
    assert "termination_wait_minutes: 10 minute(s) (600 s)" in problem and "detection, 660 s" in problem


def test_without_alarm_rollback_the_wait_is_not_bound_to_detection(tree: Path):
    edit(
        tree / "environments" / "production.yaml",
        lambda d: d["deployment"]["blue_green"].update(termination_wait_minutes=0, rollback_on_alarms=False),
    )
    assert load_project(tree).environment("production").deployment.blue_green.termination_wait_minutes == 0


def test_a_canary_shorter_than_detection_is_refused(tree: Path):
    path = tree / "environments" / "production.yaml"
    edit(path, lambda d: d["alarms"].update(evaluation_periods=5, datapoints_to_alarm=5))  # 420 s
    (problem,) = problems(tree)
    assert "production.yaml: deployment.blue_green.deployment_config: the 5-minute canary (300 s)" in problem
    assert "detection, 420 s" in problem and "ECSCanary10Percent15Minutes" in problem
    edit(
        path,
        lambda d: d["deployment"]["blue_green"].update(
            deployment_config="CodeDeployDefault.ECSCanary10Percent15Minutes"
        ),
    )
    assert load_project(tree).environment("production").alarms.detection_seconds == 420


def test_the_defaults_keep_every_inequality():
    from config.schema import Alarms, BlueGreen, Service

    alarms, blue_green = Alarms(), BlueGreen()
    service = Service(image_repository="acme-web")
    assert blue_green.termination_wait_minutes * 60 > alarms.detection_seconds == 240
    assert alarms.detection_seconds <= 5 * 60  # the default 5-minute canary
    assert service.drain_seconds + service.request_timeout_seconds < service.stop_timeout_seconds
    assert service.deregistration_delay_seconds == service.request_timeout_seconds
    assert [(s.path, s.status) for s in blue_green.smoke_paths] == [("/", 200)]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda d: d["service"].update(drain_seconds=15, request_timeout_seconds=15),
            "staging.yaml: service.stop_timeout_seconds: 30 s leaves no time to exit after drain_seconds (15 s) + "
            "request_timeout_seconds (15 s) = 30 s",
        ),
        (lambda d: d["service"].update(stop_timeout_seconds=121), "staging.yaml: service.stop_timeout_seconds:"),
        (
            lambda d: d["service"].update(environment={"DRAIN_SECONDS": "1"}),
            "staging.yaml: service.environment: DRAIN_SECONDS are set from",
        ),
        (
            lambda d: d.update(alarms={"evaluation_periods": 2, "datapoints_to_alarm": 3}),
            "staging.yaml: alarms.datapoints_to_alarm: expected at most evaluation_periods (2), got 3",
        ),
        (
            lambda d: d["deployment"].update(blue_green={"smoke_paths": [{"path": "health"}]}),
            "staging.yaml: deployment.blue_green.smoke_paths.0.path:",
        ),
        (
            lambda d: d.update(alarms={"http_5xx_threshold": 5}),
            "staging.yaml: alarms.http_5xx_threshold: unknown field",
        ),
    ],
)
def test_bad_drain_alarm_and_smoke_settings_are_named(tree: Path, change, expected: str):
    edit(tree / "environments" / "staging.yaml", change)
    found = problems(tree)
    assert any(expected in p for p in found), found
