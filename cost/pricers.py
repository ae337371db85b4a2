"""One function per billed resource type: its synthesized body -> priced lines.

Counts and wiring come from the synthesized JSON (how many NAT gateways, whether the
ALB is internet-facing, which log group the flow log writes to); task sizes and counts
from the environment's YAML (via `Workload`); guesses from the assumptions.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from config.cost import CostAssumptions
from config.names import names_for
from config.schema import Project
from cost.model import Line
from cost.pricing import PriceTable
from cost.resources import first, referencing, resources, target
from cost.workload import Workload


class NotEstimated(Exception):
    """This resource may cost money but cannot be priced here; `str()` says why."""


@dataclass(frozen=True)
class Context:
    stack: dict[str, Any]
    table: PriceTable
    a: CostAssumptions
    project: Project
    workload: Workload | None
    """The environment this stack deploys, if any."""
    workloads: dict[str, Workload]
    """Every environment's, for the release pipeline's deploy actions."""

    def line(
        self, address: str, item: str, quantity: float, price: str, assumptions: Iterable[str] = (), detail: str = ""
    ) -> Line:
        entry = self.table[price]
        return Line(address, item, quantity, entry.unit, entry.value, price, tuple(assumptions), detail)

    def need_workload(self, what: str) -> Workload:
        if self.workload is None:
            raise NotEstimated(f"{what} outside an environment stack: no YAML gives its size")
        return self.workload

    @property
    def hours(self) -> float:
        return self.a.hours_per_month

    @property
    def releases(self) -> float:
        return self.a.releases_per_month


Pricer = Callable[[Context, str, dict[str, Any]], list[Line]]


def ecs_service(ctx: Context, address: str, body: dict[str, Any]) -> list[Line]:
    w = ctx.need_workload("an ECS service")
    if body.get("launch_type") != "FARGATE":
        raise NotEstimated("not a Fargate service")
    arch = _cpu_architecture(ctx.stack, body)
    vcpu, gb = w.env.service.cpu / 1024, w.env.service.memory / 1024
    steady = w.tasks * ctx.hours
    during = w.overlap_tasks * w.deploy_minutes / 60 * ctx.releases
    base = ("hours_per_month", *w.task_assumptions)
    releases = ("releases_per_month", "release_minutes", *w.task_assumptions)
    tasks = f"{w.tasks:g} tasks × {ctx.hours:g} h"
    extra = (
        f"{w.overlap_tasks:g} extra tasks × {w.deploy_minutes:g} min ({w.deploy_detail}) × {ctx.releases:g} releases"
    )
    lines = [
        ctx.line(
            address, "Fargate vCPU-hours", vcpu * steady, f"fargate.{arch}.vcpu_hour", base, f"{vcpu:g} vCPU × {tasks}"
        ),
        ctx.line(address, "Fargate GB-hours", gb * steady, f"fargate.{arch}.gb_hour", base, f"{gb:g} GB × {tasks}"),
        ctx.line(address, "Fargate vCPU-hours, releases", vcpu * during, f"fargate.{arch}.vcpu_hour", releases, extra),
        ctx.line(address, "Fargate GB-hours, releases", gb * during, f"fargate.{arch}.gb_hour", releases, extra),
    ]
    if first(body.get("network_configuration")).get("assign_public_ip"):
        detail = f"one per task (assign_public_ip): {tasks} + {extra}"
        names = ("hours_per_month", *releases)
        lines.append(ctx.line(address, "Public IPv4, tasks", steady + during, "public_ipv4.hour", names, detail))
    return lines


def ecs_cluster(ctx: Context, address: str, body: dict[str, Any]) -> list[Line]:
    settings = {s.get("name"): s.get("value") for s in body.get("setting", [])}
    if settings.get("containerInsights") not in ("enabled", "enhanced"):
        return []
    w = ctx.need_workload("Container Insights")
    metrics, gb = ctx.a.container_insights_metrics, ctx.a.container_insights_gb_per_task_month * w.tasks
    return [
        ctx.line(
            address, "Container Insights metrics", metrics, "cloudwatch.metric_month", ["container_insights_metrics"]
        ),
        ctx.line(
            address,
            "Container Insights performance logs",
            gb,
            "cloudwatch.logs_ingest_gb",
            ["container_insights_gb_per_task_month", *w.task_assumptions],
            f"{ctx.a.container_insights_gb_per_task_month:g} GB × {w.tasks:g} tasks",
        ),
    ]


def lb(ctx: Context, address: str, body: dict[str, Any]) -> list[Line]:
    if body.get("load_balancer_type", "application") != "application":
        raise NotEstimated(f"a {body['load_balancer_type']} load balancer (only ALBs are priced)")
    lcu, lcu_name = _traffic(ctx, "alb_lcu")
    lines = [
        ctx.line(address, "ALB hours", ctx.hours, "alb.hour", ["hours_per_month"]),
        ctx.line(
            address, "ALB LCU-hours", lcu * ctx.hours, "alb.lcu_hour", [lcu_name, "hours_per_month"], f"{lcu:g} LCU"
        ),
    ]
    if not body.get("internal", False):
        ips = len(body.get("subnets", [])) * ctx.a.alb_ipv4_per_subnet
        lines.append(
            ctx.line(
                address,
                "Public IPv4, ALB",
                ips * ctx.hours,
                "public_ipv4.hour",
                ["alb_ipv4_per_subnet", "hours_per_month"],
                f"{ips} addresses (internet-facing, {len(body.get('subnets', []))} subnets)",
            )
        )
    return lines


def nat_gateway(ctx: Context, address: str, body: dict[str, Any]) -> list[Line]:
    w = ctx.need_workload("a NAT gateway")
    nats = sum(1 for _ in resources(ctx.stack, "aws_nat_gateway"))
    gb, gb_name = _traffic(ctx, "nat_gb_per_month")
    pulls = 0.0 if _tasks_public(ctx.stack) else ctx.releases * w.tasks * ctx.a.image_size_gb
    detail = f"({gb:g} GB + image pulls {ctx.releases:g} releases × {w.tasks:g} tasks × {ctx.a.image_size_gb:g} GB) / {nats} NAT gateways"
    names = [gb_name, "releases_per_month", "image_size_gb", *w.task_assumptions]
    return [
        ctx.line(address, "NAT gateway hours", ctx.hours, "nat_gateway.hour", ["hours_per_month"]),
        ctx.line(address, "NAT data processed", (gb + pulls) / nats, "nat_gateway.gb", names, detail),
    ]


def eip(ctx: Context, address: str, body: dict[str, Any]) -> list[Line]:
    return [ctx.line(address, "Public IPv4, Elastic IP", ctx.hours, "public_ipv4.hour", ["hours_per_month"])]


def metric_alarm(ctx: Context, address: str, body: dict[str, Any]) -> list[Line]:
    queries = body.get("metric_query") or []
    metrics = max(1, sum(1 for q in queries if first(q.get("metric")))) if queries else 1
    periods = [body.get("period", 60)] + [first(q.get("metric")).get("period", 60) for q in queries]
    kind = "high_resolution" if min(periods) < 60 else "standard"
    detail = f"{metrics} metric(s), {kind.replace('_', '-')} resolution"
    return [ctx.line(address, "CloudWatch alarm", metrics, f"cloudwatch.alarm_{kind}_month", detail=detail)]


def dashboard(ctx: Context, address: str, body: dict[str, Any]) -> list[Line]:
    return [ctx.line(address, "CloudWatch dashboard", 1, "cloudwatch.dashboard_month")]


def log_group(ctx: Context, address: str, body: dict[str, Any]) -> list[Line]:
    """Ingestion by what writes to the group (a flow log, tasks, CodeBuild), then its storage for the retention."""
    if referencing(ctx.stack, "aws_flow_log", "log_destination", address):
        gb, name = _traffic(ctx, "flow_log_gb_per_month")
        what, price, names, detail = "VPC flow logs", "cloudwatch.vended_logs_gb", [name], ""
    elif body.get("name") in _task_log_groups(ctx.stack):
        w = ctx.need_workload("task logs")
        per_task, name = _traffic(ctx, "log_gb_per_task_month")
        gb, what, price = per_task * w.tasks, "Task logs", "cloudwatch.logs_ingest_gb"
        names, detail = [name, *w.task_assumptions], f"{per_task:g} GB × {w.tasks:g} tasks"
    elif address in _build_log_groups(ctx.stack):
        gb = ctx.a.build_log_gb_per_release * ctx.releases
        what, price, names = (
            "Build logs",
            "cloudwatch.logs_ingest_gb",
            ["build_log_gb_per_release", "releases_per_month"],
        )
        detail = f"{ctx.a.build_log_gb_per_release:g} GB × {ctx.releases:g} releases"
    elif body.get("name") in _function_log_groups(ctx.stack):
        return []  # a Lambda's (the release hook): a few KB per release, one invocation each; below a cent
    else:
        raise NotEstimated("nothing known writes to this log group")
    days = body.get("retention_in_days") or 0
    months = days / (ctx.hours / 24) if days else 12.0
    kept = f"{days} days retention" if days else "never expires: a year of logs assumed"
    return [
        ctx.line(address, f"{what}, ingestion", gb, price, names, detail),
        ctx.line(
            address,
            f"{what}, storage",
            gb * months,
            "cloudwatch.logs_storage_gb_month",
            [*names, "hours_per_month"],
            f"{gb:g} GB/month × {months:.3g} months ({kept}), uncompressed",
        ),
    ]


def codepipeline(ctx: Context, address: str, body: dict[str, Any]) -> list[Line]:
    if body.get("pipeline_type", "V1") != "V2":
        return [ctx.line(address, "CodePipeline V1 pipeline", 1, "codepipeline.v1_pipeline_month")]
    minutes, parts, names = 0.0, [], {"releases_per_month"}
    for stage in body.get("stage", []):
        for action in stage.get("action", []):
            spent, name = _action_minutes(ctx, action)
            if spent is None:
                continue  # manual approvals are not billed
            minutes += spent
            names.add(name)
            parts.append(f"{stage['name']}/{action['name']} {spent:g}")
    detail = f"({' + '.join(parts)}) min × {ctx.releases:g} releases"
    return [
        ctx.line(
            address,
            "CodePipeline V2 action minutes",
            minutes * ctx.releases,
            "codepipeline.v2_action_minute",
            sorted(names),
            detail,
        )
    ]


def pipeline_minutes(ctx: Context) -> float:
    """Billed action minutes of one release, over the stack's V2 pipelines (an input the diff names)."""
    total = 0.0
    for _, body in resources(ctx.stack, "aws_codepipeline"):
        for stage in body.get("stage", []):
            total += sum(_action_minutes(ctx, action)[0] or 0.0 for action in stage.get("action", []))
    return total


def codebuild_project(ctx: Context, address: str, body: dict[str, Any]) -> list[Line]:
    env = first(body.get("environment"))
    kind = {"LINUX_CONTAINER": "linux"}.get(env.get("type", ""), str(env.get("type", "")).lower())
    compute = str(env.get("compute_type", "")).lower().removeprefix("build_")
    minutes = ctx.a.build_minutes * ctx.releases
    detail = f"{ctx.a.build_minutes:g} min × {ctx.releases:g} releases, {env.get('compute_type')}"
    names = ["build_minutes", "releases_per_month"]
    return [ctx.line(address, "CodeBuild minutes", minutes, f"codebuild.{kind}.{compute}.minute", names, detail)]


def ecr_repository(ctx: Context, address: str, body: dict[str, Any]) -> list[Line]:
    kept = None
    for policy in referencing(ctx.stack, "aws_ecr_lifecycle_policy", "repository", address):
        for rule in json.loads(policy.get("policy", "{}")).get("rules", []):
            if rule.get("selection", {}).get("countType") == "imageCountMoreThan":
                kept = int(rule["selection"]["countNumber"])
    images = kept if kept is not None else ctx.releases * 12
    why = f"the lifecycle policy keeps {kept}" if kept is not None else "no count limit: a year of releases"
    return [
        ctx.line(
            address,
            "ECR storage",
            images * ctx.a.image_size_gb,
            "ecr.storage_gb_month",
            ["image_size_gb"] + ([] if kept is not None else ["releases_per_month"]),
            f"{images:g} images ({why}) × {ctx.a.image_size_gb:g} GB",
        )
    ]


def s3_bucket(ctx: Context, address: str, body: dict[str, Any]) -> list[Line]:
    stores = [
        store
        for _, pipeline in resources(ctx.stack, "aws_codepipeline")
        for store in pipeline.get("artifact_store", [])
        if target(store.get("location")) == address
    ]
    if not stores:
        raise NotEstimated("not a pipeline artifact store: no assumption for its contents")
    days, parts = 0, []
    for config in referencing(ctx.stack, "aws_s3_bucket_lifecycle_configuration", "bucket", address):
        for rule in config.get("rule", []):
            expire = first(rule.get("expiration")).get("days") or 0
            noncurrent = first(rule.get("noncurrent_version_expiration")).get("noncurrent_days") or 0
            if expire and rule.get("status") == "Enabled":
                days = max(days, expire + noncurrent)
                parts = [
                    f"expires after {expire} days" + (f", noncurrent after {noncurrent} more" if noncurrent else "")
                ]
    months = days / (ctx.hours / 24) if days else 12.0
    gb_month = ctx.a.artifact_gb_per_release * ctx.releases
    kept = parts[0] if parts else "never expires: a year assumed"
    return [
        ctx.line(
            address,
            "S3 Standard storage",
            gb_month * months,
            "s3.standard_gb_month",
            ["artifact_gb_per_release", "releases_per_month", "hours_per_month"],
            f"{gb_month:g} GB/month × {months:.3g} months ({kept})",
        )
    ]


def sns_topic(ctx: Context, address: str, body: dict[str, Any]) -> list[Line]:
    emails = [
        s
        for s in referencing(ctx.stack, "aws_sns_topic_subscription", "topic_arn", address)
        if s.get("protocol") == "email"
    ]
    if not emails:
        return []
    detail = f"{len(emails)} e-mail subscription(s) × {ctx.releases:g} releases (one approval request each)"
    return [
        ctx.line(
            address,
            "SNS e-mail notifications",
            len(emails) * ctx.releases,
            "sns.email_notification",
            ["releases_per_month"],
            detail,
        )
    ]


def kms_key(ctx: Context, address: str, body: dict[str, Any]) -> list[Line]:
    return [ctx.line(address, "KMS key", 1, "kms.key_month", detail="customer-managed key, monthly fee")]


def vpc_endpoint(ctx: Context, address: str, body: dict[str, Any]) -> list[Line]:
    if body.get("vpc_endpoint_type", "Gateway") != "Interface":
        return []  # gateway endpoints (S3, DynamoDB) have no charge
    zones = len(body.get("subnet_ids") or []) or 1
    detail = f"{body.get('service_name')}: {zones} AZ(s) × {ctx.hours:g} h"
    return [
        ctx.line(
            address,
            "VPC interface endpoint hours",
            zones * ctx.hours,
            "vpc_endpoint.interface_hour",
            ["hours_per_month"],
            detail,
        )
    ]


def ssm_parameter(ctx: Context, address: str, body: dict[str, Any]) -> list[Line]:
    if body.get("tier", "Standard") == "Standard":
        return []  # standard parameters (and standard throughput) have no charge
    return [ctx.line(address, "SSM advanced parameter", 1, "ssm.advanced_parameter_month", detail=body["tier"])]


PRICERS: dict[str, Pricer] = {
    "aws_ecs_service": ecs_service,
    "aws_ecs_cluster": ecs_cluster,
    "aws_lb": lb,
    "aws_nat_gateway": nat_gateway,
    "aws_eip": eip,
    "aws_cloudwatch_metric_alarm": metric_alarm,
    "aws_cloudwatch_dashboard": dashboard,
    "aws_cloudwatch_log_group": log_group,
    "aws_codepipeline": codepipeline,
    "aws_codebuild_project": codebuild_project,
    "aws_ecr_repository": ecr_repository,
    "aws_s3_bucket": s3_bucket,
    "aws_sns_topic": sns_topic,
    "aws_ssm_parameter": ssm_parameter,
    "aws_kms_key": kms_key,
    "aws_vpc_endpoint": vpc_endpoint,
}

FREE = frozenset(
    # No charge of their own (or billed through a priced resource: a flow log through its log group).
    {
        "aws_vpc",
        "aws_subnet",
        "aws_route",
        "aws_route_table",
        "aws_route_table_association",
        "aws_internet_gateway",
        "aws_security_group",
        "aws_default_security_group",
        "aws_flow_log",
        "aws_iam_role",
        "aws_iam_role_policy",
        "aws_iam_role_policy_attachment",
        "aws_iam_openid_connect_provider",
        "aws_iam_policy",
        "aws_lb_listener",
        "aws_lb_target_group",
        "aws_ecs_task_definition",
        "aws_appautoscaling_target",
        "aws_appautoscaling_policy",
        "aws_codedeploy_app",  # CodeDeploy to ECS has no charge
        "aws_codedeploy_deployment_group",
        "aws_codestarconnections_connection",
        "aws_ecr_lifecycle_policy",
        "aws_s3_bucket_lifecycle_configuration",
        "aws_s3_bucket_ownership_controls",
        "aws_s3_bucket_policy",
        "aws_s3_bucket_public_access_block",
        "aws_s3_bucket_server_side_encryption_configuration",
        "aws_s3_bucket_versioning",
        "aws_sns_topic_subscription",
        "aws_sns_topic_policy",
        "aws_kms_alias",
        "aws_cloudwatch_event_rule",  # rules on AWS services' events on the default bus: no charge
        "aws_cloudwatch_event_target",
        # The release hook: one ~10 s invocation of 128 MB per release, billed per request and GB-second
        # (~25 GB-s a month): below a cent, like the API requests the estimate leaves out.
        "aws_lambda_function",
    }
)


def _traffic(ctx: Context, field: str) -> tuple[float, str]:
    """An environment's traffic figure and the assumption name it came from."""
    if ctx.workload is None:
        return float(getattr(ctx.a.traffic, field)), f"traffic.{field}"
    return float(getattr(ctx.workload.traffic, field)), ctx.workload.traffic_names[field]


def _cpu_architecture(stack: dict[str, Any], service: dict[str, Any]) -> str:
    task = dict(resources(stack, "aws_ecs_task_definition")).get(target(service.get("task_definition")) or "", {})
    platform = first(task.get("runtime_platform"))
    system = str(platform.get("operating_system_family", "LINUX")).lower()
    arch = {"X86_64": "x86", "ARM64": "arm64"}.get(platform.get("cpu_architecture", "X86_64"), "unknown")
    return f"{system}_{arch}"


def _tasks_public(stack: dict[str, Any]) -> bool:
    return any(
        first(b.get("network_configuration")).get("assign_public_ip") for _, b in resources(stack, "aws_ecs_service")
    )


def _task_log_groups(stack: dict[str, Any]) -> set[str]:
    groups = set()
    for _, task in resources(stack, "aws_ecs_task_definition"):
        for container in json.loads(task.get("container_definitions", "[]")):
            groups.add(container.get("logConfiguration", {}).get("options", {}).get("awslogs-group"))
    return groups


def _function_log_groups(stack: dict[str, Any]) -> set[str]:
    return {f"/aws/lambda/{body.get('function_name')}" for _, body in resources(stack, "aws_lambda_function")}


def _build_log_groups(stack: dict[str, Any]) -> set[str | None]:
    return {
        target(first(first(body.get("logs_config")).get("cloudwatch_logs")).get("group_name"))
        for _, body in resources(stack, "aws_codebuild_project")
    }


def _action_minutes(ctx: Context, action: dict[str, Any]) -> tuple[float | None, str]:
    """Billed minutes of one pipeline action per release and the assumption behind them; None: not billed."""
    provider, config = action.get("provider"), action.get("configuration", {})
    if provider == "Manual":
        return None, ""
    if provider == "CodeBuild":
        return ctx.a.build_minutes, "build_minutes"
    if provider in ("ECS", "CodeDeployToECS"):
        for w in ctx.workloads.values():
            names = names_for(ctx.project.settings, w.env)
            if config.get("ClusterName") == names.cluster or config.get("ApplicationName") == names.codedeploy_app:
                return w.deploy_minutes, "release_minutes"
        return ctx.a.release_minutes, "release_minutes"
    return ctx.a.source_minutes, "source_minutes"
