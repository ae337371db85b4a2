"""The release renderer against the repository's config: API, CLI, and agreement with the
synthesized stacks (`synth_dir`, provided by tests/conftest.py).

Expected values are written out below (EXPECTED), not computed by config.names or the renderer,
so a renderer or a naming change that drifts from the names Terraform uses fails here.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from artifacts import (
    InvalidCommit,
    UnknownEnvironment,
    appspec,
    render,
    write,
)
from artifacts.parameters import MissingReleaseParameter, ReleaseParameter, from_ssm_output
from config import Project, load_project
from config.task_definition import IMAGE_PLACEHOLDER, task_definition

ROOT = Path(__file__).resolve().parents[2]
COMMIT = "0123456789abcdef0123456789abcdef01234567"
ENVIRONMENTS = ("staging", "production")  # release order of the repository's config
KINDS = ("imagedefinitions.json", "taskdef.json", "appspec.yaml")
CONTAINER, PORT = "web", 8080
EXPECTED = {
    "staging": {
        "family": "acme-web-staging-web",
        "execution_role": "acme-web-staging-task-execution",
        "task_role": "acme-web-staging-task",
        "log_group": "/ecs/acme-web-staging/web",
        "release_parameter": "/acme-web/staging/release",
        "codedeploy": None,  # rolling: released by the ECS deploy action
    },
    "production": {
        "family": "acme-web-production-web",
        "execution_role": "acme-web-production-task-execution",
        "task_role": "acme-web-production-task",
        "log_group": "/ecs/acme-web-production/web",
        "release_parameter": "/acme-web/production/release",
        "codedeploy": ("acme-web-production", "acme-web-production-web"),  # application, deployment group
    },
}
"""The repository's configuration, as AWS will name it."""


@pytest.fixture(scope="module")
def repo_project() -> Project:
    return load_project(ROOT)


@pytest.fixture(scope="module")
def files(repo_project: Project) -> dict[str, str | bytes]:
    return render(repo_project, COMMIT)


def expected_image(project: Project) -> str:
    aws = project.settings.aws
    return f"{aws.account_id}.dkr.ecr.{aws.region}.amazonaws.com/{project.image_repository}:{COMMIT}"


def loaded(files: dict[str, str | bytes], path: str) -> Any:
    return yaml.safe_load(files[path]) if path.endswith(".yaml") else json.loads(files[path])


# --- render ------------------------------------------------------------------------------


def test_renders_image_detail_and_every_kind_for_every_environment(repo_project: Project, files: dict) -> None:
    assert tuple(env.name for env in repo_project.environments) == ENVIRONMENTS
    assert set(files) == {"imageDetail.json"} | {f"{env}/{kind}" for env in ENVIRONMENTS for kind in KINDS}


def test_image_detail_names_the_project_repository_tagged_with_the_commit(repo_project: Project, files: dict) -> None:
    assert loaded(files, "imageDetail.json") == {"ImageURI": expected_image(repo_project)}
    assert expected_image(repo_project) == f"111111111111.dkr.ecr.eu-west-1.amazonaws.com/acme-web:{COMMIT}"


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_image_definitions_name_the_container(repo_project: Project, files: dict, env_name: str) -> None:
    expected = [{"name": CONTAINER, "imageUri": expected_image(repo_project)}]
    assert loaded(files, f"{env_name}/imagedefinitions.json") == expected


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_taskdef_matches_names_and_the_shared_task_definition(
    repo_project: Project, files: dict, env_name: str
) -> None:
    env = repo_project.environment(env_name)
    expected = EXPECTED[env_name]
    taskdef = loaded(files, f"{env_name}/taskdef.json")

    assert taskdef == task_definition(repo_project.settings, env, IMAGE_PLACEHOLDER)  # the one Terraform registers
    assert taskdef["family"] == expected["family"]
    assert taskdef["executionRoleArn"] == f"arn:aws:iam::111111111111:role/acme-web/{expected['execution_role']}"
    assert taskdef["taskRoleArn"] == f"arn:aws:iam::111111111111:role/acme-web/{expected['task_role']}"
    (container,) = taskdef["containerDefinitions"]
    assert container["name"] == CONTAINER
    assert container["image"] == "<IMAGE1_NAME>"
    assert [m["containerPort"] for m in container["portMappings"]] == [PORT]
    assert container["logConfiguration"]["options"]["awslogs-group"] == expected["log_group"]
    assert container["logConfiguration"]["options"]["awslogs-region"] == "eu-west-1"
    assert files[f"{env_name}/taskdef.json"].count("<IMAGE1_NAME>") == 1  # CodeDeployToECS replaces one


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_appspec_is_a_codedeploy_ecs_appspec(files: dict, env_name: str) -> None:
    text = files[f"{env_name}/appspec.yaml"]
    assert "version: 0.0\n" in text
    assert loaded(files, f"{env_name}/appspec.yaml") == {
        "version": 0.0,
        "Resources": [
            {
                "TargetService": {
                    "Type": "AWS::ECS::Service",
                    "Properties": {
                        "TaskDefinition": "<TASK_DEFINITION>",
                        "LoadBalancerInfo": {
                            "ContainerName": CONTAINER,
                            "ContainerPort": PORT,
                        },
                        "PlatformVersion": "LATEST",
                    },
                }
            }
        ],
    }


def test_appspec_hooks_are_optional_and_in_lifecycle_order(repo_project: Project) -> None:
    env = repo_project.environment("production")
    hooks = {"AfterAllowTestTraffic": "check-green", "BeforeInstall": "prepare"}
    spec = appspec(repo_project.settings, env, hooks=hooks)
    assert spec["Hooks"] == [{"BeforeInstall": "prepare"}, {"AfterAllowTestTraffic": "check-green"}]
    assert (
        "PlatformVersion"
        not in appspec(repo_project.settings, env, platform_version=None)["Resources"][0]["TargetService"]["Properties"]
    )
    with pytest.raises(ValueError, match=r"unknown ECS lifecycle event.*ApplicationStart"):
        appspec(repo_project.settings, env, hooks={"ApplicationStart": "fn"})


def test_render_puts_hooks_only_in_their_environment(repo_project: Project) -> None:
    hooks = {"production": ReleaseParameter(hooks={"AfterAllowTestTraffic": "check-green"})}
    files = render(repo_project, COMMIT, parameters=hooks)
    assert loaded(files, "production/appspec.yaml")["Hooks"] == [{"AfterAllowTestTraffic": "check-green"}]
    assert "Hooks" not in loaded(files, "staging/appspec.yaml")
    with pytest.raises(UnknownEnvironment):
        render(repo_project, COMMIT, parameters={"qa": ReleaseParameter(hooks={"AfterAllowTestTraffic": "fn"})})


NETWORK = {"subnets": ["subnet-a", "subnet-b"], "securityGroups": ["sg-1"], "assignPublicIp": "DISABLED"}


def ssm_output(project: Project, **values: dict) -> dict:
    """What `aws ssm get-parameters-by-path --output json` prints for these environments' parameters."""
    return {
        "Parameters": [
            {"Name": EXPECTED[env]["release_parameter"], "Value": json.dumps(value)} for env, value in values.items()
        ]
    }


def test_release_parameters_carry_the_network_configuration_into_the_appspec(repo_project: Project) -> None:
    """A CODE_DEPLOY service takes a network change only through a deployment: the appspec must name it."""
    document = ssm_output(repo_project, production={"networkConfiguration": {"awsvpcConfiguration": NETWORK}})
    files = render(repo_project, COMMIT, parameters=from_ssm_output(repo_project, document))
    properties = loaded(files, "production/appspec.yaml")["Resources"][0]["TargetService"]["Properties"]
    assert properties["NetworkConfiguration"] == {
        "AwsvpcConfiguration": {
            "Subnets": ["subnet-a", "subnet-b"],
            "SecurityGroups": ["sg-1"],
            "AssignPublicIp": "DISABLED",
        }
    }
    staging = loaded(files, "staging/appspec.yaml")["Resources"][0]["TargetService"]["Properties"]
    assert "NetworkConfiguration" not in staging  # rolling: the ECS deploy action reads no appspec


def test_a_blue_green_environment_without_its_release_parameter_stops_the_build(repo_project: Project) -> None:
    with pytest.raises(MissingReleaseParameter, match=r"production: no release parameter /acme-web/production/release"):
        from_ssm_output(repo_project, ssm_output(repo_project))


def test_the_build_passes_the_release_parameters_to_the_renderer() -> None:
    build = yaml.safe_load((ROOT / "buildspecs" / "build.yml").read_text())
    commands = " ".join(build["phases"]["pre_build"]["commands"])
    assert 'aws ssm get-parameters-by-path --path "$RELEASE_PARAMETERS_PATH" --recursive' in commands
    assert "--release-parameters release-parameters.json" in commands


def test_render_selects_environments(repo_project: Project) -> None:
    files = render(repo_project, COMMIT, ["production", "production"])
    assert set(files) == {"imageDetail.json"} | {f"production/{kind}" for kind in KINDS}


@pytest.mark.parametrize(
    "commit", ["", "abc123", "0123456789abcdef0123456789abcdef012345678", "main", "g123456", f"{COMMIT}\n"]
)
def test_render_rejects_what_is_not_a_commit_sha(repo_project: Project, commit: str) -> None:
    with pytest.raises(InvalidCommit, match=r"expected a git commit SHA \(7-40 hex characters\)"):
        render(repo_project, commit)


def test_render_rejects_an_unknown_environment(repo_project: Project) -> None:
    with pytest.raises(UnknownEnvironment, match="unknown environment 'qa'; expected one of staging, production"):
        render(repo_project, COMMIT, ["qa"])


def test_write_creates_the_tree_and_stays_inside_it(files: dict, tmp_path: Path) -> None:
    written = write(files, tmp_path / "out")
    assert sorted(p.relative_to(tmp_path / "out").as_posix() for p in written) == sorted(files)
    assert (tmp_path / "out/production/appspec.yaml").read_text() == files["production/appspec.yaml"]
    with pytest.raises(ValueError, match="inside the output directory"):
        write({"../escape.json": "{}"}, tmp_path / "out")


# --- CLI ---------------------------------------------------------------------------------


def run_cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != "CODEBUILD_RESOLVED_SOURCE_VERSION"}
    return subprocess.run(
        [sys.executable, "-m", "artifacts", *args],
        cwd=ROOT,
        env={**environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_cli_writes_artifacts_and_prints_a_json_summary(files: dict, repo_project: Project, tmp_path: Path) -> None:
    result = run_cli("--commit", COMMIT, "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "commit": COMMIT,
        "imageUri": expected_image(repo_project),
        "outDir": str(tmp_path),
        "environments": {"staging": "rolling", "production": "blue_green"},
        "files": sorted(files),
    }
    on_disk = {p.relative_to(tmp_path).as_posix(): p.read_text() for p in tmp_path.rglob("*") if p.is_file()}
    assert on_disk == files


def test_cli_takes_the_commit_from_codebuild(tmp_path: Path) -> None:
    result = run_cli("--environment", "production", "--out", str(tmp_path), CODEBUILD_RESOLVED_SOURCE_VERSION=COMMIT)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["commit"] == COMMIT and summary["environments"] == {"production": "blue_green"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["imageDetail.json", "production"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "--commit: required (or set CODEBUILD_RESOLVED_SOURCE_VERSION)"),
        (("--commit", "v1.2.3"), "--commit: expected a git commit SHA (7-40 hex characters), got 'v1.2.3'"),
        (
            ("--commit", COMMIT, "--environment", "qa"),
            "--environment: unknown environment 'qa'; expected one of staging, production",
        ),
    ],
    ids=["missing-commit", "bad-commit", "unknown-environment"],
)
def test_cli_reports_bad_input_clearly(args: tuple[str, ...], message: str, tmp_path: Path) -> None:
    result = run_cli(*args, "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("breakage", "message"),
    [
        ("service: [unclosed\n", "staging.yaml: not valid YAML"),
        ("log_retention_days: 13\n", "staging.yaml: log_retention_days: expected"),
    ],
    ids=["broken-yaml", "invalid-field"],
)
def test_cli_reports_config_errors_without_traceback(breakage: str, message: str, tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    shutil.copy(ROOT / "project.yaml", root)
    shutil.copytree(ROOT / "environments", root / "environments")
    staging = root / "environments" / "staging.yaml"
    staging.write_text(staging.read_text().replace("log_retention_days: 14\n", "") + breakage)

    result = run_cli("--commit", COMMIT, "--root", str(root), "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert "invalid configuration" in result.stderr and message in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert not (tmp_path / "out").exists()


def test_renderer_imports_no_infrastructure_code() -> None:
    """CodeBuild installs only artifacts/requirements.txt: cdktf must stay out of the import graph."""
    code = (
        "import sys, artifacts.__main__; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'cdktf', 'constructs', 'jsii', 'modules', 'stacks', 'boto3'}))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


# --- agreement with the synthesized stacks ------------------------------------------------


def resources(stack: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return list(stack.get("resource", {}).get(kind, {}).values())


def blocks(value: Any) -> list[dict[str, Any]]:
    """A nested block synthesizes as a list of objects (or one object)."""
    return value if isinstance(value, list) else [value]


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_artifacts_agree_with_synthesized_stacks(synth_dir: Path, files: dict, env_name: str) -> None:
    stack = json.loads((synth_dir / "stacks" / env_name / "cdk.tf.json").read_text())
    taskdef = loaded(files, f"{env_name}/taskdef.json")
    (container,) = taskdef["containerDefinitions"]
    port = container["portMappings"][0]["containerPort"]
    load_balancer_info = loaded(files, f"{env_name}/appspec.yaml")["Resources"][0]["TargetService"]["Properties"][
        "LoadBalancerInfo"
    ]

    registered = [td for td in resources(stack, "aws_ecs_task_definition") if td.get("family") == taskdef["family"]]
    assert len(registered) == 1, f"expected one aws_ecs_task_definition with family {taskdef['family']}"
    (terraform_td,) = registered
    assert (str(terraform_td["cpu"]), str(terraform_td["memory"])) == (taskdef["cpu"], taskdef["memory"])
    terraform_containers = {c["name"]: c for c in json.loads(terraform_td["container_definitions"])}
    assert list(terraform_containers) == [container["name"]]
    assert [m["containerPort"] for m in terraform_containers[container["name"]]["portMappings"]] == [port]

    target_groups = resources(stack, "aws_lb_target_group")
    assert target_groups and all(tg["port"] == port for tg in target_groups)

    (service,) = resources(stack, "aws_ecs_service")
    assert [(lb["container_name"], lb["container_port"]) for lb in blocks(service["load_balancer"])] == [
        (load_balancer_info["ContainerName"], load_balancer_info["ContainerPort"])
    ]

    # The names the CodeDeployToECS action and the renderer rely on; none for a rolling environment.
    codedeploy = EXPECTED[env_name]["codedeploy"]
    apps = [app["name"] for app in resources(stack, "aws_codedeploy_app")]
    groups = [g["deployment_group_name"] for g in resources(stack, "aws_codedeploy_deployment_group")]
    assert (apps, groups) == (([codedeploy[0]], [codedeploy[1]]) if codedeploy else ([], []))
