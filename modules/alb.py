"""Application Load Balancer: listeners and target groups for either strategy.

rolling: one target group (`main`) behind the production listener.
blue_green: `blue` and `green` target groups, a production listener (blue) and a test
listener (green); CodeDeploy swaps their default actions, so Terraform ignores those.

Because Terraform ignores what CodeDeploy owns, it can never repoint a listener, nor
know which target group a listener really forwards to after a release. So whenever the
set of target groups changes (a strategy switch, or a change the provider replaces them
for, such as the port), `routing` changes and the listeners are replaced rather than
updated: the old listeners go before any old target group (each listener depends on all
of them), the new ones start from blue (production) and green (test) again.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cdktf import DataResource, TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.lb import Lb
from cdktf_cdktf_provider_aws.lb_listener import LbListener, LbListenerDefaultAction
from cdktf_cdktf_provider_aws.lb_target_group import LbTargetGroup
from constructs import Construct

from config.schema import Strategy
from modules.lifecycle import references


@dataclass(frozen=True)
class AlbProps:
    name: str
    """ALB name and target-group prefix (<= 26 characters)."""
    strategy: Strategy
    vpc_id: str
    subnet_ids: list[str]
    security_group_id: str
    """Opened on `public_ports` and `internal_ports` by the network module."""
    container_port: int
    health_check_path: str
    listener_port: int
    """Production port when serving HTTP; with a certificate it is 443 and 80 redirects."""
    test_listener_port: int
    """blue_green only: where the green target group is tested before the shift."""
    certificate_arn: str | None
    ssl_policy: str
    deregistration_delay_seconds: int
    """How long the ALB lets a deregistered target finish its in-flight requests before ECS sends it SIGTERM
    (config.schema.Service.deregistration_delay_seconds: the request timeout; docs/zero-downtime.md). It ends
    at once when nothing is in flight: the service's drain after SIGTERM covers ALB nodes still catching up."""
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def colors(self) -> list[str]:
        return ["blue", "green"] if self.strategy is Strategy.BLUE_GREEN else ["main"]

    @property
    def production_port(self) -> int:
        return 443 if self.certificate_arn else self.listener_port


def listener_ports(
    strategy: Strategy, listener_port: int, test_listener_port: int, certificate_arn: str | None
) -> tuple[list[int], list[int]]:
    """(ports open to the internet, ports open only inside the VPC) of an ALB with these props:
    what the network module opens the ALB's security group on."""
    public = [80, 443] if certificate_arn else [listener_port]
    return public, [test_listener_port] if strategy is Strategy.BLUE_GREEN else []


class Alb(Construct):
    def __init__(self, scope: Construct, id_: str, props: AlbProps):
        super().__init__(scope, id_)
        p = props
        self.lb = Lb(
            self,
            "lb",
            name=p.name,
            load_balancer_type="application",
            internal=False,
            subnets=p.subnet_ids,
            security_groups=[p.security_group_id],
            drop_invalid_header_fields=True,
            enable_http2=True,
            tags=p.tags,
        )
        self.target_groups = {
            color: LbTargetGroup(
                self,
                f"tg-{color}",
                name=f"{p.name}-{color}",
                port=p.container_port,
                protocol="HTTP",
                target_type="ip",
                vpc_id=p.vpc_id,
                deregistration_delay=str(p.deregistration_delay_seconds),
                health_check={
                    "path": p.health_check_path,
                    "matcher": "200",
                    "interval": 15,
                    "timeout": 5,
                    "healthy_threshold": 2,
                    "unhealthy_threshold": 3,
                },
                tags=p.tags,
            )
            for color in p.colors
        }
        self.routing = DataResource(self, "routing", input={c: tg.arn for c, tg in self.target_groups.items()})
        """Changes exactly when a target group is added, removed or replaced: what replaces the listeners."""
        blue_green = p.strategy is Strategy.BLUE_GREEN
        first, last = self.target_groups[p.colors[0]], self.target_groups[p.colors[-1]]
        self.production_listener = self._listener("production", p.production_port, first, p)
        self.test_listener = self._listener("test", p.test_listener_port, last, p) if blue_green else None
        if p.certificate_arn:
            LbListener(
                self,
                "http-redirect",
                load_balancer_arn=self.lb.arn,
                port=80,
                protocol="HTTP",
                default_action=[
                    LbListenerDefaultAction(
                        type="redirect",
                        redirect={"port": "443", "protocol": "HTTPS", "status_code": "HTTP_301"},
                    )
                ],
                tags=p.tags,
            )

    def _listener(self, role: str, port: int, target: LbTargetGroup, p: AlbProps) -> LbListener:
        # CodeDeploy swaps the listeners' target groups during a blue/green release.
        owned_by_codedeploy = ["default_action"] if p.strategy is Strategy.BLUE_GREEN else None
        return LbListener(
            self,
            f"listener-{role}",
            load_balancer_arn=self.lb.arn,
            port=port,
            default_action=[LbListenerDefaultAction(type="forward", target_group_arn=target.arn)],
            lifecycle=TerraformResourceLifecycle(
                ignore_changes=owned_by_codedeploy, replace_triggered_by=references(self.routing)
            ),
            depends_on=list(self.target_groups.values()),
            protocol="HTTPS" if p.certificate_arn else "HTTP",
            certificate_arn=p.certificate_arn,
            ssl_policy=p.ssl_policy if p.certificate_arn else None,
            tags=p.tags,
        )

    @property
    def first_target_group(self) -> LbTargetGroup:
        """Where the service starts: `main`, or `blue` before the first blue/green release."""
        return next(iter(self.target_groups.values()))

    @property
    def listener_arns(self) -> dict[str, str]:
        arns = {"production": self.production_listener.arn}
        if self.test_listener is not None:
            arns["test"] = self.test_listener.arn
        return arns
