"""An estimate (and a diff) as a table for people, JSON for tools, Markdown for a merge request."""

from __future__ import annotations

import json
from typing import Any

from config.cost import CostAssumptions, Traffic
from cost.diff import CostDiff, money
from cost.model import NOT_INCLUDED, Estimate, StackEstimate


def text(estimate: Estimate, change: CostDiff | None = None, against: str = "") -> str:
    out: list[str] = []
    for stack in estimate.stacks.values():
        out += _stack(stack)
    totals = ", ".join(f"{n} {money(s.monthly)}" for n, s in estimate.stacks.items())
    out += [f"total  {money(estimate.monthly)}/mo ({totals})", ""]
    if change is not None:
        out += [f"change against {against}:", *(f"  {line}" for line in change.lines()), ""]
    out.append(
        "assumptions (override in project.yaml under `cost:`; traffic per environment under `cost.environments.<name>`):"
    )
    width = max(len(name) for name in estimate.assumptions)
    for name, value in estimate.assumptions.items():
        out.append(f"  {name:<{width}} = {value!s:<8} {describe(name)}")
    out.append("prices: " + "; ".join(f"{r}: {p.file} (read {p.read})" for r, p in estimate.prices.items()))
    out.append("not included: " + "; ".join(NOT_INCLUDED))
    return "\n".join(out) + "\n"


def as_json(estimate: Estimate, change: CostDiff | None = None, against: str = "") -> str:
    data: dict[str, Any] = estimate.as_dict()
    if change is not None:
        data["against"] = {
            "ref": against,
            "total": round(change.before, 2),
            "change": round(change.change, 2),
            "stacks": {
                c.name: {
                    "before": None if c.before is None else round(c.before, 2),
                    "after": None if c.after is None else round(c.after, 2),
                    "change": round(c.change, 2),
                    "why": list(c.why),
                }
                for c in change.changes
            },
            "lines": change.lines(),
        }
    return json.dumps(data, indent=2, default=str) + "\n"


def markdown(estimate: Estimate, change: CostDiff | None = None, against: str = "") -> str:
    sources = ", ".join(f"`{p.file}` (read {p.read})" for p in estimate.prices.values())
    footer = (
        f"\nList prices from {sources}; assumptions in `project.yaml` `cost:` (`python main.py cost` prints them).\n"
    )
    if change is not None:
        head = f"#### Monthly AWS cost: this branch against {against}\n\n"
        return head + "".join(f"- {line}\n" for line in change.lines()) + footer
    rows = "".join(f"| {n} | {money(s.monthly)} |\n" for n, s in estimate.stacks.items())
    table = f"| stack | monthly |\n| --- | ---: |\n{rows}| **total** | **{money(estimate.monthly)}** |\n"
    return "#### Monthly AWS cost estimate\n\n" + table + footer


def describe(name: str) -> str:
    """The schema's description of an assumption, by its flattened name."""
    *_, field = name.split(".")
    model = Traffic if "." in name else CostAssumptions
    info = model.model_fields.get(field)
    return (info.description or "") if info else ""


def _stack(stack: StackEstimate) -> list[str]:
    where = f"  {stack.region}" if stack.region else ""
    out = [f"{stack.name}{where}  {money(stack.monthly)}/mo" + (f"  ({stack.note})" if stack.note else "")]
    if stack.lines:
        out.append(f"  {'item':<38} {'quantity':>12} {'unit':<18} {'unit price':>11} {'monthly':>10}  resource")
    for line in sorted(stack.lines, key=lambda x: -x.monthly):
        out.append(
            f"  {line.item:<38} {line.quantity:>12,.2f} {line.unit:<18} {_unit_price(line.unit_price):>11} "
            f"{money(line.monthly):>10}  {line.address}"
        )
    out += [f"  not estimated: {item}" for item in stack.not_estimated]
    return [*out, ""]


def _unit_price(value: float) -> str:
    digits = f"{value:.6f}".rstrip("0")
    whole, _, frac = digits.partition(".")
    return f"${whole}.{frac:0<2}"
