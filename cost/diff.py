"""The difference between two estimates, per stack, and why: what a merge request changes.

A stack is listed when its monthly figure, a YAML field it depends on or an assumption
changed (a changed resource count alone, at no cost, is not listed); what changed is
named, e.g. `staging +$9.01/mo (service.desired_count 1 -> 2)`.
"""

from __future__ import annotations

from dataclasses import dataclass

from cost.model import COUNT, Estimate, StackEstimate, Value


@dataclass(frozen=True)
class StackChange:
    name: str
    before: float | None
    """None: the stack is new."""
    after: float | None
    """None: the stack was removed."""
    why: tuple[str, ...]

    @property
    def change(self) -> float:
        return (self.after or 0.0) - (self.before or 0.0)

    def line(self) -> str:
        why = f" ({', '.join(self.why)})" if self.why else ""
        return f"{self.name} {money(self.change, signed=True)}/mo{why}"


@dataclass(frozen=True)
class CostDiff:
    changes: tuple[StackChange, ...]
    before: float
    after: float

    @property
    def change(self) -> float:
        return self.after - self.before

    def lines(self) -> list[str]:
        if not self.changes:
            return [f"no cost change ({money(self.after)}/mo)"]
        total = f"total {money(self.change, signed=True)}/mo ({money(self.before)} -> {money(self.after)})"
        return [c.line() for c in self.changes] + [total]


def diff(before: Estimate, after: Estimate) -> CostDiff:
    changes = []
    for name in [*after.stacks, *(n for n in before.stacks if n not in after.stacks)]:
        old, new = before.stacks.get(name), after.stacks.get(name)
        reasons = _reasons(old, new)
        change = StackChange(name, old.monthly if old else None, new.monthly if new else None, tuple(reasons.values()))
        configured = any(not key.endswith(COUNT) for key in reasons)  # a free resource more or less is no news
        if abs(change.change) >= 0.005 or configured:
            changes.append(change)
    return CostDiff(tuple(changes), before.monthly, after.monthly)


def _reasons(old: StackEstimate | None, new: StackEstimate | None) -> dict[str, str]:
    """Input name -> `name before -> after`, for each input that changed."""
    if old is None:
        return {"": "new stack"}
    if new is None:
        return {"": "stack removed"}
    keys = [*new.inputs, *(k for k in old.inputs if k not in new.inputs)]
    missing = lambda key: 0 if key.endswith(COUNT) else None  # noqa: E731 - no such resource: zero of them
    pairs = [(key, old.inputs.get(key, missing(key)), new.inputs.get(key, missing(key))) for key in keys]
    return {key: f"{key} {_show(a)} -> {_show(b)}" for key, a, b in pairs if a != b}


def _show(value: Value | None) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def money(value: float, signed: bool = False) -> str:
    """`$1,234.56`; signed: `+$9.01`, `-$3.00` (a change that rounds to zero is `+$0.00`)."""
    cents = round(value, 2)
    sign = ("-" if cents < 0 else "+") if signed else ("-" if cents < 0 else "")
    return f"{sign}${abs(cents):,.2f}"
