"""`deploy`: bootstrap the state, plan, refuse what a protected environment must not take, apply in order.

Without `--auto-approve` every plan is shown (with its risks) and confirmed first. With it,
each stack applies as soon as its own plan is ready, unless a protected environment is
selected: then every stack is planned first, and a disruptive, destructive or broadening
change to a protected environment stops the run before anything is applied (`--allow-risk`).
"""

from __future__ import annotations

import argparse
import sys

from orchestrator.commands.planning import orphans, pending, plan_all, plan_one
from orchestrator.commands.report import confirm, exit_code, finish
from orchestrator.executor import Outcome, Status
from orchestrator.recovery.adopt import adopt_leftovers, end_recovery, recovery_marked
from orchestrator.session import Session, open_session
from orchestrator.terraform.runner import TerraformError


def deploy(args: argparse.Namespace) -> int:
    s = open_session(args, "deploy", companions=not args.no_release)
    with s.progress.step("state", "bootstrap"):
        created = s.target.bootstrap_state()
    if created:
        s.progress.say("state", "bootstrap", f"created {', '.join(created)}")
    notices = {"orphans": orphans(s)}
    recovering = [n for n in s.selected if args.adopt or recovery_marked(s, n)]
    for name in recovering:  # before any plan: what it imports is part of the plans
        try:
            adopt_leftovers(s, name)
        except TerraformError as exc:
            s.progress.close()
            print(f"error: {exc}; nothing was applied", file=sys.stderr)
            return 1
    plans: dict[str, Outcome] = {}
    if not args.auto_approve or any(s.protected(n) for n in s.selected):
        plans = plan_all(s)
        if not all(o.ok for o in plans.values()):
            finish(s, plans, args.json, "deploy", extra=notices)
            print("error: a plan failed; nothing was applied", file=sys.stderr)
            return 1
        refused = refusals(s, plans, args.allow_risk)
        if refused:
            finish(s, refused, args.json, "deploy", extra=notices)
            names = ", ".join(n for n, o in refused.items() if o.status is Status.FAILED)
            print(f"error: {names} refused (the risks are listed above): nothing was applied", file=sys.stderr)
            return 1
        changed = [n for n in s.selected if plans[n].changed]
        if changed and not args.auto_approve and not _confirmed(s, changed, plans):
            return 1

    def work(name: str) -> Outcome:
        outcome = plans.get(name) or plan_one(s, name)
        if outcome.changed:
            with s.progress.step(name, "apply"):
                s.runner(name).apply()
        if name in recovering:
            end_recovery(s, name)
        detail = "applied" if outcome.changed else "no changes"
        outcome.detail, outcome.pending = detail, pending(s, name)
        return outcome

    outcomes = s.run(work)
    finish(s, outcomes, args.json, "deploy", outputs=True, extra=notices)
    return exit_code(outcomes)


def refusals(s: Session, plans: dict[str, Outcome], allow_risk: bool) -> dict[str, Outcome]:
    """The outcomes to report when a protected environment's plan has risks and they were not allowed, else {}."""
    risky = {n: o for n, o in plans.items() if s.protected(n) and o.risks}
    if not risky or allow_risk:
        return {}
    refused = {}
    for name, o in plans.items():
        if name in risky:
            kinds = sorted({str(r.kind) for r in o.risks})
            detail = (
                f"refused: {name} is protected and its plan has {len(o.risks)} {'/'.join(kinds)} change(s); "
                "review them and rerun with --allow-risk (in CI: ALLOW_RISK=true)"
            )
            refused[name] = Outcome(name, Status.FAILED, o.counts, detail=detail, risks=o.risks)
        else:
            refused[name] = Outcome(name, Status.SKIPPED, o.counts, detail="nothing applied", risks=o.risks)
    return refused


def _confirmed(s: Session, changed: list[str], plans: dict[str, Outcome]) -> bool:
    for name in changed:
        print(s.runner(name).show_text())
        for risk in plans[name].risks:
            print(f"{name}: ! {risk}")
    return confirm(
        f"Apply the changes above to {', '.join(changed)} on the {s.target.name} target? [y/N] ",
        f"refusing to apply {', '.join(changed)} without confirmation; rerun with --auto-approve",
    )
