"""ci/mr_note.py against a local stub of GitLab's merge-request notes API: one note, updated in place."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from ci import mr_note
from orchestrator.plans.summary import MARKER

NOTES = "/api/v4/projects/acme%2Fplatform%2Facme-web/merge_requests/7/notes"


class GitLabStub:
    """The notes of one merge request, two per page, behind a PRIVATE-TOKEN check."""

    def __init__(self) -> None:
        self.notes: list[dict[str, Any]] = [{"id": 1, "body": "LGTM"}, {"id": 2, "body": "a question"}]
        self.calls: list[tuple[str, str]] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/api/v4"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def _reply(self, code: int, body: Any, headers: dict[str, str] | None = None) -> None:
                data = json.dumps(body).encode()
                self.send_response(code)
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _checked(self) -> bool:
                stub.calls.append((self.command, self.path))
                if self.headers.get("PRIVATE-TOKEN") != "glpat-test":
                    self._reply(401, {"message": "401 Unauthorized"})
                    return False
                return True

            def do_GET(self) -> None:
                if not self._checked():
                    return
                page = int(parse_qs(urlparse(self.path).query)["page"][0])
                items = stub.notes[(page - 1) * 2 : page * 2]
                more = {"X-Next-Page": str(page + 1)} if len(stub.notes) > page * 2 else {"X-Next-Page": ""}
                self._reply(200, items, more)

            def _body(self) -> dict[str, Any]:
                return json.loads(self.rfile.read(int(self.headers["Content-Length"])))

            def do_POST(self) -> None:
                if self._checked():
                    note = {"id": len(stub.notes) + 1, **self._body()}
                    stub.notes.append(note)
                    self._reply(201, note)

            def do_PUT(self) -> None:
                if self._checked():
                    note = next(n for n in stub.notes if self.path.endswith(f"/notes/{n['id']}"))
                    note.update(self._body())
                    self._reply(200, note)

            def log_message(self, *args: Any) -> None:
                pass

        return Handler


@pytest.fixture
def gitlab() -> Iterator[GitLabStub]:
    stub = GitLabStub()
    thread = threading.Thread(target=stub.server.serve_forever, daemon=True)
    thread.start()
    yield stub
    stub.server.shutdown()


def env(gitlab: GitLabStub, token: str = "glpat-test") -> dict[str, str]:
    return {
        "CI_API_V4_URL": gitlab.api,
        "CI_PROJECT_ID": "acme/platform/acme-web",
        "CI_MERGE_REQUEST_IID": "7",
        "PLAN_NOTE_TOKEN": token,
    }


def summary(tmp_path: Path, text: str) -> str:
    path = tmp_path / "plan-summary.md"
    path.write_text(f"{MARKER}\n{text}\n")
    return str(path)


def test_first_push_creates_the_note_and_later_pushes_update_it(gitlab: GitLabStub, tmp_path: Path, capsys):
    gitlab.notes.append({"id": 3, "body": "unrelated"})  # three notes: the search pages through them
    assert mr_note.main([summary(tmp_path, "staging +1")], env(gitlab)) == 0
    assert "created note 4 on !7" in capsys.readouterr().out
    assert mr_note.main([summary(tmp_path, "staging +2")], env(gitlab)) == 0
    assert "updated note 4 on !7" in capsys.readouterr().out
    ours = [n for n in gitlab.notes if n["body"].startswith(MARKER)]
    assert len(ours) == 1 and ours[0]["body"].endswith("staging +2\n")
    assert ("PUT", f"{NOTES}/4") in gitlab.calls
    assert sum(method == "POST" for method, _ in gitlab.calls) == 1


def test_without_a_token_the_summary_stays_an_artifact(gitlab: GitLabStub, tmp_path: Path, capsys):
    assert mr_note.main([summary(tmp_path, "x")], {**env(gitlab), "PLAN_NOTE_TOKEN": ""}) == 0
    assert "no PLAN_NOTE_TOKEN" in capsys.readouterr().out and gitlab.calls == []


def test_a_rejected_token_fails_the_job_with_gitlabs_answer(gitlab: GitLabStub, tmp_path: Path, capsys):
    assert mr_note.main([summary(tmp_path, "x")], env(gitlab, token="wrong")) == 1
    assert "HTTP 401" in capsys.readouterr().err


def test_outside_a_merge_request_pipeline_nothing_is_posted(tmp_path: Path, capsys):
    assert mr_note.main([summary(tmp_path, "x")], {"PLAN_NOTE_TOKEN": "t"}) == 2
    assert "CI_MERGE_REQUEST_IID" in capsys.readouterr().err
