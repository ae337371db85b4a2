"""The local emulator (moto's server, the emulator package), the default target."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from config.schema import Project
from orchestrator.targets.base import Target, TargetError

CREDENTIALS_VARIABLE = "LOCAL_TARGET_CREDENTIALS"
"""`emulator` (default): the emulator's fake admin credentials; `environment`: the environment's."""
CREDENTIAL_KEYS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")


class LocalTarget(Target):
    """moto's server, started by the project, with its compatibility layer."""

    name = "local"

    def __init__(self, project: Project, state_dir: Path | None = None):
        super().__init__(project)
        self.state_dir = state_dir
        self.endpoint = ""

    def deployable(self, providers: tuple[str, ...]) -> str | None:
        foreign = [p for p in providers if p != "aws"]
        if foreign:
            return f"needs the {', '.join(foreign)} provider, which the local target cannot serve"
        return None

    def prepare(self) -> None:
        import emulator

        account = self.project.settings.aws.account_id
        try:
            status = emulator.start(**self._dir(), account_id=account)
        except emulator.EmulatorError as exc:
            raise TargetError(f"local target: the emulator did not start: {exc}") from exc
        self.endpoint = status.endpoint or ""
        # A fresh emulator has no state bucket: plan and drift need one too. Only HeadBucket otherwise
        # (a read-only role may run this); `deploy` itself versions, encrypts and blocks (bootstrap_state).
        self.create_missing_state_buckets()
        caller = self.client("sts", self.project.settings.aws.region).get_caller_identity()["Account"]
        if caller != account:
            raise TargetError(
                f"local target: the running emulator serves account {caller}, the configuration wants {account}; "
                "restart it with `python main.py local stop`"
            )

    def _dir(self) -> dict[str, Any]:
        return {"state_dir": self.state_dir} if self.state_dir else {}

    def env(self) -> dict[str, str]:
        """The emulator's endpoint for every service comes from AWS_ENDPOINT_URL, not the provider's
        `endpoints` block: validating that block costs the AWS provider ~2.5 s of CPU in every
        plan and apply (measured: staging plan 6.3 s -> 3.8 s)."""
        env = {**self.credentials(), "AWS_EC2_METADATA_DISABLED": "true"}
        if self.endpoint:
            env["AWS_ENDPOINT_URL"] = self.endpoint
        return env

    @staticmethod
    def credentials() -> dict[str, str]:
        """The emulator's fake admin credentials, or with LOCAL_TARGET_CREDENTIALS=environment the environment's."""
        from emulator import LOCAL_CREDENTIALS

        mode = os.environ.get(CREDENTIALS_VARIABLE) or "emulator"
        if mode == "emulator":
            return dict(LOCAL_CREDENTIALS)
        if mode != "environment":
            raise TargetError(f"{CREDENTIALS_VARIABLE}: expected emulator or environment, got {mode!r}")
        found = {k: os.environ[k] for k in CREDENTIAL_KEYS if os.environ.get(k)}
        missing = [k for k in CREDENTIAL_KEYS[:2] if k not in found]
        if missing:
            raise TargetError(
                f"local target: {CREDENTIALS_VARIABLE}=environment, but {' and '.join(missing)} "
                'is not set (e.g. `eval "$(python ci/aws_oidc.py ROLE_ARN)"` against the emulator\'s STS)'
            )
        return found

    def backend_config(self) -> dict[str, Any]:
        return {
            "use_path_style": True,
            "skip_credentials_validation": True,
            "skip_region_validation": True,
            "skip_metadata_api_check": True,
        }

    def override(self) -> dict[str, Any]:
        return {
            "provider": {
                "aws": {
                    "skip_credentials_validation": True,
                    "skip_metadata_api_check": "true",
                    "skip_region_validation": True,
                    "s3_use_path_style": True,
                    # A 500 from the emulator must fail fast, not retry for 15 minutes (the default 25), but a
                    # throttled or shed request must be retried: the provider's max_retries is its SDK's
                    # MaxAttempts, so 2 is one retry, and 10% injected faults then fail a ~700-request
                    # deploy (measured); 5 attempts leave 1e-5 per request and a few seconds of backoff.
                    "max_retries": 5,
                }
            }
        }

    def client(self, service: str, region: str):
        import boto3

        creds = self.env()
        return boto3.client(
            service,
            region_name=region,
            endpoint_url=self.endpoint,
            aws_access_key_id=creds["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=creds["AWS_SECRET_ACCESS_KEY"],
            aws_session_token=creds.get("AWS_SESSION_TOKEN"),
        )
