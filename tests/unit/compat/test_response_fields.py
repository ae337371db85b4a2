"""docs/emulator.md "Response fields the project reads": every field listed is a member of its call's output
shape in botocore's service model, so the table names real fields of real calls (what each call omits in
practice, beyond the model, is the table's own column, with its source and emulator patch)."""

from __future__ import annotations

import re
from pathlib import Path

import botocore.session
import pytest

ROOT = Path(__file__).resolve().parents[3]
SECTION = "## Response fields the project reads"


def _rows() -> list[tuple[str, list[str], list[str]]]:
    """(service, operations, field paths) of each table row."""
    text = (ROOT / "docs" / "emulator.md").read_text()
    assert SECTION in text
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 5 or cells[0] in ("call", "---"):
            continue
        service, operations = cells[0].split(" ", 1)
        rows.append((service, [o.strip() for o in operations.split(",")], re.findall(r"`([^`]+)`", cells[1])))
    return rows


def _has(shape, path: str) -> bool:
    for part in path.split("."):
        while shape.type_name == "list":
            shape = shape.member
        if shape.type_name != "structure" or part not in shape.members:
            return False
        shape = shape.members[part]
    return True


def test_the_table_lists_the_calls_of_the_hook_and_the_release() -> None:
    calls = {(service, op) for service, ops, _ in _rows() for op in ops}
    assert {("codedeploy", "GetDeployment"), ("codedeploy", "GetApplicationRevision")} <= calls
    assert {
        ("ecs", "DescribeTaskDefinition"),
        ("ecs", "DescribeServices"),
        ("ec2", "DescribeNetworkInterfaces"),
    } <= calls


@pytest.mark.parametrize(("service", "operations", "fields"), _rows(), ids=lambda v: str(v)[:40])
def test_each_field_is_in_its_calls_output(service: str, operations: list[str], fields: list[str]) -> None:
    model = botocore.session.get_session().get_service_model(service)
    outputs = [model.operation_model(op).output_shape for op in operations]
    assert fields, f"{service} {operations}: no field listed"
    missing = [f for f in fields if not any(_has(shape, f) for shape in outputs)]
    assert not missing, f"{service} {', '.join(operations)} has no {missing} in botocore's model"
