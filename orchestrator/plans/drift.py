"""Drift: what changed outside Terraform, told apart from what changed in the code.

A plain `plan -detailed-exitcode` (not -refresh-only: hashicorp/terraform#36403) is read
through `terraform show -json`. A planned change to a resource that the refresh found
modified or deleted outside Terraform is drift; any other planned change comes from the
code and is reported as such, not as drift. Attributes under `ignore_changes` (what
CodeDeploy and autoscaling legitimately change) produce no planned change, so a
blue/green release is not drift.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from orchestrator.executor import Outcome, Status
from orchestrator.session import Session
from orchestrator.terraform.plan_output import Counts

REDACTED = "(sensitive)"
MAX_VALUE = 200


@dataclass
class Attribute:
    name: str
    before: Any
    """In Terraform's state."""
    after: Any
    """In the cloud now."""


@dataclass
class Drifted:
    address: str
    type: str
    change: str
    """modified | deleted"""
    repair: list[str]
    """Terraform's planned actions to restore it."""
    attributes: list[Attribute] = field(default_factory=list)


@dataclass
class StackDrift:
    stack: str
    drifted: list[Drifted] = field(default_factory=list)
    code_changes: list[dict[str, Any]] = field(default_factory=list)

    def counts(self) -> Counts:
        actions = [d.repair for d in self.drifted]
        return Counts(
            create=sum("create" in a for a in actions),
            update=sum(a == ["update"] for a in actions),
            delete=sum("delete" in a for a in actions),
        )


def classify(stack: str, plan: dict[str, Any]) -> StackDrift:
    """Split a plan's changes into drift and code changes."""
    drift = {d["address"]: d for d in plan.get("resource_drift", [])}
    result = StackDrift(stack)
    for rc in plan.get("resource_changes", []):
        actions = rc["change"]["actions"]
        if actions in (["no-op"], ["read"]):
            continue
        seen = drift.get(rc["address"])
        if seen is None:
            result.code_changes.append({"address": rc["address"], "actions": actions})
            continue
        deleted = seen["change"]["actions"] == ["delete"]
        attributes = [] if deleted else _attributes(seen["change"], rc["change"])
        if not deleted and not attributes:
            # Changed outside Terraform only where Terraform ignores it (ignore_changes):
            # the planned change comes from the code.
            result.code_changes.append({"address": rc["address"], "actions": actions})
            continue
        result.drifted.append(
            Drifted(
                address=rc["address"],
                type=rc["type"],
                change="deleted" if deleted else "modified",
                repair=actions,
                attributes=attributes,
            )
        )
    return result


def _attributes(drift: dict[str, Any], planned: dict[str, Any]) -> list[Attribute]:
    """Attributes changed outside Terraform that the plan would set back."""
    old, now = drift.get("before") or {}, drift.get("after") or {}
    wanted = planned.get("after") or {}
    unknown = planned.get("after_unknown") or {}
    secret = {**(drift.get("before_sensitive") or {}), **(drift.get("after_sensitive") or {})}
    changed = []
    for name in sorted(set(old) | set(now)):
        if old.get(name) == now.get(name) or unknown.get(name) is True:
            continue
        if name in wanted and wanted.get(name) == now.get(name):
            continue  # drifted, but the plan keeps it (e.g. a computed attribute)
        before, after = old.get(name), now.get(name)
        if isinstance(before, list) and isinstance(after, list):  # rules, blocks: show only what differs
            name = f"{name} (differing items)"
            before, after = (
                [_compact(x) for x in before if x not in after],
                [_compact(x) for x in after if x not in before],
            )
        hidden = _sensitive(secret.get(name.split(" ")[0]))
        changed.append(Attribute(name, REDACTED if hidden else _short(before), REDACTED if hidden else _short(after)))
    return changed


def _compact(item: Any) -> Any:
    return {k: v for k, v in item.items() if v not in ([], "", None, False)} if isinstance(item, dict) else item


def _sensitive(marker: Any) -> bool:
    """Terraform marks sensitive values with `true` at any depth of the *_sensitive trees."""
    if isinstance(marker, dict):
        return any(_sensitive(v) for v in marker.values())
    if isinstance(marker, list):
        return any(_sensitive(v) for v in marker)
    return marker is True


def _short(value: Any) -> Any:
    text = json.dumps(value, sort_keys=True)
    return value if len(text) <= MAX_VALUE else text[:MAX_VALUE] + "..."


def detect(s: Session, args: argparse.Namespace) -> int:
    began = time.monotonic()
    found: dict[str, StackDrift] = {}

    def work(name: str) -> Outcome:
        counts = s.init_and_plan(name, step="drift", lock=False)
        if counts.changes:
            with s.progress.step(name, "show"):
                found[name] = classify(name, s.runner(name).show())
        else:
            found[name] = StackDrift(name)
        d = found[name]
        detail = f"{len(d.drifted)} drifted, {len(d.code_changes)} code change(s)"
        return Outcome(name, Status.DRIFTED if d.drifted else Status.OK, d.counts(), detail=detail)

    outcomes = s.run(work, ordered=False)
    s.progress.close()
    errors = {n: o.detail for n, o in outcomes.items() if o.status == Status.FAILED}
    report = {
        "target": s.target.name,
        "seconds": round(time.monotonic() - began, 1),
        "synth": s.synth.to_json(),
        "drifted": any(d.drifted for d in found.values()),
        "errors": errors,
        "skipped": s.skipped,
        "stacks": {n: {**asdict(d), "steps": outcomes[n].steps_json()} for n, d in found.items()},
    }
    total = Counts.total(d.counts() for d in found.values())
    if args.report:  # its folder can be made: checked while parsing (config.arguments.output_file)
        args.report.parent.mkdir(parents=True, exist_ok=True)
        args.report.write_text(json.dumps(report, indent=2, default=str) + "\n")
    if args.gitlab_report:
        args.gitlab_report.parent.mkdir(parents=True, exist_ok=True)
        args.gitlab_report.write_text(json.dumps(total.as_report()))
    if args.json:
        json.dump(report, sys.stdout, indent=2, default=str)
        sys.stdout.write("\n")
    else:
        _print(found, errors, s.skipped)
    if errors:
        return 1
    return 2 if report["drifted"] else 0


def _print(found: dict[str, StackDrift], errors: dict[str, str], skipped: dict[str, str]) -> None:
    for name, d in found.items():
        if not d.drifted:
            print(
                f"{name}: no drift"
                + (f" ({len(d.code_changes)} pending code change(s), not drift)" if d.code_changes else "")
            )
        for item in d.drifted:
            print(f"{name}: DRIFT {item.address} {item.change} outside Terraform (repair: {'/'.join(item.repair)})")
            for attr in item.attributes:
                print(
                    f"    {attr.name}: {json.dumps(attr.before, default=str)} -> {json.dumps(attr.after, default=str)}"
                )
        for change in d.code_changes:
            print(f"{name}: code change (not drift) {change['address']} {'/'.join(change['actions'])}")
    for name, error in errors.items():
        print(f"{name}: ERROR {error}")
    for name, reason in skipped.items():
        print(f"{name}: skipped ({reason})")
