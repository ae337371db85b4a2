"""Dependency-ordered, parallel execution of per-stack work; the outcomes' statuses, interrupt flag and step times."""

from __future__ import annotations

import io
import json
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest

from orchestrator import progress as progress_module
from orchestrator.executor import Outcome, Status, run_stacks
from orchestrator.progress import Progress
from synthesis.manifest import Stack


def stacks(**deps: tuple[str, ...]) -> dict[str, Stack]:
    return {n: Stack(name=n, workdir=Path("/nonexistent"), dependencies=d, providers=("aws",)) for n, d in deps.items()}


def recorder(fail: set[str] = frozenset(), together: set[str] = frozenset()):
    """`together`: stacks whose work only ends once all of them have started (a bounded barrier), so their
    overlap is proven rather than hoped for; a run that does not overlap them fails with BrokenBarrierError."""
    events: list[tuple[str, str]] = []
    lock = threading.Lock()
    barrier = threading.Barrier(len(together) or 1, timeout=30)

    def work(name: str) -> Outcome:
        with lock:
            events.append(("start", name))
        if name in together:
            barrier.wait()
        if name in fail:
            raise RuntimeError(f"{name} broke")
        with lock:
            events.append(("end", name))
        return Outcome(name, "ok")

    return events, work


def test_dependencies_run_first_and_independent_stacks_overlap():
    graph = stacks(staging=(), production=(), release=(), gitlab=("release",))
    events, work = recorder(together={"staging", "production", "release"})
    outcomes = run_stacks(list(graph), graph, work, parallelism=4)
    assert {n: (o.status, o.detail) for n, o in outcomes.items()} == {n: ("ok", "") for n in graph}
    assert events.index(("end", "release")) < events.index(("start", "gitlab"))
    starts = [n for kind, n in events[:3] if kind == "start"]
    assert sorted(starts) == ["production", "release", "staging"]  # all three started before any ended


def test_a_failure_skips_its_dependants_only():
    graph = stacks(staging=(), release=(), gitlab=("release",))
    _, work = recorder(fail={"release"})
    outcomes = run_stacks(list(graph), graph, work)
    assert outcomes["release"].status == "failed" and "release broke" in outcomes["release"].detail
    assert outcomes["gitlab"].status == "skipped" and "release did not succeed" in outcomes["gitlab"].detail
    assert outcomes["staging"].status == "ok"


def test_reverse_runs_dependants_first():
    graph = stacks(release=(), gitlab=("release",))
    events, work = recorder()
    run_stacks(list(graph), graph, work, reverse=True)
    assert events.index(("end", "gitlab")) < events.index(("start", "release"))


def test_unselected_dependencies_do_not_block():
    graph = stacks(release=(), gitlab=("release",))
    _, work = recorder()
    assert run_stacks(["gitlab"], graph, work)["gitlab"].status == "ok"


def test_an_interrupted_step_is_flagged_and_exits_130_whatever_its_text():
    from orchestrator.commands.report import exit_code as _exit
    from orchestrator.terraform.runner import TerraformError, TerraformInterrupted

    graph = stacks(staging=(), release=())

    def work(name: str) -> Outcome:
        if name == "staging":
            raise TerraformInterrupted(name, "apply", "stopped")
        raise TerraformError(name, "plan", "Error: the provider was interrupted by a timeout")

    outcomes = run_stacks(list(graph), graph, work)
    assert outcomes["staging"].status == Status.FAILED and outcomes["staging"].interrupted
    assert outcomes["release"].status == "failed" and not outcomes["release"].interrupted  # the word alone is not it
    assert _exit(outcomes) == 130
    assert _exit({"release": outcomes["release"]}) == 1


def test_outcome_json_keeps_the_status_strings_and_adds_steps_to_one_decimal():
    from orchestrator.plans.risk import Risk, RiskKind
    from orchestrator.terraform.plan_output import Counts

    outcome = Outcome("staging", "drifted", Counts(1, 0, 0), seconds=3.14, steps={"init": 0.123, "drift": 2.96})
    assert outcome.status is Status.DRIFTED
    assert json.loads(json.dumps(outcome.to_json())) == {
        "stack": "staging",
        "status": "drifted",
        "seconds": 3.1,
        "detail": "",
        "steps": {"init": 0.1, "drift": 3.0},
        "changes": {"create": 1, "update": 0, "delete": 0},
        "risks": [],
        "resources": [],
        "pending": [],
    }
    risky = Outcome("production", "ok", risks=[Risk("aws_lb.x", "replace", RiskKind.DISRUPTIVE, "why")])
    assert risky.to_json()["risks"] == [
        {"address": "aws_lb.x", "action": "replace", "kind": "disruptive", "reason": "why"}
    ]
    assert {s.value for s in Status} == {"ok", "failed", "skipped", "drifted"}


def test_progress_times_every_step_per_stack(monkeypatch: pytest.MonkeyPatch):
    """On a clock the test moves: each step's time is exactly what passed during it."""
    now = [100.0]
    monkeypatch.setattr(progress_module, "time", SimpleNamespace(monotonic=lambda: now[0]))
    progress = Progress(stream=io.StringIO(), heartbeat_seconds=60)
    with progress.step("staging", "init"):
        now[0] += 2.5
    with progress.step("staging", "plan"):
        now[0] += 0.25
    with progress.step("staging", "init"):  # a step run twice adds up
        now[0] += 1.0
    with progress.step("release", "plan"):
        pass
    progress.close()
    assert progress.seconds_of("staging") == {"init": 3.5, "plan": 0.25}
    assert progress.seconds_of("release") == {"plan": 0.0} and progress.seconds_of("gitlab") == {}
    assert "[   2.5s] staging      init     finished in 2.5s" in progress.stream.getvalue()  # the human line
