"""synthesis.refs: a commit's tree exported once and synthesized by its own code; `cost --against`.

A `git clone --shared` of this repository (its committed HEAD) gets one more commit: two
staging tasks in the YAML and, in modules/, an ECR lifecycle that keeps 50 images instead
of 100, which only that commit's own code can know about.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

import cost.cli
from cost.__main__ import main
from cost.diff import diff
from cost.estimate import estimate
from cost.resources import load_stacks
from synthesis.refs import CACHE, RefError, materialize, resolve, synthesize_ref, unchanged_stacks

ROOT = Path(__file__).resolve().parents[2]
THREE = "service.desired_count 1 -> 2, service.min_count 1 -> 2, service.max_count 1 -> 2"


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=test", "-c", "user.email=test@example.com", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    clone = tmp_path_factory.mktemp("refs") / "repo"
    subprocess.run(["git", "clone", "--quiet", "--shared", str(ROOT), str(clone)], check=True)
    staging = clone / "environments" / "staging.yaml"
    data = yaml.safe_load(staging.read_text())
    data["service"].update(desired_count=2, min_count=2, max_count=2)
    staging.write_text(yaml.safe_dump(data))
    pipeline = clone / "modules" / "pipeline.py"
    code = pipeline.read_text()
    assert "images_kept: int = 100" in code
    pipeline.write_text(code.replace("images_kept: int = 100", "images_kept: int = 50"))
    git(clone, "commit", "--quiet", "--no-verify", "-am", "two staging tasks; keep 50 images")
    return clone


def test_a_ref_is_exported_once_per_commit(repo: Path):
    commit, tree = materialize("HEAD~1", repo)
    assert commit == git(repo, "rev-parse", "HEAD~1") == resolve("HEAD~1", repo)
    assert tree == repo / CACHE / commit
    assert "max_count: 1" in (tree / "environments" / "staging.yaml").read_text()  # the ref's file, not HEAD's
    (tree / "sentinel").write_text("kept")
    assert materialize(commit, repo) == (commit, tree) and (tree / "sentinel").is_file()  # reused, not re-exported
    assert git(repo, "status", "--porcelain") == ""  # neither index nor work tree touched


def test_an_unknown_ref_is_a_clear_error(repo: Path):
    with pytest.raises(RefError, match=r"unknown git ref 'no-such-branch' .*git fetch origin no-such-branch"):
        resolve("no-such-branch", repo)


def test_each_ref_synthesizes_with_its_own_code_and_yaml(repo: Path):
    before_project, before_dir = synthesize_ref("HEAD~1", repo)
    after_project, after_dir = synthesize_ref("HEAD", repo)
    assert before_dir.is_relative_to(repo / CACHE) and after_dir.is_relative_to(repo / CACHE)
    assert (
        before_project.environment("staging").service.desired_count,
        after_project.environment("staging").service.desired_count,
    ) == (1, 2)

    def release(outdir: Path) -> str:
        return str(load_stacks(outdir)["release"]["resource"]["aws_ecr_lifecycle_policy"])

    assert "Keep the last 100 images" in release(before_dir) and "Keep the last 50 images" in release(after_dir)

    change = diff(estimate(load_stacks(before_dir), before_project), estimate(load_stacks(after_dir), after_project))
    lines = change.lines()
    assert lines[0] == f"staging +$13.33/mo ({THREE})"  # test_cost.py's hand calculation
    assert lines[1] == "release -$0.75/mo"  # 50 images fewer × 0.15 GB × $0.10: the ref's modules/ at work
    assert [c.name for c in change.changes] == ["staging", "release"]


def test_cost_against_a_ref_writes_the_merge_request_section(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
):
    """The checkout (this code, the clone's YAML) against HEAD~1 (its own code and YAML)."""
    monkeypatch.setattr(cost.cli, "ROOT", repo)
    monkeypatch.setenv("CDKTF_OUTDIR", str(tmp_path / "cdktf.out"))
    md = tmp_path / "cost.md"
    assert main(["--environments", str(repo / "environments"), "--against", "HEAD~1", "--markdown", str(md)]) == 0
    out = capsys.readouterr().out
    short = git(repo, "rev-parse", "HEAD~1")[:12]
    assert f"change against HEAD~1 ({short}):\n  staging +$13.33/mo ({THREE})\n" in out
    section = md.read_text()
    assert section.startswith(f"#### Monthly AWS cost: this branch against HEAD~1 ({short})\n")
    assert f"- staging +$13.33/mo ({THREE})\n" in section

    assert main(["--environments", str(repo / "environments"), "--against", "HEAD", "--json"]) == 0
    against = json.loads(capsys.readouterr().out)["against"]
    assert "staging" not in against["stacks"]  # the same YAML on both sides


def test_only_the_stacks_whose_synthesis_changed_are_planned(repo: Path):
    """What `plan --changed-since` leaves out: the YAML change touched staging, the modules change the release."""
    _, before_dir = synthesize_ref("HEAD~1", repo)
    _, after_dir = synthesize_ref("HEAD", repo)
    names = ["staging", "production", "release", "gitlab", "qa"]
    assert unchanged_stacks(names, after_dir, before_dir) == ["production", "gitlab"]  # qa: not at HEAD~1
