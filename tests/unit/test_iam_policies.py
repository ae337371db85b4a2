"""The project's own IAM checks over every synthesized stack, beside checkov (which checks none of these).

moto's IAM enforcement (tests/integration/test_iam.py) does not evaluate permissions boundaries,
iam:PassRole or most condition keys, so what depends on them is proved here, on the JSON that goes
to AWS: every role has the project's boundary; no role can write IAM on its own ARN or on the CI
roles; every Allow of iam:PassRole is conditioned on iam:PassedToService; the deploy role can pass
every role the stacks pass, each to its service only; the plan role reads metadata only and writes
nothing; no role has AWSCodeDeployRoleForECS. Statements are read as AWS would, conservatively: an
Allow counts whatever its condition, a Deny only when it has none. AWS-managed policies are read from
moto's copy of their published documents (moto/iam/aws_managed_policies.py, moto 5.2.5).
"""

from __future__ import annotations

import fnmatch
import json
import re
from dataclasses import dataclass, field
from typing import Any

import pytest

from config.names import AccessNames
from modules.ci_access import ATTACHABLE_POLICIES, PLAN_READS

AWS_STACKS = ["access", "staging", "production", "release"]
ROLE_WRITES = [
    "iam:AttachRolePolicy",
    "iam:CreateRole",
    "iam:DeleteRole",
    "iam:DeleteRolePermissionsBoundary",
    "iam:DeleteRolePolicy",
    "iam:DetachRolePolicy",
    "iam:PutRolePermissionsBoundary",
    "iam:PutRolePolicy",
    "iam:TagRole",
    "iam:UntagRole",
    "iam:UpdateAssumeRolePolicy",
    "iam:UpdateRole",
    "iam:UpdateRoleDescription",
]
POLICY_WRITES = [
    "iam:CreatePolicyVersion",
    "iam:DeletePolicy",
    "iam:DeletePolicyVersion",
    "iam:SetDefaultPolicyVersion",
    "iam:TagPolicy",
    "iam:UntagPolicy",
]
PROVIDER_WRITES = [
    "iam:AddClientIDToOpenIDConnectProvider",
    "iam:DeleteOpenIDConnectProvider",
    "iam:RemoveClientIDFromOpenIDConnectProvider",
    "iam:TagOpenIDConnectProvider",
    "iam:UpdateOpenIDConnectProviderThumbprint",
]
PASSED_BY = {
    # resource type -> (attribute naming a role, the service it is passed to)
    "aws_ecs_task_definition": (("execution_role_arn", "task_role_arn"), "ecs-tasks.amazonaws.com"),
    "aws_codedeploy_deployment_group": (("service_role_arn",), "codedeploy.amazonaws.com"),
    "aws_flow_log": (("iam_role_arn",), "vpc-flow-logs.amazonaws.com"),
    "aws_codebuild_project": (("service_role",), "codebuild.amazonaws.com"),
    "aws_codepipeline": (("role_arn",), "codepipeline.amazonaws.com"),
    "aws_lambda_function": (("role",), "lambda.amazonaws.com"),
}
"""Where a stack passes a role to a service: the deploy role needs iam:PassRole for each (its apply makes the call)."""
DATA_READS = [
    "dynamodb:BatchGetItem",
    "dynamodb:GetItem",
    "dynamodb:Query",
    "dynamodb:Scan",
    "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer",
    "kms:Decrypt",
    "lambda:GetFunction",
    "logs:FilterLogEvents",
    "logs:GetLogEvents",
    "s3:GetObject",
    "s3:GetObjectVersion",
    "secretsmanager:GetSecretValue",
    "ssm:GetParameter",
    "ssm:GetParameters",
    "ssm:GetParametersByPath",
]


def _as_list(value: Any) -> list[str]:
    return value if isinstance(value, list) else [value]


@dataclass
class Role:
    name: str
    arn: str
    stack: str
    boundary: str | None
    inline: list[dict[str, Any]] = field(default_factory=list)
    managed: list[str] = field(default_factory=list)
    """ARNs of attached managed policies."""

    def statements(self, documents: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
        found = [s for d in self.inline for s in _as_list(d["Statement"])]
        return found + [s for arn in self.managed for s in _as_list(documents[arn]["Statement"])]


def _matches(patterns: list[str], value: str, *, actions: bool = False) -> bool:
    if actions:
        return any(fnmatch.fnmatchcase(value.lower(), p.lower()) for p in patterns)
    return any(fnmatch.fnmatchcase(value, p) for p in patterns)


def _covers(statement: dict[str, Any], action: str, resource: str) -> bool:
    if "NotAction" in statement:
        acted = not _matches(_as_list(statement["NotAction"]), action, actions=True)
    else:
        acted = _matches(_as_list(statement.get("Action", [])), action, actions=True)
    if "NotResource" in statement:
        return acted and not _matches(_as_list(statement["NotResource"]), resource)
    return acted and _matches(_as_list(statement.get("Resource", [])), resource)


def effective(statements: list[dict[str, Any]], action: str, resource: str) -> bool:
    """Allowed by some Allow (its condition assumed met) and not denied by an unconditional Deny."""
    allowed = any(s["Effect"] == "Allow" and _covers(s, action, resource) for s in statements)
    denied = any(s["Effect"] == "Deny" and not s.get("Condition") and _covers(s, action, resource) for s in statements)
    return allowed and not denied


class Synthesized:
    """Every AWS stack's roles with their inline and attached policies, tokens resolved where they name a role."""

    def __init__(self, stack_json: Any, project: Any, documents: dict[str, dict[str, Any]]):
        self.account = project.settings.aws.account_id
        self.names = AccessNames(project.settings.name)
        self.boundary_arn = self.names.boundary_arn(self.account)
        self.stacks = {name: stack_json(name) for name in AWS_STACKS}
        self.documents = dict(documents)
        self.roles: dict[str, Role] = {}
        self._keys: dict[tuple[str, str], Role] = {}
        for stack, body in self.stacks.items():
            for key, r in body.get("resource", {}).get("aws_iam_role", {}).items():
                arn = f"arn:aws:iam::{self.account}:role{r.get('path', '/')}{r['name']}"
                role = Role(r["name"], arn, stack, r.get("permissions_boundary"))
                self.roles[role.name] = role
                self._keys[(stack, key)] = role
        for stack, body in self.stacks.items():
            resources = body.get("resource", {})
            for p in resources.get("aws_iam_policy", {}).values():
                self.documents[self.arn_of_policy(p.get("path", "/"), p["name"])] = self.document(stack, p["policy"])
            for p in resources.get("aws_iam_role_policy", {}).values():
                self.role_of(stack, p["role"]).inline.append(self.document(stack, p["policy"]))
            for a in resources.get("aws_iam_role_policy_attachment", {}).values():
                self.role_of(stack, a["role"]).managed.append(a["policy_arn"])

    def arn_of_policy(self, path: str, name: str) -> str:
        return f"arn:aws:iam::{self.account}:policy{path}{name}"

    def role_of(self, stack: str, reference: str) -> Role:
        match = re.fullmatch(r"\$\{aws_iam_role\.([^.]+)\.(?:id|name|arn)\}", reference)
        assert match, f"{stack}: a role is referenced as {reference!r}, not by its resource"
        return self._keys[(stack, match.group(1))]

    def document(self, stack: str, text: str) -> dict[str, Any]:
        """A policy's JSON with `${aws_iam_role.<key>.arn}` replaced by the role's ARN."""
        return json.loads(re.sub(r"\$\{aws_iam_role\.([^.]+)\.arn\}", lambda m: self._keys[(stack, m[1])].arn, text))

    def statements(self, role: Role) -> list[dict[str, Any]]:
        return role.statements(self.documents)

    @property
    def boundary(self) -> list[dict[str, Any]]:
        return _as_list(self.documents[self.boundary_arn]["Statement"])


@pytest.fixture(scope="module")
def synthesized(stack_json, project) -> Synthesized:
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    managed = {
        f"arn:aws:iam::aws:policy/{name}": body["Document"]
        for name, body in json.loads(aws_managed_policies_data).items()
    }
    return Synthesized(stack_json, project, managed)


def test_every_created_role_has_the_project_boundary(synthesized: Synthesized) -> None:
    assert len(synthesized.roles) >= 10  # access 2, staging 3, production 4, release 2
    for role in synthesized.roles.values():
        assert role.boundary == synthesized.boundary_arn, f"{role.stack}: {role.name} has no project boundary"
    assert synthesized.boundary_arn.endswith(":policy/acme-web/acme-web-boundary")
    assert synthesized.boundary_arn in synthesized.documents  # created by the access stack


def test_no_role_can_write_iam_on_itself_the_ci_roles_or_the_boundary(synthesized: Synthesized) -> None:
    """As synthesized, no role may change itself or the CI roles (its policies and its boundary both allow,
    neither denies); and the boundary alone never allows a write on the CI roles, the boundary or the OIDC
    provider, so no role can get that whatever policy it is given later."""
    names = synthesized.names
    ci_roles = [names.role_arn(synthesized.account, r) for r in names.ci_roles]
    provider = f"arn:aws:iam::{synthesized.account}:oidc-provider/gitlab.com"
    boundary = synthesized.boundary

    def may(statements: list[dict[str, Any]], action: str, resource: str) -> bool:
        return effective(statements, action, resource) and effective(boundary, action, resource)

    for role in synthesized.roles.values():
        statements = synthesized.statements(role)
        for target in {role.arn, *ci_roles}:
            writes = [a for a in ROLE_WRITES if may(statements, a, target)]
            assert not writes, f"{role.name} may {writes} on {target}"
    protected = [(ROLE_WRITES, r) for r in ci_roles]
    protected += [(POLICY_WRITES, synthesized.boundary_arn), (PROVIDER_WRITES, provider)]
    for actions, target in protected:
        writes = [a for a in actions if effective(boundary, a, target)]
        assert not writes, f"the boundary allows {writes} on {target}"
    deploy = synthesized.statements(synthesized.roles[names.ci_deploy_role])
    assert effective(deploy, "iam:PutRolePolicy", names.role_arn(synthesized.account, "acme-web-staging-task"))


def test_every_pass_role_allow_names_the_service(synthesized: Synthesized) -> None:
    """Whatever grants iam:PassRole (iam:*, *, a NotAction that leaves it in) must say to which service."""
    checked = 0
    for role in synthesized.roles.values():
        for statement in [*synthesized.statements(role), *synthesized.boundary]:
            if statement["Effect"] != "Allow" or not _granted(statement, "iam:PassRole"):
                continue
            checked += 1
            keys = {k for values in (statement.get("Condition") or {}).values() for k in values}
            assert "iam:PassedToService" in keys, f"{role.name}: iam:PassRole without iam:PassedToService: {statement}"
    assert checked >= 8  # the boundary's and the deploy role's per-service statements, codedeploy's, the pipeline's


def test_the_deploy_role_creates_and_passes_every_role_the_stacks_create(synthesized: Synthesized) -> None:
    """`deploy` keeps working: each role it creates matches its bounded role statements, and each role the
    stacks pass to a service is passable by it to that service only."""
    deploy = synthesized.roles[synthesized.names.ci_deploy_role]
    statements = synthesized.statements(deploy)
    for role in synthesized.roles.values():
        if role.stack == "access":
            continue
        assert effective(statements, "iam:CreateRole", role.arn) and effective(
            statements, "iam:PutRolePolicy", role.arn
        )
        assert effective(synthesized.boundary, "iam:CreateRole", role.arn)
    passed = 0
    for stack, body in synthesized.stacks.items():
        for kind, (attributes, service) in PASSED_BY.items():
            for resource in body.get("resource", {}).get(kind, {}).values():
                for attribute in attributes:
                    if attribute not in resource:
                        continue
                    target = synthesized.role_of(stack, resource[attribute])
                    grants = [
                        s
                        for s in statements
                        if s["Effect"] == "Allow" and _covers(s, "iam:PassRole", target.arn) and "Condition" in s
                    ]
                    services = {
                        v
                        for s in grants
                        for v in _as_list(s["Condition"].get("StringEquals", {}).get("iam:PassedToService", []))
                    }
                    assert services == {service}, (
                        f"{target.name} is passed to {service}; the deploy role may pass it to {services}"
                    )
                    passed += 1
    assert passed >= 8


def test_the_plan_role_reads_metadata_only_and_writes_nothing(synthesized: Synthesized) -> None:
    names, account = synthesized.names, synthesized.account
    plan = synthesized.roles[names.ci_plan_role]
    statements = synthesized.statements(plan)
    assert not plan.managed, f"the plan role attaches {plan.managed} (e.g. ReadOnlyAccess: the whole account's data)"
    state_buckets = sorted({synthesized.stacks[s]["terraform"]["backend"]["s3"]["bucket"] for s in AWS_STACKS})
    anywhere = [f"arn:aws:s3:::{b}/{k}" for b in ["any-bucket", *state_buckets] for k in ("k", "x.tfstate")]
    for action in (
        "s3:PutObject",
        "s3:DeleteObject",
        "s3:DeleteObjectVersion",
        "s3:PutBucketPolicy",
        "s3:DeleteBucket",
    ):
        allows = [s for s in statements if s["Effect"] == "Allow" and _granted(s, action)]
        assert not allows, f"the plan role has an Allow of {action} (no S3 write or delete at all): {allows}"
        for resource in [*anywhere, "arn:aws:s3:::any-bucket"]:
            assert not effective(statements, action, resource), f"the plan role may {action} {resource}"
    scopes = {
        "s3:GetObject": [f"arn:aws:s3:::{b}/*" for b in state_buckets],
        "ssm:GetParameter": [f"arn:aws:ssm:*:{account}:parameter/{names.project}/*"],
        "lambda:GetFunction": [f"arn:aws:lambda:*:{account}:function:{names.project}-*"],
    }
    for action in DATA_READS:
        granted = [r for s in statements if s["Effect"] == "Allow" for r in _granted(s, action)]
        allowed = scopes.get(action, [])
        outside = [r for r in granted if not any(fnmatch.fnmatchcase(r, scope) for scope in allowed)]
        assert not outside, f"the plan role may {action} on {outside}"
    assert effective(statements, "s3:GetObject", f"arn:aws:s3:::{state_buckets[0]}/acme-web/staging.tfstate")
    assert not effective(statements, "s3:GetObject", f"arn:aws:s3:::{state_buckets[0]}/other/data.json")


def _granted(statement: dict[str, Any], action: str) -> list[str]:
    """The resource patterns an Allow grants `action` on (NotResource: everything)."""
    if "NotAction" in statement:
        if _matches(_as_list(statement["NotAction"]), action, actions=True):
            return []
    elif not _matches(_as_list(statement.get("Action", [])), action, actions=True):
        return []
    return ["*"] if "NotResource" in statement else _as_list(statement.get("Resource", []))


def test_every_resource_type_has_its_plan_reads(synthesized: Synthesized) -> None:
    """A new resource type needs its reads in PLAN_READS (or the plan role's plan fails, or worse: reads a
    denied resource as gone and plans to create it again)."""
    types = {t for body in synthesized.stacks.values() for t in body.get("resource", {})}
    assert not types - set(PLAN_READS), (
        f"no plan reads listed in modules/ci_access.py PLAN_READS for {types - set(PLAN_READS)}"
    )


def test_no_role_has_the_account_wide_codedeploy_policy(synthesized: Synthesized) -> None:
    attached = {arn for role in synthesized.roles.values() for arn in role.managed}
    assert "arn:aws:iam::aws:policy/AWSCodeDeployRoleForECS" not in attached
    assert "arn:aws:iam::aws:policy/ReadOnlyAccess" not in attached
    codedeploy = synthesized.roles["acme-web-production-codedeploy"]
    assert codedeploy.managed == ["arn:aws:iam::aws:policy/AWSCodeDeployRoleForECSLimited"]
    tasks = [
        synthesized.names.role_arn(synthesized.account, f"acme-web-production-{r}") for r in ("task", "task-execution")
    ]
    for task in tasks:  # Limited's own PassRole covers only roles named ecsTaskExecutionRole / ECSTaskExecution*
        assert effective(synthesized.statements(codedeploy), "iam:PassRole", task)


def test_every_role_is_under_the_project_path(synthesized: Synthesized) -> None:
    """`role/<project>/*` is what the deploy role manages: another project whose name begins the same way
    (`acme-web-adm`) has no role there, and a role the stacks create outside it would be denied."""
    for role in synthesized.roles.values():
        assert role.arn.startswith(f"arn:aws:iam::{synthesized.account}:role/acme-web/acme-web-"), role.arn
    deploy = synthesized.statements(synthesized.roles[synthesized.names.ci_deploy_role])
    for outside in ("role/acme-web-adm-task", "role/acme-web-adm/acme-web-adm-task", "role/acme-web-x"):
        target = f"arn:aws:iam::{synthesized.account}:{outside}"
        for action in ROLE_WRITES:
            assert not effective(deploy, action, target), f"the deploy role may {action} {target}"
            assert not effective(synthesized.boundary, action, target), f"the boundary allows {action} {target}"


def test_the_boundary_holds_the_denies_the_deploy_role_relies_on(synthesized: Synthesized) -> None:
    """A role the deploy role creates (bounded) and passes to Lambda or ECS can do no more than the deploy role:
    no sts:AssumeRole, no trust rewrite, no boundary removal, nothing on the CI roles; and every Deny of the
    deploy role's own policy is in the boundary too."""
    names, account = synthesized.names, synthesized.account
    deploy = synthesized.roles[names.ci_deploy_role]
    statements = synthesized.statements(deploy)
    assert any(s["Effect"] == "Allow" and _covers(s, "sts:AssumeRole", "*") for s in synthesized.boundary)
    probe = names.role_arn(account, "acme-web-production-release-hook")
    for policy in (statements, synthesized.boundary):
        assert not effective(policy, "sts:AssumeRole", f"arn:aws:iam::{account}:role/x")
        assert not effective(policy, "sts:AssumeRole", "arn:aws:iam::222222222222:role/x")
        assert not effective(policy, "iam:UpdateAssumeRolePolicy", probe)
        assert not effective(policy, "iam:DeleteRolePermissionsBoundary", probe)
    own = [s for d in deploy.inline for s in _as_list(d["Statement"]) if s["Effect"] == "Deny"]
    assert own and all(s in synthesized.boundary for s in own), "a Deny of the deploy role is not in the boundary"


def test_only_allow_listed_managed_policies_can_be_attached(synthesized: Synthesized) -> None:
    """AttachRolePolicy/DetachRolePolicy only with `iam:PolicyARN` in ATTACHABLE_POLICIES (so AdministratorAccess
    cannot be attached to a bounded role), and the list covers what the stacks attach."""
    for policy in (synthesized.statements(synthesized.roles[synthesized.names.ci_deploy_role]), synthesized.boundary):
        for s in policy:
            if s["Effect"] == "Allow" and (_granted(s, "iam:AttachRolePolicy") or _granted(s, "iam:DetachRolePolicy")):
                assert s.get("Condition", {}).get("ArnEquals", {}).get("iam:PolicyARN") == ATTACHABLE_POLICIES, s
    attached = {
        a["policy_arn"]
        for stack, body in synthesized.stacks.items()
        if stack != "access"
        for a in body.get("resource", {}).get("aws_iam_role_policy_attachment", {}).values()
    }
    assert attached and attached <= set(ATTACHABLE_POLICIES)


def test_no_role_runs_code_as_another_role(synthesized: Synthesized) -> None:
    """The ways to run as another role without iam:PassRole are denied outside the project, in the
    boundary, while the project's own function, build, pipeline and deployment group stay reachable."""
    account = synthesized.account
    boundary = synthesized.boundary
    outside = {
        "lambda:UpdateFunctionCode": f"arn:aws:lambda:eu-west-1:{account}:function:other",
        "lambda:InvokeFunction": f"arn:aws:lambda:eu-west-1:{account}:function:other:1",
        "codebuild:StartBuild": f"arn:aws:codebuild:eu-west-1:{account}:project/other",
        "codepipeline:StartPipelineExecution": f"arn:aws:codepipeline:eu-west-1:{account}:other",
        "codedeploy:CreateDeployment": f"arn:aws:codedeploy:eu-west-1:{account}:deploymentgroup:other/g",
        "ecs:RunTask": f"arn:aws:ecs:eu-west-1:{account}:task-definition/other:1",
        "ssm:SendCommand": "*",
        "cloudformation:UpdateStack": f"arn:aws:cloudformation:eu-west-1:{account}:stack/other/1",
    }
    denies = [s for s in boundary if s["Effect"] == "Deny"]
    for action, resource in outside.items():
        assert any(_covers(s, action, resource) for s in denies), f"the boundary does not deny {action} {resource}"
    inside = {
        "lambda:InvokeFunction": f"arn:aws:lambda:eu-west-1:{account}:function:acme-web-production-release-hook",
        "codebuild:StartBuild": f"arn:aws:codebuild:eu-west-1:{account}:project/acme-web-build",
        "codepipeline:StartPipelineExecution": f"arn:aws:codepipeline:eu-west-1:{account}:acme-web-release",
        "codedeploy:CreateDeployment": f"arn:aws:codedeploy:eu-west-1:{account}:deploymentgroup:acme-web-production/acme-web-production-web",
    }
    for action, resource in inside.items():
        assert not any(_covers(s, action, resource) for s in denies), f"the boundary denies {action} {resource}"


def test_the_deploy_role_has_the_project_services_not_the_account(synthesized: Synthesized) -> None:
    """Not PowerUserAccess: the services of the stacks' resource types (PLAN_READS) and the project's buckets; no
    other service, no other bucket's objects, no running of code the project does not own."""
    names, account = synthesized.names, synthesized.account
    deploy = synthesized.roles[names.ci_deploy_role]
    assert not deploy.managed, f"the deploy role attaches {deploy.managed}"
    statements = synthesized.statements(deploy)
    state_bucket = synthesized.stacks["staging"]["terraform"]["backend"]["s3"]["bucket"]
    for action in {a for actions in PLAN_READS.values() for a in actions if not a.startswith(("iam:", "s3:", "ssm:"))}:
        assert effective(statements, action, "*"), f"the deploy role may not {action}"
    parameter = f"arn:aws:ssm:eu-west-1:{account}:parameter/acme-web/staging/release"
    for action in ("ssm:PutParameter", "ssm:GetParameter", "ssm:DeleteParameter", "ssm:AddTagsToResource"):
        assert effective(statements, action, parameter), f"the deploy role may not {action} {parameter}"
    assert effective(statements, "ssm:DescribeParameters", "*")
    for resource in (f"arn:aws:s3:::{state_bucket}/acme-web/staging.tfstate", "arn:aws:s3:::acme-web-artifacts-x1/o"):
        assert effective(statements, "s3:PutObject", resource)
    assert effective(statements, "s3:CreateBucket", "arn:aws:s3:::acme-web-artifacts-x1")
    for action, resource in {
        "s3:GetObject": "arn:aws:s3:::another-bucket/data",
        "s3:CreateBucket": "arn:aws:s3:::another-bucket",
        "dynamodb:Scan": f"arn:aws:dynamodb:eu-west-1:{account}:table/other",
        "secretsmanager:GetSecretValue": "*",
        "sagemaker:CreateNotebookInstance": "*",
        "glue:CreateJob": "*",
        "ssm:SendCommand": "*",
        "ssm:GetParameter": f"arn:aws:ssm:eu-west-1:{account}:parameter/acme-web-adm/staging/release",
        "ssm:PutParameter": f"arn:aws:ssm:eu-west-1:{account}:parameter/other",
        "lambda:UpdateFunctionCode": f"arn:aws:lambda:eu-west-1:{account}:function:other",
        "sts:AssumeRole": f"arn:aws:iam::{account}:role/x",
    }.items():
        assert not effective(statements, action, resource), f"the deploy role may {action} {resource}"


def test_a_role_takes_the_path_of_its_boundary() -> None:
    from modules.iam import boundary_path

    assert boundary_path("acme-web-x", "arn:aws:iam::111111111111:policy/acme-web/acme-web-boundary") == "/acme-web/"
    for wrong in ("arn:aws:iam::111111111111:policy/acme-web-boundary", "arn:aws:iam::111111111111:role/acme-web/x"):
        with pytest.raises(ValueError, match="role acme-web-x: expected the permissions boundary's policy ARN under"):
            boundary_path("acme-web-x", wrong)
