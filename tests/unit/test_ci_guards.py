"""The CI guards on real git repositories: the latest-commit check of deploy:production, the full clone
that `plan --changed-since` needs, and the aws target leaving the gitlab stack out without a GitLab token."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from ci import latest_commit
from orchestrator.targets import AwsTarget

ROOT = Path(__file__).resolve().parents[2]
GIT = ["git", "-c", "user.email=ci@example.com", "-c", "user.name=ci", "-c", "protocol.file.allow=always"]


def git(cwd: Path, *args: str) -> str:
    return subprocess.run([*GIT, *args], cwd=cwd, capture_output=True, text=True, check=True).stdout.strip()


@pytest.fixture
def origin(tmp_path: Path) -> tuple[Path, list[str]]:
    """A repository whose main has three commits; returns it and the commits, oldest first."""
    repo = tmp_path / "origin"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    commits = []
    for n in range(3):
        (repo / "f").write_text(str(n))
        git(repo, "add", "f")
        git(repo, "commit", "-qm", f"c{n}")
        commits.append(git(repo, "rev-parse", "HEAD"))
    return repo, commits


def ci_env(origin: Path, sha: str) -> dict[str, str]:
    return {"CI_REPOSITORY_URL": str(origin), "CI_DEFAULT_BRANCH": "main", "CI_COMMIT_SHA": sha}


def test_production_refuses_a_commit_main_has_moved_past_naming_both(origin, capsys):
    repo, commits = origin
    assert latest_commit.main(ci_env(repo, commits[1])) == 1
    err = capsys.readouterr().err
    assert f"this pipeline's commit {commits[1]} is not the latest on main (main is at {commits[2]})" in err


def test_the_latest_commit_passes(origin, capsys):
    repo, commits = origin
    assert latest_commit.main(ci_env(repo, commits[2])) == 0
    assert f"{commits[2]} is the latest on main" in capsys.readouterr().out


def test_an_unreachable_repository_refuses(tmp_path: Path, capsys):
    assert latest_commit.main(ci_env(tmp_path / "missing", "a" * 40)) == 1
    assert "cannot tell where main is" in capsys.readouterr().err


def full_clone(clone: Path, base: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(ROOT / "ci" / "full_clone.sh"), base],
        cwd=clone,
        capture_output=True,
        text=True,
        timeout=60,
        env={
            "PATH": "/usr/bin:/bin",
            "GIT_CONFIG_COUNT": "1",
            "GIT_CONFIG_KEY_0": "protocol.file.allow",
            "GIT_CONFIG_VALUE_0": "always",
            "HOME": str(clone.parent),
        },
    )


def test_a_shallow_checkout_is_deepened_until_the_base_is_there(origin, tmp_path: Path):
    repo, commits = origin
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{repo}", str(clone))
    assert git(clone, "rev-parse", "--is-shallow-repository") == "true"
    result = full_clone(clone, commits[0])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "shallow checkout: fetching the whole history" in result.stdout
    assert git(clone, "rev-parse", "--is-shallow-repository") == "false"
    assert git(clone, "cat-file", "-t", commits[0]) == "commit"


def test_a_base_that_cannot_be_had_fails_naming_it(origin, tmp_path: Path):
    repo, _ = origin
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", f"file://{repo}", str(clone))
    result = full_clone(clone, "b" * 40)
    assert result.returncode == 1
    assert f"the base commit {'b' * 40} is not in the clone" in result.stderr


def test_the_aws_target_runs_the_gitlab_stack_only_with_a_gitlab_token(project, monkeypatch):
    target = AwsTarget(project)
    monkeypatch.delenv("GITLAB_TOKEN", raising=False)
    reason = target.deployable(("gitlab",))
    assert reason == "needs GITLAB_TOKEN for the gitlab provider, and this environment has none"
    assert target.deployable(("aws",)) is None
    monkeypatch.setenv("GITLAB_TOKEN", "glpat-x")
    assert target.deployable(("gitlab",)) is None
