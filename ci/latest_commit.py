"""Refuse to deploy a commit that the default branch has moved past.

    python3 -m ci.latest_commit

deploy:production is a manual job: played late, an older pipeline's job would put an older
commit in production after a newer one went to staging. This asks the repository itself where
the default branch is now (`git ls-remote CI_REPOSITORY_URL`, whose job token lets the job read
its own project: no API token needed) and exits 1, naming both commits, unless that is
CI_COMMIT_SHA. Exit 0 when it is the latest.
"""

from __future__ import annotations

import os
import subprocess
import sys

TIMEOUT = 60


def head_of(repository: str, branch: str) -> str:
    """The commit `branch` points to in `repository` now."""
    result = subprocess.run(
        ["git", "ls-remote", "--exit-code", repository, f"refs/heads/{branch}"],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    if result.returncode != 0:
        raise RuntimeError(f"git ls-remote of {branch} failed (exit {result.returncode}): {result.stderr.strip()}")
    return result.stdout.split()[0]


def main(env: dict[str, str] | None = None) -> int:
    env = dict(os.environ if env is None else env)
    missing = [k for k in ("CI_REPOSITORY_URL", "CI_DEFAULT_BRANCH", "CI_COMMIT_SHA") if not env.get(k)]
    if missing:
        print(f"latest-commit: error: {', '.join(missing)} unset (GitLab sets them in every job)", file=sys.stderr)
        return 1
    branch, mine = env["CI_DEFAULT_BRANCH"], env["CI_COMMIT_SHA"]
    try:
        latest = head_of(env["CI_REPOSITORY_URL"], branch)
    except (RuntimeError, subprocess.TimeoutExpired) as exc:
        print(f"latest-commit: error: cannot tell where {branch} is: {exc}; refusing", file=sys.stderr)
        return 1
    if latest != mine:
        print(
            f"latest-commit: refusing: this pipeline's commit {mine} is not the latest on {branch} "
            f"({branch} is at {latest}); deploy from that commit's pipeline",
            file=sys.stderr,
        )
        return 1
    print(f"latest-commit: {mine} is the latest on {branch}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
