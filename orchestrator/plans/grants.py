"""Does a planned change allow more than before? IAM policies (identity, trust, resource) and security-group rules.

A policy is read as a set of grants (effect, action, resource, principal, conditions), one per
combination its statements list. An Allow grant of the new document is covered when an old
Allow grant matches it (wildcards included) with no condition the new one lacks; anything not
covered, or an old Deny that is gone, is broadening. A security-group rule is covered when an
old rule of the same direction and protocol spans its ports from a source that contains it.
Narrowing (removing actions, resources, CIDRs, adding conditions) is never reported.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

POLICY_ATTRIBUTES = {
    "aws_iam_role_policy": "policy",
    "aws_iam_policy": "policy",
    "aws_iam_role": "assume_role_policy",
    "aws_s3_bucket_policy": "policy",
    "aws_sns_topic_policy": "policy",
    "aws_ecr_repository_policy": "policy",
}
SECURITY_GROUPS = {"aws_security_group": ("ingress", "egress")}
RULE_RESOURCES = {
    "aws_vpc_security_group_ingress_rule": "ingress",
    "aws_vpc_security_group_egress_rule": "egress",
}
SHOWN = 3
EVERYTHING_BUT = "everything but "


@dataclass(frozen=True)
class Grant:
    effect: str
    action: str
    resource: str
    principal: str
    conditions: frozenset[tuple[str, str, str]]

    def covers(self, other: Grant) -> bool:
        return (
            self.effect == other.effect == "Allow"
            and _matches(other.action.lower(), self.action.lower())
            and _matches(other.resource, self.resource)
            and _matches(other.principal, self.principal)
            and self.conditions <= other.conditions
        )

    def __str__(self) -> str:
        who = f" for {self.principal}" if self.principal != "*" else ""
        when = " (conditioned)" if self.conditions else ""
        return f"{self.action} on {self.resource}{who}{when}"


def _matches(value: str, pattern: str) -> bool:
    """IAM's wildcards (`*`, `?`); an `everything but ...` grant only matches itself."""
    if value == pattern:
        return True
    return not pattern.startswith(EVERYTHING_BUT) and fnmatchcase(value, pattern.replace("[", "[[]"))


def broadening(resource_type: str, change: dict[str, Any]) -> str | None:
    """Why this planned change allows more than before, or None."""
    before, after = change.get("before") or {}, change.get("after") or {}
    unknown = change.get("after_unknown") or {}
    if resource_type == "aws_iam_role_policy_attachment":
        arn = after.get("policy_arn")
        return f"attaches {arn}" if arn and arn != before.get("policy_arn") else None
    if resource_type in POLICY_ATTRIBUTES:
        attribute = POLICY_ATTRIBUTES[resource_type]
        if unknown.get(attribute) is True:
            return f"{attribute} is known only at apply (it names resources not created yet): review it"
        if attribute not in after:
            return None
        return _widened_policy(attribute, before.get(attribute), after[attribute])
    if resource_type in SECURITY_GROUPS:
        new = [r for d in SECURITY_GROUPS[resource_type] for r in _new_rules(d, before.get(d), after.get(d))]
        return _say("allows", new) if new else None
    if resource_type in RULE_RESOURCES and after and not before:
        source = after.get("cidr_ipv4") or after.get("cidr_ipv6") or after.get("referenced_security_group_id")
        return f"allows {_rule_text(RULE_RESOURCES[resource_type], after, source)}"
    return None


def _widened_policy(attribute: str, before: str | None, after: str) -> str | None:
    old, new = grants_of(before), grants_of(after)
    added = [g for g in new if g.effect == "Allow" and not any(o.covers(g) for o in old)]
    dropped_denies = [g for g in old if g.effect == "Deny" and g not in new]
    reasons = []
    if added:
        reasons.append(_say(f"{attribute} newly allows", added))
    if dropped_denies:
        reasons.append(_say(f"{attribute} no longer denies", dropped_denies))
    return "; ".join(reasons) or None


def grants_of(document: str | None) -> list[Grant]:
    if not document:
        return []
    policy = json.loads(document) if isinstance(document, str) else document
    statements = policy.get("Statement", [])
    found = []
    for s in statements if isinstance(statements, list) else [statements]:
        conditions = frozenset(
            (op, key, json.dumps(value, sort_keys=True))
            for op, pairs in (s.get("Condition") or {}).items()
            for key, value in pairs.items()
        )
        actions = _listed(s, "Action", "NotAction")
        resources = _listed(s, "Resource", "NotResource") or ["*"]
        principals = _principals(s)
        found += [
            Grant(s.get("Effect", "Allow"), a, r, p, conditions) for a in actions for r in resources for p in principals
        ]
    return found


def _listed(statement: dict[str, Any], key: str, negated: str) -> list[str]:
    if negated in statement:  # "everything but": only an identical old statement covers it
        return [f"{EVERYTHING_BUT}{json.dumps(statement[negated], sort_keys=True)}"]
    value = statement.get(key, [])
    return [value] if isinstance(value, str) else list(value)


def _principals(statement: dict[str, Any]) -> list[str]:
    principal = statement.get("Principal")
    if principal is None:
        return ["*"]
    if isinstance(principal, str):
        return [principal]
    return [
        f"{kind}:{p}" for kind, values in principal.items() for p in ([values] if isinstance(values, str) else values)
    ]


def _new_rules(direction: str, before: list[dict[str, Any]] | None, after: list[dict[str, Any]] | None) -> list[str]:
    old = [(r, s) for r in before or [] for s in _sources(r)]
    return [
        _rule_text(direction, rule, source)
        for rule in after or []
        for source in _sources(rule)
        if not any(_rule_covers(o, source_o, rule, source) for o, source_o in old)
    ]


def _sources(rule: dict[str, Any]) -> list[str]:
    keys = ("cidr_blocks", "ipv6_cidr_blocks", "security_groups", "prefix_list_ids")
    sources = [source for key in keys for source in rule.get(key) or []]
    return sources + (["self"] if rule.get("self") else [])


def _rule_covers(old: dict[str, Any], old_source: str, new: dict[str, Any], new_source: str) -> bool:
    if old.get("protocol") not in (new.get("protocol"), "-1"):
        return False
    if old.get("protocol") != "-1" and not (old["from_port"] <= new["from_port"] <= new["to_port"] <= old["to_port"]):
        return False
    if old_source == new_source:
        return True
    try:
        return ipaddress.ip_network(new_source).subnet_of(ipaddress.ip_network(old_source))  # type: ignore[arg-type]  # mixed IPv4/IPv6 is caught below
    except (ValueError, TypeError):
        return False


def _rule_text(direction: str, rule: dict[str, Any], source: str | None) -> str:
    protocol = rule.get("protocol", rule.get("ip_protocol"))
    ports = "all ports" if protocol == "-1" else f"{protocol} {rule.get('from_port')}"
    if rule.get("to_port") not in (None, rule.get("from_port")) and protocol != "-1":
        ports += f"-{rule['to_port']}"
    return f"{direction} {ports} {'from' if direction == 'ingress' else 'to'} {source}"


def _say(head: str, items: list[Any]) -> str:
    shown = "; ".join(str(i) for i in items[:SHOWN])
    more = f" (and {len(items) - SHOWN} more)" if len(items) > SHOWN else ""
    return f"{head}: {shown}{more}"
