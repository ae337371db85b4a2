"""The benchmark's steps: synth, plan, deploy and drift, and how they grow with environments.

Every command runs as its own process (`python main.py ...`, or plain `terraform plan`),
timed from start to exit and with its whole process tree's memory sampled. Everything a
run writes goes to one private temporary directory: cdktf.out (CDKTF_OUTDIR), the jsii
cache (JSII_RUNTIME_PACKAGE_CACHE_ROOT), Terraform's work dirs (DEPLOY_CACHE_DIR) and one
fresh emulator per deployment (LOCAL_EMULATOR_DIR), all removed or stopped at the end.

What a run did is read from the CLI's own `--json` output (per-stack steps, synth reused or
not); emulators are the project's (emulator.control), serving the snapshot's code.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import emulator
from bench.envgen import generate_environments
from bench.figures import Figure, load1, record, record_in_sequence
from bench.memory import Run, TreeSampler, run_measured
from bench.stats import fmt_bytes, fmt_seconds
from config import load_project
from orchestrator.targets import LocalTarget
from orchestrator.terraform.tfenv import terraform_env
from synthesis.manifest import read_stacks

ROOT = Path(__file__).resolve().parent.parent
GROUPS = ("synth", "plan", "deploy", "scale")
LONG = 90.0
"""Seconds above which a step is not short: two runs instead of --runs (scaling plans)."""


@dataclass
class Options:
    runs: int = 3
    quick: bool = False
    scales: tuple[int, ...] = (1, 4, 16)
    deploy_scales: tuple[int, ...] = (1, 4)
    singles: bool = True
    """Deploy each stack alone into a fresh emulator for the slowest single stack's apply."""
    cold_runs: int = 2
    naive_runs: int = 1
    groups: tuple[str, ...] = GROUPS
    keep: bool = False
    timeout: float = 3600


class Workspace:
    """The run's private temporary directory: a snapshot of the project, and the emulators started for it.

    The CLI runs from the snapshot (the working tree as it was when the bench started), so
    that edits made meanwhile by others neither invalidate the synth cache in mid-run nor
    mix code versions, and the CLI's own logs (.local/logs) stay in the temporary directory.
    """

    IGNORE = (
        ".git",
        ".venv",
        "cdktf.out",
        ".local",
        ".cache",
        "__pycache__",
        ".pytest_cache",
        ".mypy_cache",
        ".ruff_cache",
        ".tools",
        "results",
        "node_modules",
        ".terraform",
    )

    def __init__(self, keep: bool = False, source: Path = ROOT):
        self.root = Path(tempfile.mkdtemp(prefix="acme-web-bench-"))
        self.keep = keep
        self.emulators: list[Path] = []
        self._count = 0
        self.repo = self.snapshot(source, self.root / "repo")
        self.project = load_project(self.repo)

    @classmethod
    def snapshot(cls, source: Path, dest: Path) -> Path:
        """Copy the files git would consider part of the project (tracked or not ignored)."""
        try:
            listed = (
                subprocess.run(
                    ["git", "ls-files", "-z", "-co", "--exclude-standard"],
                    cwd=source,
                    capture_output=True,
                    check=True,
                    timeout=60,
                )
                .stdout.decode()
                .split("\0")
            )
        except (OSError, subprocess.SubprocessError):
            shutil.copytree(source, dest, ignore=shutil.ignore_patterns(*cls.IGNORE), symlinks=True)
            return dest
        for rel in filter(None, listed):
            src = source / rel
            if src.is_file():  # listed but deleted in the working tree: skip
                (dest / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, dest / rel)
        return dest

    def path(self, rel: str) -> Path:
        return self.root / rel

    def fresh(self, rel: str) -> Path:
        """`rel`, removed if it exists (not created)."""
        path = self.path(rel)
        shutil.rmtree(path, ignore_errors=True)
        return path

    def start_emulator(self, label: str) -> tuple[Path, emulator.EmulatorStatus]:
        """A fresh emulator of the snapshot in its own state directory (as `main.py local start` starts one)."""
        self._count += 1
        directory = self.path(f"emulators/{self._count:02d}-{label}")
        self.emulators.append(directory)
        account = self.project.settings.aws.account_id
        try:
            return directory, emulator.start(state_dir=directory, account_id=account, root=self.repo)
        except emulator.EmulatorError as exc:
            raise StepError(f"the emulator did not start: {exc}") from exc

    def stop_emulator(self, directory: Path) -> None:
        if directory in self.emulators:
            self.emulators.remove(directory)
        emulator.stop(state_dir=directory)

    def close(self) -> None:
        for directory in list(self.emulators):
            try:
                self.stop_emulator(directory)
            except Exception as exc:  # noqa: BLE001 - keep cleaning up
                print(f"bench: could not stop the emulator in {directory}: {exc}", file=sys.stderr)
        if not self.keep:
            shutil.rmtree(self.root, ignore_errors=True)


@dataclass
class Bench:
    opts: Options
    ws: Workspace
    figures: dict[str, Figure] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)
    """Values the report needs besides figures (stack names, in-run apply times...)."""
    loads: list[float] = field(default_factory=list)
    """The 1-minute load average after every measured run."""
    say: Callable[[str], None] = lambda msg: print(msg, file=sys.stderr, flush=True)

    def __post_init__(self) -> None:
        self.began = time.monotonic()
        self.jsii_warm: Path | None = None
        self.synth_out = self.ws.path("synth/cdktf.out")
        self.plan_emulator: Path | None = None
        self.template = self.ws.repo / "environments" / "staging.yaml"

    # ---- plumbing -------------------------------------------------------------------------

    def log(self, msg: str) -> None:
        elapsed = time.monotonic() - self.began
        self.say(f"[bench {int(elapsed // 60):02d}:{int(elapsed % 60):02d}] {msg}")

    def figure(self, key: str, label: str, group: str, note: str = "") -> Figure:
        if key not in self.figures:
            self.figures[key] = Figure(key, label, group, note=note)
        return self.figures[key]

    def env(
        self,
        *,
        outdir: Path | None = None,
        jsii: Path | None = None,
        emu: Path | None = None,
        cache: Path | None = None,
    ) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("CDKTF_OUTDIR", "JSII_RUNTIME_PACKAGE_CACHE_ROOT", "LOCAL_EMULATOR_DIR", "DEPLOY_CACHE_DIR")
        }
        env.update(
            {
                "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
                "CHECKPOINT_DISABLE": "1",
                "DEPLOY_TARGET": "local",
                "PYTHONUNBUFFERED": "1",
            }
        )
        for name, value in (
            ("CDKTF_OUTDIR", outdir),
            ("JSII_RUNTIME_PACKAGE_CACHE_ROOT", jsii or self.jsii_warm),
            ("LOCAL_EMULATOR_DIR", emu),
            ("DEPLOY_CACHE_DIR", cache),
        ):
            if value is not None:
                env[name] = str(value)
        return env

    def cli(self, args: list[str], env: dict[str, str], ok: tuple[int, ...] = (0,)) -> Run:
        """Run the CLI in the snapshot; a known project race (see KNOWN_RACES) is retried once, with a note."""
        command = f"`python main.py {' '.join(args)}`"
        for attempt in (1, 2):
            run = run_measured([sys.executable, "main.py", *args], env=env, cwd=self.ws.repo, timeout=self.opts.timeout)
            if run.returncode in ok and not run.timed_out:
                return run
            how = "timed out" if run.timed_out else f"exit {run.returncode}"
            why = failure_detail(run)
            race = next((name for name, needles in KNOWN_RACES.items() if all(n in why for n in needles)), None)
            if race and attempt == 1:
                self.notes.append(
                    f"{command} failed ({how}) on a known race, {race}, and was run again "
                    f"(the failed run is not in the figures): {why.strip().splitlines()[0][:300]}"
                )
                self.facts.setdefault("races", []).append({"command": command, "race": race, "detail": why[-3000:]})
                self.log(f"  {command} hit {race}; running it again")
                continue
            raise StepError(f"{command} {how}:\n{why}")
        raise AssertionError("unreachable")

    def step(self, name: str, fn: Callable[[], None]) -> None:
        try:
            fn()
        except StepError as exc:
            self.errors.append(f"{name}: {exc}")
            self.log(f"{name}: FAILED: {exc}")
        except Exception as exc:  # noqa: BLE001 - one step's failure must not lose the others' figures
            self.errors.append(f"{name}: {type(exc).__name__}: {exc}")
            self.log(f"{name}: FAILED: {type(exc).__name__}: {exc}")

    def done(self, fig: Figure, rec: dict[str, Any], i: int | None = None, of: int | None = None) -> None:
        runs = f" {i}/{of}" if i is not None and of else ""
        if rec.get("load1_after") is not None:
            self.loads.append(rec["load1_after"])
        self.log(f"{fig.label}{runs}: {fmt_seconds(rec.get('seconds'))}, peak {fmt_bytes(rec.get('peak_bytes'))}")

    def run(self) -> None:
        steps = {"synth": self.synth, "plan": self.plan, "deploy": self.deploy, "scale": self.scale}
        for group in GROUPS:
            if group in self.opts.groups:
                self.step(group, steps[group])

    def terraform_env(self, cache: Path, emu: Path, env: dict[str, str]) -> dict[str, str]:
        """What the CLI gives Terraform on the local target: tfenv.terraform_env + LocalTarget.env()."""
        target = LocalTarget(self.ws.project)
        target.endpoint = emulator.status(emu).endpoint or ""
        return terraform_env(cache, {**env, **target.env()})

    # ---- synth ----------------------------------------------------------------------------

    def synth(self) -> None:
        cold = self.figure("synth.cold", "synth, cold (empty cdktf.out + jsii cache)", "synth")
        for i in range(self.opts.cold_runs):
            jsii = self.ws.fresh(f"jsii-cold-{i}")
            self.ws.fresh("synth/cdktf.out")
            run = self.cli(["synth", "--json"], self.env(outdir=self.synth_out, jsii=jsii))
            self.done(cold, cold.add(record(run, **synth_split(run))), i + 1, self.opts.cold_runs)
            if self.jsii_warm:
                shutil.rmtree(self.jsii_warm, ignore_errors=True)
            self.jsii_warm = jsii  # the last cold cache primes every later run
        warm = self.figure("synth.warm", "synth, warm (jsii cache primed, no cdktf.out)", "synth")
        cached = self.figure("synth.cached", "synth, cached (inputs unchanged)", "synth")
        for i in range(self.opts.runs):
            self.ws.fresh("synth/cdktf.out")
            run = self.cli(["synth", "--json"], self.env(outdir=self.synth_out))
            self.done(warm, warm.add(record(run, **synth_split(run))), i + 1, self.opts.runs)
            run = self.cli(["synth", "--json"], self.env(outdir=self.synth_out))
            if synth_state(result_of(run)) != "reused":
                raise StepError(f"an unchanged input set was synthesized again instead of reused:\n{run.tail()}")
            self.done(cached, cached.add(record(run)), i + 1, self.opts.runs)
        self.facts["stacks"] = list(read_stacks(self.synth_out))
        self.naive()

    def naive(self) -> None:
        """cdktf's way: one app process per stack, each paying the start-up (and synthesizing every stack)."""
        stacks = self.facts["stacks"]
        fig = self.figure(
            "synth.naive",
            f"synth, naive: {len(stacks)} processes, 1 per stack",
            "synth",
            note="one `python main.py` per stack, one after another, each into its own outdir; peak = largest process",
        )
        for i in range(self.opts.naive_runs):
            runs = []
            for n, stack in enumerate(stacks):
                outdir = self.ws.fresh(f"naive/{stack}")
                runs.append(self.cli([], self.env(outdir=outdir)))
                self.log(f"  naive process {n + 1}/{len(stacks)} ({stack}): {fmt_seconds(runs[-1].seconds)}")
            rec = record_in_sequence(runs, per_process_seconds=[round(r.seconds, 3) for r in runs])
            self.done(fig, fig.add(rec), i + 1, self.opts.naive_runs)
            shutil.rmtree(self.ws.path("naive"), ignore_errors=True)

    def ensure_synth(self) -> None:
        """Later groups need a warm jsii cache and the repo's cdktf.out (when run without the synth group)."""
        if self.jsii_warm is None:
            self.jsii_warm = self.ws.path("jsii-warm")
        if not (self.synth_out / "manifest.json").is_file():
            self.cli(["synth"], self.env(outdir=self.synth_out))
        self.facts.setdefault("stacks", list(read_stacks(self.synth_out)))

    # ---- plan -----------------------------------------------------------------------------

    def start_plan_emulator(self) -> Path:
        """One emulator for every plan: nothing is ever deployed to it, only the state buckets exist
        (every CLI command's LocalTarget.prepare creates them)."""
        if self.plan_emulator is None or not emulator.status(self.plan_emulator).running:
            self.plan_emulator, _ = self.ws.start_emulator("plan")
        return self.plan_emulator

    def plan(self) -> None:
        self.ensure_synth()
        emu = self.start_plan_emulator()
        cache = self.ws.path("plan/terraform")
        env = self.env(outdir=self.synth_out, emu=emu, cache=cache)
        par = self.figure("plan.parallel", "plan, all stacks: `main.py plan` (parallel)", "plan")
        seq = self.figure(
            "plan.sequential",
            "plan, all stacks: plain `terraform plan` one by one",
            "plan",
            note="in the work dirs the CLI initialised; init not included",
        )
        tf_env = self.terraform_env(cache, emu, env)
        # Unmeasured: `terraform init` of each work dir (and the provider binary into the page
        # cache), so that neither side of the ratio includes init.
        self.cli(["plan", "--json"], env)
        argv = ["terraform", "plan", "-input=false", "-no-color", "-lock-timeout=0s", "-detailed-exitcode"]
        for i in range(self.opts.runs):
            run = self.cli(["plan", "--json"], env)
            result = result_of(run)
            failed = [s for s in result["stacks"] if s["status"] != "ok"]
            if failed:
                raise StepError(f"plan failed: {failed}")
            stacks = [s["stack"] for s in result["stacks"]]
            self.facts["plan_stacks"] = stacks
            self.facts["plan_skipped"] = result.get("skipped", {})
            self.done(par, par.add(cli_record(run)), i + 1, self.opts.runs)
            runs = {}
            for stack in stacks:
                runs[stack] = run_measured(
                    [*argv, "-out=bench.tfplan"], env=tf_env, cwd=cache / "local" / stack, timeout=self.opts.timeout
                )
                if runs[stack].returncode not in (0, 2):
                    raise StepError(f"terraform plan in {stack} exited {runs[stack].returncode}:\n{runs[stack].tail()}")
            rec = record_in_sequence(list(runs.values()), stacks={s: round(r.seconds, 2) for s, r in runs.items()})
            self.done(seq, seq.add(rec), i + 1, self.opts.runs)
            if i == 0 and not self.opts.quick:
                self.plan_init(stacks, cache, tf_env)
        if not self.opts.quick:
            one = self.figure(
                "plan.cli_serial",
                "plan, all stacks: `main.py plan --parallelism 1`",
                "plan",
                note="informational: the CLI's own overhead (init per stack) without parallelism",
            )
            self.done(one, one.add(cli_record(self.cli(["plan", "--json", "--parallelism", "1"], env))))
            miss = self.figure(
                "plan.synth_miss",
                "plan, all stacks, no cdktf.out yet (as in a fresh CI job)",
                "plan",
                note="informational: synth (warm jsii cache) + plan in one process tree",
            )
            fresh = self.env(outdir=self.ws.fresh("plan/fresh-cdktf.out"), emu=emu, cache=cache)
            self.done(miss, miss.add(cli_record(self.cli(["plan", "--json"], fresh))))

    def plan_init(self, stacks: list[str], cache: Path, tf_env: dict[str, str]) -> None:
        """What `main.py plan` adds per stack on a fresh work dir: `terraform init` (not in either plan figure)."""
        fig = self.figure(
            "plan.phase.init",
            "  + plain `terraform init` one by one (the CLI's, on fresh work dirs)",
            "plan",
            note="informational",
        )
        argv = ["terraform", "init", "-input=false", "-reconfigure", "-no-color", "-backend-config=target.tfbackend"]
        runs = {}
        for stack in stacks:
            runs[stack] = run_measured(argv, env=tf_env, cwd=cache / "local" / stack, timeout=self.opts.timeout)
            if not runs[stack].ok:
                raise StepError(f"terraform init in {stack} exited {runs[stack].returncode}:\n{runs[stack].tail()}")
        self.done(
            fig,
            fig.add(record_in_sequence(list(runs.values()), stacks={s: round(r.seconds, 2) for s, r in runs.items()})),
        )

    # ---- deploy and drift -----------------------------------------------------------------

    def deploy(self) -> None:
        self.ensure_synth()
        emu, status = self.ws.start_emulator("deploy")
        env = self.env(outdir=self.synth_out, emu=emu, cache=self.ws.path("deploy/terraform"))
        fig = self.figure("deploy.all", "deploy, all stacks from nothing (fresh emulator)", "deploy")
        moto = self.figure(
            "deploy.emulator",
            "  the emulator (moto) during that deploy",
            "deploy",
            note="its own process, not in the CLI's tree",
        )
        assert status.pid is not None  # a running emulator has one
        with TreeSampler(status.pid) as emulator_rss:
            run = self.cli_on(emu, ["deploy", "--auto-approve", "--json"], env)
        applied = apply_seconds(result_of(run))
        self.facts["deployed_stacks"] = list(applied)
        self.facts["in_run_apply_seconds"] = applied
        self.done(fig, fig.add(cli_record(run)))
        peak = emulator_rss.peak
        moto.add({"seconds": None, "peak_bytes": peak.bytes, "breakdown": peak.breakdown, "processes": peak.processes})
        drift = self.figure("drift.all", "drift, all stacks, after that deploy", "deploy")
        for i in range(self.opts.runs):
            run = self.cli(["drift", "--json"], env, ok=(0, 2))
            report = result_of(run)
            stacks = report.get("stacks", {})
            rec = record(
                run,
                synth=synth_state(report),
                phases=phases(report),
                drifted=report.get("drifted"),
                errors=report.get("errors"),
                drifted_resources={n: len(s.get("drifted", [])) for n, s in stacks.items()},
                code_changes={n: len(s.get("code_changes", [])) for n, s in stacks.items()},
            )
            self.done(drift, drift.add(rec), i + 1, self.opts.runs)
            if report.get("errors"):
                raise StepError(f"drift errors: {report['errors']}")
        self.ws.stop_emulator(emu)
        if self.opts.singles:
            self.singles(list(applied))

    def cli_on(self, emu: Path, args: list[str], env: dict[str, str]) -> Run:
        """`cli`, with the emulator's log tail added to a failure."""
        try:
            return self.cli(args, env)
        except StepError as exc:
            raise StepError(f"{exc}\nemulator log:\n{emulator.log_tail(emu / emulator.LOG_FILE, 20)}") from exc

    def singles(self, stacks: list[str]) -> None:
        """Each stack deployed alone into a fresh emulator: its apply with nothing else running."""
        for stack in stacks:
            emu, _ = self.ws.start_emulator(f"single-{stack}")
            try:
                env = self.env(outdir=self.synth_out, emu=emu, cache=self.ws.path(f"single/{stack}/terraform"))
                fig = self.figure(f"deploy.single.{stack}", f"deploy {stack} alone from nothing", "deploy")
                run = self.cli(["deploy", stack, "--auto-approve", "--json"], env)
                apply = apply_seconds(result_of(run)).get(stack)
                self.done(fig, fig.add(record(run, apply_seconds=apply)))
                self.log(f"  {stack}: apply alone {fmt_seconds(apply)}")
            finally:
                self.ws.stop_emulator(emu)

    # ---- scaling --------------------------------------------------------------------------

    def scale(self) -> None:
        self.ensure_synth()
        dirs = {}
        for n in self.opts.scales:
            dirs[n] = self.ws.path(f"environments-{n}")
            generate_environments(n, dirs[n], template=self.template)
            self.step(f"scale {n} synth", functools.partial(self.scale_synth, n, dirs[n]))
            self.step(f"scale {n} plan", functools.partial(self.scale_plan, n, dirs[n]))
        if self.plan_emulator:
            self.ws.stop_emulator(self.plan_emulator)
            self.plan_emulator = None
        for n in self.opts.deploy_scales:
            if n not in dirs:
                dirs[n] = self.ws.path(f"environments-{n}")
                generate_environments(n, dirs[n], template=self.template)
            self.step(f"scale {n} deploy", functools.partial(self.scale_deploy, n, dirs[n]))

    def scale_synth(self, n: int, environments: Path) -> None:
        outdir = self.ws.path(f"scale-{n}/cdktf.out")
        fig = self.figure(f"scale.{n}.synth", f"{n} env(s): synth, warm", "scale")
        # ~4-6 s each, and a 16-vs-1 ratio of ~1.3 is within one noisy run's swing: 5 runs unless --quick.
        runs = self.opts.runs if self.opts.quick else max(self.opts.runs, 5)
        for i in range(runs):
            self.ws.fresh(f"scale-{n}/cdktf.out")
            run = self.cli(["synth", "--json", "--environments", str(environments)], self.env(outdir=outdir))
            stacks = len(result_of(run).get("stacks", []))
            self.done(fig, fig.add(record(run, stacks=stacks, **synth_split(run))), i + 1, runs)

    def scale_plan(self, n: int, environments: Path) -> None:
        outdir = self.ws.path(f"scale-{n}/cdktf.out")
        if not (outdir / "manifest.json").is_file():
            self.cli(["synth", "--environments", str(environments)], self.env(outdir=outdir))
        emu = self.start_plan_emulator()
        env = self.env(outdir=outdir, emu=emu, cache=self.ws.path("scale/terraform"))
        fig = self.figure(f"scale.{n}.plan", f"{n} env(s): plan, all stacks, empty state", "scale")
        runs = self.opts.runs
        i = 0
        while i < runs:
            run = self.cli(["plan", "--json", "--environments", str(environments)], env)
            i += 1
            if i == 1 and run.seconds > LONG:
                runs = min(runs, 2)  # a long step: its noise matters less than the bench's length
            self.done(fig, fig.add(cli_record(run)), i, runs)

    def scale_deploy(self, n: int, environments: Path) -> None:
        outdir = self.ws.path(f"scale-{n}/cdktf.out")
        emu, _ = self.ws.start_emulator(f"scale-{n}")
        try:
            env = self.env(outdir=outdir, emu=emu, cache=self.ws.path(f"scale-{n}/terraform"))
            fig = self.figure(f"scale.{n}.deploy", f"{n} env(s): deploy, all stacks from nothing", "scale")
            run = self.cli_on(emu, ["deploy", "--auto-approve", "--json", "--environments", str(environments)], env)
            self.done(fig, fig.add(cli_record(run)))
        finally:
            self.ws.stop_emulator(emu)


class StepError(Exception):
    pass


KNOWN_RACES = {
    "concurrent `terraform init` on a fresh shared TF_PLUGIN_CACHE_DIR (orchestrator/terraform/runner.py)": (
        "Failed to install provider",
        "file exists",
    ),
}
"""name -> strings that all appear in a failure caused by it."""


def failure_detail(run: Run) -> str:
    """The failed stacks' details when the CLI printed its JSON (drift: its `errors`), else the output's tail."""
    result = result_of(run)
    stacks = result.get("stacks")
    failed = [s for s in stacks if s.get("status") == "failed"] if isinstance(stacks, list) else []
    details = [named(s["stack"], s.get("detail", "")) for s in failed]
    details += [named(stack, str(error)) for stack, error in (result.get("errors") or {}).items()]
    if details:
        return "\n".join(details) + "\n" + "\n".join(run.stderr.strip().splitlines()[-5:])
    return run.tail(25)


def named(stack: str, detail: str) -> str:
    return (detail if detail.startswith(f"{stack}:") else f"{stack}: {detail}") + log_tail(detail)


def log_tail(detail: str, lines: int = 12) -> str:
    """The end of the Terraform log a CLI error points at (`(log: <path>)`), indented."""
    match = re.search(r"\(log: ([^)]+)\)", detail)
    if not match:
        return ""
    try:
        text = Path(match.group(1)).read_text(errors="replace")
    except OSError:
        return ""
    tail = [line for line in text.strip().splitlines() if line.strip()][-lines:]
    return "\n" + "\n".join(f"    | {line}" for line in tail)


def result_of(run: Run) -> dict[str, Any]:
    """The CLI's `--json` output of a run, {} if it printed none."""
    try:
        data = json.loads(run.stdout)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def cli_record(run: Run) -> dict[str, Any]:
    """`record` of a plan or deploy run, with what its JSON tells: synth reused or not, each stack's steps."""
    result = result_of(run)
    synth = result.get("synth") or {}
    return record(
        run,
        synth=synth_state(result),
        phases=phases(result),
        stacks=per_stack(result),
        synth_seconds=None if synth.get("cached", True) else synth.get("seconds"),
    )


def synth_split(run: Run) -> dict[str, float | None]:
    """Where a `synth --json` process's wall time goes: the synthesis itself (the CLI's figure), and
    exiting after it (from when its JSON, printed right after the synthesis, arrived)."""
    inside = (result_of(run).get("synth") or {}).get("seconds")
    at = run.stdout_lines[0][0] if run.stdout_lines else None
    exit_seconds = round(run.seconds - at, 3) if at is not None and inside is not None else None
    return {"synth_seconds": inside, "exit_seconds": exit_seconds}


def synth_state(result: dict[str, Any]) -> str | None:
    """Whether a run reused cdktf.out or had to synthesize (and pay the provider import)."""
    synth = result.get("synth")
    return None if not synth else "reused" if synth.get("cached") else "synthesized"


def phases(result: dict[str, Any]) -> dict[str, dict[str, float]]:
    """stack -> {init, plan, apply, ...: seconds}: the `steps` of the CLI's JSON (drift's stacks are a dict)."""
    stacks = result.get("stacks") or []
    entries = stacks.values() if isinstance(stacks, dict) else stacks
    return {s["stack"]: s.get("steps") or {} for s in entries}


def apply_seconds(result: dict[str, Any]) -> dict[str, float]:
    """Each applied stack's apply alone (its `apply` step); else its seconds, which cover the apply
    only when plans and applies are separate phases."""
    applied = [s for s in result.get("stacks", []) if s.get("detail") == "applied"]
    return {s["stack"]: (s.get("steps") or {}).get("apply", s["seconds"]) for s in applied}


def per_stack(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        s["stack"]: {"status": s["status"], "seconds": s.get("seconds"), "changes": s.get("changes")}
        for s in result.get("stacks", [])
    }


def machine() -> dict[str, Any]:
    info: dict[str, Any] = {"nproc": len(os.sched_getaffinity(0)), "cpu_count": os.cpu_count(), "load1_start": load1()}
    try:
        meminfo = dict(re.findall(r"^(\w+):\s+(\d+) kB$", Path("/proc/meminfo").read_text(), re.M))
        info["mem_total_bytes"] = int(meminfo["MemTotal"]) * 1024
        info["mem_available_bytes"] = int(meminfo["MemAvailable"]) * 1024
    except (OSError, KeyError):
        pass
    try:
        model = re.search(r"model name\s*:\s*(.*)", Path("/proc/cpuinfo").read_text())
        info["cpu_model"] = model.group(1).strip() if model else None
    except OSError:
        pass
    info["python"] = sys.version.split()[0]
    try:
        out = subprocess.run(
            ["terraform", "version", "-json"],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "CHECKPOINT_DISABLE": "1"},
        ).stdout
        info["terraform"] = json.loads(out).get("terraform_version")
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=30
        )
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True, timeout=30)
        info["git"] = head.stdout.strip() + ("+uncommitted changes" if dirty.stdout.strip() else "")
    except (OSError, ValueError, subprocess.SubprocessError):
        pass
    return info
