"""Peak memory of a process tree, and a command runner that measures time and memory.

No psutil: a thread reads ``/proc/<pid>/status`` (VmRSS) of the root process and every
descendant (found through ``/proc/<pid>/task/*/children``) about every 50 ms and keeps the
largest sum. A sum of RSS counts pages shared between processes (the provider binary
mapped by several terraform-provider-aws processes) once per process: it is an upper
bound of what the tree needs, which is what a CI runner's memory limit sees first.
"""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

PROC = Path("/proc")
INTERVAL = 0.05
HAS_CHILDREN_FILE = (PROC / "self" / "task" / str(os.getpid()) / "children").exists()


def children(pid: int) -> list[int]:
    """Direct children of `pid` (every thread's), [] if it is gone."""
    if not HAS_CHILDREN_FILE:  # kernel without CONFIG_PROC_CHILDREN
        return _children_by_ppid(pid)
    found: list[int] = []
    try:
        tasks = list((PROC / str(pid) / "task").iterdir())
    except OSError:
        return found
    for task in tasks:
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:  # the thread ended meanwhile
            continue
    return found


def _children_by_ppid(pid: int) -> list[int]:
    found = []
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # pid (comm) state ppid ...: comm may hold spaces and parentheses
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def tree(pid: int) -> list[int]:
    """`pid` and all its descendants that exist now."""
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        if current in pids:
            continue
        pids.append(current)
        todo += children(current)
    return pids


def rss(pid: int) -> tuple[str, int] | None:
    """(process name, resident set size in bytes), or None if it is gone (or a zombie)."""
    try:
        text = (PROC / str(pid) / "status").read_text()
    except OSError:
        return None
    name, kib = "", None
    for line in text.splitlines():
        if line.startswith("Name:"):
            name = line.split(None, 1)[1] if len(line.split(None, 1)) > 1 else ""
        elif line.startswith("VmRSS:"):
            kib = int(line.split()[1])
            break
    return (name, kib * 1024) if kib is not None else None


def category(name: str) -> str:
    """Group processes for the breakdown: python, node, terraform, provider, other names as they are."""
    if name.startswith("terraform-prov"):  # /proc truncates names to 15 characters
        return "provider"
    if name.startswith("python"):
        return "python"
    return name


@dataclass
class MemoryPeak:
    bytes: int = 0
    """Largest sum of VmRSS over the tree seen in one sample."""
    breakdown: dict[str, int] = field(default_factory=dict)
    """That sample's bytes per process category."""
    processes: dict[str, int] = field(default_factory=dict)
    """That sample's process count per category."""
    samples: int = 0
    max_processes: int = 0

    def to_json(self) -> dict:
        return {
            "bytes": self.bytes,
            "breakdown": self.breakdown,
            "processes": self.processes,
            "samples": self.samples,
            "max_processes": self.max_processes,
        }


def sample(pid: int) -> tuple[int, dict[str, int], dict[str, int]]:
    """One reading of the tree: total bytes, bytes per category, processes per category."""
    total, by_cat, count = 0, dict[str, int](), dict[str, int]()
    for p in tree(pid):
        found = rss(p)
        if found is None:
            continue
        cat = category(found[0])
        total += found[1]
        by_cat[cat] = by_cat.get(cat, 0) + found[1]
        count[cat] = count.get(cat, 0) + 1
    return total, by_cat, count


class TreeSampler:
    """`with TreeSampler(pid) as s: ...`, then `s.peak`. Samples until stopped."""

    def __init__(self, pid: int, interval: float = INTERVAL):
        self.pid, self.interval = pid, interval
        self.peak = MemoryPeak()
        self.seen: set[int] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"rss-{pid}", daemon=True)

    def __enter__(self) -> TreeSampler:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> MemoryPeak:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        return self.peak

    def _run(self) -> None:
        while True:
            self.take()
            if self._stop.wait(self.interval):
                return

    def take(self) -> None:
        total, by_cat, count = sample(self.pid)
        self.peak.samples += 1
        self.peak.max_processes = max(self.peak.max_processes, sum(count.values()))
        if total > self.peak.bytes:
            self.peak.bytes, self.peak.breakdown, self.peak.processes = total, by_cat, count


@dataclass
class Run:
    """One measured command."""

    argv: list[str]
    returncode: int
    seconds: float
    memory: MemoryPeak
    stdout: str = ""
    stderr: str = ""
    stdout_lines: list[tuple[float, str]] = field(default_factory=list)
    """(seconds since start, line) as the lines arrived; the same for stderr below."""
    stderr_lines: list[tuple[float, str]] = field(default_factory=list)
    timed_out: bool = False
    cpu_seconds: float | None = None
    """User + system CPU of the command and every descendant it waited for (all of them, normally).
    Measured as this process's RUSAGE_CHILDREN difference: valid while one command runs at a time."""

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out

    def line_time(self, needle: str) -> float | None:
        """When the first stderr line containing `needle` arrived."""
        return next((t for t, line in self.stderr_lines if needle in line), None)

    def tail(self, lines: int = 15) -> str:
        return "\n".join((self.stderr + self.stdout).strip().splitlines()[-lines:])


def run_measured(
    argv: list[str],
    *,
    env: dict[str, str] | None = None,
    cwd: Path | str | None = None,
    timeout: float = 3600,
    interval: float = INTERVAL,
    on_start: Callable[[TreeSampler], None] | None = None,
) -> Run:
    """Run `argv` to the end, sampling its process tree's memory; wall time from start to exit.
    `on_start` receives the running sampler (a test waits on its sample count instead of sleeping)."""
    before = _children_cpu()
    began = time.monotonic()
    proc = subprocess.Popen(
        argv,
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",
    )
    sampler = TreeSampler(proc.pid, interval)
    sampler.start()
    if on_start is not None:
        on_start(sampler)
    out: list[tuple[float, str]] = []
    err: list[tuple[float, str]] = []
    readers = [
        threading.Thread(target=_read_lines, args=(proc.stdout, out, began), daemon=True),
        threading.Thread(target=_read_lines, args=(proc.stderr, err, began), daemon=True),
    ]
    for r in readers:
        r.start()
    timed_out = False
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        stop_tree(proc)
    except BaseException:  # interrupted: leave nothing running behind
        stop_tree(proc)
        sampler.stop()
        raise
    seconds = time.monotonic() - began
    cpu = _children_cpu() - before
    peak = sampler.stop()
    for r in readers:
        r.join(timeout=10)
    return Run(
        argv=list(argv),
        returncode=proc.returncode,
        seconds=seconds,
        memory=peak,
        stdout="".join(line for _, line in out),
        stderr="".join(line for _, line in err),
        stdout_lines=out,
        stderr_lines=err,
        timed_out=timed_out,
        cpu_seconds=round(cpu, 3),
    )


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _read_lines(stream, into: list[tuple[float, str]], began: float) -> None:
    for line in stream:
        into.append((time.monotonic() - began, line))


def stop_tree(proc: subprocess.Popen, grace: float = 20.0) -> None:
    """SIGINT the process (the CLI then stops Terraform gracefully), then SIGKILL what is left of its tree."""
    pids = tree(proc.pid)  # before the root exits: orphans are no longer found through it
    if proc.poll() is None:
        with contextlib.suppress(subprocess.TimeoutExpired, ProcessLookupError):
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=grace)
    for pid in pids:
        if pid == proc.pid and proc.poll() is not None:
            continue  # reaped: the number may belong to someone else by now
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)
