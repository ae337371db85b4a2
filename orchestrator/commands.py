"""The CLI's commands: synthesize once, then drive Terraform per stack on a target."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from config import Environment, ProjectSettings, load_project
from config.schema import Project
from orchestrator.executor import Outcome, run_stacks
from orchestrator.progress import Progress
from orchestrator.stacks import Stack, read_stacks
from orchestrator.synth import SynthResult, synthesize
from orchestrator.targets import Target, TargetError, make_target
from orchestrator.terraform import Counts, RunContext, StackRunner

ROOT = Path(__file__).resolve().parent.parent
LOG_ROOT = ROOT / ".local" / "logs"


@dataclass
class Session:
    """One CLI run: the synthesized stacks, the target, the selection and its logs."""

    project: Project
    target: Target
    stacks: dict[str, Stack]
    selected: list[str]
    ctx: RunContext
    progress: Progress
    skipped: dict[str, str] = field(default_factory=dict)

    def runner(self, name: str) -> StackRunner:
        return StackRunner(self.stacks[name], self.ctx)


def _synth(args: argparse.Namespace, progress: Progress) -> SynthResult:
    began = time.monotonic()
    result = synthesize(ROOT, environments_dir=args.environments, force=getattr(args, "force", False))
    how = "reused (inputs unchanged)" if result.cached else "synthesized"
    progress.say("app", "synth", f"{how} {result.outdir.name} in {time.monotonic() - began:.1f}s")
    return result


def synth(args: argparse.Namespace) -> int:
    progress = Progress()
    result = _synth(args, progress)
    names = list(read_stacks(result.outdir))
    print(f"stacks: {' '.join(names)}", file=sys.stderr)
    return 0


def open_session(args: argparse.Namespace, command: str) -> Session:
    progress = Progress()
    outdir = _synth(args, progress).outdir
    project = load_project(ROOT, args.environments)
    stacks = read_stacks(outdir)
    unknown = [s for s in args.stacks if s not in stacks]
    if unknown:
        raise TargetError(f"unknown stack {', '.join(unknown)}; expected one of {', '.join(stacks)}")
    target = make_target(args.target, project)
    selected, skipped = [], {}
    for name in args.stacks or list(stacks):
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
    return Session(project, target, stacks, selected, ctx, progress, skipped)


def _plan_all(s: Session, parallelism: int, destroy: bool = False) -> dict[str, Outcome]:
    def work(name: str) -> Outcome:
        runner = s.runner(name)
        with s.progress.step(name, "init"):
            runner.init()
        with s.progress.step(name, "plan"):
            counts = runner.plan(destroy=destroy)
        s.progress.say(name, "plan", f"{counts} (add ~change -destroy)")
        return Outcome(name, "ok", counts)

    return run_stacks(s.selected, s.stacks, work, ordered=False, parallelism=parallelism)


def plan(args: argparse.Namespace) -> int:
    s = open_session(args, "plan")
    outcomes = _plan_all(s, args.parallelism)
    if args.plan_dir:
        args.plan_dir.mkdir(parents=True, exist_ok=True)
        for name, outcome in outcomes.items():
            if outcome.status == "ok":
                runner = s.runner(name)
                shutil.copyfile(runner.plan_file, args.plan_dir / f"{name}.tfplan")
                (args.plan_dir / f"{name}.txt").write_text(runner.show_text())
    total = Counts.total(o.counts for o in outcomes.values())
    if args.report:
        args.report.write_text(json.dumps(total.as_report()))
    _finish(s, outcomes, args.json, "plan")
    if any(o.status != "ok" for o in outcomes.values()):
        return 1
    return 2 if args.detailed_exitcode and total.changes else 0


def deploy(args: argparse.Namespace) -> int:
    s = open_session(args, "deploy")
    with s.progress.step("state", "bootstrap"):
        created = s.target.bootstrap_state()
    if created:
        s.progress.say("state", "bootstrap", f"created {', '.join(created)}")
    if args.auto_approve:
        plans = {}  # each stack applies as soon as its own plan is ready
    else:
        plans = _plan_all(s, args.parallelism)
        if any(o.status != "ok" for o in plans.values()):
            _finish(s, plans, args.json, "deploy")
            print("error: a plan failed; nothing was applied", file=sys.stderr)
            return 1
        changed = [n for n in s.selected if plans[n].changed]
        if changed and not _confirm(s, changed, "apply"):
            return 1

    def work(name: str) -> Outcome:
        runner = s.runner(name)
        if name in plans:
            counts = plans[name].counts
        else:
            with s.progress.step(name, "init"):
                runner.init()
            with s.progress.step(name, "plan"):
                counts = runner.plan()
        if not counts or not counts.changes:
            return Outcome(name, "ok", counts, detail="no changes")
        with s.progress.step(name, "apply"):
            runner.apply()
        return Outcome(name, "ok", counts, detail="applied")

    outcomes = run_stacks(s.selected, s.stacks, work, parallelism=args.parallelism)
    _finish(s, outcomes, args.json, "deploy", outputs=True)
    return _exit(outcomes)


def destroy(args: argparse.Namespace) -> int:
    s = open_session(args, "destroy")
    plans = _plan_all(s, args.parallelism, destroy=True)
    if any(o.status != "ok" for o in plans.values()):
        _finish(s, plans, args.json, "destroy")
        return 1
    changed = [n for n in s.selected if plans[n].changed]
    if changed and not args.auto_approve and not _confirm(s, changed, "destroy"):
        return 1

    def work(name: str) -> Outcome:
        if name in changed:
            with s.progress.step(name, "destroy"):
                s.runner(name).apply()
        return Outcome(name, "ok", plans[name].counts, detail="destroyed" if name in changed else "nothing to destroy")

    outcomes = run_stacks(s.selected, s.stacks, work, reverse=True, parallelism=args.parallelism)
    _finish(s, outcomes, args.json, "destroy")
    return _exit(outcomes)


def output(args: argparse.Namespace) -> int:
    s = open_session(args, "output")

    def work(name: str) -> Outcome:
        runner = s.runner(name)
        runner.init()
        return Outcome(name, "ok", detail=json.dumps(runner.outputs()))

    outcomes = run_stacks(s.selected, s.stacks, work, ordered=False, parallelism=args.parallelism)
    values = {n: json.loads(o.detail) for n, o in outcomes.items() if o.status == "ok"}
    if args.json:
        _emit(values)
    else:
        for name, outs in values.items():
            for key, value in outs.items():
                print(f"{name}.{key} = {value}")
    for o in outcomes.values():
        if o.status != "ok":
            print(f"error: {o.stack}: {o.detail}", file=sys.stderr)
    return _exit(outcomes)


def drift(args: argparse.Namespace) -> int:
    from orchestrator.drift import detect

    return detect(open_session(args, "drift"), args)


def local(args: argparse.Namespace) -> int:
    from orchestrator.local import emulator

    if args.action == "start":
        account = load_project(ROOT).settings.aws.account_id
        status = emulator.start(account_id=account)
    elif args.action == "stop":
        stopped = emulator.stop()
        print("stopped the local emulator" if stopped else "the local emulator was not running", file=sys.stderr)
        status = emulator.status()
    else:
        status = emulator.status()
    if args.json:
        _emit(status.to_json())
    else:
        print(f"running at {status.endpoint}" if status.running else "not running")
    return 0


def schema(args: argparse.Namespace) -> int:
    schemas = {"environment": Environment.model_json_schema(), "project": ProjectSettings.model_json_schema()}
    if not args.out:
        _emit(schemas)
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    for name, body in schemas.items():
        (args.out / f"{name}.schema.json").write_text(json.dumps(body, indent=2) + "\n")
    return 0


def _confirm(s: Session, changed: list[str], verb: str) -> bool:
    for name in changed:
        print(s.runner(name).show_text())
    if not sys.stdin.isatty():
        print(
            f"error: refusing to {verb} {', '.join(changed)} without confirmation; rerun with --auto-approve",
            file=sys.stderr,
        )
        return False
    answer = input(
        f"{verb.capitalize()} the changes above to {', '.join(changed)} on the {s.target.name} target? [y/N] "
    )
    return answer.strip().lower() in ("y", "yes")


def _finish(s: Session, outcomes: dict[str, Outcome], as_json: bool, command: str, outputs: bool = False) -> None:
    s.progress.close()
    values = {}
    if outputs:
        for name, o in outcomes.items():
            if o.status == "ok":
                try:
                    values[name] = s.runner(name).outputs()
                except Exception as exc:  # noqa: BLE001 - outputs are a courtesy after a deploy
                    values[name] = {"error": str(exc)}
    if as_json:
        _emit(
            {
                "command": command,
                "target": s.target.name,
                "logs": str(s.ctx.log_dir),
                "stacks": [o.to_json() for o in outcomes.values()],
                "skipped": s.skipped,
                "outputs": values,
            }
        )
        return
    print(f"\n{'STACK':<12} {'STATUS':<8} {'CHANGES':<14} {'TIME':>7}  DETAIL")
    for o in outcomes.values():
        counts = str(o.counts) if o.counts else "-"
        print(f"{o.stack:<12} {o.status:<8} {counts:<14} {o.seconds:6.1f}s  {o.detail}")
    for name, reason in s.skipped.items():
        print(f"{name:<12} {'skipped':<8} {'-':<14} {'':>7}  not on the {s.target.name} target: {reason}")
    for name, outs in values.items():
        for key, value in outs.items():
            print(f"{name}.{key} = {value}")
    print(f"logs: {s.ctx.log_dir}")


def _exit(outcomes: dict[str, Outcome]) -> int:
    if any("interrupted" in o.detail for o in outcomes.values()):
        return 130
    return 0 if all(o.status == "ok" for o in outcomes.values()) else 1


def _emit(data: object) -> None:
    json.dump(data, sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")
