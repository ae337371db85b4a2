"""Post the plan summary on the merge request as one note, updated in place on every push.

    python3 -m ci.mr_note plan-summary.md

It finds its own earlier note by the summary's first line (orchestrator/plans/summary.py MARKER)
*and* its author (the token's own user, GET /user) and edits it (PUT), else creates one (POST), so
a merge request carries one plan note however often it is pushed. Only notes its own user wrote:
a re-created token is a new bot user, whose PUT on the old bot's note GitLab refuses (403); it
posts a new note instead. The token is PLAN_NOTE_TOKEN (the gitlab stack's project access token).

It never fails the pipeline for a token problem: without the token, or when GitLab refuses it
(401 expired or revoked, 403), it warns and exits 0, and the summary stays the plan job's
artifact. Other failures exit 1 (the job has `allow_failure: true`, so they show as a warning).
Uses CI_API_V4_URL, CI_PROJECT_ID and CI_MERGE_REQUEST_IID, which GitLab sets in MR pipelines.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from ci.gitlab_api import GitLab, GitLabError

TOKEN = "PLAN_NOTE_TOKEN"


class Notes:
    """A merge request's notes, as far as the token's own user wrote them."""

    def __init__(self, gitlab: GitLab, project: str, merge_request: str):
        self.gitlab = gitlab
        self.path = f"{gitlab.project(project)}/merge_requests/{merge_request}/notes"

    def find(self, marker: str, author: int) -> int | None:
        for note in self.gitlab.pages(f"{self.path}?sort=asc"):
            if str(note.get("body", "")).startswith(marker) and (note.get("author") or {}).get("id") == author:
                return int(note["id"])
        return None

    def upsert(self, body: str, marker: str) -> tuple[str, int]:
        """('updated' | 'created', note id)."""
        existing = self.find(marker, self.gitlab.user_id())
        if existing is not None:
            self.gitlab.call("PUT", f"{self.path}/{existing}", {"body": body})
            return "updated", existing
        created, _ = self.gitlab.call("POST", self.path, {"body": body})
        return "created", int(created["id"])


def main(argv: list[str], env: dict[str, str] | None = None) -> int:
    env = dict(os.environ if env is None else env)
    if len(argv) != 1:
        print("usage: python3 -m ci.mr_note SUMMARY.md", file=sys.stderr)
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
    notes = Notes(GitLab(env["CI_API_V4_URL"], env[TOKEN]), env["CI_PROJECT_ID"], env["CI_MERGE_REQUEST_IID"])
    try:
        how, note = notes.upsert(body, marker)
    except GitLabError as exc:
        if exc.refused:
            print(
                f"mr-note: warning: GitLab refused {TOKEN} ({exc}): expired, revoked or re-created? "
                f"Apply the gitlab stack to rotate it; the summary stays the job's artifact ({argv[0]})",
                file=sys.stderr,
            )
            return 0
        print(f"mr-note: error: {exc}", file=sys.stderr)
        return 1
    print(f"mr-note: {how} note {note} on !{env['CI_MERGE_REQUEST_IID']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
