"""IAM: AWS-managed policies exist (server.py loads them), and with IAM enforced (compat.iam) moto
evaluates the cases the project's least privilege relies on as AWS does.

Enforcement is switched on only around the calls made as a role (`enforced`), and off in a
`finally`: the emulator is shared by the session's compat tests, which sign as moto's admin.
Permissions boundaries and iam:PassRole are not evaluated by moto even so (tests/unit/test_iam_policies.py).
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from config.names import parameters_by_path_arns
from emulator import EmulatorStatus
from emulator.compat.iam import _operator_met
from tests.unit.compat.helpers import REGION, Client, iam_enforced, role, unique

RoleClient = Callable[[str], Any]


def test_aws_managed_policy_can_be_attached(client: Client) -> None:
    iam = client("iam")
    name = role(client, "codedeploy.amazonaws.com").rsplit("/", 1)[-1]
    iam.attach_role_policy(RoleName=name, PolicyArn="arn:aws:iam::aws:policy/AWSCodeDeployRoleForECSLimited")
    attached = iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
    assert [p["PolicyName"] for p in attached] == ["AWSCodeDeployRoleForECSLimited"]


@pytest.fixture(scope="module")
def account(client: Client) -> str:
    return str(client("sts").get_caller_identity()["Account"])


@pytest.fixture
def as_role(client: Client, running: EmulatorStatus) -> Callable[..., RoleClient]:
    """as_role(statement, ..., boundary=None) -> clients signed as a new role whose inline policy has these
    statements (and whose permissions boundary is `boundary`, a policy ARN)."""

    def make(*statements: dict[str, Any], boundary: str | None = None) -> RoleClient:
        arn = role(client, "ecs-tasks.amazonaws.com")  # assumed below with enforcement off: its trust is not checked
        name = arn.rsplit("/", 1)[-1]
        document = {"Version": "2012-10-17", "Statement": list(statements)}
        client("iam").put_role_policy(RoleName=name, PolicyName="test", PolicyDocument=json.dumps(document))
        if boundary:
            client("iam").put_role_permissions_boundary(RoleName=name, PermissionsBoundary=boundary)
        creds = client("sts").assume_role(RoleArn=arn, RoleSessionName="compat-test")["Credentials"]
        config = Config(retries={"max_attempts": 1, "mode": "standard"})

        def signed(service: str) -> Any:
            return boto3.client(
                service,
                endpoint_url=running.endpoint,
                region_name=REGION,
                aws_access_key_id=creds["AccessKeyId"],
                aws_secret_access_key=creds["SecretAccessKey"],
                aws_session_token=creds["SessionToken"],
                config=config,
            )

        return signed

    return make


def allow(actions: list[str], resources: list[str] | str, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": actions, "Resource": resources, **extra}


def denied(call: Callable[[], Any]) -> bool:
    try:
        call()
    except ClientError as exc:
        return exc.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    return False


def test_cloudwatch_actions_have_the_cloudwatch_prefix(as_role: Callable[..., RoleClient], running) -> None:
    signed = as_role(allow(["cloudwatch:DescribeAlarms"], "*"))
    cloudwatch = signed("cloudwatch")
    with iam_enforced(str(running.endpoint)):
        cloudwatch.describe_alarms()  # moto alone evaluates monitoring:DescribeAlarms: denied
        assert denied(lambda: cloudwatch.list_dashboards())  # enforcement is on: what is not allowed is denied


def test_head_bucket_needs_list_bucket(client: Client, as_role: Callable[..., RoleClient], running) -> None:
    bucket = unique("bucket")
    client("s3").create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    lister = as_role(allow(["s3:ListBucket"], f"arn:aws:s3:::{bucket}"))("s3")
    reader = as_role(allow(["s3:GetObject"], f"arn:aws:s3:::{bucket}/*"))("s3")
    with iam_enforced(str(running.endpoint)):
        lister.head_bucket(Bucket=bucket)  # moto alone evaluates an action s3:HeadBucket no policy grants
        assert denied(lambda: reader.head_bucket(Bucket=bucket))


def test_ssm_parameter_reads_are_scoped_to_the_parameter(
    client: Client, as_role: Callable[..., RoleClient], running, account: str
) -> None:
    ours, theirs = f"/{unique('ours')}/release", f"/{unique('theirs')}/release"
    for name in (ours, theirs):
        client("ssm").put_parameter(Name=name, Value="{}", Type="String")
    project = ours.split("/")[1]
    ssm = as_role(
        allow(["ssm:GetParameter", "ssm:ListTagsForResource"], f"arn:aws:ssm:*:{account}:parameter/{project}/*")
    )("ssm")
    with iam_enforced(str(running.endpoint)):
        assert ssm.get_parameter(Name=ours)["Parameter"]["Value"] == "{}"  # moto alone: evaluated against "*"
        ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=ours)
        assert denied(lambda: ssm.get_parameter(Name=theirs))


def test_parameters_by_path_are_authorized_on_the_path_as_passed(
    client: Client, as_role: Callable[..., RoleClient], running, account: str
) -> None:
    """`--path /p/` needs `parameter/p/`: the project's grant (both forms) reads, `parameter/p` alone is denied."""
    project = unique("proj")
    client("ssm").put_parameter(Name=f"/{project}/production/release", Value="{}", Type="String")
    bare_only = as_role(allow(["ssm:GetParametersByPath"], f"arn:aws:ssm:{REGION}:{account}:parameter/{project}"))(
        "ssm"
    )
    granted = as_role(allow(["ssm:GetParametersByPath"], parameters_by_path_arns(REGION, account, f"/{project}/")))(
        "ssm"
    )
    with iam_enforced(str(running.endpoint)):
        assert denied(lambda: bare_only.get_parameters_by_path(Path=f"/{project}/", Recursive=True))  # moto alone: "*"
        found = granted.get_parameters_by_path(Path=f"/{project}/", Recursive=True)["Parameters"]
        assert [p["Name"] for p in found] == [f"/{project}/production/release"]
        granted.get_parameters_by_path(Path=f"/{project}", Recursive=True)
        assert denied(lambda: granted.get_parameters_by_path(Path=f"/{project}/production/", Recursive=True))


def two_functions(client: Client) -> str:
    """A fresh prefix P with functions `P-hook` (the project's) and `xP-other` (a name P- does not match)."""
    prefix = unique("proj")
    execution = role(client, "lambda.amazonaws.com")
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return None\n")
    for name in (f"{prefix}-hook", f"x{prefix}-other"):
        client("lambda").create_function(
            FunctionName=name,
            Runtime="python3.11",
            Role=execution,
            Handler="index.handler",
            Code={"ZipFile": code.getvalue()},
        )
    return prefix


def test_lambda_reads_are_scoped_to_the_function(
    client: Client, as_role: Callable[..., RoleClient], running, account: str
) -> None:
    prefix = two_functions(client)
    functions = as_role(
        allow(
            ["lambda:GetFunction", "lambda:GetFunctionCodeSigningConfig", "lambda:ListVersionsByFunction"],
            f"arn:aws:lambda:*:{account}:function:{prefix}-*",
        )
    )("lambda")
    with iam_enforced(str(running.endpoint)):
        functions.get_function(FunctionName=f"{prefix}-hook")  # moto alone: evaluated against "*"
        functions.get_function_code_signing_config(FunctionName=f"{prefix}-hook")
        functions.list_versions_by_function(FunctionName=f"{prefix}-hook")
        assert denied(lambda: functions.get_function(FunctionName=f"x{prefix}-other"))


def test_role_management_only_with_the_boundary(
    client: Client, as_role: Callable[..., RoleClient], running, account: str
) -> None:
    """CreateRole on the new role's ARN (moto alone: "*", so denied), and only with the boundary (moto alone:
    the condition ignored, so allowed without it); PutRolePolicy only on a role that has the boundary."""
    iam = client("iam")
    prefix = unique("proj")
    document = json.dumps({"Version": "2012-10-17", "Statement": [allow(["s3:ListBucket"], "*")]})
    boundary = iam.create_policy(PolicyName=f"{prefix}-boundary", PolicyDocument=document)["Policy"]["Arn"]
    other = iam.create_policy(PolicyName=f"{prefix}-other", PolicyDocument=document)["Policy"]["Arn"]
    unbounded = role(client, "ecs-tasks.amazonaws.com").rsplit("/", 1)[-1]
    iam.create_role(RoleName=f"{prefix}-unbounded", AssumeRolePolicyDocument=_trust())
    signed = as_role(
        allow(
            ["iam:CreateRole", "iam:PutRolePolicy"],
            f"arn:aws:iam::{account}:role/{prefix}-*",
            Condition={"StringEquals": {"iam:PermissionsBoundary": boundary}},
        ),
        allow(["iam:DeleteRole", "iam:DeleteRolePolicy"], f"arn:aws:iam::{account}:role/{prefix}-*"),
    )("iam")
    put = {"PolicyName": "p", "PolicyDocument": document}
    with iam_enforced(str(running.endpoint)):
        signed.create_role(
            RoleName=f"{prefix}-bounded", AssumeRolePolicyDocument=_trust(), PermissionsBoundary=boundary
        )
        signed.put_role_policy(RoleName=f"{prefix}-bounded", **put)
        assert denied(lambda: signed.create_role(RoleName=f"{prefix}-none", AssumeRolePolicyDocument=_trust()))
        assert denied(
            lambda: signed.create_role(
                RoleName=f"{prefix}-other", AssumeRolePolicyDocument=_trust(), PermissionsBoundary=other
            )
        )
        assert denied(
            lambda: signed.create_role(
                RoleName=f"x{prefix}-elsewhere", AssumeRolePolicyDocument=_trust(), PermissionsBoundary=boundary
            )
        )
        assert denied(lambda: signed.put_role_policy(RoleName=f"{prefix}-unbounded", **put))
        assert denied(lambda: signed.put_role_policy(RoleName=unbounded, **put))  # not the project's
        signed.delete_role_policy(RoleName=f"{prefix}-bounded", PolicyName="p")
        signed.delete_role(RoleName=f"{prefix}-bounded")
    assert iam.get_role(RoleName=f"{prefix}-unbounded")["Role"].get("PermissionsBoundary") is None


def test_only_allow_listed_policies_can_be_attached(
    client: Client, as_role: Callable[..., RoleClient], running, account: str
) -> None:
    """AttachRolePolicy only with iam:PolicyARN in the allow-list (moto alone: the condition counts as met, so
    AdministratorAccess could be attached)."""
    prefix = unique("proj")
    client("iam").create_role(RoleName=f"{prefix}-target", AssumeRolePolicyDocument=_trust())
    limited, admin = (f"arn:aws:iam::aws:policy/{p}" for p in ("AWSCodeDeployRoleForECSLimited", "AdministratorAccess"))
    signed = as_role(
        allow(
            ["iam:AttachRolePolicy", "iam:DetachRolePolicy"],
            f"arn:aws:iam::{account}:role/{prefix}-*",
            Condition={"ArnEquals": {"iam:PolicyARN": [limited]}},
        )
    )("iam")
    with iam_enforced(str(running.endpoint)):
        signed.attach_role_policy(RoleName=f"{prefix}-target", PolicyArn=limited)
        assert denied(lambda: signed.attach_role_policy(RoleName=f"{prefix}-target", PolicyArn=admin))
        signed.detach_role_policy(RoleName=f"{prefix}-target", PolicyArn=limited)
    assert client("iam").list_attached_role_policies(RoleName=f"{prefix}-target")["AttachedPolicies"] == []


def test_the_boundary_caps_a_role(client: Client, as_role: Callable[..., RoleClient], running) -> None:
    """A role allowed everything but bounded by "all but IAM, no sts:AssumeRole" cannot assume a role that
    trusts anyone, nor list roles, yet lists buckets (moto alone: the boundary is never read)."""
    iam = client("iam")
    prefix = unique("proj")
    boundary = iam.create_policy(
        PolicyName=f"{prefix}-boundary",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "NotAction": ["iam:*"], "Resource": "*"},
                    {"Effect": "Deny", "Action": ["sts:AssumeRole"], "Resource": "*"},
                ],
            }
        ),
    )["Policy"]["Arn"]
    open_trust = {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}
    target = iam.create_role(
        RoleName=f"{prefix}-target",
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [open_trust]}),
    )["Role"]["Arn"]
    everything = allow(["*"], "*")
    bounded, unbounded = as_role(everything, boundary=boundary), as_role(everything)
    with iam_enforced(str(running.endpoint)):
        unbounded("sts").assume_role(RoleArn=target, RoleSessionName="hop")  # the same role without the boundary
        assert denied(lambda: bounded("sts").assume_role(RoleArn=target, RoleSessionName="hop"))
        assert denied(lambda: bounded("iam").list_roles())
        bounded("s3").list_buckets()
        assert bounded("sts").get_caller_identity()["Arn"]


def test_a_deny_with_not_resource_denies(
    client: Client, as_role: Callable[..., RoleClient], running, account: str
) -> None:
    """Deny ... NotResource <ours> denies everything else (moto alone: such a Deny allows everywhere)."""
    prefix = two_functions(client)
    ours = f"arn:aws:lambda:*:{account}:function:{prefix}-*"
    deny = {"Effect": "Deny", "Action": ["lambda:GetFunction"], "NotResource": [ours]}
    allowed_and_denied = as_role(allow(["lambda:GetFunction"], "*"), deny)("lambda")
    deny_only = as_role(deny)("lambda")
    with iam_enforced(str(running.endpoint)):
        allowed_and_denied.get_function(FunctionName=f"{prefix}-hook")
        assert denied(lambda: allowed_and_denied.get_function(FunctionName=f"x{prefix}-other"))
        assert denied(lambda: deny_only.get_function(FunctionName=f"{prefix}-hook"))  # a Deny grants nothing


def _trust() -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}
            ],
        }
    )


@pytest.mark.parametrize(
    ("operator", "value", "expected", "met"),
    [
        ("StringEquals", "arn:aws:iam::1:policy/b", ["arn:aws:iam::1:policy/b"], True),
        ("StringEquals", None, ["arn:aws:iam::1:policy/b"], False),  # a missing key fails a positive operator
        ("StringEqualsIfExists", None, ["x"], True),
        ("StringNotEquals", "a", ["b"], True),
        ("StringNotEquals", None, ["b"], True),  # ... and satisfies a negated one
        ("StringLike", "arn:aws:iam::1:policy/proj-b", ["arn:aws:iam::1:policy/proj-*"], True),
        ("StringNotLike", "arn:aws:iam::1:policy/proj-b", ["arn:aws:iam::1:policy/proj-*"], False),
        ("ArnLike", "arn:aws:iam::1:policy/b", ["arn:aws:iam::*:policy/b"], True),
        ("ArnNotEquals", "arn:aws:iam::1:policy/b", ["arn:aws:iam::1:policy/c"], True),
        ("Null", None, ["true"], True),
        ("Null", "arn:aws:iam::1:policy/b", ["true"], False),
    ],
)
def test_condition_operators(operator: str, value: str | None, expected: list[str], met: bool) -> None:
    assert _operator_met(operator, value, expected) is met
