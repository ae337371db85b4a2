"""What a bench run records: figures (one step, several runs) and their JSON."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from bench.memory import Run
from bench.stats import median


def load1() -> float | None:
    try:
        with open("/proc/loadavg") as fh:
            return float(fh.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def record(run: Run, **extra: Any) -> dict[str, Any]:
    """The JSON of one measured run."""
    return {
        "seconds": round(run.seconds, 3),
        "cpu_seconds": run.cpu_seconds,
        "peak_bytes": run.memory.bytes,
        "breakdown": run.memory.breakdown,
        "processes": run.memory.processes,
        "returncode": run.returncode,
        "timed_out": run.timed_out,
        "load1_after": load1(),
        **extra,
    }


def record_in_sequence(runs: list[Run], **extra: Any) -> dict[str, Any]:
    """One figure for commands run one after another: their seconds and CPU summed, the largest peak."""
    rec = record(max(runs, key=lambda r: r.memory.bytes), **extra)
    rec["seconds"] = round(sum(r.seconds for r in runs), 3)
    rec["cpu_seconds"] = round(sum(r.cpu_seconds or 0 for r in runs), 3)
    return rec


@dataclass
class Figure:
    """One step of the bench: its runs, their median time and the largest peak memory."""

    key: str
    label: str
    group: str
    runs: list[dict[str, Any]] = field(default_factory=list)
    note: str = ""
    error: str | None = None

    def add(self, rec: dict[str, Any]) -> dict[str, Any]:
        self.runs.append(rec)
        return rec

    @property
    def seconds(self) -> float | None:
        return median(r.get("seconds") for r in self.runs) if self.runs and not self.error else None

    @property
    def cpu(self) -> float | None:
        return self.median_of("cpu_seconds") if self.runs and not self.error else None

    @property
    def spread(self) -> tuple[float, float] | None:
        values = [r["seconds"] for r in self.runs if r.get("seconds") is not None]
        return (min(values), max(values)) if len(values) > 1 else None

    @property
    def peak_run(self) -> dict[str, Any] | None:
        runs = [r for r in self.runs if r.get("peak_bytes")]
        return max(runs, key=lambda r: r["peak_bytes"]) if runs else None

    @property
    def peak(self) -> int | None:
        run = self.peak_run
        return run["peak_bytes"] if run else None

    def median_of(self, name: str) -> float | None:
        return median(r.get(name) for r in self.runs)

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "group": self.group,
            "median_seconds": self.seconds,
            "spread": self.spread,
            "peak_bytes": self.peak,
            "note": self.note,
            "error": self.error,
            "runs": self.runs,
        }


def system_busy_seconds() -> float | None:
    """CPU seconds all CPUs spent busy since boot (user, nice, system, irq, softirq, steal)."""
    try:
        with open("/proc/stat") as fh:
            fields = [int(x) for x in fh.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    """CPU seconds of this process and its reaped descendants (every command the bench ran, once waited)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system
