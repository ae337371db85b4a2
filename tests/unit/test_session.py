"""A run initializes every stack before any stack plans: Terraform's plugin cache is rewritten by a first init."""

from __future__ import annotations

import io
import threading
import time
from pathlib import Path

from orchestrator import executor
from orchestrator.executor import Outcome, Status
from orchestrator.progress import Progress
from orchestrator.session import Session
from orchestrator.terraform.runner import TerraformError, TerraformInterrupted
from synthesis.manifest import Stack


class Runner:
    def __init__(self, name: str, events: list[tuple[str, str]], broken: set[str]):
        self.name, self.events, self.broken = name, events, broken

    def init(self) -> None:
        time.sleep(0.02)  # long enough for a plan started alongside to be seen
        self.events.append(("init", self.name))
        if self.name in self.broken:
            raise TerraformError(self.name, "init", "the backend bucket does not exist")


def session(names: list[str], events: list[tuple[str, str]], broken: set[str] = frozenset()) -> Session:
    stacks = {n: Stack(name=n, workdir=Path("/nonexistent"), dependencies=(), providers=("aws",)) for n in names}
    s = Session(None, None, stacks, names, None, Progress(stream=io.StringIO(), heartbeat_seconds=60), None)  # type: ignore[arg-type]
    runners = {n: Runner(n, events, broken) for n in names}
    s.runner = runners.__getitem__  # type: ignore[method-assign]
    return s


def test_every_stack_is_initialized_before_any_stack_plans():
    events: list[tuple[str, str]] = []
    lock = threading.Lock()
    s = session(["staging", "production", "release", "access"], events)

    def work(name: str) -> Outcome:
        s.init(name)  # what init_and_plan does: a no-op by now
        with lock:
            events.append(("plan", name))
        return Outcome(name, Status.OK)

    outcomes = s.run(work, ordered=False)
    assert all(o.ok for o in outcomes.values())
    kinds = [kind for kind, _ in events]
    assert kinds == ["init"] * 4 + ["plan"] * 4
    assert [n for kind, n in events if kind == "init"] == ["staging", "production", "release", "access"]
    assert "init" in outcomes["staging"].steps  # its time is still the stack's


def test_a_failed_init_fails_its_stack_once_and_the_others_run():
    events: list[tuple[str, str]] = []
    s = session(["staging", "release"], events, broken={"release"})

    def work(name: str) -> Outcome:
        s.init(name)
        events.append(("plan", name))
        return Outcome(name, Status.OK)

    outcomes = s.run(work, ordered=False)
    assert outcomes["staging"].ok
    assert outcomes["release"].status is Status.FAILED
    assert "release: init failed: the backend bucket does not exist" in outcomes["release"].detail
    assert events.count(("init", "release")) == 1 and ("plan", "release") not in events


def test_ctrl_c_during_the_inits_stops_them_and_every_stack_is_reported_interrupted(monkeypatch):
    events: list[tuple[str, str]] = []
    s = session(["staging", "production", "release"], events)

    def interrupted_init() -> None:
        events.append(("init", "production"))
        executor.interrupted.set()
        raise TerraformInterrupted("production", "init", "interrupted")

    s.runner("production").init = interrupted_init
    monkeypatch.setattr(executor, "interrupted", threading.Event())
    outcomes = s.run(lambda name: Outcome(name, Status.OK), ordered=False)
    assert [n for _, n in events] == ["staging", "production"]  # release never initialized
    assert all(o.interrupted for o in outcomes.values())
