"""The GitLab pipeline itself, run by gitlab-ci-local against the deployed local target.

gitlab-ci-local runs the jobs of .gitlab-ci.yml as shell scripts (--force-shell-executor:
no Docker here), each in its own copy of the repository (--shell-isolation:
.gitlab-ci-local/builds/<job>), passing artifacts between jobs as GitLab does. It runs in a
snapshot of the work tree (tracked files plus untracked, non-ignored ones: what a commit
would hold), so uncommitted changes are tested and the work tree gets no .gitlab-ci-local/.

Local runs differ from GitLab only through --variable: DEPLOY_TARGET=local (ci/aws-oidc.sh
then does nothing), VENV_DIR (this venv, reused), LOCAL_EMULATOR_DIR (the session's
emulator), JSII_RUNTIME_PACKAGE_CACHE_ROOT and CHECKOV (this machine's).

Sequence (module fixtures, so any selection keeps it): converge the deployment, scheduled
pipeline -> drift passes; change a log group's retention out of band -> the drift job fails,
keeps its report and opens one issue on a loopback GitLab stub (tests/gitlab_stub.py), which the
next scheduled run updates; deploy:production refuses a commit main has moved past; a merge request commit that changes staging's YAML (a second task, a new
port) -> the plan job plans staging alone (`--changed-since` the base commit), reports exactly what
a direct `python main.py plan` finds, and writes plan-summary.md with the risks first and the cost
change; mr-note, its token refused (401), warns and passes. A merge request changing only
modules/gitlab.py plans no stack (the gitlab stack says why) and mr-note posts the summary on the
stub. The retention and the snapshot are restored at the end.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.gitlab_stub import PROJECT, GitLabStub, Token, serving
from tests.integration.conftest import AWS_STACKS

ROOT = Path(__file__).resolve().parents[2]
LOG_GROUP = "/ecs/acme-web-staging/web"
PIPELINE_TIMEOUT = 1200
MR = {"CI_PIPELINE_SOURCE": "merge_request_event", "CI_MERGE_REQUEST_IID": "7"}
SCHEDULE = {"CI_PIPELINE_SOURCE": "schedule", "CI_COMMIT_BRANCH": "main"}
TOKENS = {
    "glpat-issues": Token(200),  # DRIFT_ISSUE_TOKEN
    "glpat-note": Token(100),  # PLAN_NOTE_TOKEN, good for years
}
"""The loopback GitLab's tokens; any other token gets 401 (expired or revoked)."""
MAIN_PUSH = {"CI_PIPELINE_SOURCE": "push", "CI_COMMIT_BRANCH": "main"}


def gitlab_ci_local() -> str:
    found = shutil.which("gitlab-ci-local")
    local = ROOT / ".tools" / "node" / "node_modules" / ".bin" / "gitlab-ci-local"
    found = found or (str(local) if local.is_file() else None)
    if not found:
        pytest.fail(
            "gitlab-ci-local not found on PATH nor in .tools/node/node_modules/.bin: "
            "`npm install --prefix .tools/node gitlab-ci-local@4.73.0`",
            pytrace=False,
        )
    if not shutil.which("rsync"):
        pytest.fail("gitlab-ci-local needs rsync to run jobs: `apt-get install -y rsync`", pytrace=False)
    return found


def checkov() -> str:
    path = Path(os.environ.get("CHECKOV", ROOT / ".tools" / "checkov" / "bin" / "checkov"))
    if not path.is_file():
        pytest.fail(
            f"checkov not found at {path} (the checkov job would install it there): run `make tools`", pytrace=False
        )
    return str(path)


@dataclass
class PipelineRun:
    result: subprocess.CompletedProcess
    seconds: float
    repo: Path

    @property
    def output(self) -> str:
        return self.result.stdout + self.result.stderr

    def status(self) -> dict[str, str]:
        """job -> PASS | FAIL, from gitlab-ci-local's closing summary."""
        return {name: verdict for verdict, name in re.findall(r"^ (PASS|FAIL) +(.+?)\s*$", self.result.stdout, re.M)}

    def job_log(self, job: str) -> str:
        prefix = f"{job} "
        return "\n".join(line[len(prefix) :] for line in self.output.splitlines() if line.startswith(prefix))

    def artifact(self, name: str) -> Path:
        """A file that one job of this run left among its artifacts (.gitlab-ci-local/artifacts/<job>/)."""
        found = sorted((self.repo / ".gitlab-ci-local" / "artifacts").glob(f"*/{name}"))
        assert len(found) == 1, f"expected one artifact {name}, found {found}\n{self.output[-3000:]}"
        return found[0]


@dataclass
class Pipeline:
    """`pipeline(variables, *jobs)` runs gitlab-ci-local in `repo` (no jobs: the whole pipeline those variables make)."""

    repo: Path
    run: Callable[..., PipelineRun]

    def __call__(self, variables: dict[str, str], *jobs: str) -> PipelineRun:
        return self.run(variables, *jobs)


def snapshot(dst: Path) -> Path:
    """The work tree as a commit would hold it, as a git repository on a feature branch."""
    files = (
        subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .split("\0")
    )
    for rel in filter(None, files):
        src = ROOT / rel
        if src.is_file():
            (dst / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst / rel)
    git = ["git", "-c", "user.email=ci@example.com", "-c", "user.name=ci"]
    for args in (
        ["init", "-q", "-b", "feature/pipeline-test"],
        ["remote", "add", "origin", "https://gitlab.com/acme/platform/acme-web.git"],
        ["add", "-A"],
        ["commit", "-qm", "snapshot"],
    ):
        subprocess.run([*git, *args], cwd=dst, check=True, capture_output=True)
    return dst


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory, deployed):
    """The snapshot repository and gitlab-ci-local in it (Pipeline)."""
    repo = snapshot(tmp_path_factory.mktemp("gcl-repo"))
    home = tmp_path_factory.mktemp("gcl-home")  # not the developer's ~/.gitlab-ci-local/variables.yml
    executable = gitlab_ci_local()
    local = {
        "DEPLOY_TARGET": "local",
        "VENV_DIR": sys.prefix,
        "LOCAL_EMULATOR_DIR": deployed.env["LOCAL_EMULATOR_DIR"],
        "JSII_RUNTIME_PACKAGE_CACHE_ROOT": os.environ.get(
            "JSII_RUNTIME_PACKAGE_CACHE_ROOT", str(Path.home() / ".cache" / "aws" / "jsii" / "package-cache")
        ),
        "CHECKOV": checkov(),
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
    }
    # Jobs inherit this environment: leave out the session's Terraform work dirs (each job has its own).
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DEPLOY_CACHE_DIR", "LOCAL_EMULATOR_DIR", "DEPLOY_TARGET", "VIRTUAL_ENV")
    }

    def run(variables: dict[str, str], *jobs: str) -> PipelineRun:
        cmd = [
            executable,
            "--force-shell-executor",
            "--shell-isolation",
            "--no-artifacts-to-source",
            "--no-color",
            "--home",
            str(home),
            "--concurrency",
            "4",
            "--ignore-predefined-vars",
            ",".join(k for k in variables if k.startswith("CI_")),
        ]
        for key, value in {**local, **variables}.items():
            cmd += ["--variable", f"{key}={value}"]
        cmd += list(jobs)
        began = time.monotonic()
        result = subprocess.run(cmd, cwd=repo, env=env, capture_output=True, text=True, timeout=PIPELINE_TIMEOUT)
        run_ = PipelineRun(result, time.monotonic() - began, repo)
        print(
            f"gitlab-ci-local {' '.join(jobs) or '(whole pipeline)'} {variables}: {run_.seconds:.1f}s, {run_.status()}"
        )
        return run_

    return Pipeline(repo, run)


@pytest.fixture(scope="module")
def gitlab() -> Iterator[GitLabStub]:
    """GitLab's API for the jobs (shell executor: they reach the test's loopback server)."""
    with serving(GitLabStub(tokens=dict(TOKENS))) as stub:
        yield stub


def api(gitlab: GitLabStub, **tokens: str) -> dict[str, str]:
    """The variables a job needs to reach the stub, plus token variables."""
    return {
        "CI_API_V4_URL": gitlab.api,
        "CI_PROJECT_ID": PROJECT,
        "CI_PIPELINE_URL": "https://gitlab.example/p/1",
        **tokens,
    }


def scheduled(gitlab: GitLabStub) -> dict[str, str]:
    return {
        **SCHEDULE,
        **api(gitlab, DRIFT_ISSUE_TOKEN="glpat-issues", PLAN_NOTE_TOKEN="glpat-note", TOKEN_ROTATE_BEFORE_DAYS="30"),
    }


@pytest.fixture(scope="module")
def converged(deployed):
    """Whatever earlier tests did, start from a deployment that matches the code."""
    deployed.deploy()
    return deployed


@pytest.fixture(scope="module")
def clean_drift_run(converged, pipeline, gitlab) -> PipelineRun:
    return pipeline(scheduled(gitlab))


@pytest.fixture(scope="module")
def out_of_band_change(clean_drift_run, deployed):
    """Staging's log group retention changed behind Terraform's back (restored afterwards)."""
    logs = deployed.client("logs")
    before = logs.describe_log_groups(logGroupNamePrefix=LOG_GROUP)["logGroups"][0]["retentionInDays"]
    assert before != 1
    logs.put_retention_policy(logGroupName=LOG_GROUP, retentionInDays=1)
    yield before
    logs.put_retention_policy(logGroupName=LOG_GROUP, retentionInDays=before)


@pytest.fixture(scope="module")
def drift_run(out_of_band_change, pipeline, gitlab) -> PipelineRun:
    """Only the drift job: it takes synth's artifact from the clean run (same snapshot)."""
    return pipeline(scheduled(gitlab), "drift")


@pytest.fixture(scope="module")
def next_drift_run(drift_run, pipeline, gitlab) -> PipelineRun:
    """The schedule's next run, the drift still there."""
    return pipeline(scheduled(gitlab), "drift")


BRANCH_CHANGE = {"desired_count": 2, "max_count": 2, "container_port": 8081}
"""What the merge request changes in staging.yaml: a cost (a second task) and a risk (new target group)."""


@pytest.fixture(scope="module")
def mr_base(drift_run, pipeline) -> Iterator[str]:
    """The merge request: one commit on the snapshot that changes staging's YAML only; returns its base."""
    repo = pipeline.repo
    base = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, check=True).stdout
    staging = repo / "environments" / "staging.yaml"
    data = yaml.safe_load(staging.read_text())
    data["service"].update(min_count=1, **BRANCH_CHANGE)
    staging.write_text(yaml.safe_dump(data))
    git = ["git", "-c", "user.email=ci@example.com", "-c", "user.name=ci"]
    subprocess.run([*git, "commit", "-qam", "staging: two tasks on 8081"], cwd=repo, check=True, capture_output=True)
    yield base.strip()
    subprocess.run(["git", "reset", "-q", "--hard", base.strip()], cwd=repo, check=True)  # later runs: the snapshot


@pytest.fixture(scope="module")
def mr_run(out_of_band_change, next_drift_run, mr_base, pipeline, gitlab) -> PipelineRun:
    """The merge request pipeline's plan path: install -> synth -> checkov, plan -> mr-note (--needs), with an
    expired PLAN_NOTE_TOKEN (GitLab answers 401). GITLAB_CI_LOCAL_FULL=1 runs the whole pipeline, unit-tests job
    (the unit suite, again) included."""
    variables = {**MR, "CI_MERGE_REQUEST_DIFF_BASE_SHA": mr_base, **api(gitlab, PLAN_NOTE_TOKEN="glpat-expired")}
    if os.environ.get("GITLAB_CI_LOCAL_FULL") == "1":
        return pipeline(variables)
    return pipeline(variables, "checkov", "plan", "mr-note", "--needs")


@pytest.fixture(scope="module")
def direct_plan(mr_run, deployed, pipeline) -> dict[str, dict[str, int]]:
    """stack -> counts of `python main.py plan STACK --json` of the branch's YAML, run outside the pipeline."""
    result = deployed.run("plan", *AWS_STACKS, "--json", "--environments", str(pipeline.repo / "environments"))
    assert result.returncode == 0, result.stdout + result.stderr
    return {s["stack"]: s["changes"] for s in json.loads(result.stdout)["stacks"]}


# --- scheduled pipeline: drift -----------------------------------------------------------------------


def test_scheduled_pipeline_passes_without_drift(clean_drift_run: PipelineRun, gitlab: GitLabStub):
    assert clean_drift_run.result.returncode == 0, clean_drift_run.output[-5000:]
    assert clean_drift_run.status() == {"install": "PASS", "synth": "PASS", "drift": "PASS", "token-expiry": "PASS"}
    assert gitlab.issues == []  # nothing drifted, no token near its expiry
    assert "token-expiry: PLAN_NOTE_TOKEN is good for more than 30 days" in clean_drift_run.job_log("token-expiry")
    report = json.loads(clean_drift_run.artifact("drift.json").read_text())
    assert report["drifted"] is False and report["errors"] == {}
    assert sorted(report["stacks"]) == sorted(AWS_STACKS)
    assert json.loads(clean_drift_run.artifact("drift-gitlab.json").read_text()) == {
        "create": 0,
        "update": 0,
        "delete": 0,
    }


def test_drift_job_fails_on_an_out_of_band_change_and_keeps_its_report(
    drift_run: PipelineRun, out_of_band_change: int, gitlab: GitLabStub
):
    assert drift_run.result.returncode != 0
    assert drift_run.status() == {"drift": "FAIL"}
    report = json.loads(drift_run.artifact("drift.json").read_text())  # artifacts: when: always
    assert re.search(r"^drift +finished in .* FAIL 2\s*$", drift_run.output, re.M), (
        f"exit 2 (drift), not 1: {report['errors']}"
    )
    assert report["drifted"] is True and report["errors"] == {}
    drifted = report["stacks"]["staging"]["drifted"]
    log_group = [d for d in drifted if d["type"] == "aws_cloudwatch_log_group"]
    assert len(log_group) == 1 and log_group[0]["repair"] == ["update"]
    assert {"name": "retention_in_days", "before": out_of_band_change, "after": 1} in log_group[0]["attributes"]
    assert not report["stacks"]["production"]["drifted"] and not report["stacks"]["release"]["drifted"]
    assert json.loads(drift_run.artifact("drift-gitlab.json").read_text()) == {"create": 0, "update": 1, "delete": 0}
    log = drift_run.job_log("drift")
    assert "drift-issues: drift found (exit 2)" in log and "drift-issues: staging: opened issue #1" in log
    (issue,) = gitlab.issues
    assert issue["title"] == "Drift: staging" and issue["labels"] == ["drift"] and issue["state"] == "opened"
    assert "`aws_cloudwatch_log_group." in issue["description"]
    assert f"`retention_in_days`: `{out_of_band_change}` -> `1`" in issue["description"]


def test_the_next_scheduled_run_updates_the_same_issue(next_drift_run: PipelineRun, gitlab: GitLabStub):
    assert next_drift_run.status() == {"drift": "FAIL"}
    assert "drift-issues: staging: updated issue #1" in next_drift_run.job_log("drift")
    (issue,) = gitlab.issues  # still one
    assert issue["state"] == "opened" and issue["notes"] == ["Still drifting: https://gitlab.example/p/1"]


# --- main pipeline: production refuses a commit main has moved past ---------------------------------


def test_deploy_production_refuses_a_commit_that_main_has_moved_past(pipeline, converged, tmp_path: Path):
    """GitLab's CI_REPOSITORY_URL stands in as a local repository whose main is one commit ahead."""
    origin = tmp_path / "origin"
    git = ["git", "-c", "user.email=ci@example.com", "-c", "user.name=ci"]
    subprocess.run([*git, "clone", "-q", str(pipeline.repo), str(origin)], check=True)
    subprocess.run([*git, "checkout", "-q", "-b", "main"], cwd=origin, check=True)
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "newer"], cwd=origin, check=True)
    rev = ["git", "rev-parse", "HEAD"]
    mine = subprocess.run(rev, cwd=pipeline.repo, capture_output=True, text=True, check=True).stdout.strip()
    newer = subprocess.run(rev, cwd=origin, capture_output=True, text=True, check=True).stdout.strip()
    variables = {**MAIN_PUSH, "CI_REPOSITORY_URL": str(origin), "CI_COMMIT_SHA": mine, "CI_DEFAULT_BRANCH": "main"}
    run = pipeline(variables, "deploy:production")
    assert run.status() == {"deploy:production": "FAIL"}, run.output[-3000:]
    log = run.job_log("deploy:production")
    assert f"this pipeline's commit {mine} is not the latest on main (main is at {newer})" in log
    assert "bootstrap" not in log and "apply" not in log  # refused before `deploy` ran


# --- merge request pipeline: plans --------------------------------------------------------------------


def test_merge_request_pipeline_passes(mr_run: PipelineRun):
    assert mr_run.result.returncode == 0, mr_run.output[-5000:]
    expected = {"install", "synth", "checkov", "plan", "mr-note"}
    if os.environ.get("GITLAB_CI_LOCAL_FULL") == "1":
        expected.add("unit-tests")
    assert mr_run.status() == dict.fromkeys(expected, "PASS")
    print(f"merge request pipeline, local wall time: {mr_run.seconds:.1f}s")


def test_the_plan_uses_the_synth_artifact(mr_run: PipelineRun):
    assert "synthesized cdktf.out" in mr_run.job_log("synth")
    log = mr_run.job_log("plan")
    assert "imported artifacts" in log
    assert "reused (inputs unchanged)" in log, "plan synthesized the branch again instead of using synth's cdktf.out"
    assert "aws-oidc: DEPLOY_TARGET=local" in log


def test_a_merge_request_that_touches_only_stagings_yaml_plans_staging_alone(
    mr_run: PipelineRun, direct_plan: dict[str, dict[str, int]]
):
    assert json.loads(mr_run.artifact("plan.json").read_text()) == direct_plan["staging"]
    assert sorted(p.name for p in mr_run.artifact("plans/staging.tfplan").parent.iterdir()) == [
        "staging.tfplan",
        "staging.txt",
    ]
    log = mr_run.job_log("plan")
    for stack in ("access", "production", "release"):
        assert re.search(rf"{stack} +skip +synthesized as at [0-9a-f]{{40}}: nothing to plan", log), stack
    text = mr_run.artifact("plans/staging.txt").read_text()
    assert "retention_in_days" in text and LOG_GROUP in text  # the out-of-band change shows in the plan too


def test_the_summary_puts_the_risks_first_and_shows_the_cost_change(mr_run: PipelineRun):
    summary = mr_run.artifact("plan-summary.md").read_text()
    assert summary.startswith("<!-- acme-web: plan summary -->\n## Terraform plan: 1 stack(s) change")
    risks, changes = summary.index("**disruptive** replace `aws_lb_target_group."), summary.index("Changes</summary>")
    assert summary.index("### `staging`") < risks < changes < summary.index("Full plan</summary>")
    assert "`access` (synthesized as at" in summary and "### `production`" not in summary  # no noise
    cost = summary[summary.index("#### Monthly AWS cost") :]
    assert re.search(r"- staging \+\$\d+\.\d\d/mo \(service\.desired_count 1 -> 2", cost), cost
    note = mr_run.job_log("mr-note")
    assert "mr-note: warning: GitLab refused PLAN_NOTE_TOKEN" in note and "HTTP 401" in note, note
    assert "the summary stays the job's artifact" in note


@dataclass
class GitLabOnlyRun:
    run: PipelineRun
    base: str
    plan_report: dict[str, int]
    summary: str


@pytest.fixture(scope="module")
def gitlab_only_mr(mr_run, pipeline, gitlab) -> Iterator[GitLabOnlyRun]:
    """A merge request that changes only modules/gitlab.py, from the snapshot; the repository is put back after.
    Its artifacts are read at once (the next run replaces them)."""
    repo, git = pipeline.repo, ["git", "-c", "user.email=ci@example.com", "-c", "user.name=ci"]
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, check=True).stdout
    base = subprocess.run(
        ["git", "rev-list", "--max-parents=0", "HEAD"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout.strip()
    subprocess.run(["git", "reset", "-q", "--hard", base], cwd=repo, check=True)
    module = repo / "modules" / "gitlab.py"
    text = module.read_text()
    assert '"Drift detection against the remote state"' in text
    module.write_text(text.replace('"Drift detection against the remote state"', '"Drift detection (nightly)"'))
    subprocess.run([*git, "commit", "-qam", "gitlab: schedule description"], cwd=repo, check=True, capture_output=True)
    try:
        variables = {**MR, "CI_MERGE_REQUEST_DIFF_BASE_SHA": base, **api(gitlab, PLAN_NOTE_TOKEN="glpat-note")}
        run = pipeline(variables, "plan", "mr-note", "--needs")
        yield GitLabOnlyRun(
            run,
            base,
            json.loads(run.artifact("plan.json").read_text()),
            run.artifact("plan-summary.md").read_text(),
        )
    finally:
        subprocess.run(["git", "reset", "-q", "--hard", head.strip()], cwd=repo, check=True)


def test_a_merge_request_changing_only_the_gitlab_module_is_green_and_plans_no_gitlab_stack(
    gitlab_only_mr: GitLabOnlyRun, gitlab: GitLabStub
):
    run = gitlab_only_mr.run
    assert run.result.returncode == 0, run.output[-5000:]
    assert run.status() == {"install": "PASS", "synth": "PASS", "plan": "PASS", "mr-note": "PASS"}
    log = run.job_log("plan")
    assert re.search(r"gitlab +skip +not on the local target: needs the gitlab provider", log), log[-3000:]
    assert not re.search(r"gitlab +(init|plan) ", log)  # never planned
    for stack in AWS_STACKS:  # the AWS stacks' synthesis is the base's
        assert re.search(rf"{stack} +skip +synthesized as at {gitlab_only_mr.base}: nothing to plan", log), stack
    assert gitlab_only_mr.plan_report == {"create": 0, "update": 0, "delete": 0}
    assert "Not planned: " in gitlab_only_mr.summary and "`gitlab` (needs the gitlab provider" in gitlab_only_mr.summary
    assert "mr-note: created note" in run.job_log("mr-note")  # the happy path: the summary is on the MR
    assert [n["body"] for n in gitlab.notes] == [gitlab_only_mr.summary]


# --- OIDC: the token exchange against the emulator's STS ---------------------------------------------


def test_aws_oidc_exchanges_the_token_for_role_credentials(converged, project):
    role = f"arn:aws:iam::{project.settings.aws.account_id}:role/acme-web/acme-web-ci-plan"
    script = (
        f'source ci/aws-oidc.sh "{role}"; '
        "python -c \"import boto3; print(boto3.client('sts').get_caller_identity()['Arn'])\""
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        DEPLOY_TARGET="aws",
        AWS_ID_TOKEN="header.payload.signature",
        AWS_REGION=project.settings.aws.region,
        AWS_DEFAULT_REGION=project.settings.aws.region,
        AWS_ENDPOINT_URL_STS=converged.endpoint,
        CI_PROJECT_ID="42",
        CI_JOB_ID="1001",
        PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}",
    )
    result = subprocess.run(
        ["bash", "-eo", "pipefail", "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "AWS_SECRET_ACCESS_KEY" not in result.stdout, "credentials must not be printed"
    assert result.stdout.strip().endswith(":assumed-role/acme-web-ci-plan/gitlab-42-1001")
    assert f"aws-oidc: assumed {role}" in result.stderr


# --- main pipeline (opt-in: it runs the unit suite inside the pipeline) ------------------------------


@pytest.mark.skipif(
    os.environ.get("GITLAB_CI_LOCAL_FULL") != "1",
    reason="opt-in (GITLAB_CI_LOCAL_FULL=1): running the main pipeline end to end re-runs the unit suite "
    "and redeploys (~3 min); tests/unit/test_gitlab_ci_definition.py asserts its jobs and order",
)
def test_main_pipeline_deploys_in_order_through_the_manual_gate(converged, mr_run, pipeline):
    run = pipeline(MAIN_PUSH, "--manual", "deploy:production")
    assert run.result.returncode == 0, run.output[-5000:]
    jobs = ["install", "lint", "unit-tests", "synth", "checkov", "deploy:staging", "deploy:production"]
    assert run.status() == dict.fromkeys(jobs, "PASS")
    started = [
        line.split(" starting ")[0].strip() for line in run.result.stdout.splitlines() if " starting shell " in line
    ]
    assert started.index("checkov") < started.index("deploy:staging") < started.index("deploy:production")
    assert "release      include" in run.job_log("deploy:staging")  # the release stack goes with staging
