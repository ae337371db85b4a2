"""The alarms that judge a release and a dashboard of the metrics behind them.

The alarms (target 5xx, unhealthy targets per target group) are what CodeDeploy
watches to stop and roll back a blue/green release; the dashboard shows requests, 5xx,
response time, healthy hosts, CPU and memory for the environment.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from cdktf_cdktf_provider_aws.cloudwatch_dashboard import CloudwatchDashboard
from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import CloudwatchMetricAlarm
from constructs import Construct

from config.schema import Alarms


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
    """Thresholds and evaluation periods (the YAML's `alarms`)."""
    notify_topic_arns: list[str] = field(default_factory=list)
    """SNS topics told of every alarm's ALARM and OK transitions (the release topic: modules/notifications.py)."""
    tags: dict[str, str] = field(default_factory=dict)


class Observability(Construct):
    def __init__(self, scope: Construct, id_: str, props: ObservabilityProps):
        super().__init__(scope, id_)
        p = props
        lb = {"LoadBalancer": p.load_balancer_arn_suffix}
        self.alarms = [
            self._alarm(
                "target-5xx",
                p,
                metric="HTTPCode_Target_5XX_Count",
                dimensions=lb,
                statistic="Sum",
                threshold=p.alarms.http_5xx_threshold,
                description="Targets answer 5xx: a release is failing",
            )
        ]
        for color, suffix in p.target_group_arn_suffixes.items():
            self.alarms.append(
                self._alarm(
                    f"unhealthy-{color}",
                    p,
                    metric="UnHealthyHostCount",
                    dimensions={**lb, "TargetGroup": suffix},
                    statistic="Maximum",
                    threshold=p.alarms.unhealthy_hosts_threshold,
                    description=f"Unhealthy targets in {color}",
                )
            )
        self.dashboard = CloudwatchDashboard(
            self, "dashboard", dashboard_name=p.name, dashboard_body=self._dashboard_body(p)
        )

    @property
    def alarm_names(self) -> list[str]:
        return [a.alarm_name for a in self.alarms]

    def _alarm(
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
            alarm_name=f"{p.name}-{what}",
            alarm_description=description,
            namespace="AWS/ApplicationELB",
            metric_name=metric,
            dimensions=dimensions,
            statistic=statistic,
            period=60,
            evaluation_periods=p.alarms.evaluation_periods,
            threshold=threshold,
            comparison_operator="GreaterThanOrEqualToThreshold",
            treat_missing_data="notBreaching",
            alarm_actions=p.notify_topic_arns or None,
            ok_actions=p.notify_topic_arns or None,
            tags=p.tags,
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
