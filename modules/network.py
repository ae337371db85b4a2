"""VPC across 2+ AZs, routing, and the two security groups of the service.

The ALB is open only on its listener ports (the blue/green test listener only inside
the VPC); tasks accept traffic only from the ALB, on the container port. Rules are inline
and therefore authoritative: a rule added outside Terraform is drift, not ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.default_security_group import DefaultSecurityGroup
from cdktf_cdktf_provider_aws.eip import Eip
from cdktf_cdktf_provider_aws.flow_log import FlowLog
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.internet_gateway import InternetGateway
from cdktf_cdktf_provider_aws.nat_gateway import NatGateway
from cdktf_cdktf_provider_aws.route import Route
from cdktf_cdktf_provider_aws.route_table import RouteTable
from cdktf_cdktf_provider_aws.route_table_association import RouteTableAssociation
from cdktf_cdktf_provider_aws.security_group import SecurityGroup, SecurityGroupEgress, SecurityGroupIngress
from cdktf_cdktf_provider_aws.subnet import Subnet
from cdktf_cdktf_provider_aws.vpc import Vpc
from constructs import Construct

from modules.iam import allow, policy, project_role, trust_policy


@dataclass(frozen=True)
class NetworkProps:
    name: str
    """Prefix of every resource name."""
    account_id: str
    vpc_cidr: str
    availability_zones: list[str]
    public_subnets: list[str]
    """One per AZ: the ALB (and NAT gateways)."""
    private_subnets: list[str]
    """One per AZ: the tasks, unless `tasks_in_public_subnets`."""
    container_port: int
    public_ports: list[int]
    """ALB listener ports open to the internet."""
    tasks_in_public_subnets: bool
    """True trades NAT gateways (cost) for tasks with public IPs; their SG still admits only the ALB."""
    flow_log_retention_days: int
    permissions_boundary: str
    """Of the flow logs' role (config.names.AccessNames.boundary_arn)."""
    internal_ports: list[int] = field(default_factory=list)
    """ALB listener ports open only inside the VPC (the blue/green test listener)."""
    tags: dict[str, str] = field(default_factory=dict)


class Network(Construct):
    def __init__(self, scope: Construct, id_: str, props: NetworkProps):
        super().__init__(scope, id_)
        p = props
        self.vpc = Vpc(
            self,
            "vpc",
            cidr_block=p.vpc_cidr,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags={**p.tags, "Name": p.name},
        )
        DefaultSecurityGroup(
            self, "default-sg", vpc_id=self.vpc.id, tags={**p.tags, "Name": f"{p.name}-default-closed"}
        )
        self._tasks_public = p.tasks_in_public_subnets
        self._flow_logs(p)
        igw = InternetGateway(self, "igw", vpc_id=self.vpc.id, tags={**p.tags, "Name": p.name})

        public_rt = RouteTable(self, "public-rt", vpc_id=self.vpc.id, tags={**p.tags, "Name": f"{p.name}-public"})
        Route(
            self, "public-default", route_table_id=public_rt.id, destination_cidr_block="0.0.0.0/0", gateway_id=igw.id
        )
        self.public_subnets = []
        self.private_subnets = []
        for i, (zone, pub_cidr, priv_cidr) in enumerate(
            zip(p.availability_zones, p.public_subnets, p.private_subnets, strict=True)
        ):
            pub = Subnet(
                self,
                f"public-{i}",
                vpc_id=self.vpc.id,
                cidr_block=pub_cidr,
                availability_zone=zone,
                map_public_ip_on_launch=False,
                tags={**p.tags, "Name": f"{p.name}-public-{zone}", "tier": "public"},
            )
            RouteTableAssociation(self, f"public-{i}-rta", subnet_id=pub.id, route_table_id=public_rt.id)
            priv = Subnet(
                self,
                f"private-{i}",
                vpc_id=self.vpc.id,
                cidr_block=priv_cidr,
                availability_zone=zone,
                tags={**p.tags, "Name": f"{p.name}-private-{zone}", "tier": "private"},
            )
            priv_rt = RouteTable(
                self, f"private-{i}-rt", vpc_id=self.vpc.id, tags={**p.tags, "Name": f"{p.name}-private-{zone}"}
            )
            RouteTableAssociation(self, f"private-{i}-rta", subnet_id=priv.id, route_table_id=priv_rt.id)
            if not p.tasks_in_public_subnets:
                eip = Eip(self, f"nat-{i}-eip", domain="vpc", tags={**p.tags, "Name": f"{p.name}-nat-{zone}"})
                nat = NatGateway(
                    self,
                    f"nat-{i}",
                    allocation_id=eip.id,
                    subnet_id=pub.id,
                    tags={**p.tags, "Name": f"{p.name}-{zone}"},
                )
                Route(
                    self,
                    f"private-{i}-default",
                    route_table_id=priv_rt.id,
                    destination_cidr_block="0.0.0.0/0",
                    nat_gateway_id=nat.id,
                )
            self.public_subnets.append(pub)
            self.private_subnets.append(priv)

        self.alb_security_group = SecurityGroup(
            self,
            "alb-sg",
            name=f"{p.name}-alb",
            description="ALB: listener ports in, tasks out",
            vpc_id=self.vpc.id,
            ingress=[_rule(port, f"Listener {port} from the internet", cidr="0.0.0.0/0") for port in p.public_ports]
            + [_rule(port, f"Test listener {port} from the VPC", cidr=p.vpc_cidr) for port in p.internal_ports],
            egress=[_rule(p.container_port, "To tasks on the container port", cidr=p.vpc_cidr, egress=True)],
            tags={**p.tags, "Name": f"{p.name}-alb"},
        )
        self.task_security_group = SecurityGroup(
            self,
            "task-sg",
            name=f"{p.name}-tasks",
            description="Tasks: container port from the ALB only",
            vpc_id=self.vpc.id,
            ingress=[_rule(p.container_port, "From the ALB on the container port", source=self.alb_security_group.id)],
            egress=[_rule(443, "HTTPS to AWS APIs (ECR, logs)", cidr="0.0.0.0/0", egress=True)],
            tags={**p.tags, "Name": f"{p.name}-tasks"},
        )

    @property
    def task_subnet_ids(self) -> list[str]:
        return [s.id for s in self.task_subnets]

    @property
    def task_subnets(self) -> list[Subnet]:
        return self.public_subnets if self._tasks_public else self.private_subnets

    def _flow_logs(self, p: NetworkProps) -> None:
        group = CloudwatchLogGroup(
            self, "flow-logs", name=f"/vpc/{p.name}/flow-logs", retention_in_days=p.flow_log_retention_days, tags=p.tags
        )
        role = project_role(
            self,
            "flow-logs-role",
            name=f"{p.name}-flow-logs",
            tags=p.tags,
            assume_role_policy=trust_policy("vpc-flow-logs.amazonaws.com", p.account_id),
            permissions_boundary=p.permissions_boundary,
        )
        IamRolePolicy(
            self,
            "flow-logs-policy",
            name="write-flow-logs",
            role=role.id,
            policy=policy(
                allow(["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"], [f"{group.arn}:*"])
            ),
        )
        FlowLog(
            self,
            "flow-log",
            vpc_id=self.vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=group.arn,
            iam_role_arn=role.arn,
            tags=p.tags,
        )


def _rule(port: int, description: str, *, cidr: str | None = None, source: str | None = None, egress: bool = False):
    """One TCP port; every attribute set, as Terraform requires of inline rules in JSON."""
    kind = SecurityGroupEgress if egress else SecurityGroupIngress
    return kind(
        from_port=port,
        to_port=port,
        protocol="tcp",
        description=description,
        cidr_blocks=[cidr] if cidr else [],
        security_groups=[source] if source else [],
        ipv6_cidr_blocks=[],
        prefix_list_ids=[],
        self_attribute=False,
    )
