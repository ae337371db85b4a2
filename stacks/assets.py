"""The source of a Lambda's code asset, staged so that its archive is the same bytes on every machine.

cdktf's TerraformAsset (AssetType.ARCHIVE) zips a directory with each file's mode and modification
time, and with whatever else is in it (`__pycache__` after a test run). A checkout's times differ per
clone, so the archive, and the function's `source_code_hash`, would differ on every CI runner: every
plan would update the function. Staging copies only the named modules into the synthesis output,
readable by all (0644), with one fixed time, so the archive changes exactly when the code does.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from cdktf import App
from constructs import Construct

ROOT = Path(__file__).resolve().parent.parent
FIXED_TIME = time.mktime((1980, 1, 2, 0, 0, 0, 0, 0, -1))
"""1980-01-02 00:00 in local time: the zip format stores local times (DOS), from 1980 on, so the
archive holds this same time whatever the machine's time zone."""


def staged_source(scope: Construct, name: str, package: str, modules: list[str], root: Path = ROOT) -> str:
    """Copy `root/package/<module>.py` for each of `modules` into `<outdir>/sources/<name>/`; returns that path."""
    target = Path(App.of(scope).outdir) / "sources" / name
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for module in modules:
        copy = target / f"{module}.py"
        shutil.copyfile(root / package / f"{module}.py", copy)
        copy.chmod(0o644)
        _fix_time(copy)
    _fix_time(target)
    return str(target)


def _fix_time(path: Path) -> None:
    os.utime(path, (FIXED_TIME, FIXED_TIME))
