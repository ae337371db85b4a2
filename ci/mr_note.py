"""Post the plan summary on the merge request as one note, updated in place on every push.

    python ci/mr_note.py plan-summary.md

The only code in the project that talks to GitLab's API. It finds its own earlier note by the
summary's first line (orchestrator/plans/summary.py MARKER) and edits it (PUT), else creates one
(POST), so a merge request carries one plan note however often it is pushed. The token is
PLAN_NOTE_TOKEN, a project access token the gitlab stack creates (Reporter, `api`, rotated,
masked); without it the summary stays the job's artifact and the job says so, exit 0.
Uses CI_API_V4_URL, CI_PROJECT_ID and CI_MERGE_REQUEST_IID, which GitLab sets in MR pipelines.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

TOKEN = "PLAN_NOTE_TOKEN"
PER_PAGE = 100


class GitLabError(RuntimeError):
    pass


class Notes:
    """A merge request's notes (GitLab REST API v4)."""

    def __init__(self, api: str, project: str, merge_request: str, token: str):
        quoted = urllib.parse.quote(project, safe="")
        self.base = f"{api.rstrip('/')}/projects/{quoted}/merge_requests/{merge_request}/notes"
        self.token = token

    def find(self, marker: str) -> int | None:
        page: str | None = "1"
        while page:
            notes, headers = self._call("GET", f"{self.base}?per_page={PER_PAGE}&page={page}&sort=asc")
            for note in notes:
                if str(note.get("body", "")).startswith(marker):
                    return int(note["id"])
            page = headers.get("X-Next-Page") or None
        return None

    def upsert(self, body: str, marker: str) -> tuple[str, int]:
        """('updated' | 'created', note id)."""
        existing = self.find(marker)
        if existing is not None:
            self._call("PUT", f"{self.base}/{existing}", {"body": body})
            return "updated", existing
        created, _ = self._call("POST", self.base, {"body": body})
        return "created", int(created["id"])

    def _call(self, method: str, url: str, payload: dict[str, Any] | None = None) -> tuple[Any, dict[str, str]]:
        data = json.dumps(payload).encode() if payload is not None else None
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("PRIVATE-TOKEN", self.token)
        request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.loads(response.read() or b"null"), dict(response.headers)
        except urllib.error.HTTPError as exc:
            raise GitLabError(f"{method} {url}: HTTP {exc.code} {exc.read()[:300]!r}") from exc


def main(argv: list[str], env: dict[str, str] | None = None) -> int:
    env = dict(os.environ if env is None else env)
    if len(argv) != 1:
        print("usage: python ci/mr_note.py SUMMARY.md", file=sys.stderr)
        return 2
    body = Path(argv[0]).read_text()
    marker = body.splitlines()[0] if body else ""
    if not env.get(TOKEN):
        print(f"mr-note: no {TOKEN} in this pipeline: the summary stays the job's artifact ({argv[0]})")
        return 0
    missing = [k for k in ("CI_API_V4_URL", "CI_PROJECT_ID", "CI_MERGE_REQUEST_IID") if not env.get(k)]
    if missing:
        print(f"mr-note: not a merge request pipeline ({', '.join(missing)} unset): nothing posted", file=sys.stderr)
        return 2
    notes = Notes(env["CI_API_V4_URL"], env["CI_PROJECT_ID"], env["CI_MERGE_REQUEST_IID"], env[TOKEN])
    try:
        how, note = notes.upsert(body, marker)
    except (GitLabError, urllib.error.URLError) as exc:
        print(f"mr-note: error: {exc}", file=sys.stderr)
        return 1
    print(f"mr-note: {how} note {note} on !{env['CI_MERGE_REQUEST_IID']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
