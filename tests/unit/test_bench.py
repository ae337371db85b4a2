"""The benchmark's pieces that can fail without running it: memory sampling, generated
environments, medians and target evaluation, report rendering. Nothing here is timed."""

from __future__ import annotations

import concurrent.futures
import ipaddress
import itertools
import os
import shlex
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from bench import memory
from bench.__main__ import parse_args
from bench.envgen import generate_environments
from bench.figures import Figure
from bench.memory import Run, TreeSampler, run_measured
from bench.report import render, slowest_single, targets
from bench.runner import synth_split
from bench.stats import GB, MB, Target, fmt_breakdown, fmt_bytes, median, ratio
from config import load_project
from tests.integration import processes

ROOT = Path(__file__).resolve().parents[2]
ALLOCATE = textwrap.dedent("""
    import pathlib, time
    block = b"x" * ({mb} << 20)   # written, so resident
    pathlib.Path({ready!r}).touch()
    deadline = time.monotonic() + 60
    while not pathlib.Path({release!r}).exists() and time.monotonic() < deadline:
        time.sleep(0.01)   # held until the test has sampled it
""")
BOUND = 60.0
"""Seconds any wait of these tests may take before it fails: a bound, never an expected duration."""


def allocate(mb: int, ready: Path, release: Path) -> list[str]:
    """A Python process that allocates `mb`, touches `ready`, and holds the memory until `release` exists."""
    return [sys.executable, "-c", ALLOCATE.format(mb=mb, ready=str(ready), release=str(release))]


def wait_for(condition: Callable[[], object], what: str, timeout: float = BOUND) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {timeout}s")
        time.sleep(0.01)


def measured_while_held(argv: list[str], ready: list[Path], release: Path) -> Run:
    """run_measured(argv) in a thread; once every `ready` file exists and the sampler has taken two samples
    more, `release` lets the command end: the sampler has then seen the memory, however loaded the machine."""
    started: list[TreeSampler] = []
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        future = pool.submit(run_measured, argv, timeout=BOUND, on_start=started.append)
        try:
            wait_for(lambda: all(r.exists() for r in ready), "the children allocated")
            wait_for(lambda: started, "the sampler started")
            seen = started[0].peak.samples
            wait_for(lambda: started[0].peak.samples >= seen + 2, "two samples of the allocated memory")
        finally:
            release.touch()
        return future.result(timeout=BOUND)


# ---- memory ------------------------------------------------------------------------------------


def test_sampler_sees_a_child_that_allocates_200_mb(tmp_path: Path):
    ready, release = tmp_path / "ready", tmp_path / "release"
    run = measured_while_held(allocate(200, ready, release), [ready], release)
    assert run.ok, run.tail()
    assert run.memory.bytes >= 200 * MB
    assert run.memory.breakdown.get("python", 0) >= 200 * MB
    assert run.memory.samples >= 2


def test_sampler_sums_the_whole_tree_grandchildren_included(tmp_path: Path):
    """A shell starting two allocating processes at once: the peak counts both (as with python + node)."""
    ready, release = [tmp_path / "one", tmp_path / "two"], tmp_path / "release"
    one, two = (shlex.join(allocate(150, r, release)) for r in ready)
    run = measured_while_held(["/bin/sh", "-c", f"{one} & {two} & wait"], ready, release)
    assert run.ok, run.tail()
    assert run.memory.bytes >= 300 * MB
    assert run.memory.processes.get("python") == 2


def test_tree_lists_descendants_and_sampler_stops():
    proc = subprocess.Popen(["/bin/sh", "-c", "sleep 5 & sleep 5 & wait"])
    try:
        wait_for(lambda: len(memory.tree(proc.pid)) >= 3, "the shell's two children")
        assert len(memory.tree(proc.pid)) == 3
        with TreeSampler(proc.pid, interval=0.01) as sampler:
            wait_for(lambda: sampler.peak.samples >= 2, "two samples")
        assert sampler.peak.max_processes == 3 and sampler.peak.bytes > 0
        assert not sampler._thread.is_alive()
    finally:
        memory.stop_tree(proc, grace=1)
    assert proc.poll() is not None
    assert memory.rss(proc.pid) is None or proc.returncode is not None


def test_children_by_ppid_agrees_with_the_children_files():
    proc = subprocess.Popen(["/bin/sh", "-c", "sleep 3 & wait"])
    try:
        wait_for(lambda: memory.children(proc.pid), "the shell's child")
        assert memory._children_by_ppid(proc.pid) == memory.children(proc.pid)
    finally:
        memory.stop_tree(proc, grace=1)


def test_rss_of_a_missing_process_is_none_and_categories():
    assert memory.rss(2**22 + 12345) is None
    name, size = memory.rss(os.getpid())
    assert name.startswith("python") and size > 0
    assert memory.category("terraform-provi") == "provider"
    assert memory.category("python3.11") == "python"
    assert memory.category("node") == "node"
    assert memory.category("terraform") == "terraform"


def test_run_measured_keeps_output_and_line_times():
    run = run_measured(
        [
            sys.executable,
            "-c",
            "import sys, time; print('out'); sys.stderr.write('first\\n');"
            "sys.stderr.flush(); sys.stderr.write('second\\n'); sys.exit(3)",
        ],
        timeout=BOUND,
    )
    assert run.returncode == 3 and not run.ok
    assert run.stdout == "out\n" and run.stderr == "first\nsecond\n"
    first, second = run.line_time("first"), run.line_time("second")
    assert first is not None and second is not None and 0 <= first <= second <= run.seconds  # in arrival order
    assert run.line_time("absent") is None


def test_run_measured_counts_the_cpu_of_the_tree():
    """A grandchild burning 0.3 CPU-seconds (measured by itself, so independent of load) is counted."""
    burn = "import time\nwhile time.process_time() < 0.3: pass"
    run = run_measured(["/bin/sh", "-c", f"{sys.executable} -c '{burn}'"], timeout=120)
    assert run.ok and run.cpu_seconds >= 0.3


def test_run_measured_stops_a_command_that_times_out():
    """Timed out, and nothing of its tree left running (the shell's `sleep` child included)."""
    marker = {"BENCH_TEST_RUN": uuid.uuid4().hex}
    run = run_measured(["/bin/sh", "-c", "sleep 30 & wait"], env={**os.environ, **marker}, timeout=0.5)
    assert run.timed_out and not run.ok
    assert processes.wait_until(lambda: processes.started_with("BENCH_TEST_RUN", marker["BENCH_TEST_RUN"]), 10) == []


# ---- generated environments --------------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 4, 16])
def test_generated_environments_load_and_are_distinct(tmp_path: Path, count: int):
    files = generate_environments(count, tmp_path / "envs")
    assert len(files) == count and not any((ROOT / "environments").glob("env*.yaml"))
    project = load_project(ROOT, tmp_path / "envs")  # raises ConfigError if anything is invalid or clashes
    envs = project.environments
    assert len(envs) == count
    assert len({e.name for e in envs}) == count and all(len(e.name) <= 10 for e in envs)
    assert sorted(e.release.order for e in envs) == list(range(1, count + 1))
    assert len({e.state.key for e in envs}) == count
    assert all(e.state.key not in ("acme-web/staging.tfstate", "acme-web/production.tfstate") for e in envs)
    vpcs = [ipaddress.IPv4Network(e.network.vpc_cidr) for e in envs]
    repo = [ipaddress.IPv4Network(e.network.vpc_cidr) for e in load_project(ROOT).environments]
    for a, b in itertools.combinations(vpcs + repo, 2):
        assert not a.overlaps(b), (a, b)
    assert {e.tags["environment"] for e in envs} == {e.name for e in envs}


def test_generator_refuses_a_directory_with_environments_and_bad_counts(tmp_path: Path):
    generate_environments(2, tmp_path)
    with pytest.raises(ValueError, match="already holds"):
        generate_environments(2, tmp_path)
    with pytest.raises(ValueError):
        generate_environments(0, tmp_path / "none")


def test_generator_scales_past_99_environments(tmp_path: Path):
    files = generate_environments(100, tmp_path)
    assert files[0].name == "env001.yaml" and files[-1].name == "env100.yaml"
    assert len(load_project(ROOT, tmp_path).environments) == 100


# ---- stats and targets -------------------------------------------------------------------------


def test_median():
    assert median([3, 1, 2]) == 2
    assert median([4, 1, 2, 3]) == 2.5
    assert median([None, 5]) == 5
    assert median([]) is None


def test_ratio_and_target_status():
    assert ratio(1, 4) == 0.25
    assert ratio(1, 0) is None and ratio(None, 3) is None
    assert Target("t", 0.05, 1 / 20).status == "PASS"
    assert Target("t", 0.051, 1 / 20).status == "FAIL"
    assert Target("t", None, 1.3).status == "N/A"
    assert Target("m", 1.4 * GB, 1.3 * GB, unit="GB").status == "FAIL"
    assert Target("m", 1.4 * GB, 1.3 * GB, unit="GB").shown(1.4 * GB) == "1.40 GB"
    assert fmt_bytes(512 * MB) == "512 MB" and fmt_bytes(None) == "-"
    assert (
        fmt_breakdown({"python": 600 * MB, "node": 700 * MB}, {"python": 1, "node": 1}) == "node 700 MB + python 600 MB"
    )
    assert fmt_breakdown({"provider": 900 * MB}, {"provider": 3}) == "provider x3 900 MB"


def fig(key: str, seconds: list[float], peak: int = 0, **extra) -> Figure:
    f = Figure(key, key, key.split(".")[0])
    for s in seconds:
        f.add({"seconds": s, "peak_bytes": peak, "breakdown": {"python": peak}, **extra})
    return f


def figures(*figs: Figure) -> dict[str, Figure]:
    return {f.key: f for f in figs}


def test_targets_are_ratios_of_medians_measured_in_the_run():
    found = {
        t.name: t
        for t in targets(
            figures(
                fig("synth.cold", [20, 22, 40], peak=2 * GB),
                fig("synth.cached", [0.9, 1.0, 5]),
                fig("synth.warm", [10], peak=GB),
                fig("plan.parallel", [12, 13, 14]),
                fig("plan.sequential", [20, 21, 22]),
                fig("deploy.all", [100]),
                fig("deploy.single.production", [95], apply_seconds=85),
                fig("deploy.single.staging", [70], apply_seconds=60),
                fig("scale.1.synth", [10, 11, 12]),
                fig("scale.16.synth", [12, 13, 14]),
            ),
            {"in_run_apply_seconds": {"production": 95}},
        )
    }
    cached = found["cached synth <= 1/20 of cold synth"]
    assert cached.value == pytest.approx(1.0 / 22) and cached.status == "PASS"
    plan = found["parallel plan of all stacks <= 0.7x sequential plan"]
    assert plan.value == pytest.approx(13 / 21) and plan.status == "PASS"
    deploy = found["deploy of all stacks from nothing <= 1.3x the slowest single stack's apply"]
    assert deploy.value == pytest.approx(100 / 85) and "production" in deploy.how and "alone" in deploy.how
    scale = found["synth of 16 environments <= 1.3x synth of 1"]
    assert scale.value == pytest.approx(13 / 11) and scale.status == "PASS"
    assert found["peak memory of synth (warm) <= 1.3 GB"].status == "PASS"
    assert found["peak memory of synth (cold) <= 1.3 GB"].status == "FAIL"
    assert found["peak memory of synth (cold) <= 1.3 GB"].value == 2 * GB


def test_missing_figures_give_na_never_pass():
    found = targets({}, {})
    assert {t.status for t in found} == {"N/A"}


def test_slowest_single_falls_back_to_the_apply_inside_the_deploy():
    stack, seconds, how = slowest_single({}, {"in_run_apply_seconds": {"staging": 50, "production": 80}})
    assert (stack, seconds) == ("production", 80) and "inside" in how
    assert slowest_single({}, {}) == (None, None, "")


def test_a_failed_figure_has_no_median():
    f = fig("plan.parallel", [10])
    f.error = "boom"
    assert f.seconds is None
    assert targets(figures(f, fig("plan.sequential", [20])), {})[1].status == "N/A"


def test_render_survives_partial_results():
    text = render(
        figures(fig("synth.warm", [10, 12], peak=GB, synth_seconds=8, exit_seconds=2)),
        {},
        {"nproc": 2, "mem_total_bytes": 24 * GB, "load1_start": 3.0, "busy": True, "other_cpu_share": 0.4},
        ["a note"],
        ["plan: boom"],
        {"runs": 2, "cold_runs": 1, "quick": True},
    )
    assert "synth.warm" in text and "11.0s" in text
    assert "BUSY" in text and "N/A" in text and "plan: boom" in text and "Ratios measured in the same run" in text
    assert "nproc 2" in text and "24.00 GB" in text and "exit 2.00s" in text


def test_synth_split_reads_the_clis_json():
    out = '{"synth": {"cached": false, "seconds": 19.7}, "stacks": ["staging"]}\n'
    run = Run(
        argv=[],
        returncode=0,
        seconds=30.0,
        memory=memory.MemoryPeak(),
        stdout=out,
        stdout_lines=[(20.5, out)],
    )
    assert synth_split(run) == {"synth_seconds": 19.7, "exit_seconds": 9.5}
    assert synth_split(Run([], 0, 1.0, memory.MemoryPeak())) == {"synth_seconds": None, "exit_seconds": None}


def test_options():
    opts, out = parse_args(["--quick"])
    assert opts.runs == 1 and opts.cold_runs == 1 and not opts.singles and opts.deploy_scales == ()
    assert opts.scales == (1, 4, 16) and out.name == "latest.json"
    opts, _ = parse_args(["--runs", "5", "--only", "synth,plan", "--deploy-scales", "1"])
    assert opts.runs == 5 and opts.groups == ("synth", "plan") and opts.deploy_scales == (1,) and opts.singles
    with pytest.raises(SystemExit):
        parse_args(["--only", "nonsense"])
    with pytest.raises(SystemExit):
        parse_args(["--runs", "0"])


def test_failure_detail_reads_the_log_a_failed_stack_points_at(tmp_path: Path):
    from bench.runner import KNOWN_RACES, failure_detail

    log = tmp_path / "production.init.log"
    log.write_text(
        "- Installing hashicorp/aws v5.100.0...\n\nError: Failed to install provider\n\n"
        "Error while installing hashicorp/aws v5.100.0: failed to create directory\n/x/linux_amd64:\nmkdir\n"
        "/x/linux_amd64:\nfile exists\n"
    )
    stdout = (
        '{"stacks": [{"stack": "production", "status": "failed", "detail": "production: init failed: '
        f'Failed to install provider (log: {log})"}}, {{"stack": "staging", "status": "ok"}}]}}'
    )
    detail = failure_detail(Run(argv=[], returncode=1, seconds=1, memory=memory.MemoryPeak(), stdout=stdout))
    assert detail.startswith("production: init failed") and "staging" not in detail
    assert [name for name, needles in KNOWN_RACES.items() if all(n in detail for n in needles)]
    plain = failure_detail(Run(argv=[], returncode=1, seconds=1, memory=memory.MemoryPeak(), stderr="boom\n"))
    assert plain == "boom"


def test_apply_seconds_come_from_the_steps_else_the_json_seconds():
    from bench.runner import apply_seconds, phases

    result = {
        "synth": {"cached": True, "seconds": 0.0},
        "stacks": [
            {"stack": "production", "seconds": 94.0, "detail": "applied", "steps": {"plan": 7.9, "apply": 85.9}},
            {"stack": "release", "seconds": 51.0, "detail": "applied", "steps": {"apply": 50.0}},
            {"stack": "staging", "seconds": 70.0, "detail": "applied", "steps": {}},
            {"stack": "gitlab", "seconds": 0.0, "detail": "no changes", "steps": {}},
        ],
    }
    assert phases(result)["production"] == {"plan": 7.9, "apply": 85.9}
    assert apply_seconds(result) == {"production": 85.9, "release": 50.0, "staging": 70.0}


def test_phases_and_synth_state_read_a_drift_report_too():
    from bench.runner import phases, synth_state

    report = {
        "synth": {"cached": False, "seconds": 4.2},
        "stacks": {"staging": {"stack": "staging", "drifted": [], "steps": {"init": 0.1, "drift": 3.2}}},
    }
    assert phases(report) == {"staging": {"init": 0.1, "drift": 3.2}}
    assert synth_state(report) == "synthesized" and synth_state({"synth": {"cached": True}}) == "reused"
    assert synth_state({}) is None
