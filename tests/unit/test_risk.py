"""orchestrator.plans.risk on plans real Terraform made against the local emulator (tests/unit/fixtures/plans/make.py),
and the merge request's plan summary built from them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orchestrator.executor import Outcome, Status
from orchestrator.plans.risk import RiskKind, changes, classify
from orchestrator.plans.summary import MARKER, render
from orchestrator.terraform.plan_output import Counts

FIXTURES = Path(__file__).parent / "fixtures" / "plans"


def plan(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def kinds(name: str) -> list[tuple[str, str, RiskKind]]:
    return [(r.address, r.action, r.kind) for r in classify(plan(name))]


def test_a_replaced_target_group_is_disruptive_and_says_why():
    (risk,) = classify(plan("replace_target_group"))
    assert (risk.address, risk.action, risk.kind) == ("aws_lb_target_group.web", "replace", RiskKind.DISRUPTIVE)
    assert "register and pass health checks again" in risk.reason and "(port cannot change in place)" in risk.reason


def test_a_deleted_bucket_is_destructive():
    (risk,) = classify(plan("delete_bucket"))
    assert (risk.action, risk.kind) == ("delete", RiskKind.DESTRUCTIVE)
    assert "every object in it" in risk.reason and "no longer in the configuration" in risk.reason


def test_a_widened_policy_is_broadening_and_a_narrowed_one_is_not():
    (risk,) = classify(plan("widen_policy"))
    assert (risk.kind, risk.action) == (RiskKind.BROADENING, "update") and "s3:* on *" in risk.reason
    assert kinds("narrow_policy") == []


def test_an_added_security_group_rule_is_broadening_and_a_removed_one_is_not():
    (risk,) = classify(plan("add_sg_rule"))
    assert risk.kind is RiskKind.BROADENING and risk.reason == "allows: ingress tcp 22 from 0.0.0.0/0"
    assert kinds("remove_sg_rule") == []


def test_a_first_deploy_widens_nothing_that_existed():
    first = plan("add_sg_rule")
    first["prior_state"] = {}
    for change in first["resource_changes"]:
        change["change"]["actions"], change["change"]["before"] = ["create"], None
    assert classify(first) == []


@pytest.fixture
def outcomes() -> dict[str, Outcome]:
    risky, quiet = plan("replace_target_group"), plan("narrow_policy")
    return {
        "staging": Outcome("staging", Status.OK, Counts(0, 1, 0), risks=classify(quiet), resources=changes(quiet)),
        "production": Outcome(
            "production", Status.OK, Counts(1, 0, 1), risks=classify(risky), resources=changes(risky)
        ),
        "release": Outcome("release", Status.OK, Counts()),
    }


def test_the_summary_puts_risky_stacks_and_their_risks_first(outcomes: dict[str, Outcome]):
    text = render(outcomes, {"gitlab": "not on the local target"}, lambda name: f"plan text of {name}")
    assert text.startswith(MARKER + "\n")
    assert "2 stack(s) change (+1 ~1 -1)" in text and "**1 risky change(s)**" in text
    production, staging = text.index("### `production`"), text.index("### `staging`")
    assert production < text.index("**disruptive** replace `aws_lb_target_group.web`") < staging
    assert (
        text.index("**disruptive**")
        < text.index("<details><summary>Changes</summary>")
        < text.index("plan text of production")
    )
    assert "- update `aws_iam_role_policy.logs`" in text
    assert "No changes: `release`." in text and "Not planned: `gitlab` (not on the local target)." in text
    assert "### `release`" not in text  # no noise for stacks without changes
