"""Watch the CI's GitLab tokens: an issue weeks before one expires, so the rotation is not forgotten.

    python3 -m ci.token_expiry

The scheduled pipeline runs it. For each token variable (PLAN_NOTE_TOKEN, DRIFT_ISSUE_TOKEN) it
asks GitLab about the token itself (GET personal_access_tokens/self, which answers for project
access tokens too). When one expires within TOKEN_ROTATE_BEFORE_DAYS (the gitlab stack's
rotation window, set by that stack as a project variable) or is refused already, it opens (or
updates) the issue `CI token: <variable>` (label `ci-token`) through DRIFT_ISSUE_TOKEN, naming
the one command that rotates it: applying the gitlab stack inside that window makes the
provider rotate the token and update the variable. Once the token is fresh again the issue is
closed. Always exits 0: a warning, never a red pipeline.
"""

from __future__ import annotations

import datetime
import os
import sys

from ci.drift_issues import TOKEN as ISSUE_TOKEN
from ci.drift_issues import Issues
from ci.gitlab_api import GitLab, GitLabError
from ci.mr_note import TOKEN as NOTE_TOKEN

WATCHED = (NOTE_TOKEN, ISSUE_TOKEN)
WINDOW = "TOKEN_ROTATE_BEFORE_DAYS"
LABEL = "ci-token"
ROTATE = "python main.py deploy gitlab --target aws (a maintainer, with GITLAB_TOKEN set)"


def problem(gitlab: GitLab, window: int, today: datetime.date) -> str | None:
    """Why this token needs rotating now, or None."""
    try:
        token, _ = gitlab.call("GET", "personal_access_tokens/self")
    except GitLabError as exc:
        if exc.refused:
            return f"GitLab refuses it ({exc}): expired or revoked"
        raise
    expires = token.get("expires_at")
    if not expires:
        return None
    left = (datetime.date.fromisoformat(expires) - today).days
    return f"it expires on {expires} ({left} days)" if left <= window else None


def main(env: dict[str, str] | None = None, today: datetime.date | None = None) -> int:
    env = dict(os.environ if env is None else env)
    today = today or datetime.date.today()
    if not env.get(WINDOW, "").isdigit():
        print(f"token-expiry: no {WINDOW} (the gitlab stack sets it with the tokens): nothing to watch")
        return 0
    window = int(env[WINDOW])
    api = env["CI_API_V4_URL"]
    issues = (
        Issues(GitLab(api, env.get(ISSUE_TOKEN, "")), env["CI_PROJECT_ID"], LABEL) if env.get(ISSUE_TOKEN) else None
    )
    for variable in WATCHED:
        if not env.get(variable):
            print(f"token-expiry: warning: no {variable} in this pipeline (the gitlab stack creates it)")
            continue
        title = f"CI token: {variable}"
        try:
            why = problem(GitLab(api, env[variable]), window, today)
            if why is None:
                print(f"token-expiry: {variable} is good for more than {window} days")
                if issues:
                    issues.close(title, f"{variable} is fresh again.")
                continue
            print(f"token-expiry: warning: {variable}: {why}; rotate it: {ROTATE}")
            if issues:
                text = f"`{variable}`: {why}.\n\nRotate it within {window} days of its expiry: `{ROTATE}`.\n"
                how, iid = issues.report(title, text, f"Still: {why}.")
                print(f"token-expiry: {how} issue #{iid}")
        except GitLabError as exc:
            print(f"token-expiry: warning: {variable}: {exc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
