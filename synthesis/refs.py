"""Another commit's stacks, synthesized by that commit's own code: what `cost --against REF` compares.

The ref's tree is exported (`git archive`, so neither the index nor the work tree is
touched) into `.cache/refs/<commit>/`, once per commit: a commit never changes. It is then
synthesized there with its own config/, modules/ and stacks/ (the synth child runs in that
tree) into its own cdktf.out, cached like the checkout's. Only the newest KEEP trees stay.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

from config import load_project
from config.schema import Project
from synthesis.synth import ROOT, synthesize

CACHE = Path(".cache") / "refs"
COMPLETE = ".exported"
KEEP = 8


class RefError(Exception):
    """The ref cannot be exported (unknown ref, git failed); `str()` says what to do."""


def resolve(ref: str, root: Path = ROOT) -> str:
    """The commit a ref names (branch, tag, sha, `HEAD~1`, `origin/main`). `--end-of-options`: a ref
    that starts with `-` is a name to look up, never an option of git's."""
    try:
        done = _git(root, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")
    except OSError as exc:
        raise RefError(f"cannot run git to resolve {ref!r}: {exc}") from exc
    if done.returncode != 0:
        raise RefError(f"unknown git ref {ref!r} in {root} (in CI, fetch it first: git fetch origin {ref})")
    return done.stdout.decode().strip()


def materialize(ref: str, root: Path = ROOT) -> tuple[str, Path]:
    """(commit, directory holding the ref's tree); reused when that commit was exported before."""
    commit = resolve(ref, root)
    cache = root / CACHE
    tree = cache / commit
    if (tree / COMPLETE).is_file():
        os.utime(tree)  # the newest trees are the ones kept
        return commit, tree
    cache.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{commit[:12]}-", dir=cache))
    try:
        archive = _git(root, "archive", "--format=tar", commit)
        if archive.returncode != 0:
            raise RefError(f"git archive {commit} failed: {archive.stderr.decode().strip()}")
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            tar.extractall(staging, filter="data")
        (staging / COMPLETE).write_text(f"{ref}\n")
        try:
            staging.rename(tree)
        except OSError:
            if not (tree / COMPLETE).is_file():  # not a concurrent export of the same commit
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    _prune(cache, keep=tree)
    return commit, tree


def synthesize_ref(ref: str, root: Path = ROOT, environments_dir: Path | None = None) -> tuple[Project, Path]:
    """(the ref's project, its synthesized outdir). `environments_dir` inside root maps to the
    same place in the ref's tree; outside it (generated environments) it is used as it is."""
    _, tree = materialize(ref, root)
    env_dir = tree / "environments"
    if environments_dir is not None:
        given = Path(environments_dir).resolve()
        env_dir = tree / given.relative_to(root.resolve()) if given.is_relative_to(root.resolve()) else given
    result = synthesize(tree, outdir=tree / "cdktf.out", environments_dir=env_dir, own_code=True)
    return load_project(tree, env_dir), result.outdir


def _prune(cache: Path, keep: Path) -> None:
    trees = sorted((p for p in cache.iterdir() if (p / COMPLETE).is_file()), key=lambda p: p.stat().st_mtime)
    for old in trees[:-KEEP]:
        if old != keep:
            shutil.rmtree(old, ignore_errors=True)


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, stdin=subprocess.DEVNULL)


def unchanged_stacks(names: list[str], outdir: Path, ref_outdir: Path) -> list[str]:
    """The stacks whose synthesized JSON is the same in both outdirs (cdktf's `//` metadata aside):
    a merge request that leaves a stack's JSON as it was cannot change what its plan does."""

    def config(root: Path, name: str) -> object:
        path = root / "stacks" / name / "cdk.tf.json"
        return _without_metadata(json.loads(path.read_text())) if path.is_file() else None

    return [n for n in names if (found := config(ref_outdir, n)) is not None and found == config(outdir, n)]


def _without_metadata(value: object) -> object:
    if isinstance(value, dict):
        return {k: _without_metadata(v) for k, v in value.items() if k != "//"}
    if isinstance(value, list):
        return [_without_metadata(v) for v in value]
    return value
