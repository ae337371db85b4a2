"""CodeBuild as a CodePipeline action runs it: the project's buildspec, phase by phase, in a work dir.

What is as on AWS (CodeBuild user guide, "Build specification reference" and "Environment variables in
build environments"): the input artifact unpacked as CODEBUILD_SRC_DIR; one shell for the whole build,
so exported variables carry over; the phases install, pre_build, build, post_build in order; a failing
command fails its phase, and with ``on-failure: ABORT`` the build stops there; CODEBUILD_BUILD_SUCCEEDING
is 1 until a command fails; the project's environment variables, then the action's; the credentials of
the project's service role; the output artifact is ``artifacts.files`` under ``base-directory``.

What differs: the build runs on this machine, not in the project's image: `runtime-versions` are not
installed (the emulator's Python runs), `python` is a virtual environment that sees the emulator's
packages (so `pip install -r` of what is already installed needs no network), and `docker` is
docker_shim.py (no container engine here).
"""

from __future__ import annotations

import io
import os
import shlex
import subprocess
import sys
import venv
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

PHASES = ("install", "pre_build", "build", "post_build")
SHIM = Path(__file__).with_name("docker_shim.py")


class BuildFailed(Exception):
    """The build failed: the message names the phase and the command, the log's tail follows."""


@dataclass(frozen=True)
class Build:
    work: Path
    log: Path
    artifact: bytes | None


def _python(work: Path) -> Path:
    """A venv whose `python -m pip` sees the emulator's packages (a .pth), installing into the venv."""
    env_dir = work / ".python"
    venv.EnvBuilder(with_pip=False, symlinks=True).create(env_dir)
    site = next((env_dir / "lib").glob("python3*/site-packages"))
    ours = [p for p in sys.path if p.endswith("site-packages")]
    (site / "emulator-packages.pth").write_text("\n".join(ours) + "\n")
    return env_dir / "bin"


def _script(spec: dict[str, Any]) -> str:
    """One bash script: each command checked, the phase's on-failure honoured."""
    lines = ["export CODEBUILD_BUILD_SUCCEEDING=1"]
    env = spec.get("env") or {}
    for name, value in (env.get("variables") or {}).items():
        lines.append(f"export {name}={shlex.quote(str(value))}")
    phases = spec.get("phases") or {}
    for phase in PHASES:
        body = phases.get(phase) or {}
        abort = str(body.get("on-failure", "ABORT")).upper() == "ABORT"
        lines.append(f"echo '[Container] Entering phase {phase.upper()}'")
        for i, command in enumerate(body.get("commands") or []):
            label = shlex.quote(f"{phase} command {i + 1}: {str(command).strip().splitlines()[0][:120]}")
            lines += [
                f"echo '[Container] Running command' {label}",
                str(command).rstrip("\n"),
                "__rc=$?",
                "if [ $__rc -ne 0 ]; then",
                f"  echo '[Container] Command did not exit successfully' {label} \"exit status $__rc\"",
                "  export CODEBUILD_BUILD_SUCCEEDING=0",
                f'  echo {label} > "$__FAILED"',
                "  exit 1" if abort else "  :",
                "fi",
            ]
        lines.append(f"echo '[Container] Phase complete: {phase.upper()}'")
    lines.append('[ "$CODEBUILD_BUILD_SUCCEEDING" = 1 ] || exit 1')
    return "\n".join(lines) + "\n"


def run(
    work: Path,
    source: bytes,
    buildspec: str,
    variables: dict[str, str],
    credentials: dict[str, str],
    images: Path,
    timeout: float,
) -> Build:
    """Run `buildspec` (a path in the source, or inline YAML) on `source` (a zip); BuildFailed on failure."""
    src = work / "src"
    src.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(io.BytesIO(source)) as archive:
        archive.extractall(src)
    spec_file = src / buildspec
    spec = yaml.safe_load(spec_file.read_text() if "\n" not in buildspec and spec_file.is_file() else buildspec)
    bin_dir = _python(work)
    (bin_dir / "docker").write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} {shlex.quote(str(SHIM))} "$@"\n')
    (bin_dir / "docker").chmod(0o755)
    script = work / "buildspec.sh"
    script.write_text(_script(spec))
    failed, log = work / "failed", work / "build.log"
    images.mkdir(parents=True, exist_ok=True)
    env = {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
        "HOME": str(work),
        "LANG": "C.UTF-8",
        "CODEBUILD_SRC_DIR": str(src),
        "ENGINE_IMAGES": str(images),
        "__FAILED": str(failed),
        **variables,
        **credentials,
    }
    with open(log, "wb") as out:
        try:
            done = subprocess.run(
                ["bash", str(script)], cwd=src, env=env, stdout=out, stderr=subprocess.STDOUT, timeout=timeout
            )
        except subprocess.TimeoutExpired as exc:
            raise BuildFailed(f"build timed out after {timeout:g}s") from exc
    if done.returncode != 0:
        what = failed.read_text().strip() if failed.exists() else f"exit status {done.returncode}"
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-6:])
        raise BuildFailed(f"COMMAND_EXECUTION_ERROR: {what}\n{tail}")
    artifacts = spec.get("artifacts") or {}
    if not artifacts:
        return Build(work, log, None)
    base = src / str(artifacts.get("base-directory", "."))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(base.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(base).as_posix())
    return Build(work, log, buffer.getvalue())
