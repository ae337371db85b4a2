"""compat.connections: CodeStar Connections and CodeConnections."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from emulator import MOTO_ACCOUNT_ID
from tests.unit.compat.helpers import REGION, Client, unique


@pytest.mark.parametrize("service", ["codestar-connections", "codeconnections"])
def test_codestar_connection_lifecycle(client: Client, service: str) -> None:
    connections = client(service)
    name = unique("gitlab")
    arn = connections.create_connection(
        ProviderType="GitLab", ConnectionName=name, Tags=[{"Key": "project", "Value": "acme"}]
    )["ConnectionArn"]
    assert arn.startswith(f"arn:aws:{service}:{REGION}:{MOTO_ACCOUNT_ID}:connection/")

    connection = connections.get_connection(ConnectionArn=arn)["Connection"]
    assert connection == {
        "ConnectionName": name,
        "ConnectionArn": arn,
        "ProviderType": "GitLab",
        "OwnerAccountId": MOTO_ACCOUNT_ID,
        "ConnectionStatus": "PENDING",  # as on AWS until the console handshake
    }
    connections.tag_resource(ResourceArn=arn, Tags=[{"Key": "env", "Value": "dev"}])
    connections.untag_resource(ResourceArn=arn, TagKeys=["project"])
    assert connections.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "env", "Value": "dev"}]
    listed = connections.list_connections(ProviderTypeFilter="GitLab")["Connections"]
    assert arn in [c["ConnectionArn"] for c in listed]

    connections.delete_connection(ConnectionArn=arn)
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        connections.get_connection(ConnectionArn=arn)
