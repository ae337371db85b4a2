"""Synthesize every stack once per run, and not at all when nothing that affects it changed.

The cdktf provider import costs ~9 s of jsii start-up, so it happens here, in-process,
once, and only on a cache miss. The cache key hashes every input of the synthesis;
output is written to a temporary directory and swapped in, so a failed synth (invalid
config included) never leaves a half-written cdktf.out behind.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from config import load_project

ROOT = Path(__file__).resolve().parent.parent
HASH_FILE = ".inputs-sha256"
INPUT_DIRS = ("config", "modules", "stacks")
INPUT_FILES = ("main.py", "project.yaml", "Pipfile.lock", "cdktf.json")


@dataclass(frozen=True)
class SynthResult:
    outdir: Path
    cached: bool
    digest: str


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


def synthesize(root: Path = ROOT, outdir: Path | None = None, environments_dir: Path | None = None,
               force: bool = False) -> SynthResult:
    """Raises config.ConfigError before anything is written when the config is invalid."""
    outdir = Path(outdir or os.environ.get("CDKTF_OUTDIR") or root / "cdktf.out")
    env_dir = Path(environments_dir or root / "environments")
    outdir.parent.mkdir(parents=True, exist_ok=True)
    with open(outdir.parent / f".{outdir.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # concurrent runs (CI jobs, tests) synthesize one at a time
        digest = inputs_digest(root, env_dir)
        marker = outdir / HASH_FILE
        if not force and marker.is_file() and marker.read_text() == digest and (outdir / "manifest.json").is_file():
            return SynthResult(outdir, cached=True, digest=digest)
        project = load_project(root, env_dir)  # validate before the expensive import
        from stacks.app import build_app  # noqa: PLC0415 - the ~9 s import, paid only on a miss

        staging = Path(tempfile.mkdtemp(prefix=f".{outdir.name}-", dir=outdir.parent))
        try:
            build_app(project, staging).synth()
            (staging / HASH_FILE).write_text(digest)
            if outdir.exists():
                shutil.rmtree(outdir)
            staging.rename(outdir)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return SynthResult(outdir, cached=False, digest=digest)
