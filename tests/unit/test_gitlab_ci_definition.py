""".gitlab-ci.yml without GitLab: its schema, which jobs each kind of pipeline gets (as
gitlab-ci-local evaluates the rules), how those jobs are wired, and the ci/ scripts' guards.

gitlab-ci-local (npm, 4.73.0: the newest that runs on Node 20) is looked up on PATH, then in
.tools/node/node_modules/.bin (`npm install --prefix .tools/node gitlab-ci-local@4.73.0`).
It runs in a scratch git repository holding only .gitlab-ci.yml, so the work tree gets no
.gitlab-ci-local/ directory.
"""

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
CI_FILE = ROOT / ".gitlab-ci.yml"
AWS_STACKS = ["access", "staging", "production", "release"]
DEPLOYED_BY_CI = ["staging", "production"]
"""Each also deploys release (it holds their pipeline stages); not access: the deploy role may not write its
IAM (an administrator applies it)."""

MR = {"CI_PIPELINE_SOURCE": "merge_request_event", "CI_COMMIT_BRANCH": "", "CI_MERGE_REQUEST_IID": "7"}
MAIN_PUSH = {"CI_PIPELINE_SOURCE": "push", "CI_COMMIT_BRANCH": "main"}
SCHEDULE = {"CI_PIPELINE_SOURCE": "schedule", "CI_COMMIT_BRANCH": "main"}
FORK_MR = {**MR, "CI_MERGE_REQUEST_SOURCE_PROJECT_ID": "99", "CI_MERGE_REQUEST_PROJECT_ID": "42"}
SAME_PROJECT_MR = {**MR, "CI_MERGE_REQUEST_SOURCE_PROJECT_ID": "42", "CI_MERGE_REQUEST_PROJECT_ID": "42"}
AWS_JOBS = {"plan", "drift", "deploy:staging", "deploy:production", "deploy:production:allow-risk"}
"""Every job with an OIDC id_token (the roles' trust is all that stands between a job and AWS)."""


def gitlab_ci_local() -> str:
    found = shutil.which("gitlab-ci-local")
    local = ROOT / ".tools" / "node" / "node_modules" / ".bin" / "gitlab-ci-local"
    if not found and local.is_file():
        found = str(local)
    if not found:
        pytest.fail(
            "gitlab-ci-local not found on PATH nor in .tools/node/node_modules/.bin: install it with "
            "`npm install --prefix .tools/node gitlab-ci-local@4.73.0` (needs Node 20 and, to run jobs, rsync)"
        )
    return found


@pytest.fixture(scope="module")
def scratch_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git repository on a feature branch with only the pipeline definition."""
    repo = tmp_path_factory.mktemp("gcl-list")
    shutil.copy(CI_FILE, repo / ".gitlab-ci.yml")
    git = ["git", "-c", "user.email=ci@example.com", "-c", "user.name=ci"]
    for args in (
        ["init", "-q", "-b", "feature/pipeline-test"],
        ["remote", "add", "origin", "https://gitlab.com/acme/platform/acme-web.git"],
        ["add", "-A"],
        ["commit", "-qm", "pipeline"],
    ):
        subprocess.run([*git, *args], cwd=repo, check=True, capture_output=True)
    return repo


def run_gcl(repo: Path, variables: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    # it runs in its cwd (--cwd takes relative paths only); the schema is test_schema_valid's (and ~2 s a call)
    # --home: a developer's ~/.gitlab-ci-local/variables.yml must not change the result.
    cmd = [gitlab_ci_local(), "--no-json-schema-validation", "--home", str(repo.parent / f"{repo.name}-home"), *args]
    for key, value in variables.items():
        cmd += ["--variable", f"{key}={value}"]
    # Overriding predefined variables is the point here: silence gitlab-ci-local's warning (it goes to stdout).
    cmd += ["--ignore-predefined-vars", ",".join(k for k in variables if k.startswith("CI_")) or "CI_PIPELINE_SOURCE"]
    return subprocess.run(cmd, cwd=repo, capture_output=True, text=True, timeout=120)


def jobs_of(repo: Path, variables: dict[str, str]) -> dict[str, dict]:
    """name -> gitlab-ci-local's listing of each job the pipeline would have (when: never left out)."""
    result = run_gcl(repo, variables, "--list-json")
    assert result.returncode == 0, result.stdout + result.stderr
    return {job["name"]: job for job in json.loads(result.stdout) if job["when"] != "never"}


@pytest.fixture(scope="module")
def preview(scratch_repo: Path) -> dict:
    """The pipeline with extends and anchors expanded (gitlab-ci-local --preview)."""
    result = run_gcl(scratch_repo, MR, "--preview")
    assert result.returncode == 0, result.stdout + result.stderr
    return yaml.safe_load(result.stdout)


def needs(job: dict) -> set[str]:
    return {n["job"] if isinstance(n, dict) else n for n in job.get("needs", [])}


# --- the definition --------------------------------------------------------------------------------


def test_schema_valid():
    checker = Path(sys.executable).parent / "check-jsonschema"
    checker = str(checker) if checker.is_file() else shutil.which("check-jsonschema")
    assert checker, "check-jsonschema is a dev dependency: pipenv install --dev"
    result = subprocess.run(
        [checker, "--builtin-schema", "vendor.gitlab-ci", str(CI_FILE)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("variables", [MR, SAME_PROJECT_MR], ids=["ids-unset", "same-project"])
def test_merge_request_pipeline(scratch_repo: Path, variables: dict[str, str]):
    jobs = jobs_of(scratch_repo, variables)
    assert sorted(jobs) == sorted(["install", "lint", "unit-tests", "synth", "checkov", "plan", "mr-note"])
    assert needs(jobs["synth"]) == {"install"}
    assert needs(jobs["checkov"]) == {"synth"}
    assert needs(jobs["plan"]) == {"synth"}  # plans start as soon as synth is done: tests and the scan run beside
    assert jobs["plan"]["when"] == "on_success"
    assert needs(jobs["mr-note"]) == {"plan"}
    assert jobs["mr-note"]["allow_failure"] is True, "a GitLab API problem must not block the merge request"


def test_a_fork_merge_request_runs_no_aws_job_and_says_why(scratch_repo: Path, preview: dict):
    jobs = jobs_of(scratch_repo, FORK_MR)
    assert sorted(jobs) == sorted(["install", "lint", "unit-tests", "synth", "checkov", "fork-notice"])
    assert not AWS_JOBS & set(jobs) and "mr-note" not in jobs
    assert needs(jobs["fork-notice"]) == set()
    notice = " ".join(preview["fork-notice"]["script"])
    assert "no AWS job runs for a fork" in notice and "$CI_MERGE_REQUEST_SOURCE_PROJECT_ID" in notice
    assert {name for name, job in preview.items() if isinstance(job, dict) and "id_tokens" in job} == AWS_JOBS


def test_main_pipeline_deploys_in_dependency_order(scratch_repo: Path):
    jobs = jobs_of(scratch_repo, MAIN_PUSH)
    deploys = ["deploy:staging", "deploy:production", "deploy:production:allow-risk"]
    assert sorted(jobs) == sorted(["install", "lint", "unit-tests", "synth", "checkov", *deploys])
    assert needs(jobs["deploy:staging"]) == {"synth", "lint", "unit-tests", "checkov"}
    assert jobs["deploy:staging"]["when"] == "on_success"
    assert needs(jobs["deploy:production"]) == {"synth", "deploy:staging"}
    assert jobs["deploy:production"]["when"] == "manual"
    assert not jobs["deploy:production"]["allow_failure"], "a manual gate must block the pipeline"
    risky = jobs["deploy:production:allow-risk"]
    assert risky["when"] == "manual" and risky["allow_failure"] is True, "an alternative, not a second gate"
    assert needs(risky) == {"synth", "deploy:staging"}


@pytest.mark.parametrize("variables", [SCHEDULE, {**SCHEDULE, "CI_COMMIT_BRANCH": ""}], ids=["main", "no-branch"])
def test_drift_pipeline_is_recognised_by_its_source_alone(scratch_repo: Path, variables: dict[str, str]):
    jobs = jobs_of(scratch_repo, variables)
    assert sorted(jobs) == ["drift", "install", "synth", "token-expiry"]
    assert needs(jobs["drift"]) == {"synth"}
    assert jobs["token-expiry"]["allow_failure"] is True


def test_a_drift_variable_does_not_turn_a_main_pipeline_into_a_drift_check(scratch_repo: Path):
    web = {"CI_PIPELINE_SOURCE": "web", "CI_COMMIT_BRANCH": "main", "DRIFT": "true"}
    assert jobs_of(scratch_repo, web).keys() == jobs_of(scratch_repo, MAIN_PUSH).keys()
    assert "DRIFT" not in re.findall(r"\$\{?(\w+)", CI_FILE.read_text())


def test_nothing_reads_a_pipeline_variable_a_person_must_set(stack_json, preview: dict):
    """Every variable the definition reads is GitLab's own, set in the definition, or a project variable the
    gitlab stack sets: pipeline variables are restricted on new gitlab.com namespaces (gitlab-org/gitlab#515794)."""
    text = "\n".join(line.split(" #")[0] for line in CI_FILE.read_text().splitlines() if not line.startswith("#"))
    read = set(re.findall(r"\$\{?(\w+)", text))
    defined = set(preview["variables"])
    for job in preview.values():
        if isinstance(job, dict):
            defined |= set(job.get("variables", {})) | set(job.get("id_tokens", {}))
    by_stack = {v["key"] for v in resources_of(stack_json("gitlab"), "gitlab_project_variable")}
    shell = {"status"}  # the drift job's own shell variable
    unexplained = {v for v in read - defined - by_stack - shell if not v.startswith("CI_")}
    assert unexplained == set()
    assert {"AWS_PLAN_ROLE_ARN", "AWS_DEPLOY_ROLE_ARN"} <= by_stack  # the check sees what it should
    assert {"ALLOW_RISK", "DEPLOY_FLAGS"} <= defined


def resources_of(stack: dict, kind: str) -> list[dict]:
    return list(stack.get("resource", {}).get(kind, {}).values())


@pytest.mark.parametrize(
    "variables",
    [
        {"CI_PIPELINE_SOURCE": "push", "CI_COMMIT_BRANCH": "feature/x"},  # its merge request pipeline runs instead
        {"CI_PIPELINE_SOURCE": "push", "CI_COMMIT_BRANCH": "", "CI_COMMIT_TAG": "v1.0.0"},
    ],
    ids=["branch-push", "tag"],
)
def test_no_pipeline(scratch_repo: Path, variables: dict[str, str]):
    assert jobs_of(scratch_repo, variables) == {}


def test_the_plan_job_plans_what_changed_and_publishes_private_reports(preview: dict):
    plan = preview["plan"]
    assert "parallel" not in plan  # no fixed matrix: --changed-since picks the stacks
    artifacts = plan["artifacts"]
    assert artifacts.get("access") == "developer" or artifacts.get("public") is False
    assert artifacts["reports"]["terraform"] == "plan.json"
    assert {"plan.json", "plans/", "plan-summary.md", "cost.md"} <= set(artifacts["paths"])
    script = plan["script"]
    assert script[0] == 'bash ci/full_clone.sh "$CI_MERGE_REQUEST_DIFF_BASE_SHA"'  # the base, even if shallow
    assert script[1].startswith(
        'python main.py plan --changed-since "$CI_MERGE_REQUEST_DIFF_BASE_SHA" --report plan.json'
    )
    assert "--plan-dir plans --summary plan-summary.md" in script[1]
    assert artifacts["expire_in"] == "90 days"
    assert 'python main.py cost --against "$CI_MERGE_REQUEST_DIFF_BASE_SHA" --markdown cost.md' in script
    assert "cat cost.md >> plan-summary.md" in script  # the cost change is part of the summary
    assert plan["variables"]["OIDC_ROLE_ARN"] == "$AWS_PLAN_ROLE_ARN" and plan["variables"]["GIT_DEPTH"] == "0"
    assert preview["mr-note"]["script"] == ["python3 -m ci.mr_note plan-summary.md"]
    assert "id_tokens" not in preview["mr-note"]  # it needs no AWS


def test_lint_job_runs_the_make_lint_gate(preview: dict):
    script, makefile = " ".join(preview["lint"]["script"]), (ROOT / "Makefile").read_text()
    for command in ("ruff check", "ruff format --check .", "mypy"):
        assert command in script and f"$(PY) -m {command}" in makefile, command


def test_merge_request_jobs_are_interruptible(preview: dict):
    for name in ("install", "lint", "unit-tests", "synth", "checkov", "plan", "mr-note"):
        assert preview[name]["interruptible"] is True, name


def test_aws_jobs_use_oidc_with_the_right_role(preview: dict):
    roles = {
        "plan": "$AWS_PLAN_ROLE_ARN",
        "drift": "$AWS_PLAN_ROLE_ARN",
        "deploy:staging": "$AWS_DEPLOY_ROLE_ARN",
        "deploy:production": "$AWS_DEPLOY_ROLE_ARN",
        "deploy:production:allow-risk": "$AWS_DEPLOY_ROLE_ARN",
    }
    for name, role in roles.items():
        job = preview[name]
        assert job["id_tokens"]["AWS_ID_TOKEN"]["aud"] == "$OIDC_AUDIENCE", name
        assert job["variables"]["OIDC_ROLE_ARN"] == role, name
        assert 'source ci/aws-oidc.sh "$OIDC_ROLE_ARN"' in job["before_script"], name
    text = CI_FILE.read_text()
    assert "AWS_SECRET_ACCESS_KEY" not in text and "AWS_ACCESS_KEY_ID" not in text
    assert preview["variables"]["DEPLOY_TARGET"] == "aws"


DEPLOYS = ("deploy:staging", "deploy:production", "deploy:production:allow-risk")


def test_deploy_jobs_share_one_resource_group_and_are_bound_to_environments(preview: dict):
    deploys = {name: preview[name] for name in DEPLOYS}
    assert {job["resource_group"] for job in deploys.values()} == {"deploy"}, "one deploy order across jobs"
    assert all(job["interruptible"] is False for job in deploys.values())
    assert deploys["deploy:staging"]["environment"]["name"] == "staging"
    assert deploys["deploy:production"]["environment"]["name"] == "production"
    assert deploys["deploy:production:allow-risk"]["environment"]["name"] == "production"
    assert [job["variables"]["STACK"] for job in deploys.values()] == [*DEPLOYED_BY_CI, "production"]
    assert "deploy:access" not in preview and "python main.py deploy access --target aws" in CI_FILE.read_text()
    command = 'python main.py deploy "$STACK" $DEPLOY_FLAGS --auto-approve'
    assert all(command in " ".join(job["script"]) for job in deploys.values())
    assert all('[ "$ALLOW_RISK" = true ] && echo --allow-risk' in " ".join(j["script"]) for j in deploys.values())


def test_the_release_stack_has_one_owner_among_the_deploy_jobs(preview: dict):
    """deploy:staging applies release with staging (open_session's companion); production's jobs leave it out."""
    assert preview["deploy:staging"]["variables"]["DEPLOY_FLAGS"] == ""
    for name in DEPLOYS[1:]:
        assert preview[name]["variables"]["DEPLOY_FLAGS"] == "--no-release", name


def test_production_refuses_a_commit_main_has_moved_past_and_risk_is_its_own_job(preview: dict):
    for name in DEPLOYS[1:]:
        assert preview[name]["script"][0] == "python3 -m ci.latest_commit", name
    assert preview["deploy:production"]["variables"]["ALLOW_RISK"] == "false"
    assert preview["deploy:staging"]["variables"]["ALLOW_RISK"] == "false"
    assert preview["deploy:production:allow-risk"]["variables"]["ALLOW_RISK"] == "true"


def test_artifacts_outlive_a_delayed_production_deploy(preview: dict):
    assert preview["synth"]["artifacts"]["expire_in"] == "90 days"


def test_drift_job_fails_on_drift_and_keeps_its_report(preview: dict):
    drift = preview["drift"]
    script = " ".join(drift["script"])
    assert "python main.py drift $AWS_STACKS --report drift.json --gitlab-report drift-gitlab.json" in script
    assert drift["script"][1:] == ['python3 -m ci.drift_issues drift.json "$status"', 'exit "$status"']
    assert "allow_failure" not in drift or drift["allow_failure"] is False
    assert drift["artifacts"]["when"] == "always"
    assert drift["interruptible"] is False
    assert drift["artifacts"]["reports"]["terraform"] == "drift-gitlab.json"
    assert preview["variables"]["AWS_STACKS"].split() == AWS_STACKS


def test_synth_once_and_pass_it_on(preview: dict):
    assert preview["synth"]["artifacts"]["paths"] == ["cdktf.out/"]
    for name in ("checkov", "plan", "drift", "deploy:staging", "deploy:production"):
        assert "synth" in needs(preview[name]), name
    assert "--config-file .checkov.yaml -d cdktf.out/stacks" in " ".join(preview["checkov"]["script"])


def test_install_caches_by_lock_file(preview: dict):
    caches = preview["install"]["cache"]
    python = next(c for c in caches if ".venv/" in c["paths"])
    assert python["key"]["files"] == ["Pipfile.lock"] and python["policy"] == "pull-push"
    assert ".cache/jsii/" in python["paths"]
    assert preview["variables"]["JSII_RUNTIME_PACKAGE_CACHE_ROOT"] == "$CI_PROJECT_DIR/.cache/jsii"
    for name in ("unit-tests", "synth", "plan", "drift"):
        assert all(c["policy"] == "pull" for c in preview[name]["cache"]), name


# --- the ci/ scripts' guards (the token exchange itself: tests/integration/test_gitlab_ci.py) -------


def bash(script: str, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return subprocess.run(
        ["bash", "-eo", "pipefail", "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**base, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}", **env},
        timeout=60,
    )


def test_aws_oidc_is_a_no_op_for_the_local_target():
    result = bash('source ci/aws-oidc.sh ""; echo "key=${AWS_ACCESS_KEY_ID:-none}"', DEPLOY_TARGET="local")
    assert result.returncode == 0, result.stderr
    assert "key=none" in result.stdout and "no AWS credentials needed" in result.stdout


def test_aws_oidc_without_role_fails_clearly():
    result = bash('source ci/aws-oidc.sh ""; echo after', DEPLOY_TARGET="aws", AWS_ID_TOKEN="x")
    assert result.returncode != 0 and "after" not in result.stdout
    assert "protected" in result.stderr


def test_aws_oidc_without_token_fails_clearly():
    result = bash(
        "source ci/aws-oidc.sh arn:aws:iam::111111111111:role/acme-web-ci-plan; echo after", DEPLOY_TARGET="aws"
    )
    assert result.returncode != 0 and "after" not in result.stdout
    assert "id_tokens" in result.stderr


def test_venv_check_reports_a_difference_from_the_lock(tmp_path: Path):
    lock = json.loads((ROOT / "Pipfile.lock").read_text())
    lock["default"]["pyyaml"]["version"] = "==0.0.1"
    (tmp_path / "Pipfile.lock").write_text(json.dumps(lock))
    result = subprocess.run(
        [sys.executable, str(ROOT / "ci" / "venv_matches_lock.py"), str(tmp_path / "Pipfile.lock")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "pyyaml" in result.stdout and "locked 0.0.1" in result.stdout


def test_venv_script_reuses_a_venv_that_matches_the_lock():
    check = subprocess.run(
        [sys.executable, str(ROOT / "ci" / "venv_matches_lock.py"), str(ROOT / "Pipfile.lock")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert check.returncode == 0, f"this venv differs from Pipfile.lock (run `pipenv sync --dev`): {check.stdout}"
    result = bash("source ci/venv.sh; command -v python", VENV_DIR=sys.prefix)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "reusing" in result.stdout
    assert result.stdout.strip().splitlines()[-1] == f"{sys.prefix}/bin/python"
