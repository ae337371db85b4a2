"""ci/mr_note.py against a loopback stub of GitLab's API: one note, updated in place, never a red pipeline."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ci import mr_note
from orchestrator.plans.summary import MARKER
from tests.gitlab_stub import PROJECT, GitLabStub, Token, serving

NOTES = "/api/v4/projects/acme%2Fplatform%2Facme-web/merge_requests/7/notes"
BOT, NEW_BOT = 100, 101


@pytest.fixture
def gitlab() -> Iterator[GitLabStub]:
    stub = GitLabStub(
        tokens={"glpat-test": Token(BOT), "glpat-new": Token(NEW_BOT), "glpat-readonly": Token(102, writes=False)},
        notes=[{"id": 1, "body": "LGTM", "author": {"id": 5}}, {"id": 2, "body": "a question", "author": {"id": 6}}],
    )
    with serving(stub):
        yield stub


def env(gitlab: GitLabStub, token: str = "glpat-test") -> dict[str, str]:
    return {
        "CI_API_V4_URL": gitlab.api,
        "CI_PROJECT_ID": PROJECT,
        "CI_MERGE_REQUEST_IID": "7",
        "PLAN_NOTE_TOKEN": token,
    }


def summary(tmp_path: Path, text: str) -> str:
    path = tmp_path / "plan-summary.md"
    path.write_text(f"{MARKER}\n{text}\n")
    return str(path)


def ours(gitlab: GitLabStub) -> list[dict]:
    return [n for n in gitlab.notes if n["body"].startswith(MARKER)]


def test_first_push_creates_the_note_and_later_pushes_update_it(gitlab: GitLabStub, tmp_path: Path, capsys):
    gitlab.notes.append({"id": 3, "body": "unrelated", "author": {"id": 7}})  # three notes: the search pages
    assert mr_note.main([summary(tmp_path, "staging +1")], env(gitlab)) == 0
    assert "created note 4 on !7" in capsys.readouterr().out
    assert mr_note.main([summary(tmp_path, "staging +2")], env(gitlab)) == 0
    assert "updated note 4 on !7" in capsys.readouterr().out
    assert len(ours(gitlab)) == 1 and ours(gitlab)[0]["body"].endswith("staging +2\n")
    assert f"{NOTES}/4" in gitlab.writes("PUT") and len(gitlab.writes("POST")) == 1


def test_a_recreated_token_leaves_the_old_bots_note_alone_and_posts_its_own(gitlab: GitLabStub, tmp_path: Path, capsys):
    assert mr_note.main([summary(tmp_path, "old")], env(gitlab)) == 0
    assert mr_note.main([summary(tmp_path, "new")], env(gitlab, token="glpat-new")) == 0
    assert "created note 4 on !7" in capsys.readouterr().out
    assert gitlab.writes("PUT") == []  # no PUT on another user's note (GitLab would answer 403)
    assert [(n["author"]["id"], n["body"].split("\n")[1]) for n in ours(gitlab)] == [(BOT, "old"), (NEW_BOT, "new")]
    assert mr_note.main([summary(tmp_path, "newer")], env(gitlab, token="glpat-new")) == 0
    assert ours(gitlab)[1]["body"].endswith("newer\n") and ours(gitlab)[0]["body"].endswith("old\n")


def test_without_a_token_the_summary_stays_an_artifact(gitlab: GitLabStub, tmp_path: Path, capsys):
    assert mr_note.main([summary(tmp_path, "x")], {**env(gitlab), "PLAN_NOTE_TOKEN": ""}) == 0
    assert "no PLAN_NOTE_TOKEN" in capsys.readouterr().out and gitlab.calls == []


@pytest.mark.parametrize(("token", "status"), [("glpat-expired", 401), ("glpat-readonly", 403)])
def test_a_refused_token_is_a_warning_not_a_failed_pipeline(
    gitlab: GitLabStub, tmp_path: Path, capsys, token: str, status: int
):
    assert mr_note.main([summary(tmp_path, "x")], env(gitlab, token=token)) == 0
    err = capsys.readouterr().err
    assert "mr-note: warning: GitLab refused PLAN_NOTE_TOKEN" in err and f"HTTP {status}" in err
    assert "the summary stays the job's artifact" in err and ours(gitlab) == []


def test_another_failure_exits_1_for_the_jobs_allow_failure(tmp_path: Path, capsys):
    with serving(GitLabStub()) as stub:
        unreachable = {"CI_API_V4_URL": stub.api + "/nowhere", "CI_PROJECT_ID": PROJECT, "CI_MERGE_REQUEST_IID": "7"}
    assert mr_note.main([summary(tmp_path, "x")], {**unreachable, "PLAN_NOTE_TOKEN": "t"}) == 1
    assert "mr-note: error:" in capsys.readouterr().err


def test_outside_a_merge_request_pipeline_nothing_is_posted(tmp_path: Path, capsys):
    assert mr_note.main([summary(tmp_path, "x")], {"PLAN_NOTE_TOKEN": "t"}) == 2
    assert "CI_MERGE_REQUEST_IID" in capsys.readouterr().err
