"""ci/drift_issues.py and ci/token_expiry.py against a loopback stub of GitLab's issues API."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ci import drift_issues, token_expiry
from tests.gitlab_stub import PROJECT, GitLabStub, Token, serving

TODAY = datetime.date(2026, 12, 8)


@pytest.fixture
def gitlab() -> Iterator[GitLabStub]:
    stub = GitLabStub(
        tokens={
            "glpat-issues": Token(200),
            "glpat-note": Token(100, expires_at="2026-12-30"),  # 22 days left
            "glpat-readonly": Token(201, writes=False),
        },
        # Two unrelated open issues first: finding "Drift: staging" must page.
        issues=[
            {"iid": 1, "title": "a bug", "state": "opened", "labels": ["bug"], "notes": []},
            {"iid": 2, "title": "Drift: elsewhere", "state": "opened", "labels": ["drift"], "notes": []},
        ],
    )
    with serving(stub):
        yield stub


def env(gitlab: GitLabStub, token: str = "glpat-issues") -> dict[str, str]:
    return {
        "CI_API_V4_URL": gitlab.api,
        "CI_PROJECT_ID": PROJECT,
        "CI_PIPELINE_URL": "https://gitlab.example/p/1",
        "DRIFT_ISSUE_TOKEN": token,
    }


def report(tmp_path: Path, drifted: dict[str, list[dict[str, Any]]], errors: dict[str, str] | None = None) -> str:
    path = tmp_path / "drift.json"
    stacks = {name: {"stack": name, "drifted": items, "code_changes": []} for name, items in drifted.items()}
    path.write_text(json.dumps({"drifted": any(drifted.values()), "errors": errors or {}, "stacks": stacks}))
    return str(path)


LOG_GROUP = {
    "address": "module.app.aws_cloudwatch_log_group.web",
    "type": "aws_cloudwatch_log_group",
    "change": "modified",
    "repair": ["update"],
    "attributes": [{"name": "retention_in_days", "before": 30, "after": 1}],
}


def drift_issues_of(gitlab: GitLabStub, stack: str) -> list[dict[str, Any]]:
    return [i for i in gitlab.issues if i["title"] == f"Drift: {stack}"]


def test_a_drifting_stack_gets_one_issue_updated_on_the_next_run_and_closed_when_clean(
    gitlab: GitLabStub, tmp_path: Path, capsys
):
    drifting = report(tmp_path, {"staging": [LOG_GROUP], "production": []})
    assert drift_issues.main([drifting, "2"], env(gitlab)) == 0
    out = capsys.readouterr().out
    assert "drift found (exit 2)" in out and "staging: opened issue #3" in out
    (issue,) = drift_issues_of(gitlab, "staging")
    assert issue["labels"] == ["drift"] and "retention_in_days" in issue["description"]
    assert "`30` -> `1`" in issue["description"] and "https://gitlab.example/p/1" in issue["description"]
    assert drift_issues_of(gitlab, "production") == []  # clean and never drifted: nothing to say

    assert drift_issues.main([drifting, "2"], env(gitlab)) == 0
    assert "staging: updated issue #3" in capsys.readouterr().out
    assert len(drift_issues_of(gitlab, "staging")) == 1 and issue["notes"] == [
        "Still drifting: https://gitlab.example/p/1"
    ]

    assert drift_issues.main([report(tmp_path, {"staging": [], "production": []}), "0"], env(gitlab)) == 0
    assert "staging: closed issue #3" in capsys.readouterr().out
    assert issue["state"] == "closed" and issue["notes"][-1].startswith("No drift any more")
    assert gitlab.issues[1]["state"] == "opened"  # another stack's issue is not touched


def test_an_error_is_told_apart_from_drift_and_leaves_that_stacks_issue_open(
    gitlab: GitLabStub, tmp_path: Path, capsys
):
    assert drift_issues.main([report(tmp_path, {"staging": [LOG_GROUP]}), "2"], env(gitlab)) == 0
    capsys.readouterr()
    errored = report(tmp_path, {"staging": []}, errors={"staging": "terraform plan failed"})
    assert drift_issues.main([errored, "1"], env(gitlab)) == 0
    out = capsys.readouterr().out
    assert "drift check error (exit 1)" in out and "that is not drift" in out
    assert "staging: not checked (error), its issue left as it is" in out
    assert drift_issues_of(gitlab, "staging")[0]["state"] == "opened"


@pytest.mark.parametrize(("token", "status"), [("glpat-expired", 401), ("glpat-readonly", 403)])
def test_a_refused_token_is_a_warning(gitlab: GitLabStub, tmp_path: Path, capsys, token: str, status: int):
    assert drift_issues.main([report(tmp_path, {"staging": [LOG_GROUP]}), "2"], env(gitlab, token)) == 0
    out = capsys.readouterr().out
    assert "drift-issues: warning: GitLab refused" in out and f"HTTP {status}" in out
    assert drift_issues_of(gitlab, "staging") == []


def test_without_a_token_the_report_stays_the_artifact(gitlab: GitLabStub, tmp_path: Path, capsys):
    assert drift_issues.main([report(tmp_path, {"staging": [LOG_GROUP]}), "2"], env(gitlab, "")) == 0
    assert "no DRIFT_ISSUE_TOKEN" in capsys.readouterr().out and gitlab.calls == []


def test_bad_usage_exits_2(capsys):
    assert drift_issues.main(["drift.json", "3"], {}) == 2
    assert "usage" in capsys.readouterr().err


# --- token expiry ---------------------------------------------------------------------------------


def token_env(gitlab: GitLabStub, note: str, window: str = "30") -> dict[str, str]:
    return {**env(gitlab), "PLAN_NOTE_TOKEN": note, "TOKEN_ROTATE_BEFORE_DAYS": window}


def test_a_token_inside_its_rotation_window_opens_one_issue_naming_the_command(gitlab: GitLabStub, capsys):
    assert token_expiry.main(token_env(gitlab, "glpat-note"), TODAY) == 0
    assert token_expiry.main(token_env(gitlab, "glpat-note"), TODAY) == 0
    out = capsys.readouterr().out
    assert "PLAN_NOTE_TOKEN: it expires on 2026-12-30 (22 days)" in out
    assert "DRIFT_ISSUE_TOKEN is good for more than 30 days" in out
    (issue,) = [i for i in gitlab.issues if i["title"] == "CI token: PLAN_NOTE_TOKEN"]
    assert issue["labels"] == ["ci-token"] and "python main.py deploy gitlab --target aws" in issue["description"]
    assert len(issue["notes"]) == 1  # the second run updated it


def test_a_fresh_token_closes_its_issue_and_an_expired_one_is_reported(gitlab: GitLabStub, capsys):
    assert token_expiry.main(token_env(gitlab, "glpat-note"), TODAY) == 0
    assert token_expiry.main(token_env(gitlab, "glpat-note", window="14"), TODAY) == 0  # 22 days > 14
    (issue,) = [i for i in gitlab.issues if i["title"] == "CI token: PLAN_NOTE_TOKEN"]
    assert issue["state"] == "closed"
    assert token_expiry.main(token_env(gitlab, "glpat-gone"), TODAY) == 0
    assert "GitLab refuses it" in capsys.readouterr().out
    assert [i["state"] for i in gitlab.issues if i["title"] == "CI token: PLAN_NOTE_TOKEN"] == ["closed", "opened"]


def test_without_the_window_variable_nothing_is_watched(capsys):
    assert token_expiry.main({"CI_API_V4_URL": "http://127.0.0.1:9", "CI_PROJECT_ID": PROJECT}, TODAY) == 0
    assert "no TOKEN_ROTATE_BEFORE_DAYS" in capsys.readouterr().out
