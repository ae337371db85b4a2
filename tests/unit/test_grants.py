"""orchestrator.plans.grants: what allows more than before, told apart from what allows less."""

from __future__ import annotations

import json

import pytest

from orchestrator.plans.grants import broadening, grants_of


def doc(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(actions, resources="*", **extra) -> dict:
    return {"Effect": "Allow", "Action": actions, "Resource": resources, **extra}


def policy_change(before: str | None, after: str, kind: str = "aws_iam_role_policy") -> str | None:
    return broadening(kind, {"before": {"policy": before} if before else None, "after": {"policy": after}})


LOGS = "arn:aws:logs:eu-west-1:111111111111:log-group:/ecs/web:*"


@pytest.mark.parametrize(
    ("before", "after", "widened"),
    [
        (
            doc(allow(["logs:PutLogEvents"], [LOGS])),
            doc(allow(["logs:PutLogEvents", "logs:DeleteLogGroup"], [LOGS])),
            "logs:DeleteLogGroup",
        ),
        (doc(allow(["logs:PutLogEvents"], [LOGS])), doc(allow(["logs:*"], [LOGS])), "logs:*"),
        (doc(allow(["logs:PutLogEvents"], [LOGS])), doc(allow(["logs:PutLogEvents"], "*")), "on *"),
        (
            doc(
                allow(
                    ["iam:PassRole"],
                    "*",
                    Condition={"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
                )
            ),
            doc(allow(["iam:PassRole"], "*")),
            "iam:PassRole on *",
        ),
        (
            doc(allow(["s3:*"], "*"), {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"}),
            doc(allow(["s3:*"], "*")),
            "no longer denies: s3:DeleteObject",
        ),
    ],
    ids=["new action", "wildcard action", "wider resource", "condition removed", "deny removed"],
)
def test_widened_policies_are_broadening(before: str, after: str, widened: str):
    reason = policy_change(before, after)
    assert reason and widened in reason, reason


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (doc(allow(["logs:PutLogEvents", "logs:DeleteLogGroup"], [LOGS])), doc(allow(["logs:PutLogEvents"], [LOGS]))),
        (doc(allow(["logs:*"], "*")), doc(allow(["logs:PutLogEvents"], [LOGS]))),
        (
            doc(allow(["iam:PassRole"], "*")),
            doc(
                allow(
                    ["iam:PassRole"],
                    "*",
                    Condition={"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
                )
            ),
        ),
        (doc(allow("logs:PutLogEvents", LOGS)), doc(allow(["logs:PutLogEvents"], [LOGS]))),  # same, spelled as a list
    ],
    ids=["action removed", "narrower action and resource", "condition added", "same grants"],
)
def test_narrowed_or_equal_policies_are_not(before: str, after: str):
    assert policy_change(before, after) is None


def test_a_new_policy_or_attachment_is_broadening_and_an_unknown_one_is_flagged():
    assert "newly allows: ecr:BatchGetImage" in policy_change(None, doc(allow(["ecr:BatchGetImage"])))
    attach = {"before": None, "after": {"policy_arn": "arn:aws:iam::aws:policy/AdministratorAccess"}}
    assert (
        broadening("aws_iam_role_policy_attachment", attach) == "attaches arn:aws:iam::aws:policy/AdministratorAccess"
    )
    assert broadening("aws_iam_role_policy_attachment", {"before": attach["after"], "after": None}) is None  # detached
    unknown = {"before": {"policy": doc()}, "after": {}, "after_unknown": {"policy": True}}
    assert "known only at apply" in broadening("aws_iam_role_policy", unknown)


def test_trust_policies_compare_principals():
    def trust(principal: dict) -> str:
        return doc({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"})

    ecs = trust({"Service": "ecs-tasks.amazonaws.com"})
    wider = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [json.loads(ecs)["Statement"][0], json.loads(trust({"AWS": "*"}))["Statement"][0]],
        }
    )
    change = {"before": {"assume_role_policy": ecs}, "after": {"assume_role_policy": wider}}
    assert "for AWS:*" in broadening("aws_iam_role", change)
    assert (
        broadening("aws_iam_role", {"before": {"assume_role_policy": wider}, "after": {"assume_role_policy": ecs}})
        is None
    )


def rule(port: int, cidr: str | None = None, groups: tuple[str, ...] = (), to_port: int | None = None) -> dict:
    return {
        "from_port": port,
        "to_port": to_port or port,
        "protocol": "tcp",
        "cidr_blocks": [cidr] if cidr else [],
        "ipv6_cidr_blocks": [],
        "security_groups": list(groups),
        "prefix_list_ids": [],
        "self": False,
    }


def sg_change(before: list[dict], after: list[dict]) -> str | None:
    return broadening(
        "aws_security_group", {"before": {"ingress": before, "egress": []}, "after": {"ingress": after, "egress": []}}
    )


def test_security_group_rules_that_open_more_are_broadening():
    assert sg_change([rule(8080, groups=("sg-alb",))], [rule(8080, groups=("sg-alb",)), rule(22, "0.0.0.0/0")]) == (
        "allows: ingress tcp 22 from 0.0.0.0/0"
    )
    assert "from 0.0.0.0/0" in sg_change([rule(80, "10.0.0.0/16")], [rule(80, "0.0.0.0/0")])  # a wider CIDR
    assert "tcp 80-90" in sg_change([rule(80, "10.0.0.0/16")], [rule(80, "10.0.0.0/16", to_port=90)])  # more ports


def test_security_group_rules_that_open_less_are_not():
    assert sg_change([rule(8080, groups=("sg-alb",)), rule(22, "0.0.0.0/0")], [rule(8080, groups=("sg-alb",))]) is None
    assert sg_change([rule(80, "0.0.0.0/0")], [rule(80, "10.0.0.0/16")]) is None  # a narrower CIDR
    assert sg_change([rule(80, "10.0.0.0/16", to_port=90)], [rule(85, "10.0.0.0/16")]) is None


def test_not_action_statements_are_only_covered_by_the_same_statement():
    power = {"Effect": "Allow", "NotAction": ["iam:*"], "Resource": "*"}
    assert policy_change(doc(power), doc(power)) is None
    assert "everything but" in policy_change(doc(allow(["s3:GetObject"])), doc(power))
    assert len(grants_of(doc(allow(["a:B", "a:C"], ["r1", "r2"])))) == 4
