"""The estimate as data: what the renderers print and the diff compares."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Value = str | int | float | bool
COUNT = " count"
"""Suffix of the inputs that count a resource type, e.g. `aws_nat_gateway count`."""


class CostError(Exception):
    """A problem the user fixes (a missing price table or entry, an unknown stack); `str()` says how."""


@dataclass(frozen=True)
class Line:
    """One priced quantity of one resource: `quantity` `unit`s at `unit_price` each."""

    address: str
    """Terraform address in the stack, e.g. `aws_lb.alb_7A364839`."""
    item: str
    quantity: float
    unit: str
    unit_price: float
    price: str
    """Key of the unit price in the region's table."""
    assumptions: tuple[str, ...] = ()
    """Names of the assumptions (project.yaml `cost:`) the quantity depends on."""
    detail: str = ""
    """How the quantity was computed."""

    @property
    def resource_type(self) -> str:
        return self.address.split(".", 1)[0]

    @property
    def monthly(self) -> float:
        return self.quantity * self.unit_price

    def as_dict(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "type": self.resource_type,
            "item": self.item,
            "quantity": round(self.quantity, 6),
            "unit": self.unit,
            "unit_price": self.unit_price,
            "price": self.price,
            "monthly": round(self.monthly, 4),
            "assumptions": list(self.assumptions),
            "detail": self.detail,
        }


@dataclass(frozen=True)
class StackEstimate:
    name: str
    region: str | None
    """None for a stack without AWS resources (gitlab)."""
    lines: tuple[Line, ...] = ()
    inputs: dict[str, Value] = field(default_factory=dict)
    """What the figure depends on (YAML fields, resource counts, assumptions): the diff names their changes."""
    not_estimated: tuple[str, ...] = ()
    """Resources that may cost money but have no pricer: their cost is missing, not zero."""
    note: str = ""

    @property
    def monthly(self) -> float:
        return sum(line.monthly for line in self.lines)

    def as_dict(self) -> dict[str, Any]:
        return {
            "region": self.region,
            "monthly": round(self.monthly, 2),
            "resources": [line.as_dict() for line in self.lines],
            "inputs": dict(self.inputs),
            "not_estimated": list(self.not_estimated),
            "note": self.note,
        }


@dataclass(frozen=True)
class PriceSource:
    file: str
    read: str
    """The oldest `read` date of the table's entries."""


@dataclass(frozen=True)
class Estimate:
    stacks: dict[str, StackEstimate]
    assumptions: dict[str, Value]
    """Every assumption with its value, flattened (`traffic.alb_lcu`, `environments.production.alb_lcu`)."""
    prices: dict[str, PriceSource]
    """Region -> the table its figures came from."""
    currency: str = "USD"

    @property
    def monthly(self) -> float:
        return sum(s.monthly for s in self.stacks.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "currency": self.currency,
            "total": round(self.monthly, 2),
            "stacks": {name: s.as_dict() for name, s in self.stacks.items()},
            "assumptions": dict(self.assumptions),
            "prices": {r: {"file": p.file, "read": p.read} for r, p in self.prices.items()},
            "not_included": list(NOT_INCLUDED),
        }


NOT_INCLUDED = (
    "data transfer out to the internet and between AZs",
    "S3, KMS and CloudWatch API requests",
    "free tiers (every figure is billed from the first unit)",
    "the Terraform state buckets (created by deploy, outside the stacks)",
    "taxes, support plans, savings plans and other discounts",
)
