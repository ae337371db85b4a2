"""Medians, ratios and the issue's targets, evaluated on figures of one run."""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass

GB = 1024**3
MB = 1024**2


def median(values: Iterable[float | None]) -> float | None:
    """Median of the values that exist; None if there are none."""
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or denominator is None or denominator <= 0:
        return None
    return numerator / denominator


@dataclass(frozen=True)
class Target:
    """`value <= limit` (a ratio or an amount) passes; a missing value is N/A, never a pass."""

    name: str
    value: float | None
    limit: float
    how: str = ""
    """How the value was computed, with its operands."""
    unit: str = "x"
    """x: a ratio; GB: bytes shown in GiB."""

    @property
    def status(self) -> str:
        if self.value is None:
            return "N/A"
        return "PASS" if self.value <= self.limit else "FAIL"

    def shown(self, value: float | None) -> str:
        if value is None:
            return "-"
        if self.unit == "GB":
            return f"{value / GB:.2f} GB"
        return f"{value:.3f}x" if value < 0.1 else f"{value:.2f}x"

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "value": self.value,
            "limit": self.limit,
            "unit": self.unit,
            "status": self.status,
            "how": self.how,
        }


def fmt_seconds(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.2f}s" if value < 10 else f"{value:.1f}s"


def fmt_bytes(value: float | None) -> str:
    if not value:
        return "-"
    return f"{value / GB:.2f} GB" if value >= GB else f"{value / MB:.0f} MB"


def fmt_breakdown(breakdown: dict[str, int], processes: dict[str, int] | None = None) -> str:
    """`python 560 MB + node 540 MB` (largest first; `xN` when N processes share a category)."""
    parts = []
    for cat, size in sorted(breakdown.items(), key=lambda kv: -kv[1]):
        n = (processes or {}).get(cat, 1)
        parts.append(f"{cat}{f' x{n}' if n > 1 else ''} {fmt_bytes(size)}")
    return " + ".join(parts)
