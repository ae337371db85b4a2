"""The one small GitLab REST API v4 client of the CI helpers (ci/mr_note.py, ci/drift_issues.py, ci/token_expiry.py).

Standard library only: the jobs that use it run `python3` without the project's venv. A refused
token (401: expired, revoked; 403: a role or scope too small, or another bot's note) is told apart
from other failures (`GitLabError.refused`), since the callers turn it into a warning: a token
problem must not block a merge request or hide a drift report.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

PER_PAGE = 100
TIMEOUT = 30
REFUSED = (401, 403)


class GitLabError(RuntimeError):
    """An API call failed; `status` is the HTTP status, 0 when GitLab was not reached."""

    def __init__(self, message: str, status: int = 0):
        super().__init__(message)
        self.status = status

    @property
    def refused(self) -> bool:
        return self.status in REFUSED


class GitLab:
    """Calls under CI_API_V4_URL with a PRIVATE-TOKEN; paths are relative to it (`projects/...`)."""

    def __init__(self, api: str, token: str):
        self.api = api.rstrip("/")
        self.token = token

    @staticmethod
    def project(project: str) -> str:
        """`projects/<id or url-encoded path>`."""
        return f"projects/{urllib.parse.quote(project, safe='')}"

    def call(self, method: str, path: str, payload: dict[str, Any] | None = None) -> tuple[Any, dict[str, str]]:
        """(decoded JSON body, response headers)."""
        url = f"{self.api}/{path}"
        data = json.dumps(payload).encode() if payload is not None else None
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("PRIVATE-TOKEN", self.token)
        request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                return json.loads(response.read() or b"null"), dict(response.headers)
        except urllib.error.HTTPError as exc:
            detail = exc.read()[:300].decode(errors="replace")
            raise GitLabError(f"{method} {path}: HTTP {exc.code} {detail}", exc.code) from exc
        except (urllib.error.URLError, OSError) as exc:
            raise GitLabError(f"{method} {path}: {exc}") from exc

    def pages(self, path: str) -> Iterator[dict[str, Any]]:
        """Every item of a paginated list (X-Next-Page)."""
        page: str | None = "1"
        joiner = "&" if "?" in path else "?"
        while page:
            items, headers = self.call("GET", f"{path}{joiner}per_page={PER_PAGE}&page={page}")
            yield from items
            page = headers.get("X-Next-Page") or None

    def user_id(self) -> int:
        """The id of the token's own user (a project access token's bot user)."""
        user, _ = self.call("GET", "user")
        return int(user["id"])
