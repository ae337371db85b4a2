"""IAM: every role the stacks create (`project_role`), and small helpers for JSON documents.

Every module creates its roles through `project_role`, which requires the project's
permissions boundary (`<project>-boundary`, created by the access stack) and puts the role
under the boundary's IAM path (`/<project>/`, config.names.iam_path): the CI deploy role may
create and change roles only there and only when they carry it (modules/ci_access.py), and
tests/unit/test_iam_policies.py checks every synthesized role has both.
"""

from __future__ import annotations

import json
from typing import Any

from cdktf_cdktf_provider_aws.iam_role import IamRole
from constructs import Construct


def project_role(
    scope: Construct,
    id_: str,
    *,
    name: str,
    assume_role_policy: str,
    permissions_boundary: str,
    tags: dict[str, str] | None = None,
    **extra: Any,
) -> IamRole:
    """An IAM role with the project's permissions boundary (its ARN: config.names.AccessNames.boundary_arn),
    under the boundary's path, which is the project's (one source for both: the boundary's ARN)."""
    return IamRole(
        scope,
        id_,
        name=name,
        path=boundary_path(name, permissions_boundary),
        assume_role_policy=assume_role_policy,
        permissions_boundary=permissions_boundary,
        tags=tags,
        **extra,
    )


def boundary_path(role: str, boundary_arn: str) -> str:
    """`/<project>/` from `arn:aws:iam::<account>:policy/<project>/<project>-boundary`."""
    _, found, resource = boundary_arn.partition(":policy/")
    project = resource.rpartition("/")[0]
    if not found or not project:
        raise ValueError(
            f"role {role}: expected the permissions boundary's policy ARN under the project's path "
            f"(arn:aws:iam::<account>:policy/<project>/<project>-boundary), got {boundary_arn!r}"
        )
    return f"/{project}/"


def trust_policy(service: str, account_id: str | None = None) -> str:
    """A role assumable only by `service`, and only on behalf of `account_id` (confused deputy)."""
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": "sts:AssumeRole",
    }
    if account_id:
        statement["Condition"] = {"StringEquals": {"aws:SourceAccount": account_id}}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(actions: list[str], resources: list[str] | str, sid: str | None = None, **extra: Any) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": "Allow", "Action": actions, "Resource": resources}
    if sid:
        statement["Sid"] = sid
    statement.update(extra)
    return statement
