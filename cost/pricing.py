"""Price tables: `cost/prices/<region>.yaml`, read from disk only (no pricing API, no key).

A table must hold every REQUIRED entry, so that a region added by hand fails when it is
loaded, naming what is missing, rather than halfway through an estimate.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cost.model import CostError, PriceSource

PRICES_DIR = Path(__file__).resolve().parent / "prices"
ROOT = PRICES_DIR.parent.parent

REQUIRED = {
    "fargate.linux_x86.vcpu_hour": "vCPU-hour",
    "fargate.linux_x86.gb_hour": "GB-hour",
    "alb.hour": "ALB-hour",
    "alb.lcu_hour": "LCU-hour",
    "nat_gateway.hour": "NAT-gateway-hour",
    "nat_gateway.gb": "GB processed",
    "public_ipv4.hour": "IPv4-address-hour",
    "cloudwatch.alarm_standard_month": "alarm-metric-month",
    "cloudwatch.alarm_high_resolution_month": "alarm-metric-month",
    "cloudwatch.dashboard_month": "dashboard-month",
    "cloudwatch.metric_month": "metric-month",
    "cloudwatch.logs_ingest_gb": "GB ingested",
    "cloudwatch.vended_logs_gb": "GB ingested",
    "cloudwatch.logs_storage_gb_month": "GB-month",
    "codepipeline.v2_action_minute": "action-minute",
    "codepipeline.v1_pipeline_month": "active-pipeline-month",
    "codebuild.linux.general1_small.minute": "build-minute",
    "ecr.storage_gb_month": "GB-month",
    "s3.standard_gb_month": "GB-month",
    "sns.email_notification": "notification",
    "kms.key_month": "key-month",
    "vpc_endpoint.interface_hour": "endpoint-AZ-hour",
}
"""Entry -> its unit. Other entries (e.g. `codebuild.linux.general1_medium.minute`) are looked up when used."""


class Price(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    value: float = Field(ge=0, description="USD per unit.")
    unit: str = Field(min_length=1)
    source: str = Field(pattern=r"^https://aws\.amazon\.com/", description="The public AWS pricing page.")
    read: datetime.date = Field(description="When the figure was read from `source`.")


class _TableFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    region: str
    currency: str = Field(pattern="^USD$")
    prices: dict[str, Price]


@dataclass(frozen=True)
class PriceTable:
    region: str
    file: str
    """Relative to the repository, as printed."""
    prices: dict[str, Price]

    def __getitem__(self, key: str) -> Price:
        if key not in self.prices:
            raise CostError(f"{self.file}: no price {key!r}; add it as {_entry_help(key)}")
        return self.prices[key]

    @property
    def source(self) -> PriceSource:
        return PriceSource(file=self.file, read=min(p.read for p in self.prices.values()).isoformat())


def load_table(region: str, prices_dir: Path = PRICES_DIR) -> PriceTable:
    path = prices_dir / f"{region}.yaml"
    shown = str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)
    if not path.is_file():
        raise CostError(
            f"no price table for region {region}: add {shown} (copy cost/prices/us-east-1.yaml and set region: {region} "
            f"and each figure from its source page); it needs these entries, each with value, unit, source, read: "
            + ", ".join(REQUIRED)
        )
    try:
        data = _TableFile.model_validate(yaml.safe_load(path.read_text()))
    except (yaml.YAMLError, ValidationError) as exc:
        raise CostError(f"{shown}: not a valid price table: {exc}".replace("\n", " ")) from None
    if data.region != region:
        raise CostError(f"{shown}: region: expected {region}, got {data.region}")
    missing = [key for key in REQUIRED if key not in data.prices]
    if missing:
        raise CostError(f"{shown}: missing entries: {', '.join(missing)}; add each as {_entry_help(missing[0])}")
    return PriceTable(region=region, file=shown, prices=dict(data.prices))


def _entry_help(key: str) -> str:
    unit = REQUIRED.get(key, "<unit>")
    return f"`{key}: {{value: <USD>, unit: {unit}, source: https://aws.amazon.com/<service>/pricing/, read: <date>}}`"
