"""Run Terraform for one stack on one target: init, plan, apply, destroy, output.

Each stack runs in its own work directory (.cache/terraform/<target>/<stack>) holding a
copy of the synthesized JSON plus the target's override, so cdktf.out stays exactly what
is deployed to AWS. Output goes to a log file per stack and run (and to the terminal with
--verbose). Children run in their own session: an interrupt is forwarded to them once
by `interrupt_all`, so Terraform stops gracefully, writes its state and releases its lock.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orchestrator.stacks import Stack
from orchestrator.targets import Target

ROOT = Path(__file__).resolve().parent.parent
MIRROR = Path(os.environ.get("TF_PROVIDER_MIRROR", "/opt/tf-plugins"))

_children: set[subprocess.Popen] = set()
_children_lock = threading.Lock()
interrupted = threading.Event()
"""Set on the first Ctrl-C: no new Terraform process starts after it."""


def interrupt_all() -> int:
    """Forward SIGINT to every running Terraform; returns how many were signalled."""
    interrupted.set()
    with _children_lock:
        for proc in _children:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGINT)
        return len(_children)


class TerraformError(Exception):
    def __init__(self, stack: str, step: str, message: str, log: Path | None = None):
        self.stack, self.step, self.log = stack, step, log
        where = f" (log: {log})" if log else ""
        super().__init__(f"{stack}: {step} failed: {message}{where}")


class StateLocked(TerraformError):
    pass


@dataclass(frozen=True)
class Counts:
    create: int = 0
    update: int = 0
    delete: int = 0

    @property
    def changes(self) -> bool:
        return bool(self.create or self.update or self.delete)

    def as_report(self) -> dict[str, int]:
        """The JSON GitLab's MR widget reads (`artifacts: reports: terraform`)."""
        return {"create": self.create, "update": self.update, "delete": self.delete}

    def __str__(self) -> str:
        return f"+{self.create} ~{self.update} -{self.delete}"

    @staticmethod
    def total(counts: Iterable[Counts | None]) -> Counts:
        present = [c for c in counts if c]
        return Counts(sum(c.create for c in present), sum(c.update for c in present), sum(c.delete for c in present))


def change_summary(output: str) -> Counts:
    """The counts of `terraform plan -json`'s change_summary message (replacements count as add and remove).

    Reading them from the plan's own output spares a `terraform show -json`, which starts
    the provider again (~2.5 s of CPU per stack).
    """
    for line in reversed(output.splitlines()):
        if '"change_summary"' in line:
            changes = json.loads(line)["changes"]
            return Counts(changes["add"], changes["change"], changes["remove"])
    raise ValueError("terraform plan -json printed no change_summary")


def readable(line: str) -> str:
    """One line of `terraform -json` output as a person reads it: the message, and a diagnostic's detail."""
    try:
        message = json.loads(line)
    except ValueError:
        return line
    if not isinstance(message, dict):
        return line
    detail = (message.get("diagnostic") or {}).get("detail")
    return f"{message.get('@message', '')}\n" + (f"{detail}\n" if detail else "")


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


def terraform_env(cache_dir: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """Terraform's environment: quiet, non-interactive, a shared plugin cache, the mirror if any."""
    plugins = cache_dir / "plugins"
    plugins.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        **(extra or {}),
        "TF_IN_AUTOMATION": "1",
        "TF_INPUT": "0",
        "CHECKPOINT_DISABLE": "1",
        "TF_PLUGIN_CACHE_DIR": str(plugins),
        # Terraform and its providers are short-lived Go processes: collecting garbage half as
        # often cuts a plan's CPU by ~17% for ~12% more memory (measured; 400 saves little more).
        "GOGC": os.environ.get("GOGC", "200"),
    }
    rc = cli_config(cache_dir)
    if rc:
        env["TF_CLI_CONFIG_FILE"] = str(rc)
    elif not Path(env.get("TF_CLI_CONFIG_FILE", "")).is_file():
        env.pop("TF_CLI_CONFIG_FILE", None)  # a dangling path only makes every call warn
    return env


def cli_config(cache_dir: Path) -> Path | None:
    """Use the offline provider mirror where one exists; elsewhere the registry as usual."""
    if not (MIRROR / "registry.terraform.io" / "hashicorp" / "aws").is_dir():
        return None
    rc = cache_dir / "terraformrc"
    rc.write_text(
        "provider_installation {\n"
        f'  filesystem_mirror {{\n    path    = "{MIRROR}"\n    include = ["registry.terraform.io/hashicorp/aws"]\n  }}\n'
        '  direct {\n    exclude = ["registry.terraform.io/hashicorp/aws"]\n  }\n}\n'
    )
    return rc


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
        # Terraform's plugin cache is not safe for concurrent installs into it: an init that may
        # install runs alone; inits that only link cached providers run side by side.
        cached = _providers_cached(config, Path(self.ctx.env["TF_PLUGIN_CACHE_DIR"]))
        with open(self.ctx.cache_dir / "init.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_SH if cached else fcntl.LOCK_EX)
            self._run("init", args)
        marker.write_text(digest)

    def plan(self, destroy: bool = False) -> Counts:
        args = [
            "plan",
            "-json",
            "-input=false",
            f"-lock-timeout={self.ctx.lock_timeout}",
            "-detailed-exitcode",
            f"-out={self.plan_file}",
        ]
        if destroy:
            args.append("-destroy")
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

    def outputs(self) -> dict[str, Any]:
        _, out = self._run("output", ["output", "-json", "-no-color"], quiet=True)
        return {k: v.get("value") for k, v in json.loads(out or "{}").items()}

    def _run(
        self, step: str, args: list[str], ok: tuple[int, ...] = (0,), quiet: bool = False, json_lines: bool = False
    ) -> tuple[int, str]:
        """`quiet` keeps stdout out of the log (it is data); `json_lines` logs it as text (see `readable`)."""
        log = self.ctx.log_dir / f"{self.stack.name}.{step}.log"
        if interrupted.is_set():
            raise TerraformError(self.stack.name, step, "interrupted before it started")
        proc = subprocess.Popen(
            ["terraform", *args],
            cwd=self.workdir,
            env=self.ctx.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT if not quiet else subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        with _children_lock:
            _children.add(proc)
            if interrupted.is_set():  # Ctrl-C landed between the check above and the start
                os.killpg(proc.pid, signal.SIGINT)
        try:
            lines, shown = [], []
            with log.open("a") as fh:
                fh.write(f"$ terraform {' '.join(args)}\n")
                assert proc.stdout is not None
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
        finally:
            with _children_lock:
                _children.discard(proc)
        output = "".join(lines)
        if code not in ok:
            text = "".join(shown or lines) + stderr
            if "Error acquiring the state lock" in text:
                raise StateLocked(self.stack.name, step, _lock_message(text), log)
            if code in (-signal.SIGINT, 130) or interrupted.is_set() or "Interrupt received" in text:
                raise TerraformError(self.stack.name, step, "interrupted", log)
            raise TerraformError(self.stack.name, step, _last_error(text), log)
        return code, output


def _lock_message(text: str) -> str:
    info = {k: v.strip() for k, v in re.findall(r"^\s*(ID|Path|Operation|Who|Created):\s*(.*)$", text, re.M)}
    who = info.get("Who", "unknown holder")
    return (
        f"the state is locked by {who} (operation {info.get('Operation', '?')}, since {info.get('Created', '?')}, "
        f"lock ID {info.get('ID', '?')}); wait for it, rerun with --lock-timeout 5m, or `terraform force-unlock` if it is stale"
    )


def _last_error(text: str) -> str:
    errors = re.findall(r"^Error: (.*)$", text, re.M)
    return "; ".join(dict.fromkeys(errors)) if errors else (text.strip().splitlines() or ["no output"])[-1]


def _providers_cached(config: dict[str, Any], plugins: Path) -> bool:
    """Whether every provider the stack pins exactly is already in the plugin cache."""
    for spec in ((config.get("terraform") or {}).get("required_providers") or {}).values():
        source, version = spec.get("source", ""), spec.get("version", "")
        parts = source.split("/")
        address = {1: ["registry.terraform.io", "hashicorp", *parts], 2: ["registry.terraform.io", *parts]}.get(
            len(parts), parts
        )
        if not re.fullmatch(r"\d+\.\d+\.\d+", version) or not plugins.joinpath(*address, version).is_dir():
            return False
    return True


def _hcl(values: dict[str, Any]) -> str:
    """A .tfbackend file: flat keys, with maps as `{ k = "v" }`."""

    def render(v: Any) -> str:
        if isinstance(v, dict):
            return "{ " + ", ".join(f"{k} = {render(x)}" for k, x in v.items()) + " }"
        return json.dumps(v)

    return "".join(f"{k} = {render(v)}\n" for k, v in values.items())
