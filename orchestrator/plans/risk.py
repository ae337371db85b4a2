"""What a plan does to live traffic, data and access: each planned change classified from `show -json`.

- `disruptive`: replacing or deleting what carries traffic (service, load balancer, listener,
  target group, security group, the network path, the CodeDeploy deployment group); the
  reason says what the environment serves meanwhile.
- `destructive`: deleting or replacing what holds data or history (buckets, repositories, log
  groups, topics with their subscribers).
- `broadening`: an IAM policy, trust policy or security-group rule that allows more than before
  (orchestrator/plans/grants.py tells widening from narrowing).

`deploy` refuses disruptive and destructive changes to a protected environment, and broadening
ones, unless `--allow-risk` is given (orchestrator/commands.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from orchestrator.plans import grants


class RiskKind(StrEnum):
    DISRUPTIVE = "disruptive"
    DESTRUCTIVE = "destructive"
    BROADENING = "broadening"


@dataclass(frozen=True)
class Risk:
    address: str
    action: str
    """replace | delete | update | create"""
    kind: RiskKind
    reason: str

    def to_json(self) -> dict[str, str]:
        return {"address": self.address, "action": self.action, "kind": str(self.kind), "reason": self.reason}

    def __str__(self) -> str:
        return f"{self.kind:<11} {self.action:<7} {self.address}: {self.reason}"


@dataclass(frozen=True)
class Change:
    address: str
    action: str

    def to_json(self) -> dict[str, str]:
        return {"address": self.address, "action": self.action}


def changes(plan: dict[str, Any]) -> list[Change]:
    """Every resource a `terraform show -json` plan changes (no-op and read left out)."""
    found = [Change(c["address"], action_of(c["change"]["actions"])) for c in plan.get("resource_changes", [])]
    return [c for c in found if c.action not in ("no-op", "read")]


SERVICE_GAP = "about 2-4 minutes on AWS: the old tasks drain, the new ones start and pass two health checks"
DISRUPTIVE = {  # resource type -> (what it does when replaced, when deleted)
    "aws_ecs_service": (
        f"the service is recreated and serves nothing until its new tasks are healthy ({SERVICE_GAP})",
        "the service and its tasks are removed",
    ),
    "aws_lb": (
        "the load balancer is recreated with a new DNS name: nothing is served until clients resolve it",
        "the load balancer is removed: its DNS name stops answering",
    ),
    "aws_lb_listener": (
        "the listener is recreated: its port refuses connections between the delete and the create",
        "the listener is removed: its port refuses connections",
    ),
    "aws_lb_target_group": (
        "the target group is recreated: its targets register and pass health checks again",
        "the target group is removed with its targets",
    ),
    "aws_security_group": (
        "a new security group: what uses it is re-attached (ECS tasks restart)",
        "the security group is removed",
    ),
    "aws_subnet": ("the subnet is recreated: what runs in it moves", "the subnet is removed with what runs in it"),
    "aws_vpc": ("the VPC is recreated: everything in it is recreated", "the VPC is removed"),
    "aws_route_table": ("routing through the table stops until it is recreated", "the route table is removed"),
    "aws_route": ("traffic over the route stops while it is recreated", "the route is removed"),
    "aws_route_table_association": (
        "the subnet uses the VPC's main route table meanwhile",
        "the subnet falls back to the VPC's main route table",
    ),
    "aws_nat_gateway": (
        "private tasks lose outbound access while it is recreated",
        "private tasks lose outbound access",
    ),
    "aws_internet_gateway": ("the ALB is unreachable while it is recreated", "the ALB is unreachable"),
    "aws_codedeploy_deployment_group": (
        "the deployment group is recreated: a release in progress and its history are lost",
        "the deployment group is removed: blue/green releases stop",
    ),
}
DESTRUCTIVE = {
    "aws_s3_bucket": "the bucket and every object in it are deleted",
    "aws_ecr_repository": "the repository and every image in it are deleted",
    "aws_cloudwatch_log_group": "the log group and its logs are deleted",
    "aws_sns_topic": "the topic and its subscriptions are deleted (e-mail subscribers must confirm again)",
    "aws_dynamodb_table": "the table and its items are deleted",
}


def action_of(actions: list[str]) -> str:
    if "delete" in actions and "create" in actions:
        return "replace"
    return actions[0] if len(actions) == 1 else "/".join(actions)


def classify(plan: dict[str, Any]) -> list[Risk]:
    """Every risk of a `terraform show -json` plan, in the plan's order.

    A stack deployed for the first time (no prior state) widens nothing that existed: its new
    policies and rules are not broadening. In a deployed stack, a new one is."""
    deployed = bool(((plan.get("prior_state") or {}).get("values") or {}).get("root_module", {}).get("resources"))
    risks = []
    for change in plan.get("resource_changes", []):
        action = action_of(change["change"]["actions"])
        if action in ("no-op", "read"):
            continue
        kind, address = change["type"], change["address"]
        if action in ("replace", "delete"):
            if kind in DISRUPTIVE:
                effect = DISRUPTIVE[kind][0 if action == "replace" else 1]
                risks.append(Risk(address, action, RiskKind.DISRUPTIVE, _because(change, effect)))
            if kind in DESTRUCTIVE:
                risks.append(Risk(address, action, RiskKind.DESTRUCTIVE, _because(change, DESTRUCTIVE[kind])))
        widened = grants.broadening(kind, change["change"]) if deployed or action != "create" else None
        if widened:
            risks.append(Risk(address, action, RiskKind.BROADENING, widened))
    return risks


def _because(change: dict[str, Any], effect: str) -> str:
    """The effect, and what makes Terraform replace it (the changed attributes, a trigger)."""
    why = {
        "replace_by_triggers": "its replace_triggered_by changed",
        "replace_by_request": "-replace was asked",
        "replace_because_tainted": "it is tainted",
    }.get(change.get("action_reason", ""))
    paths = [".".join(str(p) for p in path) for path in change["change"].get("replace_paths") or []]
    if paths:
        why = f"{', '.join(paths)} cannot change in place"
    if change["change"]["actions"] == ["delete"]:
        why = "it is no longer in the configuration"
    return f"{effect} ({why})" if why else effect
