"""CodeStar Connections and CodeConnections: a minimal backend (moto has neither)."""

from __future__ import annotations

import uuid
from typing import Any

from moto.core.base_backend import BackendDict, BaseBackend
from moto.core.common_models import BaseModel
from moto.core.exceptions import ServiceException
from moto.core.responses import ActionResult, BaseResponse

from emulator.compat._patching import Original, missing_services, wrap_existing

_CONNECTION_SERVICES = {
    # X-Amz-Target prefix -> signing name (also the service part of the connection ARN)
    "CodeStar_connections_20191201": "codestar-connections",
    "CodeConnections_20231201": "codeconnections",
}


class _ConnectionNotFound(ServiceException):
    code = "ResourceNotFoundException"


class Connection(BaseModel):
    def __init__(self, service: str, account_id: str, region: str, members: dict[str, Any]):
        self.connection_name: str = members["ConnectionName"]
        self.connection_arn = f"arn:aws:{service}:{region}:{account_id}:connection/{uuid.uuid4()}"
        self.provider_type: str | None = members.get("ProviderType")
        self.host_arn: str | None = members.get("HostArn")
        self.provider_endpoint: str | None = members.get("ProviderEndpoint")
        self.owner_account_id = account_id
        # A new connection waits for the OAuth handshake in the console: PENDING on AWS.
        self.connection_status = "PENDING"


class ConnectionsBackend(BaseBackend):
    """Connections of one account and region (shared by both service names, as on AWS)."""

    def __init__(self, region_name: str, account_id: str):
        super().__init__(region_name, account_id)
        self.connections: dict[str, Connection] = {}
        self.tags: dict[str, dict[str, str]] = {}

    def get(self, arn: str) -> Connection:
        if arn not in self.connections:
            raise _ConnectionNotFound(f"Connection {arn} does not exist")
        return self.connections[arn]


connections_backends = BackendDict(ConnectionsBackend, "codestar-connections")


class ConnectionsResponse(BaseResponse):
    """CreateConnection, GetConnection, ListConnections, DeleteConnection and tagging."""

    def __init__(self, service_name: str = "codestar-connections") -> None:
        super().__init__(service_name=service_name)
        self.automated_parameter_parsing = True

    @property
    def backend(self) -> ConnectionsBackend:
        return connections_backends[self.current_account][self.region]

    def create_connection(self) -> ActionResult:
        connection = Connection(
            self.service_name or "codestar-connections",
            self.current_account,
            self.region,
            self.params,
        )
        tags = self._get_param("Tags") or []
        self.backend.connections[connection.connection_arn] = connection
        self.backend.tags[connection.connection_arn] = {t["Key"]: t["Value"] for t in tags}
        return ActionResult({"ConnectionArn": connection.connection_arn, "Tags": tags})

    def get_connection(self) -> ActionResult:
        return ActionResult({"Connection": self.backend.get(self._get_param("ConnectionArn"))})

    def list_connections(self) -> ActionResult:
        provider = self._get_param("ProviderTypeFilter")
        host = self._get_param("HostArnFilter")
        found = [
            c
            for c in self.backend.connections.values()
            if (not provider or c.provider_type == provider) and (not host or c.host_arn == host)
        ]
        return ActionResult({"Connections": found})

    def delete_connection(self) -> ActionResult:
        arn = self._get_param("ConnectionArn")
        self.backend.get(arn)
        del self.backend.connections[arn]
        self.backend.tags.pop(arn, None)
        return ActionResult({})

    def list_tags_for_resource(self) -> ActionResult:
        arn = self._get_param("ResourceArn")
        self.backend.get(arn)
        tags = self.backend.tags.get(arn, {})
        return ActionResult({"Tags": [{"Key": k, "Value": v} for k, v in tags.items()]})

    def tag_resource(self) -> ActionResult:
        arn = self._get_param("ResourceArn")
        self.backend.get(arn)
        for tag in self._get_param("Tags") or []:
            self.backend.tags.setdefault(arn, {})[tag["Key"]] = tag["Value"]
        return ActionResult({})

    def untag_resource(self) -> ActionResult:
        arn = self._get_param("ResourceArn")
        self.backend.get(arn)
        for key in self._get_param("TagKeys") or []:
            self.backend.tags.get(arn, {}).pop(key, None)
        return ActionResult({})


class CodeConnectionsResponse(ConnectionsResponse):
    def __init__(self) -> None:
        super().__init__(service_name="codeconnections")


def _connections_service(environ: dict[str, Any]) -> str | None:
    """The connections service a request is for (by X-Amz-Target, else by SigV4 scope)."""
    target = environ.get("HTTP_X_AMZ_TARGET") or ""
    prefix = target.rsplit(".", 1)[0].rsplit(".", 1)[-1]
    if prefix in _CONNECTION_SERVICES:
        return _CONNECTION_SERVICES[prefix]
    auth = environ.get("HTTP_AUTHORIZATION") or ""
    for service in _CONNECTION_SERVICES.values():
        if f"/{service}/aws4_request" in auth:
            return service
    return None


def patch_codestar_connections() -> None:
    """CodeStar Connections (``codestar-connections``) and CodeConnections (``codeconnections``).

    moto 5.2.5 has neither service: its dispatcher answers HTTP 500, so
    aws_codestarconnections_connection (the GitLab source of the release pipeline) cannot be
    created. Added here as a small moto backend (so /moto-api/reset clears it) with
    CreateConnection, GetConnection, ListConnections, DeleteConnection, ListTagsForResource,
    TagResource and UntagResource. As on AWS, a new connection is PENDING until someone
    completes the handshake in the console (the provider does not wait for AVAILABLE).
    """
    missing_services(*_CONNECTION_SERVICES.values())
    from flask import Flask
    from moto.core.utils import convert_to_flask_response
    from moto.moto_server.werkzeug_app import (
        HTTP_METHODS,
        BackendRequest,
        DomainDispatcherApplication,
    )

    apps: dict[str, Flask] = {}
    for service, response_cls in (
        ("codestar-connections", ConnectionsResponse),
        ("codeconnections", CodeConnectionsResponse),
    ):
        app = Flask(f"moto-compat-{service}")
        app.request_class = BackendRequest
        view = convert_to_flask_response(response_cls.dispatch)
        for rule in ("/", "/<path:path>"):
            app.add_url_rule(rule, endpoint=f"{service}{rule}", view_func=view, methods=HTTP_METHODS)
        apps[service] = app

    @wrap_existing(DomainDispatcherApplication, "get_application")
    def get_application(original: Original, self: DomainDispatcherApplication, environ: dict[str, Any]) -> Any:
        service = _connections_service(environ)
        return apps[service] if service else original(self, environ)
