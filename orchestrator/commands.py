"""The CLI's commands: synthesize once, then drive Terraform per stack on a target (see orchestrator.session)."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from typing import Any

from config import Environment, ProjectSettings, load_project
from orchestrator.executor import Outcome, Status
from orchestrator.manifest import read_stacks
from orchestrator.plan_output import Counts
from orchestrator.progress import Progress
from orchestrator.session import ROOT, Session, open_session, synthesize_app


def synth(args: argparse.Namespace) -> int:
    result = synthesize_app(args, Progress())
    names = list(read_stacks(result.outdir))
    if args.json:
        _emit({"synth": result.to_json(), "stacks": names})
    else:
        print(f"stacks: {' '.join(names)}", file=sys.stderr)
    return 0


def _plan_all(s: Session, destroy: bool = False, lock: bool = True) -> dict[str, Outcome]:
    def work(name: str) -> Outcome:
        counts = s.init_and_plan(name, destroy=destroy, lock=lock)
        s.progress.say(name, "plan", f"{counts} (add ~change -destroy)")
        return Outcome(name, Status.OK, counts)

    return s.run(work, ordered=False)


def plan(args: argparse.Namespace) -> int:
    s = open_session(args, "plan")
    outcomes = _plan_all(s, lock=False)
    if args.plan_dir:
        args.plan_dir.mkdir(parents=True, exist_ok=True)
        for name, outcome in outcomes.items():
            if outcome.ok:
                runner = s.runner(name)
                shutil.copyfile(runner.plan_file, args.plan_dir / f"{name}.tfplan")
                (args.plan_dir / f"{name}.txt").write_text(runner.show_text())
    total = Counts.total(o.counts for o in outcomes.values())
    if args.report:
        args.report.write_text(json.dumps(total.as_report()))
    _finish(s, outcomes, args.json, "plan")
    if not all(o.ok for o in outcomes.values()):
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
        plans = _plan_all(s)
        if not all(o.ok for o in plans.values()):
            _finish(s, plans, args.json, "deploy")
            print("error: a plan failed; nothing was applied", file=sys.stderr)
            return 1
        changed = [n for n in s.selected if plans[n].changed]
        if changed and not _confirm(s, changed, "apply"):
            return 1

    def work(name: str) -> Outcome:
        counts = plans[name].counts if name in plans else s.init_and_plan(name)
        if not counts or not counts.changes:
            return Outcome(name, Status.OK, counts, detail="no changes")
        with s.progress.step(name, "apply"):
            s.runner(name).apply()
        return Outcome(name, Status.OK, counts, detail="applied")

    outcomes = s.run(work)
    _finish(s, outcomes, args.json, "deploy", outputs=True)
    return _exit(outcomes)


def destroy(args: argparse.Namespace) -> int:
    s = open_session(args, "destroy")
    plans = _plan_all(s, destroy=True)
    if not all(o.ok for o in plans.values()):
        _finish(s, plans, args.json, "destroy")
        return 1
    changed = [n for n in s.selected if plans[n].changed]
    if changed and not args.auto_approve and not _confirm(s, changed, "destroy"):
        return 1

    def work(name: str) -> Outcome:
        if name in changed:
            with s.progress.step(name, "destroy"):
                s.runner(name).apply()
        detail = "destroyed" if name in changed else "nothing to destroy"
        return Outcome(name, Status.OK, plans[name].counts, detail=detail)

    outcomes = s.run(work, reverse=True)
    _finish(s, outcomes, args.json, "destroy")
    return _exit(outcomes)


def output(args: argparse.Namespace) -> int:
    s = open_session(args, "output")

    def work(name: str) -> Outcome:
        runner = s.runner(name)
        runner.init()
        return Outcome(name, Status.OK, detail=json.dumps(runner.outputs()))

    outcomes = s.run(work, ordered=False)
    values = {n: json.loads(o.detail) for n, o in outcomes.items() if o.ok}
    if args.json:
        _emit(values)
    else:
        for name, outs in values.items():
            for key, value in outs.items():
                print(f"{name}.{key} = {value}")
    for o in outcomes.values():
        if not o.ok:
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
    values: dict[str, dict[str, Any]] = {}
    if outputs:
        for name, o in outcomes.items():
            if o.ok:
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
                "synth": s.synth.to_json(),
                "stacks": [o.to_json() for o in outcomes.values()],
                "skipped": s.skipped,
                "outputs": values,
            }
        )
        return
    print(f"\n{'STACK':<12} {'STATUS':<8} {'CHANGES':<14} {'TIME':>7}  DETAIL")
    for o in outcomes.values():
        counts = str(o.counts) if o.counts else "-"
        print(f"{o.stack:<12} {o.status.value:<8} {counts:<14} {o.seconds:6.1f}s  {o.detail}")
    for name, reason in s.skipped.items():
        print(f"{name:<12} {Status.SKIPPED.value:<8} {'-':<14} {'':>7}  not on the {s.target.name} target: {reason}")
    for name, outs in values.items():
        for key, value in outs.items():
            print(f"{name}.{key} = {value}")
    print(f"logs: {s.ctx.log_dir}")


def _exit(outcomes: dict[str, Outcome]) -> int:
    if any(o.interrupted for o in outcomes.values()):
        return 130
    return 0 if all(o.ok for o in outcomes.values()) else 1


def _emit(data: object) -> None:
    json.dump(data, sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")
