"""Synthesize every stack once per run, and not at all when nothing that affects it changed.

The cache key hashes every input of the synthesis. On a miss, the configuration is
validated here (clear errors, nothing run), then one child process synthesizes all
stacks: the jsii runtime (node, ~0.7 GB) is returned when it exits, before Terraform
starts. Output goes to a temporary directory and is swapped in, so a failed synth never
leaves a half-written cdktf.out behind.

    python -m synthesis.synth ROOT OUTDIR ENVIRONMENTS_DIR   # the child
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from config import load_project

ROOT = Path(__file__).resolve().parent.parent
HASH_FILE = ".inputs-sha256"
INPUT_DIRS = ("config", "modules", "stacks", "hooks")  # hooks/: Lambda code packaged at synth
INPUT_FILES = ("main.py", "project.yaml", "Pipfile.lock", "cdktf.json")


class SynthError(Exception):
    """The synthesis itself failed (not the configuration: that is config.ConfigError)."""

    def __init__(self, message: str, output: str = ""):
        super().__init__(message)
        self.output = output
        """The child's whole stderr (its traceback), shown with --verbose."""


@dataclass(frozen=True)
class SynthResult:
    outdir: Path
    cached: bool
    digest: str
    seconds: float = 0.0
    """How long `synthesize` took (the cache check alone when cached)."""

    def to_json(self) -> dict[str, Any]:
        """The `synth` member of the CLI's JSON output."""
        return {"cached": self.cached, "seconds": round(self.seconds, 1)}


def inputs_digest(root: Path, environments_dir: Path) -> str:
    digest = hashlib.sha256()
    files = [root / f for f in INPUT_FILES]
    for d in INPUT_DIRS:
        files += sorted((root / d).rglob("*.py"))
    files += sorted(environments_dir.glob("*.yaml"))
    for path in files:
        if path.is_file():
            digest.update(str(path.relative_to(root) if path.is_relative_to(root) else path).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def synthesize(
    root: Path = ROOT,
    outdir: Path | None = None,
    environments_dir: Path | None = None,
    force: bool = False,
    own_code: bool = False,
) -> SynthResult:
    """Raises config.ConfigError before anything is written when the config is invalid.

    `own_code`: synthesize with root's own config/, modules/ and stacks/ (a git ref's tree:
    synthesis.refs); by default this checkout's code synthesizes root's YAML.
    """
    began = time.monotonic()
    outdir = Path(outdir or os.environ.get("CDKTF_OUTDIR") or root / "cdktf.out")
    env_dir = Path(environments_dir or root / "environments")
    outdir.parent.mkdir(parents=True, exist_ok=True)
    with open(outdir.parent / f".{outdir.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # concurrent runs (CI jobs, tests) synthesize one at a time
        digest = inputs_digest(root, env_dir)
        marker = outdir / HASH_FILE
        if not force and marker.is_file() and marker.read_text() == digest and (outdir / "manifest.json").is_file():
            return SynthResult(outdir, cached=True, digest=digest, seconds=time.monotonic() - began)
        load_project(root, env_dir)  # validate before anything runs: ConfigError names file and field
        staging = Path(tempfile.mkdtemp(prefix=f".{outdir.name}-", dir=outdir.parent))
        try:
            _synthesize_in_child(root, staging, env_dir, root if own_code else ROOT)
            (staging / HASH_FILE).write_text(digest)
            if outdir.exists():
                shutil.rmtree(outdir)
            staging.rename(outdir)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return SynthResult(outdir, cached=False, digest=digest, seconds=time.monotonic() - began)


def _synthesize_in_child(root: Path, outdir: Path, environments_dir: Path, code_root: Path = ROOT) -> None:
    done = subprocess.run(
        [sys.executable, "-m", child_module(code_root), str(root), str(outdir), str(environments_dir)],
        cwd=code_root,  # the child module and the stacks it imports come from here
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1]
        raise SynthError(f"synthesis failed: {last} (--verbose shows the traceback)", done.stderr)


def child_module(code_root: Path) -> str:
    """The synth child in code_root's tree: a ref from before this package existed (a merge
    request's base) still has it as orchestrator/synth.py."""
    return "synthesis.synth" if (code_root / "synthesis" / "synth.py").is_file() else "orchestrator.synth"


def _child(root: Path, outdir: Path, environments_dir: Path) -> None:
    summary = ""
    try:
        from stacks.app import build_app  # the jsii runtime starts here, in the child only

        build_app(load_project(root, environments_dir), outdir).synth()
    except BaseException as exc:  # noqa: BLE001 - reported to the parent, which names it
        traceback.print_exc()
        summary = f"{type(exc).__name__}: {exc}"
    if summary:  # last, after whatever the traceback's release printed: the parent reports this line
        print(summary, file=sys.stderr)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(1 if summary else 0)  # no interpreter teardown (~0.5 s); node exits when its stdin closes


if __name__ == "__main__":
    _child(*map(Path, sys.argv[1:4]))
