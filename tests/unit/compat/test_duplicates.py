"""Duplicates the emulator refuses as AWS does (emulator/compat/duplicates.py): what a re-run after a killed apply meets."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from tests.unit.compat.helpers import REGION, Client, unique

POLICY = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]}
)


def _endpoint(client: Client, vpc: str, subnet: str, service: str, private_dns: bool = True) -> str:
    created = client("ec2").create_vpc_endpoint(
        VpcId=vpc,
        ServiceName=service,
        VpcEndpointType="Interface",
        SubnetIds=[subnet],
        PrivateDnsEnabled=private_dns,
    )
    return str(created["VpcEndpoint"]["VpcEndpointId"])


def test_a_second_private_dns_endpoint_is_refused(client: Client):
    ec2 = client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.77.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.77.1.0/24")["Subnet"]["SubnetId"]
    service = f"com.amazonaws.{REGION}.ecs"
    first = _endpoint(client, vpc, subnet, service)
    with pytest.raises(ClientError) as refused:
        _endpoint(client, vpc, subnet, service)
    assert refused.value.response["Error"]["Code"] == "InvalidParameter"
    assert f"conflicting DNS domain for ecs.{REGION}.amazonaws.com in the VPC {vpc}" in str(refused.value)
    endpoints = ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["VpcEndpoints"]
    assert [e["VpcEndpointId"] for e in endpoints] == [first]

    # What AWS allows: another service, the same service without private DNS, another VPC, after a delete.
    _endpoint(client, vpc, subnet, f"com.amazonaws.{REGION}.ec2")
    _endpoint(client, vpc, subnet, service, private_dns=False)
    other = ec2.create_vpc(CidrBlock="10.78.0.0/16")["Vpc"]["VpcId"]
    _endpoint(client, other, ec2.create_subnet(VpcId=other, CidrBlock="10.78.1.0/24")["Subnet"]["SubnetId"], service)
    ec2.delete_vpc_endpoints(VpcEndpointIds=[first])
    _endpoint(client, vpc, subnet, service)


def test_policy_names_are_unique_across_paths_and_case(client: Client):
    iam = client("iam")
    name = unique("Boundary")
    created = iam.create_policy(PolicyName=name, Path="/acme-web/", PolicyDocument=POLICY)["Policy"]
    for other_name, path in ((name, "/"), (name.lower(), "/acme-web/"), (name.upper(), "/other/")):
        with pytest.raises(ClientError) as refused:
            iam.create_policy(PolicyName=other_name, Path=path, PolicyDocument=POLICY)
        assert refused.value.response["Error"]["Code"] == "EntityAlreadyExists", (other_name, path)
    local = iam.list_policies(Scope="Local")["Policies"]
    assert [p["Arn"] for p in local if p["PolicyName"].lower() == name.lower()] == [created["Arn"]]

    # An AWS-managed policy's name is not the account's: a customer policy may share it.
    iam.create_policy(PolicyName="ReadOnlyAccess", PolicyDocument=POLICY)
    iam.delete_policy(PolicyArn=created["Arn"])
    iam.create_policy(PolicyName=name, Path="/", PolicyDocument=POLICY)  # a deleted name is free again
