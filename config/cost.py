"""The assumptions of `python main.py cost`: `project.yaml`'s `cost:` section.

Prices are facts (cost/prices/<region>.yaml); traffic, release cadence and log volume
are guesses. Each guess is a named default here, overridable in project.yaml, and printed
with every estimate so that a figure is never read without what it assumed.
This module must not import config.schema (which imports it).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


class Traffic(_Section):
    """What an environment's users cause; one default for all, overridable per environment."""

    alb_lcu: float = Field(
        default=1.0,
        ge=0,
        description="Average load balancer capacity units per hour (1 LCU: 25 new connections/s, "
        "3,000 active connections/min, 1 GB/h processed or 1,000 rule evaluations/s, whichever is highest).",
    )
    nat_gb_per_month: float = Field(
        default=20.0,
        ge=0,
        description="GB per month through the NAT gateways besides image pulls (the service's egress and logs, "
        "AWS API calls); only where the environment has NAT gateways.",
    )
    log_gb_per_task_month: float = Field(
        default=1.0, ge=0, description="Application log GB one running task sends to CloudWatch Logs per month."
    )
    flow_log_gb_per_month: float = Field(
        default=1.0, ge=0, description="VPC flow log GB per environment per month (vended logs)."
    )


class CostAssumptions(_Section):
    hours_per_month: float = Field(default=730, gt=0, description="Hours in a month (AWS's own convention: 730).")
    releases_per_month: float = Field(
        default=20, ge=0, description="Releases through the pipeline per month; each reaches every environment."
    )
    release_minutes: float = Field(
        default=10,
        ge=0,
        description="Minutes a deployment runs old and new tasks side by side before traffic is fully on the new "
        "ones (rolling: the whole update; blue_green: green tasks starting, before its deployment_config's traffic "
        "shift and termination_wait_minutes, which are added). Also the deploy action's billed minutes.",
    )
    source_minutes: float = Field(default=1, ge=0, description="Billed minutes of the pipeline's source action.")
    build_minutes: float = Field(
        default=5, ge=0, description="Minutes each CodeBuild project (test, image build) runs per release."
    )
    build_log_gb_per_release: float = Field(
        default=0.005, ge=0, description="CodeBuild log GB per release (both projects)."
    )
    image_size_gb: float = Field(
        default=0.15,
        ge=0,
        description="Compressed image size: ECR storage per image kept, and what each task start pulls "
        "(through NAT from private subnets).",
    )
    artifact_gb_per_release: float = Field(
        default=0.01, ge=0, description="Pipeline artifacts in S3 per release (source zip, build output)."
    )
    autoscaling_fraction: float = Field(
        default=0.0,
        ge=0,
        le=1,
        description="Where an autoscaled service runs on average between min_count (0) and max_count (1); "
        "a service without autoscaling runs desired_count.",
    )
    container_insights_metrics: int = Field(
        default=30,
        ge=0,
        description="Custom metrics Container Insights publishes per cluster with one service "
        "(cluster, service and task-family dimensions).",
    )
    container_insights_gb_per_task_month: float = Field(
        default=0.05, ge=0, description="Container Insights performance log GB per running task per month."
    )
    alb_ipv4_per_subnet: int = Field(
        default=1, ge=0, description="Public IPv4 addresses an internet-facing ALB holds per subnet (AZ)."
    )
    traffic: Traffic = Field(default_factory=Traffic, description="Traffic of every environment.")
    environments: dict[str, Traffic] = Field(
        default_factory=dict,
        description="Per-environment traffic, e.g. `production: {alb_lcu: 5}`; fields not set keep `traffic`'s.",
    )

    def traffic_for(self, environment: str) -> Traffic:
        """`traffic`, with what `environments.<environment>` sets on top."""
        override = self.environments.get(environment)
        if override is None:
            return self.traffic
        return self.traffic.model_copy(update=override.model_dump(exclude_unset=True))
