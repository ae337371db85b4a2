"""What the emulator holds of this project, listed through each service's own list/describe calls.

The destroy test compares this with nothing: Terraform's state only names what Terraform believes
it made, while these listers ask the service. One lister per resource type the stacks create;
types that cannot outlive their parent (a route in its route table, a listener on its load
balancer) are named with that parent instead, and `terraform_data` is no cloud object at all.
`unaccounted` names any type of the synthesized stacks that is in none of these tables, so a new
resource type in the stacks fails the destroy test until it is listed here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

Aws = Callable[[str], Any]
Lister = Callable[[Aws], set[str]]
PREFIX = "acme-web"
"""Every name the stacks give starts with the project's name (config/names.py)."""
TAGGED = [{"Name": "tag:project", "Values": [PREFIX]}]
"""EC2 objects without a name of their own carry the project tag (the provider's default_tags)."""


def _named(names: list[str]) -> set[str]:
    return {n for n in names if n.startswith(PREFIX)}


def _ec2(aws: Aws, call: str, key: str, ident: str, **kwargs: Any) -> set[str]:
    return {item[ident] for item in getattr(aws("ec2"), call)(Filters=TAGGED, **kwargs)[key]}


def _roles(aws: Aws) -> set[str]:
    return _named([r["RoleName"] for r in aws("iam").list_roles(MaxItems=1000)["Roles"]])


def _policies(aws: Aws) -> set[str]:
    return {p["Arn"] for p in aws("iam").list_policies(Scope="Local", MaxItems=1000)["Policies"]}


def _oidc_providers(aws: Aws) -> set[str]:
    return {p["Arn"] for p in aws("iam").list_open_id_connect_providers()["OpenIDConnectProviderList"]}


def _vpcs(aws: Aws) -> set[str]:
    return _ec2(aws, "describe_vpcs", "Vpcs", "VpcId")


def _subnets(aws: Aws) -> set[str]:
    return _ec2(aws, "describe_subnets", "Subnets", "SubnetId")


def _internet_gateways(aws: Aws) -> set[str]:
    return _ec2(aws, "describe_internet_gateways", "InternetGateways", "InternetGatewayId")


def _route_tables(aws: Aws) -> set[str]:
    return _ec2(aws, "describe_route_tables", "RouteTables", "RouteTableId")


def _security_groups(aws: Aws) -> set[str]:
    groups = aws("ec2").describe_security_groups()["SecurityGroups"]
    return _named([g["GroupName"] for g in groups])


def _eips(aws: Aws) -> set[str]:
    return _ec2(aws, "describe_addresses", "Addresses", "AllocationId")


def _nat_gateways(aws: Aws) -> set[str]:
    gateways = aws("ec2").describe_nat_gateways(Filter=TAGGED)["NatGateways"]
    return {g["NatGatewayId"] for g in gateways if g["State"] not in ("deleting", "deleted")}


def _flow_logs(aws: Aws) -> set[str]:
    return _ec2(aws, "describe_flow_logs", "FlowLogs", "FlowLogId")


def _clusters(aws: Aws) -> set[str]:
    ecs = aws("ecs")
    arns = ecs.list_clusters()["clusterArns"]
    found = ecs.describe_clusters(clusters=arns)["clusters"] if arns else []
    return _named([c["clusterName"] for c in found if c["status"] == "ACTIVE"])  # deleted ones linger INACTIVE


def _services(aws: Aws) -> set[str]:
    ecs = aws("ecs")
    return {
        arn
        for cluster in ecs.list_clusters()["clusterArns"]
        for arn in ecs.list_services(cluster=cluster)["serviceArns"]
        if f":service/{PREFIX}" in arn
        and ecs.describe_services(cluster=cluster, services=[arn])["services"][0]["status"] != "INACTIVE"
    }  # a deleted service lingers INACTIVE, as on AWS


def _task_definitions(aws: Aws) -> set[str]:
    """Active revisions the stacks registered (tagged): a release's own revisions outlive a destroy, as on AWS."""
    ecs = aws("ecs")
    arns = ecs.list_task_definitions(status="ACTIVE")["taskDefinitionArns"]
    return {
        arn
        for arn in arns
        if f":task-definition/{PREFIX}" in arn
        and {"key": "project", "value": PREFIX} in ecs.list_tags_for_resource(resourceArn=arn).get("tags", [])
    }


def _autoscaling_targets(aws: Aws) -> set[str]:
    targets = aws("application-autoscaling").describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"]
    return {t["ResourceId"] for t in targets if t["ResourceId"].startswith(f"service/{PREFIX}")}


def _autoscaling_policies(aws: Aws) -> set[str]:
    policies = aws("application-autoscaling").describe_scaling_policies(ServiceNamespace="ecs")["ScalingPolicies"]
    return {p["PolicyName"] for p in policies if p["ResourceId"].startswith(f"service/{PREFIX}")}


def _load_balancers(aws: Aws) -> set[str]:
    return _named([lb["LoadBalancerName"] for lb in aws("elbv2").describe_load_balancers()["LoadBalancers"]])


def _target_groups(aws: Aws) -> set[str]:
    return _named([g["TargetGroupName"] for g in aws("elbv2").describe_target_groups()["TargetGroups"]])


def _log_groups(aws: Aws) -> set[str]:
    groups = aws("logs").describe_log_groups()["logGroups"]
    return {g["logGroupName"] for g in groups if PREFIX in g["logGroupName"]}


def _alarms(aws: Aws) -> set[str]:
    return _named([a["AlarmName"] for a in aws("cloudwatch").describe_alarms()["MetricAlarms"]])


def _dashboards(aws: Aws) -> set[str]:
    return _named([d["DashboardName"] for d in aws("cloudwatch").list_dashboards()["DashboardEntries"]])


def _event_rules(aws: Aws) -> set[str]:
    return _named([r["Name"] for r in aws("events").list_rules()["Rules"]])


def _kms_keys(aws: Aws) -> set[str]:
    kms = aws("kms")
    keys = [kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"] for k in kms.list_keys()["Keys"]]
    return {k["KeyId"] for k in keys if k["KeyManager"] == "CUSTOMER" and k["KeyState"] != "PendingDeletion"}


def _kms_aliases(aws: Aws) -> set[str]:
    return {
        a["AliasName"] for a in aws("kms").list_aliases()["Aliases"] if a["AliasName"].startswith(f"alias/{PREFIX}")
    }


def _topics(aws: Aws) -> set[str]:
    return {t["TopicArn"] for t in aws("sns").list_topics()["Topics"] if f":{PREFIX}" in t["TopicArn"]}


def _subscriptions(aws: Aws) -> set[str]:
    subs = aws("sns").list_subscriptions()["Subscriptions"]
    return {s["SubscriptionArn"] for s in subs if f":{PREFIX}" in s["TopicArn"]}


def _codedeploy_apps(aws: Aws) -> set[str]:
    return _named(aws("codedeploy").list_applications()["applications"])


def _lambda_functions(aws: Aws) -> set[str]:
    return _named([f["FunctionName"] for f in aws("lambda").list_functions()["Functions"]])


def _ssm_parameters(aws: Aws) -> set[str]:
    parameters = aws("ssm").describe_parameters(MaxResults=50)["Parameters"]
    return {p["Name"] for p in parameters if p["Name"].startswith(f"/{PREFIX}/")}


def _codebuild_projects(aws: Aws) -> set[str]:
    return _named(aws("codebuild").list_projects()["projects"])


def _pipelines(aws: Aws) -> set[str]:
    return _named([p["name"] for p in aws("codepipeline").list_pipelines()["pipelines"]])


def _connections(aws: Aws) -> set[str]:
    return _named([c["ConnectionName"] for c in aws("codestar-connections").list_connections()["Connections"]])


def _repositories(aws: Aws) -> set[str]:
    return _named([r["repositoryName"] for r in aws("ecr").describe_repositories()["repositories"]])


def _buckets(aws: Aws) -> set[str]:
    return _named([b["Name"] for b in aws("s3").list_buckets()["Buckets"]])


LISTERS: dict[str, Lister] = {
    "aws_iam_role": _roles,
    "aws_iam_policy": _policies,
    "aws_iam_openid_connect_provider": _oidc_providers,
    "aws_vpc": _vpcs,
    "aws_subnet": _subnets,
    "aws_internet_gateway": _internet_gateways,
    "aws_route_table": _route_tables,
    "aws_security_group": _security_groups,
    "aws_eip": _eips,
    "aws_nat_gateway": _nat_gateways,
    "aws_flow_log": _flow_logs,
    "aws_ecs_cluster": _clusters,
    "aws_ecs_service": _services,
    "aws_ecs_task_definition": _task_definitions,
    "aws_appautoscaling_target": _autoscaling_targets,
    "aws_appautoscaling_policy": _autoscaling_policies,
    "aws_lb": _load_balancers,
    "aws_lb_target_group": _target_groups,
    "aws_cloudwatch_log_group": _log_groups,
    "aws_cloudwatch_metric_alarm": _alarms,
    "aws_cloudwatch_dashboard": _dashboards,
    "aws_cloudwatch_event_rule": _event_rules,
    "aws_kms_key": _kms_keys,
    "aws_kms_alias": _kms_aliases,
    "aws_sns_topic": _topics,
    "aws_sns_topic_subscription": _subscriptions,
    "aws_codedeploy_app": _codedeploy_apps,
    "aws_lambda_function": _lambda_functions,
    "aws_ssm_parameter": _ssm_parameters,
    "aws_codebuild_project": _codebuild_projects,
    "aws_codepipeline": _pipelines,
    "aws_codestarconnections_connection": _connections,
    "aws_ecr_repository": _repositories,
    "aws_s3_bucket": _buckets,
}

WITH_PARENT: dict[str, str] = {
    "aws_iam_role_policy": "aws_iam_role",
    "aws_iam_role_policy_attachment": "aws_iam_role",
    "aws_route": "aws_route_table",
    "aws_route_table_association": "aws_route_table",
    "aws_default_security_group": "aws_vpc",
    "aws_lb_listener": "aws_lb",
    "aws_cloudwatch_event_target": "aws_cloudwatch_event_rule",
    "aws_sns_topic_policy": "aws_sns_topic",
    "aws_codedeploy_deployment_group": "aws_codedeploy_app",
    "aws_ecr_lifecycle_policy": "aws_ecr_repository",
    "aws_s3_bucket_lifecycle_configuration": "aws_s3_bucket",
    "aws_s3_bucket_ownership_controls": "aws_s3_bucket",
    "aws_s3_bucket_policy": "aws_s3_bucket",
    "aws_s3_bucket_public_access_block": "aws_s3_bucket",
    "aws_s3_bucket_server_side_encryption_configuration": "aws_s3_bucket",
    "aws_s3_bucket_versioning": "aws_s3_bucket",
}
"""type -> the listed type it cannot outlive (AWS deletes it with that parent, or refuses to delete the parent first)."""

NOT_IN_THE_CLOUD = {"terraform_data"}


def _resources(synth_dir: Path, stacks: list[str]) -> dict[str, list[dict[str, Any]]]:
    """type -> the synthesized stacks' resources of it."""
    found: dict[str, list[dict[str, Any]]] = {}
    for stack in stacks:
        declared = json.loads((synth_dir / "stacks" / stack / "cdk.tf.json").read_text()).get("resource", {})
        for kind, resources in declared.items():
            found.setdefault(kind, []).extend(resources.values())
    return found


def resource_types(synth_dir: Path, stacks: list[str]) -> set[str]:
    """Every resource type the synthesized stacks declare."""
    return set(_resources(synth_dir, stacks))


def kept_on_destroy(synth_dir: Path, stacks: list[str]) -> set[str]:
    """Types whose every resource says `skip_destroy` (task definitions: revisions stay for rollback)."""
    return {
        kind
        for kind, resources in _resources(synth_dir, stacks).items()
        if all(r.get("skip_destroy") for r in resources)
    }


def unaccounted(types: set[str]) -> set[str]:
    return types - set(LISTERS) - set(WITH_PARENT) - NOT_IN_THE_CLOUD


def holdings(aws: Aws, ignore: set[str] = frozenset()) -> dict[str, set[str]]:
    """type -> what the emulator holds of it, without `ignore` (the state bucket: the target's, not a stack's)."""
    return {kind: lister(aws) - ignore for kind, lister in LISTERS.items()}
