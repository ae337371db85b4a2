"""One CLI run on a target: synthesize once, select the stacks, prepare the target, then run per stack."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from config import load_project
from config.names import RELEASE_STACK
from config.schema import Environment, Project
from orchestrator.executor import Outcome, run_stacks
from orchestrator.progress import Progress
from orchestrator.targets import Target, TargetError, make_target
from orchestrator.targets.live import stack_variables
from orchestrator.terraform.plan_output import Counts
from orchestrator.terraform.runner import RunContext, StackRunner, TerraformError, TerraformInterrupted
from synthesis.manifest import Stack, read_stacks
from synthesis.synth import SynthResult, synthesize

ROOT = Path(__file__).resolve().parent.parent
LOG_ROOT = ROOT / ".local" / "logs"


def synthesize_app(args: argparse.Namespace, progress: Progress) -> SynthResult:
    """The run's one synthesis (or the cached cdktf.out), said on the progress stream."""
    result = synthesize(ROOT, environments_dir=args.environments, force=getattr(args, "force", False))
    how = "reused (inputs unchanged)" if result.cached else "synthesized"
    progress.say("app", "synth", f"{how} {result.outdir.name} in {result.seconds:.1f}s")
    return result


@dataclass
class Session:
    """One CLI run: the synthesized stacks, the target, the selection and its logs."""

    project: Project
    target: Target
    stacks: dict[str, Stack]
    selected: list[str]
    ctx: RunContext
    progress: Progress
    synth: SynthResult
    parallelism: int = 4
    skipped: dict[str, str] = field(default_factory=dict)
    """Stacks the target cannot run -> why (they were not asked for by name)."""
    initialized: dict[str, TerraformError | None] = field(default_factory=dict)
    """Stacks initialized in this run -> their init's error, if it failed."""

    def environment(self, name: str) -> Environment | None:
        """The environment a stack deploys, or None for the release and gitlab stacks."""
        return next((e for e in self.project.environments if e.name == name), None)

    def protected(self, name: str) -> bool:
        env = self.environment(name)
        return bool(env and env.protected)

    def runner(self, name: str) -> StackRunner:
        return StackRunner(self.stacks[name], self.ctx)

    def init(self, name: str) -> None:
        """`terraform init` of one stack (a progress step), once per run; a failure is raised again on each call."""
        if name not in self.initialized:
            try:
                with self.progress.step(name, "init"):
                    self.runner(name).init()
                self.initialized[name] = None
            except TerraformError as exc:
                self.initialized[name] = exc
        error = self.initialized[name]
        if error is not None:
            raise error

    def init_and_plan(self, name: str, *, destroy: bool = False, step: str = "plan", lock: bool = True) -> Counts:
        """`terraform init` (when needed) and `plan` of one stack, each a progress step; `step` names the plan's.

        `lock=False` for plans that only read (plan, drift): they never write state, so they neither
        take the lock nor need the right to (the CI plan role has no S3 write at all)."""
        self.init(name)
        with self.progress.step(name, step):
            return self.runner(name).plan(
                destroy=destroy, variables=stack_variables(self.target, self.project, name), lock=lock
            )

    def run(self, work: Callable[[str], Outcome], *, ordered: bool = True, reverse: bool = False) -> dict[str, Outcome]:
        """`work` for every selected stack (see executor.run_stacks); each outcome gets its steps' seconds.

        Every stack is initialized first, one at a time: the first init of a work directory reinstalls
        the provider into the shared plugin cache (remove, then link), and a plan running meanwhile in
        another stack fails with "no package ... cached in .terraform/providers" (seen in CI). A stack
        whose init failed fails in `work` with that error; the others run. Ctrl-C stops the inits too."""
        for name in self.selected:
            try:
                self.init(name)
            except TerraformInterrupted:
                break
            except TerraformError:
                continue
        outcomes = run_stacks(
            self.selected, self.stacks, work, ordered=ordered, reverse=reverse, parallelism=self.parallelism
        )
        for name, outcome in outcomes.items():
            outcome.steps = self.progress.seconds_of(name)
        return outcomes


def open_session(args: argparse.Namespace, command: str, *, companions: bool = False) -> Session:
    """Synthesize, check the stacks asked for, select what the target can run, prepare the target.

    `companions`: with stacks named, add the release stack when an environment is among them: its
    pipeline holds each environment's stage (its deploy action follows the strategy), so deploying
    an environment keeps that stage current (`deploy staging` after a strategy switch)."""
    progress = Progress()
    synth = synthesize_app(args, progress)
    project = load_project(ROOT, args.environments)
    stacks = read_stacks(synth.outdir)
    asked = list(args.stacks)
    unknown = [s for s in asked if s not in stacks]
    if unknown:
        raise TargetError(f"unknown stack {', '.join(unknown)}; expected one of {', '.join(stacks)}")
    environments = {e.name for e in project.environments}
    if companions and RELEASE_STACK in stacks and RELEASE_STACK not in asked:
        fed = [n for n in asked if n in environments]
        if fed:
            asked.append(RELEASE_STACK)
            progress.say(RELEASE_STACK, "include", f"its pipeline holds the stage of {', '.join(fed)}: deployed too")
    target = make_target(args.target, project)
    selected, skipped = [], {}
    for name in asked or list(stacks):
        reason = target.deployable(stacks[name].providers)
        if reason and name in args.stacks:
            raise TargetError(f"stack {name} cannot run on the {target.name} target: {reason}")
        if reason:
            skipped[name] = reason
            progress.say(name, "skip", f"not on the {target.name} target: {reason}")
        else:
            selected.append(name)
    began = time.monotonic()
    target.prepare()
    progress.say("target", "prepare", f"{target.name} ready in {time.monotonic() - began:.1f}s")
    run_id = time.strftime("%Y%m%d-%H%M%S") + f"-{command}"
    ctx = RunContext(target=target, log_dir=LOG_ROOT / run_id, verbose=args.verbose, lock_timeout=args.lock_timeout)
    return Session(project, target, stacks, selected, ctx, progress, synth, args.parallelism, skipped)
