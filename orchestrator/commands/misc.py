"""The commands that plan nothing: synth, output, drift (orchestrator.plans.drift), local, schema."""

from __future__ import annotations

import argparse
import json
import sys

from config import Environment, ProjectSettings, load_project
from orchestrator.commands.report import emit, exit_code
from orchestrator.executor import Outcome, Status
from orchestrator.progress import Progress
from orchestrator.session import ROOT, open_session, synthesize_app
from orchestrator.targets import TargetError
from synthesis.manifest import read_stacks


def synth(args: argparse.Namespace) -> int:
    result = synthesize_app(args, Progress())
    names = list(read_stacks(result.outdir))
    if args.json:
        emit({"synth": result.to_json(), "stacks": names})
    else:
        print(f"stacks: {' '.join(names)}", file=sys.stderr)
    return 0


def output(args: argparse.Namespace) -> int:
    s = open_session(args, "output")

    def work(name: str) -> Outcome:
        s.init(name)
        return Outcome(name, Status.OK, detail=json.dumps(s.runner(name).outputs()))

    outcomes = s.run(work, ordered=False)
    values = {n: json.loads(o.detail) for n, o in outcomes.items() if o.ok}
    if args.json:
        emit(values)
    else:
        for name, outs in values.items():
            for key, value in outs.items():
                print(f"{name}.{key} = {value}")
    for o in outcomes.values():
        if not o.ok:
            print(f"error: {o.stack}: {o.detail}", file=sys.stderr)
    return exit_code(outcomes)


def drift(args: argparse.Namespace) -> int:
    from orchestrator.plans.drift import detect

    return detect(open_session(args, "drift"), args)


def local(args: argparse.Namespace) -> int:
    import emulator

    if args.action == "start":
        account = load_project(ROOT).settings.aws.account_id
        try:
            status = emulator.start(account_id=account)
        except emulator.EmulatorError as exc:
            raise TargetError(f"the local emulator did not start: {exc}") from exc
    elif args.action == "stop":
        stopped = emulator.stop()
        print("stopped the local emulator" if stopped else "the local emulator was not running", file=sys.stderr)
        status = emulator.status()
    else:
        status = emulator.status()
    if args.json:
        emit(status.to_json())
    else:
        print(f"running at {status.endpoint}" if status.running else "not running")
    return 0


def schema(args: argparse.Namespace) -> int:
    schemas = {"environment": Environment.model_json_schema(), "project": ProjectSettings.model_json_schema()}
    if not args.out:
        emit(schemas)
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    for name, body in schemas.items():
        (args.out / f"{name}.schema.json").write_text(json.dumps(body, indent=2) + "\n")
    return 0
