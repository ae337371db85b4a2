"""Dependency-ordered, parallel execution of per-stack work."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from orchestrator.executor import Outcome, run_stacks
from orchestrator.stacks import Stack


def stacks(**deps: tuple[str, ...]) -> dict[str, Stack]:
    return {n: Stack(name=n, workdir=Path("/nonexistent"), dependencies=d, providers=("aws",)) for n, d in deps.items()}


def recorder(fail: set[str] = frozenset(), delay: float = 0.05):
    events: list[tuple[str, str]] = []
    lock = threading.Lock()

    def work(name: str) -> Outcome:
        with lock:
            events.append(("start", name))
        time.sleep(delay)
        if name in fail:
            raise RuntimeError(f"{name} broke")
        with lock:
            events.append(("end", name))
        return Outcome(name, "ok")

    return events, work


def test_dependencies_run_first_and_independent_stacks_overlap():
    graph = stacks(staging=(), production=(), release=(), gitlab=("release",))
    events, work = recorder()
    outcomes = run_stacks(list(graph), graph, work, parallelism=4)
    assert all(o.status == "ok" for o in outcomes.values())
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
