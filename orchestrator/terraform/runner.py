"""Run Terraform for one stack on one target: init, plan, apply, show, output.

Each stack runs in its own work directory (.cache/terraform/<target>/<stack>) holding a
copy of the synthesized JSON plus the target's override, so cdktf.out stays exactly what
is deployed to AWS. Output goes to a log file per stack and run (and to the terminal with
--verbose). The processes themselves are :mod:`orchestrator.terraform.process`'s.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orchestrator.targets import Target
from orchestrator.terraform import process
from orchestrator.terraform.plan_output import Counts, change_summary, is_locked, last_error, lock_message, readable
from orchestrator.terraform.tfenv import terraform_env
from synthesis.manifest import Stack

ROOT = Path(__file__).resolve().parents[2]
VARIABLES_FILE = "live.tfvars.json"


class TerraformError(Exception):
    interrupted: bool = False
    """True when Ctrl-C stopped the step (or it never started after one): see TerraformInterrupted."""

    def __init__(self, stack: str, step: str, message: str, log: Path | None = None):
        self.stack, self.step, self.log = stack, step, log
        where = f" (log: {log})" if log else ""
        super().__init__(f"{stack}: {step} failed: {message}{where}")


class StateLocked(TerraformError):
    pass


class TerraformInterrupted(TerraformError):
    interrupted = True


@dataclass
class RunContext:
    """What every Terraform call of one CLI run shares."""

    target: Target
    log_dir: Path
    verbose: bool = False
    lock_timeout: str = "0s"
    cache_dir: Path = Path(os.environ.get("DEPLOY_CACHE_DIR", ROOT / ".cache" / "terraform"))
    env: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.env = terraform_env(self.cache_dir, self.target.env())


class StackRunner:
    def __init__(self, stack: Stack, ctx: RunContext):
        self.stack, self.ctx = stack, ctx
        self.workdir = ctx.cache_dir / ctx.target.name / stack.name
        self.plan_file = self.workdir / "plan.tfplan"

    def init(self) -> None:
        """Write the stack's files beside the target's, and `terraform init` only when what init reads changed."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        synthesized = self.stack.config_file.read_text()
        config = json.loads(synthesized)
        files = {"cdk.tf.json": synthesized}
        override = self.ctx.target.override()
        if override:
            files["target_override.tf.json"] = json.dumps(override, indent=2)
        backend = self.ctx.target.backend_config()
        if backend:
            files["target.tfbackend"] = _hcl(backend)
        for stale in {"target_override.tf.json", "target.tfbackend"} - set(files):
            (self.workdir / stale).unlink(missing_ok=True)
        for name, text in files.items():
            (self.workdir / name).write_text(text)
        # TerraformAssets (a Lambda's zip) live beside the stack's JSON, which names them by relative path.
        shutil.rmtree(self.workdir / "assets", ignore_errors=True)
        if (self.stack.config_file.parent / "assets").is_dir():
            shutil.copytree(self.stack.config_file.parent / "assets", self.workdir / "assets")
        # Init reads the terraform block (backend, providers), module sources and the target's files.
        reads = [
            config.get("terraform"),
            config.get("module"),
            files.get("target_override.tf.json"),
            files.get("target.tfbackend"),
        ]
        digest = hashlib.sha256(json.dumps(reads, sort_keys=True).encode()).hexdigest()
        marker = self.workdir / ".init-sha256"
        if (self.workdir / ".terraform").is_dir() and marker.is_file() and marker.read_text() == digest:
            return
        args = ["init", "-input=false", "-reconfigure", "-no-color"]
        if backend:
            args.append("-backend-config=target.tfbackend")
        # Terraform's plugin cache is not safe for concurrent use ("file exists" when two inits
        # link or install the same provider at once, seen even with it cached): one init at a time.
        with open(self.ctx.cache_dir / "init.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            self._run("init", args)
        marker.write_text(digest)

    def plan(self, destroy: bool = False, variables: dict[str, str] | None = None, lock: bool = True) -> Counts:
        """`variables` go into a var file beside the plan (the plan file keeps them for apply)."""
        args = [
            "plan",
            "-json",
            "-input=false",
            f"-lock-timeout={self.ctx.lock_timeout}" if lock else "-lock=false",
            "-detailed-exitcode",
            f"-out={self.plan_file}",
        ]
        if destroy:
            args.append("-destroy")
        if variables:
            (self.workdir / VARIABLES_FILE).write_text(json.dumps(variables, indent=2))
            args.append(f"-var-file={VARIABLES_FILE}")
        code, out = self._run("plan", args, ok=(0, 2), json_lines=True)
        return change_summary(out) if code == 2 else Counts()

    def show(self) -> dict[str, Any]:
        _, out = self._run("show", ["show", "-json", str(self.plan_file)], quiet=True)
        return json.loads(out)

    def show_text(self) -> str:
        return self._run("show", ["show", "-no-color", str(self.plan_file)], quiet=True)[1]

    def apply(self) -> None:
        self._run(
            "apply",
            ["apply", "-input=false", "-no-color", f"-lock-timeout={self.ctx.lock_timeout}", str(self.plan_file)],
        )

    def force_unlock(self, lock_id: str) -> None:
        self._run("unlock", ["force-unlock", "-force", "-no-color", lock_id])

    def outputs(self) -> dict[str, Any]:
        _, out = self._run("output", ["output", "-json", "-no-color"], quiet=True)
        return {k: v.get("value") for k, v in json.loads(out or "{}").items()}

    def _run(
        self, step: str, args: list[str], ok: tuple[int, ...] = (0,), quiet: bool = False, json_lines: bool = False
    ) -> tuple[int, str]:
        """`quiet` keeps stdout out of the log (it is data); `json_lines` logs it as text (see `readable`)."""
        log = self.ctx.log_dir / f"{self.stack.name}.{step}.log"
        if process.interrupted.is_set():
            raise TerraformInterrupted(self.stack.name, step, "interrupted before it started")
        lines: list[str] = []
        shown: list[str] = []
        stderr = ""
        with (
            process.child(["terraform", *args], cwd=self.workdir, env=self.ctx.env, merge_stderr=not quiet) as proc,
            log.open("a") as fh,
        ):
            fh.write(f"$ terraform {' '.join(args)}\n")
            assert proc.stdout is not None  # piped by process.child
            for line in proc.stdout:
                lines.append(line)
                if not quiet:
                    text = readable(line) if json_lines else line
                    shown.append(text)
                    fh.write(text)
                    if self.ctx.verbose:
                        sys.stderr.write("".join(f"{self.stack.name:>12} | {t}\n" for t in text.splitlines()))
            stderr = proc.stderr.read() if quiet and proc.stderr else ""
            fh.write(stderr)
            code = proc.wait()
        output = "".join(lines)
        if code not in ok:
            text = "".join(shown or lines) + stderr
            if is_locked(text):
                raise StateLocked(self.stack.name, step, lock_message(text, self.stack.name), log)
            if process.was_interrupted(code) or "Interrupt received" in text:
                raise TerraformInterrupted(self.stack.name, step, "interrupted", log)
            raise TerraformError(self.stack.name, step, last_error(text), log)
        return code, output


def _hcl(values: dict[str, Any]) -> str:
    """A .tfbackend file: flat keys, with maps as `{ k = "v" }`."""

    def render(v: Any) -> str:
        if isinstance(v, dict):
            return "{ " + ", ".join(f"{k} = {render(x)}" for k, x in v.items()) + " }"
        return json.dumps(v)

    return "".join(f"{k} = {render(v)}\n" for k, v in values.items())
