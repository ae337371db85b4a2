"""checkov over every synthesized stack: no failure that .checkov.yaml does not explain."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHECKOV = os.environ.get("CHECKOV", str(ROOT / ".tools" / "checkov" / "bin" / "checkov"))


def checkov() -> str:
    found = CHECKOV if Path(CHECKOV).is_file() else shutil.which("checkov")
    assert found, f"checkov not found at {CHECKOV}: run `make tools` (the README's test command does)"
    return found


def test_every_skip_has_a_reason():
    lines = [line for line in (ROOT / ".checkov.yaml").read_text().splitlines() if re.match(r"\s*- CKV", line)]
    assert lines
    assert all(re.search(r"#\s*\S", line) for line in lines), "every skipped check needs a reason comment"


def test_no_unexplained_failures(synth_dir: Path):
    env = {**os.environ, "BC_SKIP_MAPPING": "TRUE", "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true", "LOG_LEVEL": "ERROR"}
    result = subprocess.run(
        [checkov(), "--config-file", str(ROOT / ".checkov.yaml"), "-d", str(synth_dir / "stacks"), "-o", "json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    reports = json.loads(result.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    failed = [f"{f['check_id']} {f['resource']}" for r in reports for f in r["results"]["failed_checks"]]
    passed = sum(r["summary"]["passed"] for r in reports)
    skipped = sum(r["summary"]["skipped"] for r in reports)
    print(f"checkov: {passed} passed, {len(failed)} failed, {skipped} skipped")
    assert passed > 100
    assert not failed, failed
