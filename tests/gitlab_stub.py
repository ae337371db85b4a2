"""A loopback stand-in for the part of GitLab's REST API v4 that ci/gitlab_api.py's callers use.

Merge-request notes, issues (list by label, create, update, notes), GET /user and GET
personal_access_tokens/self, two items a page (so callers must follow X-Next-Page), behind a
PRIVATE-TOKEN check: an unknown token gets 401 (expired or revoked), a read-only token 403 on
every write, and GitLab's own rule that a user may edit only its own notes is enforced (403).
Shared by tests/unit (mr_note, drift_issues, token_expiry) and tests/integration/test_gitlab_ci.py.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

PROJECT = "acme/platform/acme-web"
PAGE = 2


@dataclass
class Token:
    user: int
    expires_at: str = "2099-01-01"
    writes: bool = True


@dataclass
class GitLabStub:
    tokens: dict[str, Token] = field(default_factory=dict)
    notes: list[dict[str, Any]] = field(default_factory=list)
    """Merge request !7's notes."""
    issues: list[dict[str, Any]] = field(default_factory=list)
    calls: list[tuple[str, str]] = field(default_factory=list)
    port: int = 0

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v4"

    def writes(self, method: str) -> list[str]:
        return [path for m, path in self.calls if m == method]


def _handler(stub: GitLabStub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _reply(self, code: int, body: Any, headers: dict[str, str] | None = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(code)
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _page(self, items: list[dict[str, Any]], query: dict[str, list[str]]) -> None:
            page = int(query.get("page", ["1"])[0])
            more = len(items) > page * PAGE
            self._reply(200, items[(page - 1) * PAGE : page * PAGE], {"X-Next-Page": str(page + 1) if more else ""})

        def _body(self) -> dict[str, Any]:
            length = int(self.headers.get("Content-Length") or 0)
            return json.loads(self.rfile.read(length)) if length else {}

        def _route(self) -> None:
            url = urlparse(self.path)
            stub.calls.append((self.command, url.path))
            token = stub.tokens.get(self.headers.get("PRIVATE-TOKEN", ""))
            if token is None:
                return self._reply(401, {"message": "401 Unauthorized"})
            if self.command != "GET" and not token.writes:
                return self._reply(403, {"message": "403 Forbidden"})
            body = self._body()
            path, query = url.path.removeprefix("/api/v4/"), parse_qs(url.query)
            project = f"projects/{PROJECT.replace('/', '%2F')}"
            if path == "user":
                return self._reply(200, {"id": token.user, "username": f"bot{token.user}"})
            if path == "personal_access_tokens/self":
                return self._reply(200, {"user_id": token.user, "expires_at": token.expires_at, "active": True})
            if path == f"{project}/merge_requests/7/notes":
                if self.command == "GET":
                    return self._page(stub.notes, query)
                note = {"id": len(stub.notes) + 1, "author": {"id": token.user}, **body}
                stub.notes.append(note)
                return self._reply(201, note)
            found = re.fullmatch(rf"{re.escape(project)}/merge_requests/7/notes/(\d+)", path)
            if found and self.command == "PUT":
                note = next(n for n in stub.notes if n["id"] == int(found[1]))
                if note["author"]["id"] != token.user:
                    return self._reply(403, {"message": "403 Forbidden"})
                note.update(body)
                return self._reply(200, note)
            if path == f"{project}/issues":
                if self.command == "GET":
                    state, label = query.get("state", [""])[0], query.get("labels", [""])[0]
                    return self._page([i for i in stub.issues if i["state"] == state and label in i["labels"]], query)
                issue = {"iid": len(stub.issues) + 1, "state": "opened", "notes": [], **body}
                issue["labels"] = body.get("labels", "").split(",")
                stub.issues.append(issue)
                return self._reply(201, issue)
            found = re.fullmatch(rf"{re.escape(project)}/issues/(\d+)(/notes)?", path)
            if found:
                issue = next(i for i in stub.issues if i["iid"] == int(found[1]))
                if found[2]:
                    issue["notes"].append(body["body"])
                    return self._reply(201, {"body": body["body"]})
                if body.pop("state_event", None) == "close":
                    issue["state"] = "closed"
                issue.update(body)
                return self._reply(200, issue)
            return self._reply(404, {"message": "404 Not Found"})

        do_GET = do_POST = do_PUT = _route

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def serving(stub: GitLabStub) -> Iterator[GitLabStub]:
    """Serve `stub` on 127.0.0.1 (a free port) until the block ends."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(stub))
    stub.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield stub
    finally:
        server.shutdown()
        server.server_close()
