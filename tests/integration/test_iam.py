"""Least privilege with IAM evaluated: the CI roles on the local target, with moto's IAM enforcement on.

Credentials come as in CI: the OIDC exchange (ci/aws_oidc.py) against the emulator's STS, which
records the assumed role, so each request is checked against that role's policies. Enforcement
(`POST /moto-api/reset-auth`: `0` on, `inf` off) is on only around the calls made as the CI roles,
and off in a `finally`: moto then refuses its fake admin credentials too. Nothing is left changed.

What moto evaluates, with emulator/compat/iam.py: actions; resources for S3, IAM roles
(CreateRole's too), SSM parameters, Lambda functions, STS; NotResource; conditions on
iam:PermissionsBoundary and iam:PolicyARN; the permissions boundary of the role making the request.
What it does not (iam:PassRole, iam:PassedToService and other condition keys):
tests/unit/test_iam_policies.py, on the synthesized JSON.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from config.names import AccessNames
from tests.integration.conftest import AWS_STACKS, Deployed
from tests.unit.compat.helpers import iam_enforced

ROOT = Path(__file__).resolve().parents[2]
TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
LIMITED = "arn:aws:iam::aws:policy/AWSCodeDeployRoleForECSLimited"
OUTSIDE_TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::222222222222:root"}, "Action": "sts:AssumeRole"}
        ],
    }
)
EVERYTHING = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})


def oidc_credentials(deployed: Deployed, role_arn: str) -> dict[str, str]:
    """What `source ci/aws-oidc.sh ROLE` exports in a CI job, from the emulator's STS."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ID_TOKEN="header.payload.signature",
        AWS_REGION=deployed.region,
        AWS_ENDPOINT_URL_STS=deployed.endpoint,
        CI_PROJECT_ID="42",
        CI_JOB_ID="2001",
    )
    done = subprocess.run(
        [sys.executable, "ci/aws_oidc.py", role_arn], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr
    exports = dict(shlex.split(line.removeprefix("export "))[0].split("=", 1) for line in done.stdout.splitlines())
    assert set(exports) == {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"}
    return exports


@pytest.fixture(scope="module")
def names(project) -> AccessNames:
    return AccessNames(project.settings.name)


@pytest.fixture(scope="module")
def role_arns(project, names: AccessNames) -> dict[str, str]:
    """As the gitlab stack publishes them (AWS_PLAN_ROLE_ARN, AWS_DEPLOY_ROLE_ARN)."""
    account = project.settings.aws.account_id
    return {
        "plan": names.role_arn(account, names.ci_plan_role),
        "deploy": names.role_arn(account, names.ci_deploy_role),
    }


@pytest.fixture(scope="module")
def as_role(deployed: Deployed, role_arns: dict[str, str]) -> Callable[[str], dict[str, str]]:
    cache: dict[str, dict[str, str]] = {}

    def credentials(which: str) -> dict[str, str]:
        if which not in cache:
            cache[which] = oidc_credentials(deployed, role_arns[which])
        return cache[which]

    return credentials


def client(deployed: Deployed, service: str, credentials: dict[str, str]) -> Any:
    return boto3.client(
        service,
        region_name=deployed.region,
        endpoint_url=deployed.endpoint,
        aws_access_key_id=credentials["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=credentials["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=credentials["AWS_SESSION_TOKEN"],
        config=Config(retries={"max_attempts": 1, "mode": "standard"}),
    )


def denied(call: Callable[[], Any]) -> None:
    """The call must fail as not authorized (not, say, a bad signature or a missing resource). moto answers a
    JSON API's denial in XML, which botocore reads as code "403": the message says which it is."""
    with pytest.raises(ClientError) as info:
        call()
    error = info.value.response["Error"]
    authorization = error.get("Code") in ("AccessDenied", "AccessDeniedException") or "is not authorized" in str(
        info.value
    )
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403 and authorization, info.value


def test_the_plan_role_plans_every_stack_with_iam_enforced(deployed: Deployed, as_role, tmp_path: Path) -> None:
    """A merge request's plan, as the plan role: init (a fresh work dir) and plan of every AWS stack, clean.
    A denied read would fail the plan, or (S3 HeadBucket's 403) make the provider plan to recreate the resource."""
    credentials = as_role("plan")
    env = {
        **deployed.env,
        **credentials,
        "LOCAL_TARGET_CREDENTIALS": "environment",
        "DEPLOY_CACHE_DIR": str(tmp_path / "terraform"),
    }
    with iam_enforced(deployed.endpoint):
        began = time.monotonic()
        result = subprocess.run(
            [sys.executable, "main.py", "plan", *AWS_STACKS, "--json"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )
        seconds = time.monotonic() - began
    assert result.returncode == 0, result.stdout + result.stderr
    stacks = {s["stack"]: s for s in json.loads(result.stdout)["stacks"]}
    assert sorted(stacks) == sorted(AWS_STACKS)
    for name, stack in stacks.items():
        assert stack["status"] == "ok", f"{name}: {stack['detail']}"
        assert stack["changes"] == {"create": 0, "update": 0, "delete": 0}, name
    print(f"plan of {len(stacks)} stacks as the plan role, IAM enforced: {seconds:.1f}s")


def test_the_plan_role_cannot_write_state_or_iam_nor_read_data(deployed: Deployed, project, as_role) -> None:
    plan = as_role("plan")
    s3, iam = client(deployed, "s3", plan), client(deployed, "iam", plan)
    bucket = project.settings.state.bucket
    other = f"{project.settings.name}-iam-probe-data"  # any other bucket's objects (the artifact bucket is TLS-only)
    admin = deployed.client("s3")
    admin.create_bucket(Bucket=other, CreateBucketConfiguration={"LocationConstraint": deployed.region})
    admin.put_object(Bucket=other, Key="build/output.zip", Body=b"artifact")
    try:
        with iam_enforced(deployed.endpoint):
            s3.get_object(Bucket=bucket, Key=project.settings.state.key)  # the state: what a plan reads
            denied(lambda: s3.put_object(Bucket=bucket, Key="acme-web/staging.tfstate.tflock", Body=b"{}"))
            denied(lambda: s3.delete_object(Bucket=bucket, Key=project.settings.state.key))
            denied(lambda: s3.get_object(Bucket=other, Key="build/output.zip"))
            denied(lambda: iam.create_role(RoleName="acme-web-plan-probe", AssumeRolePolicyDocument=TRUST))
            logs = client(deployed, "logs", plan)
            denied(lambda: logs.get_log_events(logGroupName="/ecs/acme-web-staging/web", logStreamName="x"))
            denied(lambda: client(deployed, "secretsmanager", plan).get_secret_value(SecretId="anything"))
    finally:
        admin.delete_object(Bucket=other, Key="build/output.zip")
        admin.delete_bucket(Bucket=other)
    keys = [o["Key"] for o in admin.list_objects_v2(Bucket=bucket, Prefix="acme-web/staging")["Contents"]]
    assert keys == ["acme-web/staging.tfstate"]  # no lock file written


def test_the_deploy_role_cannot_escalate(deployed: Deployed, project, names: AccessNames, as_role) -> None:
    """No IAM write on itself or the plan role; roles only under `/<project>/` and only with the boundary; managed
    policies only from the allow-list (not AdministratorAccess); no trust-policy rewrite (not to another account).
    (That it may pass roles only to their services: synth level.)"""
    iam = client(deployed, "iam", as_role("deploy"))
    boundary = names.boundary_arn(project.settings.aws.account_id)
    probe = f"{project.settings.name}-iam-probe"
    bounded = {"AssumeRolePolicyDocument": TRUST, "PermissionsBoundary": boundary}
    try:
        with iam_enforced(deployed.endpoint):
            for role in names.ci_roles:
                denied(lambda role=role: iam.attach_role_policy(RoleName=role, PolicyArn=ADMIN))
                denied(lambda role=role: iam.put_role_policy(RoleName=role, PolicyName="x", PolicyDocument=EVERYTHING))
                denied(lambda role=role: iam.update_assume_role_policy(RoleName=role, PolicyDocument=TRUST))
            denied(
                lambda: iam.create_role(RoleName=f"{probe}-unbounded", Path=names.path, AssumeRolePolicyDocument=TRUST)
            )
            denied(lambda: iam.create_role(RoleName="elsewhere-probe", **bounded))
            denied(lambda: iam.create_role(RoleName=f"{probe}-root", Path="/", **bounded))  # outside the path
            denied(lambda: iam.create_role(RoleName=f"{probe}-adm", Path=f"{names.path[:-1]}-adm/", **bounded))
            iam.create_role(RoleName=probe, Path=names.path, **bounded)
            iam.put_role_policy(RoleName=probe, PolicyName="x", PolicyDocument=EVERYTHING)  # bounded: stays within it
            denied(lambda: iam.attach_role_policy(RoleName=probe, PolicyArn=ADMIN))
            iam.attach_role_policy(RoleName=probe, PolicyArn=LIMITED)  # what the stacks attach
            iam.detach_role_policy(RoleName=probe, PolicyArn=LIMITED)
            denied(lambda: iam.update_assume_role_policy(RoleName=probe, PolicyDocument=OUTSIDE_TRUST))
            denied(lambda: iam.delete_role_permissions_boundary(RoleName=probe))
            iam.delete_role_policy(RoleName=probe, PolicyName="x")
            iam.delete_role(RoleName=probe)
    finally:
        _remove_roles(deployed, [probe, f"{probe}-unbounded", "elsewhere-probe", f"{probe}-root", f"{probe}-adm"])
    for role in names.ci_roles:  # nothing reached the CI roles
        assert deployed.client("iam").list_attached_role_policies(RoleName=role)["AttachedPolicies"] == []
        assert "x" not in deployed.client("iam").list_role_policies(RoleName=role)["PolicyNames"]


def test_a_role_the_deploy_role_creates_cannot_hop(deployed: Deployed, project, names: AccessNames, as_role) -> None:
    """A bounded role given everything (as code passed to Lambda or ECS would run) cannot assume a role that
    trusts anyone: sts:AssumeRole is denied in the boundary, not only in the deploy role's own policy."""
    iam = client(deployed, "iam", as_role("deploy"))
    boundary = names.boundary_arn(project.settings.aws.account_id)
    probe, target = f"{project.settings.name}-iam-hop", "elsewhere-hop-target"
    admin = deployed.client("iam")
    open_trust = {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}
    try:
        target_arn = admin.create_role(
            RoleName=target, AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [open_trust]})
        )["Role"]["Arn"]
        with iam_enforced(deployed.endpoint):
            arn = iam.create_role(
                RoleName=probe, Path=names.path, AssumeRolePolicyDocument=TRUST, PermissionsBoundary=boundary
            )["Role"]["Arn"]
            iam.put_role_policy(RoleName=probe, PolicyName="x", PolicyDocument=EVERYTHING)
        creds = deployed.client("sts").assume_role(RoleArn=arn, RoleSessionName="hop")["Credentials"]  # as ECS would
        hop = {
            "AWS_ACCESS_KEY_ID": creds["AccessKeyId"],
            "AWS_SECRET_ACCESS_KEY": creds["SecretAccessKey"],
            "AWS_SESSION_TOKEN": creds["SessionToken"],
        }
        with iam_enforced(deployed.endpoint):
            sts = client(deployed, "sts", hop)
            assert sts.get_caller_identity()["Arn"].endswith(f":assumed-role/{probe}/hop")
            denied(lambda: sts.assume_role(RoleArn=target_arn, RoleSessionName="hop"))
            denied(lambda: client(deployed, "iam", hop).attach_role_policy(RoleName=probe, PolicyArn=ADMIN))
    finally:
        _remove_roles(deployed, [probe, target])


def _remove_roles(deployed: Deployed, roles: list[str]) -> None:
    admin = deployed.client("iam")
    for role in roles:
        try:
            for policy in admin.list_role_policies(RoleName=role)["PolicyNames"]:
                admin.delete_role_policy(RoleName=role, PolicyName=policy)
            for attached in admin.list_attached_role_policies(RoleName=role)["AttachedPolicies"]:
                admin.detach_role_policy(RoleName=role, PolicyArn=attached["PolicyArn"])
            admin.delete_role(RoleName=role)
        except admin.exceptions.NoSuchEntityException:
            pass


def test_the_deploy_role_deploys_every_stack_from_nothing_with_iam_enforced(
    deployed: Deployed, as_role, tmp_path: Path
) -> None:
    """What `deploy` creates is creatable within the boundary: staging, production and release destroyed (as the
    administrator), then deployed from nothing as the deploy role with IAM enforced, then planned clean."""
    stacks = [s for s in AWS_STACKS if s != "access"]
    destroyed = deployed.run("destroy", *stacks, "--auto-approve", timeout=900)
    assert destroyed.returncode == 0, destroyed.stdout + destroyed.stderr
    env = {
        **deployed.env,
        **as_role("deploy"),
        "LOCAL_TARGET_CREDENTIALS": "environment",
        "DEPLOY_CACHE_DIR": str(tmp_path / "terraform"),
    }

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "main.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=1500
        )

    with iam_enforced(deployed.endpoint):
        began = time.monotonic()
        deploy = run("deploy", *stacks, "--auto-approve", "--json")
        seconds = time.monotonic() - began
        plan = run("plan", *stacks, "--json")
    assert deploy.returncode == 0, deploy.stdout + deploy.stderr
    assert plan.returncode == 0, plan.stdout + plan.stderr
    planned = {s["stack"]: s for s in json.loads(plan.stdout)["stacks"]}
    assert sorted(planned) == sorted(stacks)
    for name, stack in planned.items():
        assert stack["status"] == "ok", f"{name}: {stack['detail']}"
        assert stack["changes"] == {"create": 0, "update": 0, "delete": 0}, name
    print(f"deploy of {len(stacks)} stacks from nothing as the deploy role, IAM enforced: {seconds:.1f}s")


def test_enforcement_is_off_again(deployed: Deployed) -> None:
    """The session's other tests sign as moto's admin, which enforcement refuses."""
    assert deployed.client("sts").get_caller_identity()["Account"]
    deployed.client("iam").list_roles()
