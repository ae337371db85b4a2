"""`destroy`: plan the destruction of stacks, confirm, destroy dependants first.

`destroy NAME --orphaned` destroys a state no stack synthesizes any more (orchestrator.recovery.orphans)
from the state alone, then deletes the emptied state object so it is no longer reported.
"""

from __future__ import annotations

import argparse
import json

from orchestrator.commands.report import confirm, exit_code, finish
from orchestrator.executor import Outcome, Status
from orchestrator.recovery.orphans import find_orphans, orphan_stack, state_of
from orchestrator.session import Session, open_session
from orchestrator.targets import TargetError


def destroy(args: argparse.Namespace) -> int:
    names = list(args.stacks)
    if args.orphaned:
        args.stacks = []  # the orphans are not synthesized stacks: they are found below
    s = open_session(args, "destroy")
    if args.orphaned:
        _select_orphans(s, names)
    plans = s.run(lambda name: _plan_destroy(s, name), ordered=False)
    if not all(o.ok for o in plans.values()):
        finish(s, plans, args.json, "destroy")
        return 1
    changed = [n for n in s.selected if plans[n].changed]
    if changed and not args.auto_approve and not _confirmed(s, changed):
        return 1

    def work(name: str) -> Outcome:
        if name in changed:
            with s.progress.step(name, "destroy"):
                s.runner(name).apply()
        if args.orphaned:
            _delete_emptied_state(s, name)
        detail = "destroyed" if name in changed else "nothing to destroy"
        return Outcome(name, Status.OK, plans[name].counts, detail=detail)

    outcomes = s.run(work, reverse=True)
    finish(s, outcomes, args.json, "destroy")
    return exit_code(outcomes)


def _plan_destroy(s: Session, name: str) -> Outcome:
    counts = s.init_and_plan(name, destroy=True)
    s.progress.say(name, "plan", f"{counts} (add ~change -destroy)")
    return Outcome(name, Status.OK, counts)


def _select_orphans(s: Session, names: list[str]) -> None:
    """Make the named orphans the session's stacks (each a stack with only its backend and a provider)."""
    if not names:
        raise TargetError("destroy --orphaned: name the orphaned state(s) to destroy, as `plan` reports them")
    orphans = {o.name: o for o in find_orphans(s.target, s.stacks)}
    unknown = [n for n in names if n not in orphans]
    if unknown:
        known = ", ".join(orphans) or "none"
        raise TargetError(f"no orphaned state named {', '.join(unknown)} in the state buckets (orphaned: {known})")
    template = json.loads(next(iter(st for st in s.stacks.values() if "aws" in st.providers)).config_file.read_text())
    s.selected = []
    for name in names:
        orphan = orphans[name]
        stack = orphan_stack(orphan, state_of(s.target, orphan.backend), template, s.ctx.cache_dir / "orphans" / name)
        s.stacks[name] = stack
        s.selected.append(name)
        s.progress.say(
            name, "orphan", f"s3://{orphan.backend.bucket}/{orphan.backend.key}: {orphan.resources} resource(s)"
        )


def _delete_emptied_state(s: Session, name: str) -> None:
    backend = s.stacks[name].backend
    if backend and not state_of(s.target, backend).get("resources"):
        s.target.client("s3", backend.region).delete_object(Bucket=backend.bucket, Key=backend.key)
        s.progress.say(name, "state", f"deleted the emptied s3://{backend.bucket}/{backend.key}")


def _confirmed(s: Session, changed: list[str]) -> bool:
    for name in changed:
        print(s.runner(name).show_text())
    return confirm(
        f"Destroy the changes above to {', '.join(changed)} on the {s.target.name} target? [y/N] ",
        f"refusing to destroy {', '.join(changed)} without confirmation; rerun with --auto-approve",
    )
