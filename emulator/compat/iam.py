"""IAM enforcement: what moto's access control gets wrong, for the IAM the project relies on.

moto evaluates identity policies only when its request count passes INITIAL_NO_AUTH_ACTION_COUNT
(`POST /moto-api/reset-auth` with `0` switches that on, `inf` off; the emulator starts with it
off). Switched on, it checks every action, resources only for S3, IAM role actions, STS and SQS
(`*` otherwise), no condition, and no permissions boundary. These patches make the cases
tests/integration/test_iam.py proves evaluate as AWS does; nothing changes while enforcement is off,
and each patch only makes a request AWS would allow pass, or one AWS would refuse fail.

What stays unevaluated (proved on the synthesized JSON instead, tests/unit/test_iam_policies.py):
permissions boundaries themselves, iam:PassRole (moto never checks it) and every other condition key.
"""

from __future__ import annotations

import contextvars
import fnmatch
from typing import Any

from emulator.compat._patching import Original, PatchError, add_missing, wrap_existing

SIGNING_NAME_PREFIXES = {"monitoring": "cloudwatch"}
"""Signing name (the credential scope moto reads the service from) -> IAM action prefix, where they differ
among the services the stacks use."""

BOUNDARY_KEY = "iam:PermissionsBoundary"
BOUNDARY_ACTIONS = {
    "iam:AttachRolePolicy",
    "iam:CreateRole",
    "iam:DeleteRolePermissionsBoundary",
    "iam:DeleteRolePolicy",
    "iam:DetachRolePolicy",
    "iam:PutRolePermissionsBoundary",
    "iam:PutRolePolicy",
}
"""The role actions for which AWS sets `iam:PermissionsBoundary` (IAM service authorization reference)."""

_context: contextvars.ContextVar[dict[str, str | None] | None] = contextvars.ContextVar("iam_context", default=None)
"""The condition keys this module supplies for the request being authorized (None: moto's behaviour)."""


def patch_iam_action_prefixes() -> None:
    """CloudWatch actions are evaluated as ``monitoring:*`` instead of ``cloudwatch:*``.

    moto builds the action it evaluates from the request's signing name (credential scope),
    which for CloudWatch is ``monitoring``; IAM policies name CloudWatch's actions with the
    ``cloudwatch`` prefix (Service Authorization Reference, Amazon CloudWatch: "service prefix:
    cloudwatch"), so an Allow of cloudwatch:DescribeAlarms is denied by moto. The signature is
    still checked with the signing name.
    """
    from moto.iam.access_control import IAMRequestBase

    @wrap_existing(IAMRequestBase, "__init__")
    def init(original: Original, self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        prefix = SIGNING_NAME_PREFIXES.get(self._service)
        if prefix:
            self._action = f"{prefix}:{self._action.split(':', 1)[1]}"


def patch_iam_signature_of_bodyless_requests() -> None:
    """With enforcement on, every GET to a REST API (Lambda's GetFunction, ...) fails SignatureDoesNotMatch.

    To check a request's SigV4 signature moto re-signs it with the request's body, or, when the
    body is empty, with its parsed parameters, which for a GET without a body are the request's
    headers: it signs a payload the client never sent. AWS signs what was sent (Signature
    Version 4, "Create a canonical request": the hash of the request payload, the empty string's
    for a GET). A GET, HEAD or DELETE without a body is now checked with an empty payload.
    """
    from moto.iam.access_control import IAMRequestBase

    @wrap_existing(IAMRequestBase, "_create_aws_request")
    def create_aws_request(original: Original, self: Any) -> Any:
        if self._body or self._method not in ("GET", "HEAD", "DELETE"):
            return original(self)
        data, self._data = self._data, {}
        try:
            return original(self)
        finally:
            self._data = data


def patch_s3_head_bucket_action() -> None:
    """S3 HeadBucket is evaluated as the action ``s3:HeadBucket``, which IAM does not have.

    AWS: "To use this operation, you must have permissions to perform the s3:ListBucket action"
    (S3 API Reference, HeadBucket). With moto's name no policy can allow HeadBucket, so the
    Terraform provider reads the bucket as gone (403) and plans to create it again.
    """
    from moto.s3 import responses

    head = responses.ACTION_MAP["BUCKET"]["HEAD"]
    if head.get("DEFAULT") != "HeadBucket":
        raise PatchError(
            f"moto.s3.responses.ACTION_MAP['BUCKET']['HEAD'] is {head!r}, not HeadBucket: moto changed how it names "
            "HeadBucket's action; re-check patch_s3_head_bucket_action"
        )
    head["DEFAULT"] = "ListBucket"


def patch_ssm_parameter_resources() -> None:
    """SSM parameter actions are evaluated against ``*`` instead of the parameter's ARN.

    AWS authorizes GetParameter, GetParameterHistory, PutParameter, DeleteParameter and
    ListTagsForResource on the parameter (Service Authorization Reference, AWS Systems Manager:
    resource type ``parameter*``, ``arn:${Partition}:ssm:${Region}:${Account}:parameter/${ParameterNameWithoutLeadingSlash}``),
    so a policy scoped to the project's parameters (`parameter/<project>/*`) is denied everything by
    moto. Calls on several parameters at once (GetParameters, GetParametersByPath) stay ``*``.
    """
    from moto.ssm.responses import SimpleSystemManagerResponse

    single = {"GetParameter", "GetParameterHistory", "PutParameter", "DeleteParameter", "LabelParameterVersion"}
    tagging = {"ListTagsForResource", "AddTagsToResource", "RemoveTagsFromResource"}

    @add_missing(SimpleSystemManagerResponse, "_determine_resource")
    def determine_resource(self: Any) -> str:
        action = self._get_action()
        name = None
        if action in single:
            name = self._get_param("Name")
        elif action in tagging and self._get_param("ResourceType") == "Parameter":
            name = self._get_param("ResourceId")
        if not isinstance(name, str) or not name:
            return "*"
        return f"arn:aws:ssm:{self.region}:{self.current_account}:parameter/{name.removeprefix('/')}"


def patch_ssm_parameters_by_path_resource() -> None:
    """SSM GetParametersByPath is evaluated against ``*`` instead of the path as passed.

    AWS authorizes GetParametersByPath on the parameter ARN of the path exactly as the caller passes
    it, trailing slash included: ``--path /aft/account-request/custom-fields/`` is denied unless a
    policy allows ``parameter/aft/account-request/custom-fields/`` (or a pattern matching it), and
    a grant of ``parameter/aft/account-request/custom-fields`` does not (aws-ia/terraform-aws-
    control_tower_account_factory#174; ../shared/AWS-FACTS.md). With moto's ``*`` a build role
    granted the wrong form reads its parameters on the emulator and fails on AWS. Wraps the
    resource resolution patch_ssm_parameter_resources adds (which must be applied first).
    """
    from moto.ssm.responses import SimpleSystemManagerResponse

    @wrap_existing(SimpleSystemManagerResponse, "_determine_resource")
    def determine_resource(original: Original, self: Any) -> str:
        path = self._get_param("Path") if self._get_action() == "GetParametersByPath" else None
        if not isinstance(path, str) or not path:
            resource: str = original(self)
            return resource
        return f"arn:aws:ssm:{self.region}:{self.current_account}:parameter/{path.removeprefix('/')}"


def patch_lambda_function_resources() -> None:
    """Lambda function actions are evaluated against ``*`` instead of the function's ARN.

    AWS authorizes GetFunction, GetFunctionCodeSigningConfig, ListVersionsByFunction, GetPolicy,
    Invoke and the other calls on a function on that function (Service Authorization Reference,
    AWS Lambda: resource type ``function*``, ``arn:${Partition}:lambda:${Region}:${Account}:function:${FunctionName}``),
    so a policy scoped to the project's functions (`function:<project>-*`) is denied everything by
    moto. The function named in the request path is the resource (CreateFunction, whose name is in
    the body, stays ``*``).
    """
    from moto.awslambda.responses import LambdaResponse

    @add_missing(LambdaResponse, "_determine_resource")
    def determine_resource(self: Any) -> str:
        self._get_action()  # routes the request: fills uri_match with the path's members
        name = (self.uri_match or {}).get("FunctionName")
        if not isinstance(name, str) or not name:
            return "*"
        if name.startswith("arn:"):
            return ":".join(name.split(":")[:7])  # without a qualifier
        return f"arn:aws:lambda:{self.region}:{self.current_account}:function:{name}"


def patch_iam_create_role_resource() -> None:
    """IAM CreateRole is evaluated against ``*`` instead of the new role's ARN.

    moto resolves an IAM request's RoleName to the ARN of an existing role, else ``*``; AWS
    authorizes CreateRole on the role it creates (Service Authorization Reference, IAM:
    CreateRole, resource type ``role*``), so a policy that lets a principal create only
    ``role/<project>-*`` is denied every CreateRole by moto.
    """
    from moto.iam.responses import IamResponse

    @wrap_existing(IamResponse, "_determine_resource")
    def determine_resource(original: Original, self: Any) -> str:
        resource: str = original(self)
        if resource == "*" and self._get_action() == "CreateRole" and "RoleName" in self.data:
            path = (self.data.get("Path") or ["/"])[0]
            return f"arn:aws:iam::{self.current_account}:role{path}{self.data['RoleName'][0]}"
        return resource


def patch_iam_permissions_boundary_condition() -> None:
    """Identity-policy conditions on ``iam:PermissionsBoundary`` are not evaluated.

    moto evaluates no condition of an identity policy (every condition counts as met), so a
    principal allowed CreateRole or PutRolePolicy only "with the boundary" may do them without
    it: AWS's documented way to delegate role management safely (IAM User Guide, "Permissions
    boundaries for IAM entities", delegating responsibility to others using boundaries) cannot
    be tested. This patch supplies ``iam:PermissionsBoundary`` for the role actions AWS sets it
    for (the request's PermissionsBoundary for CreateRole and PutRolePermissionsBoundary, the
    role's current boundary otherwise) and evaluates the conditions on it with AWS's operators
    (StringEquals, StringNotEquals, StringLike, StringNotLike, ArnEquals, ArnLike, ArnNotEquals,
    ArnNotLike, their ...IfExists forms, and Null; IAM User Guide, "IAM JSON policy elements:
    Condition operators"): a key missing from the request fails every operator but the
    ...IfExists and negated ones. A statement whose condition is not met does not apply (moto
    would turn it into an explicit Deny). Conditions on any other key stay unevaluated, as in moto.
    """
    from moto.iam.access_control import IAMPolicyStatement, IAMRequestBase, PermissionResult

    @wrap_existing(IAMRequestBase, "check_action_permitted")
    def check_action_permitted(original: Original, self: Any, resource: str) -> None:
        token = _context.set(_request_context(self))
        try:
            original(self, resource)
        finally:
            _context.reset(token)

    @wrap_existing(IAMPolicyStatement, "is_action_permitted")
    def is_action_permitted(
        original: Original,
        self: Any,
        action: str,
        resource: str = "*",
        principal: str | None = None,
        incoming_condition_values: dict[str, str] | None = None,
    ) -> Any:
        context = _context.get()
        conditions = self._statement.get("Condition") or {}
        if context is not None and principal is None and not _conditions_met(conditions, context):
            return PermissionResult.NEUTRAL
        return original(self, action, resource, principal, incoming_condition_values)


def _request_context(request: Any) -> dict[str, str | None] | None:
    """The keys this module evaluates for an IAM role action (else None: moto's behaviour)."""
    if request._action not in BOUNDARY_ACTIONS:
        return None
    data = request._data
    if request._action in ("iam:CreateRole", "iam:PutRolePermissionsBoundary"):
        given = data.get("PermissionsBoundary")
        return {BOUNDARY_KEY: given[0] if given else None}
    name = (data.get("RoleName") or [None])[0]
    try:
        role = request.backend.get_role(name)
    except Exception:  # noqa: BLE001 - no such role: the action itself fails with NoSuchEntity
        return {BOUNDARY_KEY: None}
    return {BOUNDARY_KEY: role.permissions_boundary_arn}


def _conditions_met(conditions: dict[str, dict[str, Any]], context: dict[str, str | None]) -> bool:
    """AND over the operators and keys this module supplies; other keys count as met (as in moto)."""
    for operator, keys in conditions.items():
        for key, expected in keys.items():
            if key not in context:
                continue
            if not _operator_met(operator, context[key], expected if isinstance(expected, list) else [expected]):
                return False
    return True


def _operator_met(operator: str, value: str | None, expected: list[Any]) -> bool:
    if operator == "Null":
        return (value is None) == (str(expected[0]).lower() == "true")
    base = operator.removesuffix("IfExists")
    if value is None:
        return operator.endswith("IfExists") or "Not" in base
    like = base in ("StringLike", "StringNotLike", "ArnLike", "ArnNotLike", "ArnEquals", "ArnNotEquals")
    matches = any(fnmatch.fnmatchcase(value, str(e)) if like else value == str(e) for e in expected)
    if base in ("StringEquals", "StringLike", "ArnEquals", "ArnLike"):
        return matches
    if base in ("StringNotEquals", "StringNotLike", "ArnNotEquals", "ArnNotLike"):
        return not matches
    return True  # an operator this module does not evaluate: met, as in moto
