"""The alarms that judge a release and a dashboard of the metrics behind them.

Per target group (colour: `main`, or `blue` and `green`): the targets' 5xx *rate* (metric math over
HTTPCode_Target_5XX_Count and RequestCount), TargetConnectionErrorCount and UnHealthyHostCount; for
the load balancer, the rate of its own 502/503/504 (what the ALB answers when a target resets, refuses
or times out). The rates are judged only above `alarms.minimum_requests` a minute (IF), and a minute
without any 5xx counts as 0 (FILL), so quiet hours do not alarm. Noise cannot trip them: 4xx are not
counted, nor the ALB's 500/501 (a malformed or unsupported request anyone can send), and the service
answers unsupported methods 405, not 501. CodeDeploy stops and rolls back a blue/green release when
any fires; ECS rolls back a rolling deployment (the service's deployment alarms). Periods and
datapoints come from the YAML's `alarms`; docs/zero-downtime.md computes their worst-case detection.
The dashboard shows requests, 5xx, response time, healthy hosts, CPU and memory for the environment.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from cdktf_cdktf_provider_aws.cloudwatch_dashboard import CloudwatchDashboard
from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import (
    CloudwatchMetricAlarm,
    CloudwatchMetricAlarmMetricQuery,
    CloudwatchMetricAlarmMetricQueryMetric,
)
from constructs import Construct

from config.schema import ALARM_PERIOD_SECONDS, Alarms

NAMESPACE = "AWS/ApplicationELB"
ELB_ERRORS = ("HTTPCode_ELB_502_Count", "HTTPCode_ELB_503_Count", "HTTPCode_ELB_504_Count")
"""The load balancer's own 5xx that a bad release causes (ALB user guide, troubleshooting: 502 a target
closed or reset the connection, 503 no registered target, 504 a target did not answer in time)."""


def alarm_names(prefix: str, colors: list[str]) -> list[str]:
    """Every release alarm's name: what CodeDeploy and ECS are told to watch, known before the alarms exist."""
    per_color = [
        f"{prefix}-{what}-{c}" for c in colors for what in ("target-5xx-rate", "connection-errors", "unhealthy")
    ]
    return [*per_color, f"{prefix}-elb-5xx-rate"]


@dataclass(frozen=True)
class ObservabilityProps:
    name: str
    """Prefix of alarm names and the dashboard name."""
    region: str
    load_balancer_arn_suffix: str
    target_group_arn_suffixes: dict[str, str]
    """Color (`main`, `blue`, `green`) -> target group ARN suffix."""
    cluster_name: str
    service_name: str
    alarms: Alarms
    """Thresholds, minimum traffic, periods and datapoints (the YAML's `alarms`)."""
    notify_topic_arns: list[str] = field(default_factory=list)
    """SNS topics told of every alarm's ALARM and OK transitions (the release topic: modules/notifications.py)."""
    tags: dict[str, str] = field(default_factory=dict)


class Observability(Construct):
    def __init__(self, scope: Construct, id_: str, props: ObservabilityProps):
        super().__init__(scope, id_)
        p = props
        a = p.alarms
        lb = {"LoadBalancer": p.load_balancer_arn_suffix}
        self.alarms: list[CloudwatchMetricAlarm] = []
        for color, suffix in p.target_group_arn_suffixes.items():
            tg = {**lb, "TargetGroup": suffix}
            self.alarms += [
                self._rate(
                    f"target-5xx-rate-{color}",
                    p,
                    errors=["HTTPCode_Target_5XX_Count"],
                    dimensions=tg,
                    description=f"{color}: its targets answer 5xx to {a.error_rate_percent}% or more of at least "
                    f"{a.minimum_requests} requests a minute",
                ),
                self._count(
                    f"connection-errors-{color}",
                    p,
                    metric="TargetConnectionErrorCount",
                    dimensions=tg,
                    statistic="Sum",
                    threshold=a.connection_errors_threshold,
                    description=f"{color}: the ALB cannot connect to its targets",
                ),
                self._count(
                    f"unhealthy-{color}",
                    p,
                    metric="UnHealthyHostCount",
                    dimensions=tg,
                    statistic="Maximum",
                    threshold=a.unhealthy_hosts_threshold,
                    description=f"{color}: unhealthy targets",
                ),
            ]
        self.alarms.append(
            self._rate(
                "elb-5xx-rate",
                p,
                errors=list(ELB_ERRORS),
                dimensions=lb,
                description=f"The load balancer answers 502/503/504 to {a.error_rate_percent}% or more of at least "
                f"{a.minimum_requests} requests a minute",
            )
        )
        self.dashboard = CloudwatchDashboard(
            self, "dashboard", dashboard_name=p.name, dashboard_body=self._dashboard_body(p)
        )

    @property
    def alarm_names(self) -> list[str]:
        return [a.alarm_name for a in self.alarms]

    def _common(self, what: str, p: ObservabilityProps, description: str) -> dict[str, Any]:
        return {
            "alarm_name": f"{p.name}-{what}",
            "alarm_description": description,
            "evaluation_periods": p.alarms.evaluation_periods,
            "datapoints_to_alarm": p.alarms.datapoints_to_alarm,
            "comparison_operator": "GreaterThanOrEqualToThreshold",
            "treat_missing_data": "notBreaching",  # no requests, no datapoint: quiet is not failure
            "alarm_actions": p.notify_topic_arns or None,
            "ok_actions": p.notify_topic_arns or None,
            "tags": p.tags,
        }

    def _count(
        self,
        what: str,
        p: ObservabilityProps,
        *,
        metric: str,
        dimensions: dict[str, str],
        statistic: str,
        threshold: int,
        description: str,
    ) -> CloudwatchMetricAlarm:
        return CloudwatchMetricAlarm(
            self,
            what,
            namespace=NAMESPACE,
            metric_name=metric,
            dimensions=dimensions,
            statistic=statistic,
            period=ALARM_PERIOD_SECONDS,
            threshold=threshold,
            **self._common(what, p, description),
        )

    def _rate(
        self, what: str, p: ObservabilityProps, *, errors: list[str], dimensions: dict[str, str], description: str
    ) -> CloudwatchMetricAlarm:
        """100 x the `errors` metrics' sum / RequestCount, as 0 below `minimum_requests` requests a minute."""

        def metric(id_: str, name: str) -> CloudwatchMetricAlarmMetricQuery:
            return CloudwatchMetricAlarmMetricQuery(
                id=id_,
                metric=CloudwatchMetricAlarmMetricQueryMetric(
                    namespace=NAMESPACE,
                    metric_name=name,
                    dimensions=dimensions,
                    stat="Sum",
                    period=ALARM_PERIOD_SECONDS,
                ),
                return_data=False,
            )

        ids = [f"e{i}" for i in range(len(errors))]
        total = " + ".join(f"FILL({i}, 0)" for i in ids)
        expression = f"IF(requests >= {p.alarms.minimum_requests}, 100 * ({total}) / requests, 0)"
        return CloudwatchMetricAlarm(
            self,
            what,
            metric_query=[
                *(metric(i, name) for i, name in zip(ids, errors, strict=True)),
                metric("requests", "RequestCount"),
                CloudwatchMetricAlarmMetricQuery(
                    id="rate", expression=expression, label="5xx per 100 requests", return_data=True
                ),
            ],
            threshold=p.alarms.error_rate_percent,
            **self._common(what, p, description),
        )

    @staticmethod
    def _dashboard_body(p: ObservabilityProps) -> str:
        lb = ["LoadBalancer", p.load_balancer_arn_suffix]
        ecs = ["ClusterName", p.cluster_name, "ServiceName", p.service_name]

        def widget(title: str, metrics: list[list[str]], stat: str, x: int, y: int) -> dict:
            return {
                "type": "metric",
                "x": x,
                "y": y,
                "width": 12,
                "height": 6,
                "properties": {"title": title, "region": p.region, "stat": stat, "period": 60, "metrics": metrics},
            }

        healthy = [
            ["AWS/ApplicationELB", "HealthyHostCount", "TargetGroup", s, *lb]
            for s in p.target_group_arn_suffixes.values()
        ]
        widgets = [
            widget("Requests", [["AWS/ApplicationELB", "RequestCount", *lb]], "Sum", 0, 0),
            widget(
                "5xx (target and ALB)",
                [
                    ["AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", *lb],
                    ["AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", *lb],
                    *(["AWS/ApplicationELB", m, *lb] for m in ELB_ERRORS),
                ],
                "Sum",
                12,
                0,
            ),
            widget("Target response time (p95)", [["AWS/ApplicationELB", "TargetResponseTime", *lb]], "p95", 0, 6),
            widget("Healthy hosts", healthy, "Minimum", 12, 6),
            widget("CPU", [["AWS/ECS", "CPUUtilization", *ecs]], "Average", 0, 12),
            widget("Memory", [["AWS/ECS", "MemoryUtilization", *ecs]], "Average", 12, 12),
        ]
        return json.dumps({"widgets": widgets})
