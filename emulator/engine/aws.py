"""Calls the engine makes as an AWS service: over HTTP to the emulator, signed with the role's credentials.

Each step of a release runs as the role AWS runs it as (CodePipeline's service role, CodeBuild's,
CodeDeploy's, the hook function's): the engine assumes the role through the emulator's STS, as the
service does with its trust, and signs every call of that step with the session. Those sessions
are evaluated by moto's IAM even while its global enforcement is off (the deploy's fake admin
credentials would fail it): :func:`patch_enforce_role_sessions`. A missing permission then fails
the step with the AccessDenied AWS gives, naming the role and the action.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any

from emulator.compat._patching import Original, wrap_existing

ADMIN = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "aws_session_token": "testing"}
ENFORCED: set[str] = set()
"""Access key ids of the engine's role sessions: IAM is always evaluated for them."""
_lock = threading.Lock()
_ACCESS_KEY = re.compile(r"Credential=([A-Z0-9]+)/")


@dataclass(frozen=True)
class Session:
    role_arn: str
    access_key_id: str
    secret_access_key: str
    session_token: str

    def env(self) -> dict[str, str]:
        """As a process (CodeBuild's container, a Lambda runtime) receives them."""
        return {
            "AWS_ACCESS_KEY_ID": self.access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.secret_access_key,
            "AWS_SESSION_TOKEN": self.session_token,
        }


@dataclass
class Aws:
    """The emulator's own endpoint, from inside its process."""

    endpoint: str
    account: str
    region: str

    def _boto(self, service: str, credentials: dict[str, str]) -> Any:
        import boto3
        from botocore.config import Config

        return boto3.client(
            service,
            region_name=self.region,
            endpoint_url=self.endpoint,
            # AWS's services retry their own calls too; the standard mode is the SDKs' documented default.
            config=Config(retries={"mode": "standard", "max_attempts": 5}),
            **credentials,
        )

    def assume(self, role_arn: str, session_name: str) -> Session:
        """sts:AssumeRole as the service principal the role trusts (the engine stands in for the service)."""
        found = self._boto("sts", ADMIN).assume_role(RoleArn=role_arn, RoleSessionName=session_name[:64])
        c = found["Credentials"]
        session = Session(role_arn, c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])
        with _lock:
            ENFORCED.add(session.access_key_id)
        return session

    def client(self, service: str, session: Session) -> Any:
        return self._boto(
            service,
            {
                "aws_access_key_id": session.access_key_id,
                "aws_secret_access_key": session.secret_access_key,
                "aws_session_token": session.session_token,
            },
        )

    def env(self) -> dict[str, str]:
        """What a process the engine starts needs to reach this emulator."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_EC2_METADATA_DISABLED": "true",
        }


def patch_enforce_role_sessions() -> None:
    """moto evaluates IAM for every request or for none (`/moto-api/reset-auth`); the engine's role
    sessions are evaluated always, so that each release step has exactly its role's permissions
    while the deploy's fake admin (not an IAM principal) keeps working."""
    from moto import settings
    from moto.core.authorization import ActionAuthenticatorMixin

    @wrap_existing(ActionAuthenticatorMixin, "_authenticate_and_authorize_action")
    def authorize(original: Original, self: Any, iam_request_cls: type, resource: str = "*") -> None:
        if ActionAuthenticatorMixin.request_count >= settings.INITIAL_NO_AUTH_ACTION_COUNT:
            return original(self, iam_request_cls, resource)  # enforcement on for everyone
        found = _ACCESS_KEY.search(str(self.headers.get("Authorization") or ""))
        if not found or found.group(1) not in ENFORCED:
            return original(self, iam_request_cls, resource)
        from urllib.parse import urlparse

        parsed = urlparse(self.uri)
        path = self.raw_path + (f"?{parsed.query}" if parsed.query else "")
        request = iam_request_cls(
            account_id=self.current_account,
            method=self.method,
            path=path,
            data=self.data,
            body=self.raw_body,
            headers=self.headers,
            action=self._get_action(),
        )
        request.check_signature()
        request.check_action_permitted(resource)
        return None


def patch_s3_secure_transport() -> None:
    """S3 bucket policies: a ``Deny`` on ``aws:SecureTransport`` = false refuses every object request.

    moto supplies no ``aws:SecureTransport`` when it evaluates a bucket policy, and treats the absent key
    as meeting the Bool condition, so a bucket that follows AWS's advice (deny requests not sent over TLS;
    S3 user guide, "Security best practices for Amazon S3") refuses every GetObject and PutObject, even
    from CodePipeline and CodeBuild, which always use TLS. The emulator serves plain HTTP as a stand-in
    for AWS's HTTPS endpoints, so requests are evaluated as having arrived over TLS; the Deny still
    applies to a request that states otherwise in no way the emulator could tell, which is the limit.
    """
    from moto.iam.access_control import IAMPolicy, PermissionResult
    from moto.s3.models import FakeBucket

    @wrap_existing(FakeBucket, "get_permission")
    def get_permission(original: Original, self: Any, action: str, resource: str) -> Any:
        if self.policy is None:
            return PermissionResult.NEUTRAL
        import json

        policy = json.loads(self.policy.decode())
        statements = policy.get("Statement") or []
        kept = [s for s in (statements if isinstance(statements, list) else [statements]) if not _insecure_only(s)]
        if not kept:
            return PermissionResult.NEUTRAL
        return IAMPolicy(json.dumps({**policy, "Statement": kept})).is_action_permitted(action, resource)


def _insecure_only(statement: dict[str, Any]) -> bool:
    """A statement that applies only to requests not sent over TLS (moto does not evaluate `Bool`)."""
    condition = statement.get("Condition") or {}
    value = (condition.get("Bool") or {}).get("aws:SecureTransport") if list(condition) == ["Bool"] else None
    return str(value).lower() == "false" or value == ["false"]
