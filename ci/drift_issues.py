"""One GitLab issue per drifting stack, from the scheduled drift job's report.

    python3 -m ci.drift_issues drift.json EXIT_STATUS

A drift found by the schedule must be seen by someone, not only mailed to the schedule's owner as
a failed pipeline. For each stack in drift.json: drifted -> open the issue `Drift: <stack>`
(label `drift`) with the report, or update the open one (its description, plus a note, so
watchers are told); checked and clean -> close its open issue; failed to check (the report's
`errors`) -> its issue is left as it is, since nothing is known. EXIT_STATUS is `main.py drift`'s:
2 drift, 1 error (a stack could not be checked: not drift, and said so).

The token is DRIFT_ISSUE_TOKEN, a project access token of its own (Reporter, `api`, protected, so
only main and schedules see it; the gitlab stack creates it). Without it, or when GitLab refuses
it, the job warns and the report stays its artifact. This script always exits 0 (2 on bad usage):
the drift job's status is drift's own.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from ci.gitlab_api import GitLab, GitLabError

TOKEN = "DRIFT_ISSUE_TOKEN"
LABEL = "drift"
MAX_ATTRIBUTES = 20


class Issues:
    """The project's open issues under one label, found by exact title."""

    def __init__(self, gitlab: GitLab, project: str, label: str):
        self.gitlab, self.label = gitlab, label
        self.path = f"{gitlab.project(project)}/issues"

    def find(self, title: str) -> int | None:
        for issue in self.gitlab.pages(f"{self.path}?state=opened&labels={self.label}"):
            if issue.get("title") == title:
                return int(issue["iid"])
        return None

    def report(self, title: str, description: str, note: str) -> tuple[str, int]:
        """Open the issue, or update the open one and add `note`: ('opened' | 'updated', iid)."""
        iid = self.find(title)
        if iid is None:
            created, _ = self.gitlab.call(
                "POST", self.path, {"title": title, "description": description, "labels": self.label}
            )
            return "opened", int(created["iid"])
        self.gitlab.call("PUT", f"{self.path}/{iid}", {"description": description})
        self.gitlab.call("POST", f"{self.path}/{iid}/notes", {"body": note})
        return "updated", iid

    def close(self, title: str, note: str) -> int | None:
        """Close the open issue of that title with `note`; its iid, or None when none is open."""
        iid = self.find(title)
        if iid is not None:
            self.gitlab.call("POST", f"{self.path}/{iid}/notes", {"body": note})
            self.gitlab.call("PUT", f"{self.path}/{iid}", {"state_event": "close"})
        return iid


def title(stack: str) -> str:
    return f"Drift: {stack}"


def describe(stack: str, found: dict[str, Any], pipeline: str) -> str:
    """The issue's description: what drifted and how Terraform would set it back."""
    lines = [
        f"`{stack}` was changed outside Terraform (scheduled drift check, {pipeline}).",
        "",
        "Either apply the stack to put it back, or change the code to keep what the cloud has; "
        "this issue closes itself after the first clean check.",
        "",
    ]
    for item in found["drifted"]:
        lines.append(f"- `{item['address']}` {item['change']} (repair: {'/'.join(item['repair'])})")
        for attr in item.get("attributes", [])[:MAX_ATTRIBUTES]:
            lines.append(f"  - `{attr['name']}`: `{json.dumps(attr['before'])}` -> `{json.dumps(attr['after'])}`")
    return "\n".join(lines) + "\n"


def publish(issues: Issues, report: dict[str, Any], pipeline: str) -> list[str]:
    """Open, update or close each stack's issue; what was done, one line a stack."""
    done = []
    for stack, found in sorted(report.get("stacks", {}).items()):
        if stack in report.get("errors", {}):
            continue
        if found.get("drifted"):
            how, iid = issues.report(title(stack), describe(stack, found, pipeline), f"Still drifting: {pipeline}")
            done.append(f"{stack}: {how} issue #{iid}")
        else:
            closed = issues.close(title(stack), f"No drift any more: {pipeline}")
            if closed is not None:
                done.append(f"{stack}: closed issue #{closed}")
    for stack in sorted(report.get("errors", {})):
        done.append(f"{stack}: not checked (error), its issue left as it is")
    return done


def main(argv: list[str], env: dict[str, str] | None = None) -> int:
    env = dict(os.environ if env is None else env)
    if len(argv) != 2 or argv[1] not in ("0", "1", "2"):
        print("usage: python3 -m ci.drift_issues DRIFT.json EXIT_STATUS(0|1|2)", file=sys.stderr)
        return 2
    status = int(argv[1])
    path = Path(argv[0])
    if status == 1:
        print("drift-issues: drift check error (exit 1): a stack could not be checked; that is not drift")
    elif status == 2:
        print("drift-issues: drift found (exit 2)")
    if not path.is_file():
        print(f"drift-issues: warning: no report at {path} (the drift command failed before writing it)")
        return 0
    report = json.loads(path.read_text())
    if not env.get(TOKEN):
        print(f"drift-issues: warning: no {TOKEN} in this pipeline: no issue opened; the report is the job's artifact")
        return 0
    gitlab = GitLab(env["CI_API_V4_URL"], env[TOKEN])
    issues = Issues(gitlab, env["CI_PROJECT_ID"], LABEL)
    try:
        for line in publish(issues, report, env.get("CI_PIPELINE_URL", "this pipeline")):
            print(f"drift-issues: {line}")
    except GitLabError as exc:
        why = "refused: expired, revoked or too small a role?" if exc.refused else "failed"
        print(f"drift-issues: warning: GitLab {why} ({exc}); the report is the job's artifact")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
