"""Recovery after a killed apply: adopt what exists in the cloud but not in the state.

Terraform writes state as it goes, but a run killed outright (SIGKILL, a lost CI runner, an
OOM) leaves its lock and loses what it created since it last wrote: those resources exist,
and a plain retry fails on "already exists" (a role, a target group, a log group) or, worse,
creates a second one (a VPC, a NAT gateway). `python main.py unlock STACK` marks the stack for
recovery (`<key>.recover` beside the state); the next `deploy` (or any `deploy --adopt`) then
looks each planned create up in the cloud by its identity (name, or tags and parent) and
imports what it finds with Terraform import blocks (`adopt.tf.json`), in rounds, because a
resource's parent must be adopted before the resource can be found (a subnet needs its VPC).

Every resource type the stacks synthesize is judged below, in one of three sections
(tests/unit/test_adopt.py checks that each synthesized type is named in exactly one, and that the
first names exactly the types of FINDERS).

Adopted: a re-run would fail on the name, or create a second one. Found by:
    aws_vpc (Name and stack tags, CIDR), aws_subnet (VPC, CIDR), aws_internet_gateway (attached VPC),
    aws_route_table (VPC, Name tag), aws_route (table, destination), aws_route_table_association
    (subnet, table), aws_security_group (VPC, name), aws_eip (Name and stack tags), aws_nat_gateway
    (subnet; not deleted), aws_flow_log (VPC), aws_vpc_endpoint (VPC, service, type; AWS refuses a
    second interface endpoint with private DNS for a service in a VPC: "conflicting DNS domain"),
    aws_cloudwatch_log_group, aws_iam_role, aws_iam_role_policy, aws_iam_role_policy_attachment,
    aws_iam_openid_connect_provider (URL; one per URL per account), aws_iam_policy (name on any path,
    case-insensitively, as IAM compares policy names: EntityAlreadyExists), aws_lb, aws_lb_target_group,
    aws_lb_listener (load balancer, port), aws_ecs_cluster, aws_ecs_service (cluster, name; ACTIVE),
    aws_codedeploy_app, aws_codedeploy_deployment_group, aws_ssm_parameter, aws_ecr_repository,
    aws_codebuild_project, aws_codepipeline, aws_codestarconnections_connection (name; the
    connection's handshake need not be redone), aws_lambda_function (function name:
    ResourceConflictException), aws_kms_alias (name: AlreadyExistsException), aws_kms_key (keys have
    no name: the one customer-managed key with the planned description and every planned tag, never
    one pending deletion; a second key would leave the first orphaned, still billed, and the alias
    and the topic pointing at whichever was created last).

Safe to re-create: the create call is idempotent, or updates in place, or adds a harmless sibling:
    aws_appautoscaling_target (RegisterScalableTarget creates or updates), aws_appautoscaling_policy
    (PutScalingPolicy creates or updates), aws_cloudwatch_metric_alarm (PutMetricAlarm),
    aws_cloudwatch_dashboard (PutDashboard), aws_cloudwatch_event_rule (PutRule), aws_cloudwatch_event_target
    (PutTargets by target ID), aws_sns_topic (CreateTopic returns the existing topic of the name: the
    provider sends only the name and tags, then sets the attributes; the key above is adopted, so
    the attributes it sets are the same), aws_sns_topic_policy (SetTopicAttributes),
    aws_sns_topic_subscription (Subscribe returns the existing subscription of the same endpoint),
    aws_ecs_task_definition (a new revision of the family; the unrecorded one stays as an unused
    revision, which nothing runs), aws_default_security_group (the provider adopts the VPC's default
    group by design), aws_ecr_lifecycle_policy (PutLifecyclePolicy), aws_s3_bucket_policy,
    aws_s3_bucket_versioning, aws_s3_bucket_lifecycle_configuration,
    aws_s3_bucket_server_side_encryption_configuration, aws_s3_bucket_public_access_block,
    aws_s3_bucket_ownership_controls (each a PUT of the bucket's one configuration), terraform_data
    (no cloud object: the state alone).

Not adopted, and why:
    aws_s3_bucket: the artifact bucket is named by `bucket_prefix` (a generated suffix), so the
    killed run's bucket cannot be told from another by name; the re-run creates a second, empty one
    and the first is left (it holds nothing yet: the pipeline has not run). Delete it by hand.
    gitlab_project_variable, gitlab_branch_protection, gitlab_pipeline_schedule,
    gitlab_pipeline_schedule_variable, gitlab_project_access_token: GitLab objects, which these
    finders (AWS clients of the target) cannot see, and no local target serves GitLab. A re-run
    fails on an existing variable or protection ("has already been taken"), or adds a second
    schedule or token: import them by hand (`terraform import`, IDs `<project>:<key>:<scope>`,
    `<project>:<branch>`, ...) or delete the leftovers, then deploy the gitlab stack again.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from orchestrator.session import Session
from synthesis.manifest import Backend

IMPORTS_FILE = "adopt.tf.json"
MARKER_SUFFIX = ".recover"
ROUNDS = 4
Client = Callable[[str], Any]


def _marker(s: Session, name: str) -> tuple[Any, Backend] | None:
    backend = s.stacks[name].backend
    return (s.target.client("s3", backend.region), backend) if backend else None


def mark_recovery(s: Session, name: str) -> None:
    found = _marker(s, name)
    if found:
        s3, backend = found
        s3.put_object(Bucket=backend.bucket, Key=backend.key + MARKER_SUFFIX, Body=b"unlocked after a lost apply\n")


def recovery_marked(s: Session, name: str) -> bool:
    found = _marker(s, name)
    if not found:
        return False
    s3, backend = found
    try:
        s3.head_object(Bucket=backend.bucket, Key=backend.key + MARKER_SUFFIX)
    except ClientError:
        return False
    return True


def end_recovery(s: Session, name: str) -> None:
    """After an apply that converged: the marker and the import blocks have done their work."""
    (s.runner(name).workdir / IMPORTS_FILE).unlink(missing_ok=True)
    found = _marker(s, name)
    if found and recovery_marked(s, name):
        s3, backend = found
        s3.delete_object(Bucket=backend.bucket, Key=backend.key + MARKER_SUFFIX)


def adopt_leftovers(s: Session, name: str) -> dict[str, str]:
    """Import every planned create that already exists; returns address -> import ID, each said on the way."""
    runner = s.runner(name)
    imports = runner.workdir / IMPORTS_FILE  # an earlier recovery's, if it did not finish
    earlier = json.loads(imports.read_text())["import"] if imports.is_file() else []
    adopted: dict[str, str] = {i["to"]: i["id"] for i in earlier}
    for _ in range(ROUNDS):
        counts = s.init_and_plan(name, step="adopt")
        if not counts.create:
            break
        found = {}
        for change in runner.show().get("resource_changes", []):
            if change["change"]["actions"] == ["create"] and change["address"] not in adopted:
                identity = find(s, name, change["type"], change["change"].get("after") or {})
                if identity:
                    found[change["address"]] = identity
                    s.progress.say(name, "adopt", f"{change['address']} exists ({identity}): importing it")
        if not found:
            break
        adopted.update(found)
        blocks = [{"to": address, "id": identity} for address, identity in adopted.items()]
        imports.write_text(json.dumps({"import": blocks}, indent=2))
    if not adopted:
        s.progress.say(name, "adopt", "nothing the state lacks exists in the cloud")
    return adopted


def find(s: Session, stack: str, kind: str, after: dict[str, Any]) -> str | None:
    """The import ID of an existing resource matching a planned create's values, or None."""
    finder = FINDERS.get(kind)
    if finder is None:
        return None
    env = s.environment(stack)
    region = env.aws.region if env else s.project.settings.aws.region

    def client(service: str) -> Any:
        return s.target.client(service, region)

    try:
        return finder(client, after)
    except ClientError:
        return None  # not found (each service says so its own way), or not allowed to look
    except BotoCoreError as exc:  # an answer the client cannot read: say so, adopt nothing for it
        s.progress.say(stack, "adopt", f"could not look up a {kind}: {exc}")
        return None


def _one(items: list[Any], key: str) -> str | None:
    return str(items[0][key]) if len(items) == 1 else None


def _filters(**values: Any) -> list[dict[str, Any]]:
    """EC2 filters from keywords: `vpc_id` -> vpc-id, `attachment__vpc_id` -> attachment.vpc-id, `tag_Name` -> tag:Name."""

    def name(key: str) -> str:
        if key.startswith("tag_"):
            return f"tag:{key.removeprefix('tag_')}"
        return key.replace("__", ".").replace("_", "-")

    return [{"Name": name(k), "Values": [v]} for k, v in values.items() if v]


def _tagged(after: dict[str, Any], *keys: str) -> dict[str, str]:
    tags = after.get("tags_all") or after.get("tags") or {}
    return {f"tag_{k}": tags[k] for k in keys if k in tags}


def _ec2(client: Client, call: str, key: str, item: str, **filters: Any) -> str | None:
    """The one EC2 resource the filters match; None unless every filter value is known (a parent's ID)."""
    if not all(filters.values()):
        return None
    return _one(getattr(client("ec2"), call)(Filters=_filters(**filters))[key], item)


def _vpc(client: Client, after: dict[str, Any]) -> str | None:
    tags = _tagged(after, "Name", "stack")
    return _ec2(client, "describe_vpcs", "Vpcs", "VpcId", cidr=after.get("cidr_block"), **tags) if tags else None


def _subnet(client: Client, after: dict[str, Any]) -> str | None:
    return _ec2(
        client,
        "describe_subnets",
        "Subnets",
        "SubnetId",
        vpc_id=after.get("vpc_id"),
        cidr_block=after.get("cidr_block"),
    )


def _internet_gateway(client: Client, after: dict[str, Any]) -> str | None:
    return _ec2(
        client,
        "describe_internet_gateways",
        "InternetGateways",
        "InternetGatewayId",
        attachment__vpc_id=after.get("vpc_id"),
    )


def _route_table(client: Client, after: dict[str, Any]) -> str | None:
    tags = _tagged(after, "Name")
    return (
        _ec2(client, "describe_route_tables", "RouteTables", "RouteTableId", vpc_id=after.get("vpc_id"), **tags)
        if tags
        else None
    )


def _security_group(client: Client, after: dict[str, Any]) -> str | None:
    return _ec2(
        client,
        "describe_security_groups",
        "SecurityGroups",
        "GroupId",
        vpc_id=after.get("vpc_id"),
        group_name=after.get("name"),
    )


def _eip(client: Client, after: dict[str, Any]) -> str | None:
    tags = _tagged(after, "Name", "stack")
    return (
        _one(client("ec2").describe_addresses(Filters=_filters(**tags))["Addresses"], "AllocationId") if tags else None
    )


def _nat_gateway(client: Client, after: dict[str, Any]) -> str | None:
    if not after.get("subnet_id"):
        return None
    gateways = client("ec2").describe_nat_gateways(Filters=_filters(subnet_id=after["subnet_id"]))["NatGateways"]
    return _one([g for g in gateways if g["State"] in ("pending", "available")], "NatGatewayId")


def _flow_log(client: Client, after: dict[str, Any]) -> str | None:
    if not after.get("vpc_id"):
        return None
    return _one(
        client("ec2").describe_flow_logs(Filters=_filters(resource_id=after["vpc_id"]))["FlowLogs"], "FlowLogId"
    )


def _route(client: Client, after: dict[str, Any]) -> str | None:
    table, destination = after.get("route_table_id"), after.get("destination_cidr_block")
    if not table or not destination:
        return None
    routes = client("ec2").describe_route_tables(RouteTableIds=[table])["RouteTables"][0]["Routes"]
    return f"{table}_{destination}" if any(r.get("DestinationCidrBlock") == destination for r in routes) else None


def _route_table_association(client: Client, after: dict[str, Any]) -> str | None:
    subnet, table = after.get("subnet_id"), after.get("route_table_id")
    if not subnet or not table:
        return None
    tables = client("ec2").describe_route_tables(Filters=_filters(association__subnet_id=subnet))["RouteTables"]
    return f"{subnet}/{table}" if any(t["RouteTableId"] == table for t in tables) else None


def _by_name(
    service: str, call: str, param: str, *, listed: bool = False, path: str | None = None
) -> Callable[[Client, dict[str, Any]], str | None]:
    """A finder calling `service.call(param=<the planned name>)`: it raises (not found) or answers, and the ID is
    the name, or what `path` (dot-separated keys and indexes) reaches in the answer."""

    def find(client: Client, after: dict[str, Any]) -> str | None:
        name = after.get("name")
        if not name:
            return None
        answer: Any = getattr(client(service), call)(**{param: [name] if listed else name})
        for key in path.split(".") if path else []:
            items = answer if isinstance(answer, list) else None
            answer = (
                (items[int(key)] if items and len(items) > int(key) else None) if key.isdigit() else answer.get(key)
            )
            if answer is None:
                return None
        return str(answer) if path else str(name)

    return find


def _log_group(client: Client, after: dict[str, Any]) -> str | None:
    groups = client("logs").describe_log_groups(logGroupNamePrefix=after["name"])["logGroups"]
    return after["name"] if any(g["logGroupName"] == after["name"] for g in groups) else None


def _role_policy(client: Client, after: dict[str, Any]) -> str | None:
    if not after.get("role"):
        return None
    client("iam").get_role_policy(RoleName=after["role"], PolicyName=after["name"])
    return f"{after['role']}:{after['name']}"


def _role_policy_attachment(client: Client, after: dict[str, Any]) -> str | None:
    role, arn = after.get("role"), after.get("policy_arn")
    attached = client("iam").list_attached_role_policies(RoleName=role)["AttachedPolicies"] if role else []
    return f"{role}/{arn}" if any(p["PolicyArn"] == arn for p in attached) else None


def _oidc_provider(client: Client, after: dict[str, Any]) -> str | None:
    iam = client("iam")
    host = str(after.get("url", "")).removeprefix("https://")
    for provider in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]:
        if provider["Arn"].endswith(f"/{host}"):
            return str(provider["Arn"])
    return None


def _listener(client: Client, after: dict[str, Any]) -> str | None:
    if not after.get("load_balancer_arn"):
        return None
    listeners = client("elbv2").describe_listeners(LoadBalancerArn=after["load_balancer_arn"])["Listeners"]
    return _one([x for x in listeners if x["Port"] == after.get("port")], "ListenerArn")


def _ecs_cluster(client: Client, after: dict[str, Any]) -> str | None:
    clusters = client("ecs").describe_clusters(clusters=[after["name"]])["clusters"]
    return after["name"] if any(c["status"] == "ACTIVE" for c in clusters) else None


def _ecs_service(client: Client, after: dict[str, Any]) -> str | None:
    cluster = str(after.get("cluster") or "").rsplit("/", 1)[-1]
    if not cluster:
        return None
    services = client("ecs").describe_services(cluster=cluster, services=[after["name"]])["services"]
    return f"{cluster}/{after['name']}" if any(x["status"] == "ACTIVE" for x in services) else None


def _deployment_group(client: Client, after: dict[str, Any]) -> str | None:
    app, group = after.get("app_name"), after.get("deployment_group_name")
    client("codedeploy").get_deployment_group(applicationName=app, deploymentGroupName=group)
    return f"{app}:{group}"


def _lambda_function(client: Client, after: dict[str, Any]) -> str | None:
    name = after.get("function_name")
    if not name:
        return None
    client("lambda").get_function(FunctionName=name)  # raises ResourceNotFoundException when there is none
    return str(name)


def _kms_alias(client: Client, after: dict[str, Any]) -> str | None:
    name = str(after.get("name") or "")
    aliases = client("kms").get_paginator("list_aliases").paginate()
    return name if name and any(a["AliasName"] == name for page in aliases for a in page["Aliases"]) else None


KEY_GONE = ("PendingDeletion", "PendingReplicaDeletion")
"""Key states a key is never adopted in: it is on its way out (and cannot encrypt)."""


def _kms_key(client: Client, after: dict[str, Any]) -> str | None:
    """The one customer-managed key with the planned description and every planned tag (keys have no name;
    a key pending deletion is never adopted: it cannot be used, and Terraform would plan it again)."""
    description, tags = after.get("description"), after.get("tags_all") or after.get("tags") or {}
    if not description or not tags:
        return None
    kms = client("kms")
    found = []
    for page in kms.get_paginator("list_keys").paginate():
        for key in page["Keys"]:
            meta = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
            if meta.get("KeyManager") != "CUSTOMER" or meta.get("KeyState") in KEY_GONE:
                continue
            if meta.get("Description") != description:
                continue
            listed = kms.list_resource_tags(KeyId=key["KeyId"]).get("Tags", [])
            if {t["TagKey"]: t["TagValue"] for t in listed}.items() >= dict(tags).items():
                found.append(meta)
    return _one(found, "KeyId")


ENDPOINT_GONE = ("deleting", "deleted", "rejected", "failed", "expired")


def _vpc_endpoint(client: Client, after: dict[str, Any]) -> str | None:
    """The endpoint of the planned service and type in the planned VPC: a second interface endpoint with
    private DNS is refused by AWS (a conflicting DNS domain), any other would duplicate."""
    vpc, service = after.get("vpc_id"), after.get("service_name")
    if not vpc or not service:
        return None
    endpoints = client("ec2").describe_vpc_endpoints(Filters=_filters(vpc_id=vpc))["VpcEndpoints"]
    kind = str(after.get("vpc_endpoint_type") or "Gateway").lower()
    return _one(
        [
            e
            for e in endpoints
            if e["ServiceName"] == service
            and str(e.get("VpcEndpointType", "")).lower() == kind
            and str(e.get("State", "")).lower() not in ENDPOINT_GONE
        ],
        "VpcEndpointId",
    )


def _iam_policy(client: Client, after: dict[str, Any]) -> str | None:
    """The customer-managed policy of the planned name, on any path: IAM names are unique in an account
    whatever the path, and not distinguished by case (IAM API reference, CreatePolicy, PolicyName)."""
    name = str(after.get("name") or "").lower()
    if not name:
        return None
    pages = client("iam").get_paginator("list_policies").paginate(Scope="Local")
    return _one([p for page in pages for p in page["Policies"] if p["PolicyName"].lower() == name], "Arn")


def _connection(client: Client, after: dict[str, Any]) -> str | None:
    connections = client("codestar-connections").list_connections()["Connections"]
    return _one([c for c in connections if c["ConnectionName"] == after.get("name")], "ConnectionArn")


FINDERS: dict[str, Callable[[Client, dict[str, Any]], str | None]] = {
    "aws_vpc": _vpc,
    "aws_subnet": _subnet,
    "aws_internet_gateway": _internet_gateway,
    "aws_route_table": _route_table,
    "aws_route": _route,
    "aws_route_table_association": _route_table_association,
    "aws_security_group": _security_group,
    "aws_eip": _eip,
    "aws_nat_gateway": _nat_gateway,
    "aws_flow_log": _flow_log,
    "aws_cloudwatch_log_group": _log_group,
    "aws_iam_role": _by_name("iam", "get_role", "RoleName"),
    "aws_iam_role_policy": _role_policy,
    "aws_iam_role_policy_attachment": _role_policy_attachment,
    "aws_iam_openid_connect_provider": _oidc_provider,
    "aws_lb": _by_name(
        "elbv2", "describe_load_balancers", "Names", listed=True, path="LoadBalancers.0.LoadBalancerArn"
    ),
    "aws_lb_target_group": _by_name(
        "elbv2", "describe_target_groups", "Names", listed=True, path="TargetGroups.0.TargetGroupArn"
    ),
    "aws_lb_listener": _listener,
    "aws_ecs_cluster": _ecs_cluster,
    "aws_ecs_service": _ecs_service,
    "aws_codedeploy_app": _by_name("codedeploy", "get_application", "applicationName"),
    "aws_codedeploy_deployment_group": _deployment_group,
    "aws_ssm_parameter": _by_name("ssm", "get_parameter", "Name"),
    "aws_ecr_repository": _by_name("ecr", "describe_repositories", "repositoryNames", listed=True),
    "aws_codebuild_project": _by_name("codebuild", "batch_get_projects", "names", listed=True, path="projects.0.name"),
    "aws_codepipeline": _by_name("codepipeline", "get_pipeline", "name"),
    "aws_codestarconnections_connection": _connection,
    "aws_lambda_function": _lambda_function,
    "aws_kms_key": _kms_key,
    "aws_kms_alias": _kms_alias,
    "aws_vpc_endpoint": _vpc_endpoint,
    "aws_iam_policy": _iam_policy,
}
"""Resource types whose create fails on, or duplicates, an existing one: the module docstring's first section."""
