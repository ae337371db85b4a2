"""StackRunner against real Terraform, on stacks of built-in `terraform_data` resources (no provider, local state)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orchestrator.targets import Target
from orchestrator.terraform.plan_output import Counts
from orchestrator.terraform.runner import RunContext, StackRunner, TerraformError
from synthesis.manifest import Stack


def runner(tmp_path: Path, project, resources: dict) -> StackRunner:
    stack_dir = tmp_path / "cdktf.out" / "stacks" / "demo"
    stack_dir.mkdir(parents=True, exist_ok=True)
    backend = {"local": {"path": str(tmp_path / "demo.tfstate")}}  # makes init write .terraform/
    (stack_dir / "cdk.tf.json").write_text(
        json.dumps({"terraform": {"backend": backend}, "resource": {"terraform_data": resources}})
    )
    ctx = RunContext(target=Target(project), log_dir=tmp_path / "logs", cache_dir=tmp_path / "terraform")
    return StackRunner(Stack("demo", stack_dir, (), ()), ctx)


def test_plan_counts_come_from_the_change_summary_replacements_as_add_and_remove(tmp_path: Path, project):
    r = runner(tmp_path, project, {"a": {"input": "1"}, "b": {"triggers_replace": "x"}})
    r.init()
    assert r.plan() == Counts(create=2)
    r.apply()
    assert r.plan() == Counts()
    r = runner(tmp_path, project, {"a": {"input": "2"}, "b": {"triggers_replace": "y"}, "c": {}})
    r.init()
    assert r.plan() == Counts(create=2, update=1, delete=1)  # b is replaced, a updated in place, c created
    assert (
        "terraform_data.b: Plan to replace" in (tmp_path / "logs" / "demo.plan.log").read_text()
    )  # JSON logged as text


def test_init_is_skipped_unless_what_it_reads_changed(tmp_path: Path, project):
    def inits() -> int:
        return (tmp_path / "logs" / "demo.init.log").read_text().count("$ terraform init")

    runner(tmp_path, project, {"a": {"input": "1"}}).init()
    r = runner(tmp_path, project, {"a": {"input": "2"}})  # a resource change: init reads none of it
    r.init()
    assert inits() == 1
    assert json.loads((r.workdir / "cdk.tf.json").read_text())["resource"]["terraform_data"]["a"]["input"] == "2"
    (r.stack.config_file).write_text(
        json.dumps({"terraform": {"backend": {"local": {"path": str(tmp_path / "other")}}}})
    )
    r.init()  # the backend changed
    assert inits() == 2


def test_a_failed_plan_names_the_error_from_the_json_diagnostics(tmp_path: Path, project):
    r = runner(tmp_path, project, {"a": {"input": "${terraform_data.missing.id}"}})
    r.init()
    with pytest.raises(TerraformError, match="demo: plan failed: Reference to undeclared resource"):
        r.plan()
