"""Reading Terraform's output: plan counts, `-json` lines as text, the lock holder, the errors."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest

from orchestrator.terraform.plan_output import (
    Counts,
    Lock,
    change_summary,
    is_locked,
    last_error,
    lock_message,
    parse_created,
    readable,
)

LOCKED = """
Error: Error acquiring the state lock

Error message: operation error S3: PutObject, StatusCode: 412, PreconditionFailed
Lock Info:
  ID:        5d1c7a0e-1111-2222-3333-444455556666
  Path:      acme-tfstate/acme-web/staging.tfstate
  Operation: OperationTypeApply
  Who:       runner@ci-42
  Version:   1.11.4
  Created:   2026-11-27 10:00:00.000000000 +0000 UTC
"""


def test_change_summary_and_totals():
    summary = {"type": "change_summary", "changes": {"add": 2, "change": 1, "remove": 1}}
    output = "\n".join([json.dumps({"type": "version"}), json.dumps(summary)])
    assert change_summary(output) == Counts(2, 1, 1)
    assert str(Counts(2, 1, 1)) == "+2 ~1 -1" and Counts(2, 1, 1).as_report() == {"create": 2, "update": 1, "delete": 1}
    assert Counts.total([Counts(1, 0, 0), None, Counts(0, 2, 1)]) == Counts(1, 2, 1)
    assert not Counts().changes
    with pytest.raises(ValueError, match="no change_summary"):
        change_summary('{"type": "version"}')


def test_readable_shows_the_message_and_a_diagnostics_detail():
    line = json.dumps({"@message": "Error: boom", "diagnostic": {"detail": "because"}})
    assert readable(line) == "Error: boom\nbecause\n"
    assert readable('{"@message": "Plan: 1 to add"}') == "Plan: 1 to add\n"
    assert readable("plain text\n") == "plain text\n" and readable("[1]") == "[1]"


def test_lock_message_names_the_holder_and_what_to_do():
    assert is_locked(LOCKED) and not is_locked("Error: something else")
    message = lock_message(LOCKED, "staging")
    assert (
        "the state of staging is locked by runner@ci-42 (OperationTypeApply, since 2026-11-27 10:00:00 UTC" in message
    )
    assert re.search(
        r"since 2026-11-27 10:00:00 UTC, \d+h\d\dm old, lock ID 5d1c7a0e-1111-2222-3333-444455556666", message
    )
    assert "`python main.py unlock staging`" in message and "--lock-timeout" in message


@pytest.mark.parametrize(
    "created",
    ["2026-11-27T10:00:00.123456789Z", "2026-11-27 10:00:00.000000000 +0000 UTC", "2026-11-27T11:00:00+01:00"],
)
def test_lock_times_as_terraform_writes_and_prints_them(created: str):
    lock = Lock("staging", "id", "OperationTypeApply", "me@host", parse_created(created))
    assert lock.created == datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
    assert lock.age(datetime(2026, 11, 27, 11, 5, 30, tzinfo=UTC)) == "1h05m old"
    assert lock.age(datetime(2026, 11, 27, 10, 2, 3, tzinfo=UTC)) == "2m03s old"
    assert Lock("staging", "id", "op", "me", parse_created("yesterday")).age() == "of unknown age"


def test_last_error_joins_distinct_errors_else_the_last_line():
    assert last_error("Error: a\nmore\nError: b\nError: a\n") == "a; b"
    assert last_error("\nsome output\nthe end\n") == "the end"
    assert last_error("") == "no output"
