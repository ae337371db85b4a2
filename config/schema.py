"""The schema of `project.yaml` and `environments/*.yaml`.

One model per YAML section. Every field has a type, a documented default and, where AWS
has limits, a validator, so that a mistake is reported by file and field before any
Terraform runs. `python main.py schema` exports it as JSON Schema for editors.
"""

from __future__ import annotations

import ipaddress
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from config.cost import CostAssumptions

PARTITION = "aws"
"""The only partition this project builds ARNs for: regions of other partitions are refused."""
OTHER_PARTITIONS = {"cn-": "aws-cn", "us-gov-": "aws-us-gov", "us-iso": "aws-iso", "eu-isoe-": "aws-iso-e"}


class Strategy(StrEnum):
    """How an environment releases: the one switch in `deployment.strategy`."""

    ROLLING = "rolling"
    """ECS rolling update with the deployment circuit breaker (cost-effective)."""
    BLUE_GREEN = "blue_green"
    """CodeDeploy blue/green: two target groups, a test listener, traffic shifting, rollback on alarms."""


def _commercial(region: str) -> str:
    for prefix, partition in OTHER_PARTITIONS.items():
        if region.startswith(prefix):
            raise ValueError(
                f"{region} is in the {partition} partition; expected a region of the commercial partition "
                f"({PARTITION}), the only one whose ARNs this project builds"
            )
    return region


Name = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]*[a-z0-9]$")]
AccountId = Annotated[str, Field(pattern=r"^\d{12}$", description="12-digit AWS account id")]
Region = Annotated[
    str,
    Field(pattern=r"^[a-z]{2}(-[a-z]+)+-\d$", description="AWS region of the commercial partition, e.g. eu-west-1"),
    AfterValidator(_commercial),
]
Email = Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
Tags = dict[Annotated[str, Field(min_length=1, max_length=128)], Annotated[str, Field(max_length=256)]]

# Fargate's valid cpu -> memory (MiB) combinations.
FARGATE_MEMORY = {
    256: [512, 1024, 2048],
    512: list(range(1024, 4097, 1024)),
    1024: list(range(2048, 8193, 1024)),
    2048: list(range(4096, 16385, 1024)),
    4096: list(range(8192, 30721, 1024)),
}
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 3653)
ALARM_PERIOD_SECONDS = 60
"""The period of every release alarm: the finest the ALB's metrics have (ALB user guide, CloudWatch metrics)."""
METRIC_DELAY_SECONDS = 60
"""How late an ALB minute reaches CloudWatch. An ESTIMATE: AWS documents the 60-second period, not the delay
(docs/zero-downtime.md)."""
CANARY_MINUTES = {
    "CodeDeployDefault.ECSCanary10Percent5Minutes": 5,
    "CodeDeployDefault.ECSCanary10Percent15Minutes": 15,
}
"""How long each canary config keeps 10% of traffic on green before moving the rest (CodeDeploy user guide,
deployment configurations on an Amazon ECS compute platform)."""
FARGATE_MAX_STOP_TIMEOUT = 120
"""The longest stopTimeout Fargate allows (ECS task definition parameters, stopTimeout)."""
CODEDEPLOY_ECS_CONFIGS = (
    "CodeDeployDefault.ECSAllAtOnce",
    "CodeDeployDefault.ECSLinear10PercentEvery1Minutes",
    "CodeDeployDefault.ECSLinear10PercentEvery3Minutes",
    "CodeDeployDefault.ECSCanary10Percent5Minutes",
    "CodeDeployDefault.ECSCanary10Percent15Minutes",
)


class Section(BaseModel):
    """Unknown keys are errors: a typo must not silently fall back to a default."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Aws(Section):
    account_id: AccountId = Field(
        description="Account the stack must be deployed to; the aws target refuses any other."
    )
    region: Region = Field(description="Region of every resource of this stack.")


class State(Section):
    bucket: str = Field(
        pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$",
        description="S3 bucket of the remote state (created by `deploy` if missing).",
    )
    key: str = Field(
        pattern=r"^[A-Za-z0-9!_.*'()/-]+\.tfstate$",
        description="Object key of this stack's state; must end in .tfstate.",
    )
    region: Region | None = Field(default=None, description="Region of the bucket; default: the stack's region.")


class Network(Section):
    vpc_cidr: str = Field(description="IPv4 CIDR of the VPC, e.g. 10.10.0.0/16.")
    availability_zones: list[str] = Field(min_length=2, description="At least two AZs: the ALB requires them.")
    public_subnets: list[str] = Field(description="One CIDR per AZ, for the ALB (and NAT gateways).")
    private_subnets: list[str] = Field(description="One CIDR per AZ, for the tasks.")
    tasks_in_public_subnets: bool = Field(
        default=False,
        description="Run tasks in the public subnets with public IPs, saving NAT gateways (cost over isolation).",
    )

    @field_validator("vpc_cidr")
    @classmethod
    def _cidr(cls, value: str) -> str:
        ipaddress.IPv4Network(value)
        return value

    @model_validator(mode="after")
    def _subnets(self) -> Network:
        vpc = ipaddress.IPv4Network(self.vpc_cidr)
        zones = len(self.availability_zones)
        if len(set(self.availability_zones)) != zones:
            raise ValueError("availability_zones: expected distinct zones")
        seen: list[ipaddress.IPv4Network] = []
        for field in ("public_subnets", "private_subnets"):
            cidrs = getattr(self, field)
            if len(cidrs) != zones:
                raise ValueError(f"{field}: expected one CIDR per availability zone ({zones}), got {len(cidrs)}")
            for cidr in cidrs:
                net = ipaddress.IPv4Network(cidr)
                if not net.subnet_of(vpc):
                    raise ValueError(f"{field}: {cidr} is not inside vpc_cidr {self.vpc_cidr}")
                if any(net.overlaps(other) for other in seen):
                    raise ValueError(f"{field}: {cidr} overlaps another subnet")
                seen.append(net)
        return self


class Service(Section):
    name: Name = Field(default="web", max_length=20, description="Container and service name.")
    image_repository: Name = Field(description="ECR repository the release builds into (created by the release stack).")
    image_tag: str = Field(
        default="bootstrap", description="Tag of the first task definition; later revisions come from the pipeline."
    )
    container_port: int = Field(default=8080, ge=1, le=65535, description="Port the container listens on (PORT).")
    cpu: Literal[256, 512, 1024, 2048, 4096] = Field(default=256, description="Fargate task CPU units.")
    memory: int = Field(default=512, description="Fargate task memory (MiB); must be valid for `cpu`.")
    desired_count: int = Field(default=1, ge=0, description="Tasks to run; with autoscaling, the starting count.")
    min_count: int = Field(default=1, ge=0, description="Fewest tasks autoscaling may leave running.")
    max_count: int = Field(default=1, ge=1, description="Above min_count, target-tracking autoscaling is enabled.")
    cpu_target_percent: int = Field(default=60, ge=10, le=90, description="Autoscaling target for average CPU.")
    health_check_path: str = Field(
        default="/health", pattern=r"^/", description="Path the ALB health check requests (HEALTH_PATH)."
    )
    drain_seconds: int = Field(
        default=10,
        ge=0,
        description="After SIGTERM the service keeps accepting for this long (DRAIN_SECONDS), for ALB nodes that "
        "have not yet seen the target deregistered; then it stops accepting and finishes what is in flight.",
    )
    request_timeout_seconds: int = Field(
        default=10,
        ge=1,
        description="Longest a request's read or write may stall (REQUEST_TIMEOUT_SECONDS); also the target "
        "groups' deregistration delay, the longest an in-flight request may need.",
    )
    stop_timeout_seconds: int = Field(
        default=30,
        ge=2,
        le=FARGATE_MAX_STOP_TIMEOUT,
        description="The container's stopTimeout: from SIGTERM to SIGKILL; must exceed drain_seconds + "
        "request_timeout_seconds.",
    )
    environment: dict[Annotated[str, Field(pattern=r"^[A-Z_][A-Z0-9_]*$")], str] = Field(
        default_factory=dict, description="Plain environment variables; never secrets."
    )

    @field_validator("environment")
    @classmethod
    def _not_reserved(cls, value: dict[str, str]) -> dict[str, str]:
        reserved = sorted(set(value) & {"APP_ENV", "PORT", "HEALTH_PATH", "DRAIN_SECONDS", "REQUEST_TIMEOUT_SECONDS"})
        if reserved:
            raise ValueError(
                f"{', '.join(reserved)} are set from the environment name, container_port, health_check_path, "
                "drain_seconds and request_timeout_seconds"
            )
        return value

    @model_validator(mode="after")
    def _sizes(self) -> Service:
        if self.memory not in FARGATE_MEMORY[self.cpu]:
            raise ValueError(
                f"memory: {self.memory} is not valid with cpu {self.cpu}; expected one of {FARGATE_MEMORY[self.cpu]}"
            )
        if not self.min_count <= self.desired_count <= self.max_count:
            raise ValueError("desired_count: expected min_count <= desired_count <= max_count")
        if self.drain_seconds + self.request_timeout_seconds >= self.stop_timeout_seconds:
            raise ValueError(
                f"stop_timeout_seconds: {self.stop_timeout_seconds} s leaves no time to exit after drain_seconds "
                f"({self.drain_seconds} s) + request_timeout_seconds ({self.request_timeout_seconds} s) = "
                f"{self.drain_seconds + self.request_timeout_seconds} s; expected more (SIGKILL would cut requests)"
            )
        return self

    @property
    def deregistration_delay_seconds(self) -> int:
        """The ALB waits this long for in-flight requests of a deregistered target (it stops at once when none
        is in flight): the longest a request may take."""
        return self.request_timeout_seconds

    @property
    def autoscaled(self) -> bool:
        return self.max_count > self.min_count


class Rolling(Section):
    minimum_healthy_percent: int = Field(
        default=100, ge=0, le=100, description="Share of desired tasks that must stay healthy during a rollout."
    )
    maximum_percent: int = Field(
        default=200, ge=100, le=200, description="Most tasks, as a share of desired, running during a rollout."
    )
    circuit_breaker_rollback: bool = Field(
        default=True, description="Roll back a deployment the circuit breaker stops."
    )


class SmokePath(Section):
    path: str = Field(pattern=r"^/[^\s]*$", description="Path (and query) to request, e.g. / or /api/items?limit=1.")
    status: int = Field(default=200, ge=100, le=599, description="The status it must answer.")


class BlueGreen(Section):
    deployment_config: Literal[CODEDEPLOY_ECS_CONFIGS] = Field(  # type: ignore[valid-type]  # a tuple of literals
        default="CodeDeployDefault.ECSCanary10Percent5Minutes", description="CodeDeploy traffic-shifting configuration."
    )
    test_listener_port: int = Field(
        default=8443, ge=1, le=65535, description="Port of the ALB test listener (green before shift)."
    )
    termination_wait_minutes: int = Field(
        default=10,
        ge=0,
        le=2880,
        description="How long blue tasks stay after the shift: while they do, a firing alarm sends traffic back to "
        "them in seconds. With rollback_on_alarms it must exceed the alarms' worst-case detection "
        "(docs/zero-downtime.md).",
    )
    rollback_on_alarms: bool = Field(
        default=True,
        description="Stop and roll back when a release alarm fires (5xx rate, connection errors, unhealthy hosts "
        "per target group; the load balancer's 502/503/504 rate).",
    )
    smoke_paths: list[SmokePath] = Field(
        default_factory=lambda: [SmokePath(path="/")],
        description="Paths the hook requests from the green tasks through the test listener, besides the health "
        "path and /version; each must answer its status or the deployment fails before any production traffic.",
    )
    hook: bool = Field(
        default=True,
        description="Gate the traffic shift on the AfterAllowTestTraffic hook: a Lambda (hooks/) that calls the "
        "green tasks through the test listener (health path, /version must report the released commit, and "
        "smoke_paths) "
        "and fails the deployment otherwise. It runs in the private subnets; without NAT gateways "
        "(network.tasks_in_public_subnets) interface VPC endpoints give it the AWS APIs it reports to.",
    )


class Deployment(Section):
    """`strategy` picks the settings used; both sections may stay, so switching is one line."""

    strategy: Strategy = Field(
        description="rolling (ECS rolling update, circuit breaker) or blue_green (CodeDeploy, two target groups)."
    )
    rolling: Rolling = Field(default_factory=Rolling, description="Settings used when strategy is rolling.")
    blue_green: BlueGreen = Field(default_factory=BlueGreen, description="Settings used when strategy is blue_green.")


class Listener(Section):
    port: int = Field(
        default=80, ge=1, le=65535, description="Production listener port (HTTP, or HTTPS with a certificate)."
    )
    certificate_arn: str | None = Field(
        default=None,
        pattern=r"^arn:aws[a-z-]*:acm:",
        description="ACM certificate: listeners serve HTTPS on 443 and port 80 redirects to it.",
    )
    ssl_policy: str = Field(
        default="ELBSecurityPolicy-TLS13-1-2-2021-06", description="ALB TLS policy of the HTTPS listeners."
    )


class Alarms(Section):
    """The release alarms (modules/observability.py), one-minute periods; docs/zero-downtime.md has the figures."""

    error_rate_percent: float = Field(
        default=5,
        gt=0,
        le=100,
        description="5xx responses per 100 requests in a minute that fail a release: the targets' 5xx per target "
        "group, and the load balancer's own 502/503/504.",
    )
    minimum_requests: int = Field(
        default=10,
        ge=1,
        description="Requests in a minute below which the error rate is not judged (quiet hours do not alarm); "
        "per target group, so at a 10% canary green needs 10x this in total traffic.",
    )
    connection_errors_threshold: int = Field(
        default=5,
        ge=1,
        description="Failed ALB-to-target connections in a minute, per target group, that fail a release.",
    )
    unhealthy_hosts_threshold: int = Field(default=1, ge=1, description="Unhealthy targets that fail a release.")
    evaluation_periods: int = Field(default=3, ge=1, description="Minutes of data each alarm looks at.")
    datapoints_to_alarm: int = Field(
        default=2, ge=1, description="Breaching minutes among evaluation_periods that fire an alarm."
    )

    @model_validator(mode="after")
    def _datapoints(self) -> Alarms:
        if self.datapoints_to_alarm > self.evaluation_periods:
            raise ValueError(
                f"datapoints_to_alarm: expected at most evaluation_periods ({self.evaluation_periods}), "
                f"got {self.datapoints_to_alarm}"
            )
        return self

    @property
    def detection_seconds(self) -> int:
        """Worst case from the first bad response to an alarm firing, at full traffic: the minute it fell in
        (partly good), `datapoints_to_alarm` breaching minutes, and the metrics' delay (an estimate)."""
        return (self.datapoints_to_alarm + 1) * ALARM_PERIOD_SECONDS + METRIC_DELAY_SECONDS

    def detection_text(self) -> str:
        return (
            f"the alarms' worst-case detection, {self.detection_seconds} s ((alarms.datapoints_to_alarm "
            f"{self.datapoints_to_alarm} + 1) x {ALARM_PERIOD_SECONDS} s + ~{METRIC_DELAY_SECONDS} s ALB metric delay)"
        )


class Release(Section):
    order: int = Field(ge=1, description="Position of this environment's deploy stage in the pipeline.")
    approval_emails: list[Email] = Field(
        default_factory=list, description="A non-empty list gates this stage on a manual approval mailed to them."
    )
    notify: list[Email] = Field(
        default_factory=list,
        description="E-mail subscribers of the environment's release topic (`<project>-<env>-release`): pipeline "
        "stage failures and successes, approvals waiting, deployment failures and rollbacks, rollback alarms. "
        "The topic exists with no subscriber too.",
    )


class Environment(Section):
    """One `environments/<name>.yaml`."""

    name: Name = Field(max_length=10, description="Taken from the file name.")
    aws: Aws = Field(description="Where this environment's stack is deployed.")
    state: State = Field(description="Remote state of this environment's stack.")
    network: Network = Field(description="VPC, subnets and where the tasks run.")
    service: Service = Field(description="The ECS service: image, size, counts, health check.")
    deployment: Deployment = Field(description="The release strategy and its settings.")
    listener: Listener = Field(default_factory=Listener, description="The ALB's production listener.")
    alarms: Alarms = Field(default_factory=Alarms, description="The alarms that judge a release.")
    release: Release = Field(description="This environment's place in the release pipeline.")
    protected: bool = Field(
        default=False,
        description="`deploy` refuses disruptive, destructive or broadening changes to this environment "
        "unless --allow-risk (or ALLOW_RISK=true in CI) is given.",
    )
    log_retention_days: Literal[LOG_RETENTION_DAYS] = Field(  # type: ignore[valid-type]  # a tuple of literals
        default=30, description="Retention of the service's and the VPC flow logs, in days."
    )
    tags: Tags = Field(default_factory=dict, description="Tags of every resource of this stack (after project.yaml's).")

    @model_validator(mode="after")
    def _ports(self) -> Environment:
        if self.deployment.strategy is Strategy.BLUE_GREEN:
            taken = {self.listener.port, 80, 443} if self.listener.certificate_arn else {self.listener.port}
            if self.deployment.blue_green.test_listener_port in taken:
                raise ValueError(
                    "deployment.blue_green.test_listener_port: expected a port other than the production listener's"
                )
        return self

    @model_validator(mode="after")
    def _rollback_window(self) -> Environment:
        """A bad release must be caught while blue still runs (a stop then moves traffic back in seconds), and
        while the canary holds it to 10% of traffic."""
        bg = self.deployment.blue_green
        if self.deployment.strategy is not Strategy.BLUE_GREEN or not bg.rollback_on_alarms:
            return self
        detection = self.alarms.detection_seconds
        if bg.termination_wait_minutes * 60 <= detection:
            raise ValueError(
                f"deployment.blue_green.termination_wait_minutes: {bg.termination_wait_minutes} minute(s) "
                f"({bg.termination_wait_minutes * 60} s) end before {self.alarms.detection_text()}; expected at "
                f"least {detection // 60 + 1} minutes, or fewer alarms.datapoints_to_alarm"
            )
        canary = CANARY_MINUTES.get(bg.deployment_config)
        if canary is not None and canary * 60 < detection:
            raise ValueError(
                f"deployment.blue_green.deployment_config: the {canary}-minute canary ({canary * 60} s) ends before "
                f"{self.alarms.detection_text()}; expected CodeDeployDefault.ECSCanary10Percent15Minutes, or fewer "
                "alarms.datapoints_to_alarm"
            )
        return self

    @property
    def strategy(self) -> Strategy:
        return self.deployment.strategy


class GitLab(Section):
    url: str = Field(
        default="https://gitlab.com", pattern=r"^https://[^/]+$", description="GitLab instance (OIDC issuer)."
    )
    project_path: str = Field(
        pattern=r"^[\w.-]+(/[\w.-]+)+$", description="group/project: OIDC trust is limited to it."
    )
    branch: Name = Field(default="main", description="Branch that releases and deploys.")
    audience: str = Field(default="sts.amazonaws.com", description="`aud` of the CI id_token.")
    drift_schedule: str = Field(default="0 6 * * 1-5", description="Cron of the scheduled drift pipeline.")
    oidc_provider_arn: str | None = Field(
        default=None,
        pattern=r"^arn:aws:iam::\d{12}:oidc-provider/[^/\s]+(/[^\s]*)?$",
        description="An IAM OIDC provider for `url` that already exists in the account (AWS allows one per URL per "
        "account): the access stack then trusts it instead of creating one. Default: the access stack creates it.",
    )
    state_key: str = Field(
        default="gitlab.tfstate",
        pattern=r"^[A-Za-z0-9!_.*'()/-]+\.tfstate$",
        description="State key of the gitlab stack, in the project's state bucket.",
    )

    @model_validator(mode="after")
    def _provider_matches_url(self) -> GitLab:
        if self.oidc_provider_arn:
            issuer = self.oidc_provider_arn.split(":oidc-provider/", 1)[1]
            if issuer != self.url.removeprefix("https://"):
                raise ValueError(
                    f"oidc_provider_arn: expected the provider of {self.url} (oidc-provider/"
                    f"{self.url.removeprefix('https://')}), got oidc-provider/{issuer}"
                )
        return self


class ProjectSettings(Section):
    """`project.yaml`: what spans environments (the release, GitLab, CI access)."""

    name: Name = Field(max_length=12, description="Prefix of every resource name.")
    aws: Aws = Field(description="Account and region of the release stack (and of every environment).")
    state: State = Field(
        description="Remote state of the release stack; its bucket also holds the gitlab stack's state."
    )
    gitlab: GitLab = Field(description="The GitLab project: OIDC trust, CI variables, the drift schedule.")
    tags: Tags = Field(default_factory=dict, description="Tags of every resource of every stack.")
    cost: CostAssumptions = Field(
        default_factory=CostAssumptions,
        description="Assumptions of `python main.py cost`; every one is printed with the estimate.",
    )


class Project(BaseModel):
    """The validated whole: settings plus every discovered environment, in release order."""

    model_config = ConfigDict(frozen=True)

    settings: ProjectSettings
    environments: tuple[Environment, ...]

    def environment(self, name: str) -> Environment:
        for env in self.environments:
            if env.name == name:
                return env
        raise KeyError(name)

    @property
    def image_repository(self) -> str:
        return self.environments[0].service.image_repository
