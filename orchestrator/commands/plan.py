"""`plan`: every stack's changes and risks, read without locking; the reports a merge request shows."""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

from config.arguments import GitRef
from orchestrator.commands.planning import locks, orphans, plan_all
from orchestrator.commands.report import finish
from orchestrator.plans import summary
from orchestrator.session import ROOT, Session, open_session
from orchestrator.terraform.plan_output import Counts
from synthesis.refs import synthesize_ref, unchanged_stacks


def plan(args: argparse.Namespace) -> int:
    s = open_session(args, "plan")
    if args.changed_since:
        _skip_unchanged(s, args.changed_since, args.environments)
    outcomes = plan_all(s, lock=False, with_pending=True)
    if args.plan_dir:
        args.plan_dir.mkdir(parents=True, exist_ok=True)
        for name, outcome in outcomes.items():
            if outcome.ok:
                runner = s.runner(name)
                shutil.copyfile(runner.plan_file, args.plan_dir / f"{name}.tfplan")
                (args.plan_dir / f"{name}.txt").write_text(runner.show_text())
    total = Counts.total(o.counts for o in outcomes.values())
    if args.report:
        _writable(args.report).write_text(json.dumps(total.as_report()))
    if args.summary:
        _writable(args.summary).write_text(summary.render(outcomes, s.skipped, lambda name: s.runner(name).show_text()))
    finish(s, outcomes, args.json, "plan", extra={"orphans": orphans(s), "locks": locks(s)})
    if not all(o.ok for o in outcomes.values()):
        return 1
    return 2 if args.detailed_exitcode and total.changes else 0


def _writable(path: Path) -> Path:
    """`path`, its folder made: the option's parser checked that it can be (config.arguments.output_file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _skip_unchanged(s: Session, ref: GitRef, environments: Path) -> None:
    """Leave out the stacks REF's synthesis (with REF's own code and YAML) already had as they are;
    the commit it named when the arguments were parsed is the one synthesized."""
    with s.progress.step("app", f"synth {ref}"):
        _, ref_outdir = synthesize_ref(ref.commit, ROOT, environments)
    same = unchanged_stacks(s.selected, s.synth.outdir, ref_outdir)
    for name in same:
        s.skipped[name] = f"synthesized as at {ref}: nothing to plan"
        s.progress.say(name, "skip", s.skipped[name])
    s.selected = [n for n in s.selected if n not in same]
