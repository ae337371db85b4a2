"""Planning every selected stack, with what each plan risks, and what the state buckets say beside it."""

from __future__ import annotations

from typing import Any

from orchestrator.commands.report import warn
from orchestrator.executor import Outcome, Status
from orchestrator.plans.pending import RELEASE_HOW, pending_release
from orchestrator.plans.risk import Change, Risk, changes, classify
from orchestrator.recovery.locks import read_lock
from orchestrator.recovery.orphans import find_orphans
from orchestrator.session import Session


def plan_all(s: Session, *, lock: bool = True, with_pending: bool = False) -> dict[str, Outcome]:
    """`with_pending`: also say what blue_green services run only after their next release."""

    def work(name: str) -> Outcome:
        outcome = plan_one(s, name, lock=lock)
        outcome.pending = pending(s, name) if with_pending else []
        return outcome

    return s.run(work, ordered=False)


def plan_one(s: Session, name: str, *, lock: bool = True) -> Outcome:
    counts = s.init_and_plan(name, lock=lock)
    s.progress.say(name, "plan", f"{counts} (add ~change -destroy)")
    outcome = Outcome(name, Status.OK, counts)
    if counts.changes:
        outcome.risks, outcome.resources = assess(s, name)
    return outcome


def assess(s: Session, name: str) -> tuple[list[Risk], list[Change]]:
    """The plan's risks (orchestrator.plans.risk), each said as soon as it is known (before anything is applied),
    and the resources it changes."""
    with s.progress.step(name, "assess"):
        plan = s.runner(name).show()
        risks = classify(plan)
    for risk in risks:
        s.progress.say(name, "risk", str(risk))
    return risks, changes(plan)


def pending(s: Session, name: str) -> list[str]:
    env = s.environment(name)
    found = pending_release(s.target, s.project.settings, env) if env else []
    for line in found:
        s.progress.say(name, "pending", f"{line}: {RELEASE_HOW}")
    return found


def orphans(s: Session) -> list[dict[str, Any]]:
    """Warn about every orphaned state (orchestrator.recovery.orphans); the JSON output's `orphans`."""
    found = find_orphans(s.target, s.stacks)
    for orphan in found:
        warn(f"{orphan.name}: {orphan.describe()}")
    return [o.to_json() for o in found]


def locks(s: Session) -> dict[str, Any]:
    """Warn about every lock on a selected stack's state; plans read without locking, a deploy would wait."""
    found = {}
    for name in s.selected:
        backend = s.stacks[name].backend
        lock = read_lock(s.target, name, backend) if backend else None
        if lock:
            warn(f"{lock.describe()}: a deploy would be refused; {lock.advice()}")
            found[name] = lock.to_json()
    return found
