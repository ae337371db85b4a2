"""Run one function per stack, in dependency order, independent stacks in parallel.

A stack starts when every selected dependency has succeeded; if one failed (or the
run was interrupted), the stack is skipped and says why.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from orchestrator.plans.risk import Change, Risk
from orchestrator.terraform.plan_output import Counts
from orchestrator.terraform.process import interrupted
from orchestrator.terraform.runner import TerraformError
from synthesis.manifest import Stack


class Status(StrEnum):
    """A stack's outcome; the JSON output shows the value."""

    OK = "ok"
    FAILED = "failed"
    SKIPPED = "skipped"
    DRIFTED = "drifted"
    """drift only: the stack ran, and something changed outside Terraform."""


@dataclass
class Outcome:
    stack: str
    status: Status
    counts: Counts | None = None
    seconds: float = 0.0
    detail: str = ""
    interrupted: bool = False
    """Ctrl-C stopped it, or it was skipped because of one."""
    steps: dict[str, float] = field(default_factory=dict)
    """Seconds per step (init, plan, apply, ...), as Progress timed them."""
    risks: list[Risk] = field(default_factory=list)
    """What the plan does to traffic, data and access (orchestrator.plans.risk)."""
    resources: list[Change] = field(default_factory=list)
    """Every resource the plan changes, with its action."""
    pending: list[str] = field(default_factory=list)
    """blue_green: what the service runs only after its next release (orchestrator.plans.pending)."""

    def __post_init__(self) -> None:
        self.status = Status(self.status)

    @property
    def ok(self) -> bool:
        return self.status == Status.OK

    @property
    def changed(self) -> bool:
        return bool(self.counts and self.counts.changes)

    def steps_json(self) -> dict[str, float]:
        """The JSON output's `steps`: seconds per step, one decimal."""
        return {step: round(seconds, 1) for step, seconds in self.steps.items()}

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "stack": self.stack,
            "status": self.status.value,
            "seconds": round(self.seconds, 1),
            "detail": self.detail,
            "steps": self.steps_json(),
            "risks": [r.to_json() for r in self.risks],
            "resources": [c.to_json() for c in self.resources],
            "pending": self.pending,
        }
        if self.counts is not None:
            data["changes"] = self.counts.as_report()
        return data


def run_stacks(
    names: list[str],
    stacks: dict[str, Stack],
    work: Callable[[str], Outcome],
    *,
    ordered: bool = True,
    reverse: bool = False,
    parallelism: int = 4,
) -> dict[str, Outcome]:
    """`reverse` runs dependants first (destroy)."""
    selected = set(names)
    waits_for: dict[str, set[str]] = {n: set() for n in names}
    if ordered:
        for n in names:
            for dep in stacks[n].dependencies:
                if dep in selected:
                    (waits_for[dep] if reverse else waits_for[n]).add(n if reverse else dep)
    outcomes: dict[str, Outcome] = {}
    running: dict[Future[Outcome], str] = {}
    with ThreadPoolExecutor(max_workers=max(1, parallelism)) as pool:
        while len(outcomes) < len(names):
            for name in names:
                if name in outcomes or name in running.values():
                    continue
                failed = [d for d in waits_for[name] if d in outcomes and not outcomes[d].ok]
                if interrupted.is_set():
                    outcomes[name] = Outcome(name, Status.SKIPPED, detail="interrupted", interrupted=True)
                elif failed:
                    detail = f"{', '.join(sorted(failed))} did not succeed"
                    outcomes[name] = Outcome(name, Status.SKIPPED, detail=detail)
                elif all(d in outcomes for d in waits_for[name]):
                    running[pool.submit(_timed, work, name)] = name
            if not running:
                continue
            done, _ = wait(list(running), return_when=FIRST_COMPLETED)
            for future in done:
                outcomes[running.pop(future)] = future.result()
    return {n: outcomes[n] for n in names}


def _timed(work: Callable[[str], Outcome], name: str) -> Outcome:
    began = time.monotonic()
    try:
        outcome = work(name)
    except Exception as exc:  # noqa: BLE001 - one stack's failure must not stop the others
        stopped = isinstance(exc, TerraformError) and exc.interrupted
        outcome = Outcome(name, Status.FAILED, detail=str(exc), interrupted=stopped)
    outcome.seconds = time.monotonic() - began
    return outcome
