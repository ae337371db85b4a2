"""IAM: AWS-managed policies exist (server.py loads them), so they can be attached."""

from __future__ import annotations

from tests.unit.compat.helpers import Client, role


def test_aws_managed_policy_can_be_attached(client: Client) -> None:
    iam = client("iam")
    name = role(client, "codedeploy.amazonaws.com").rsplit("/", 1)[-1]
    iam.attach_role_policy(RoleName=name, PolicyArn="arn:aws:iam::aws:policy/AWSCodeDeployRoleForECS")
    attached = iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
    assert [p["PolicyName"] for p in attached] == ["AWSCodeDeployRoleForECS"]
