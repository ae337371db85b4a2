"""Where stacks are deployed: the local emulator (default) or AWS.

A target contributes only what differs per destination: environment variables for
Terraform, backend settings given at `init`, an override file beside the synthesized
JSON (never inside cdktf.out), a preflight check, and the state-bucket bootstrap.
Everything local-only (the endpoint, moto's account, small retries) lives in LocalTarget.

The local target signs with the emulator's fake administrator credentials, unless
`LOCAL_TARGET_CREDENTIALS=environment`: then with the AWS credentials of the environment
(AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), e.g. a CI role's from
ci/aws_oidc.py against the emulator's STS, which is how tests/integration/test_iam.py plans
as the plan role with the emulator's IAM enforcement switched on.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from config.schema import Project

CREDENTIALS_VARIABLE = "LOCAL_TARGET_CREDENTIALS"
"""`emulator` (default): the emulator's fake admin credentials; `environment`: the environment's."""
CREDENTIAL_KEYS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")


class TargetError(Exception):
    """A target refuses to run (wrong account, no emulator); `str()` is the message."""


@dataclass(frozen=True)
class StateLocation:
    bucket: str
    region: str


class Target:
    name = "aws"

    def __init__(self, project: Project):
        self.project = project

    def deployable(self, providers: tuple[str, ...]) -> str | None:
        """None if a stack with these providers can run here, else the reason it cannot."""
        return None

    def prepare(self) -> None:
        """Start or check what the target needs; called once per run, before any Terraform."""

    def env(self) -> dict[str, str]:
        return {}

    def backend_config(self) -> dict[str, Any]:
        return {}

    def override(self) -> dict[str, Any] | None:
        """Merged into the stack by Terraform as `target_override.tf.json`."""
        return None

    def client(self, service: str, region: str):
        import boto3

        return boto3.client(service, region_name=region)

    def state_locations(self) -> list[StateLocation]:
        s = self.project.settings
        found = {(s.state.bucket, s.state.region or s.aws.region)}
        found |= {(e.state.bucket, e.state.region or e.aws.region) for e in self.project.environments}
        return [StateLocation(b, r) for b, r in sorted(found)]

    def bootstrap_state(self) -> list[str]:
        """Create or fix every state bucket: versioned, encrypted, public access blocked. Idempotent.
        Returns the buckets it created."""
        done = []
        for loc in self.state_locations():
            s3 = self.client("s3", loc.region)
            if self._create_if_missing(s3, loc):
                done.append(loc.bucket)
            self._secure(s3, loc.bucket)
        return done

    def create_missing_state_buckets(self) -> list[str]:
        """Create (and secure) only the state buckets that do not exist: HeadBucket alone for the others,
        so that a read-only caller (the CI plan role) passes. `deploy`'s bootstrap_state fixes the rest."""
        done = []
        for loc in self.state_locations():
            s3 = self.client("s3", loc.region)
            if self._create_if_missing(s3, loc):
                self._secure(s3, loc.bucket)
                done.append(loc.bucket)
        return done

    @staticmethod
    def _create_if_missing(s3: Any, loc: StateLocation) -> bool:
        try:
            s3.head_bucket(Bucket=loc.bucket)
            return False
        except s3.exceptions.ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code"))
            if code in ("403", "AccessDenied", "Forbidden"):
                return False  # it exists, but this caller may not see it: Terraform's init will say so
            if code not in ("404", "NoSuchBucket", "NotFound"):
                raise
        kwargs: dict[str, Any] = {"Bucket": loc.bucket}
        if loc.region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": loc.region}
        s3.create_bucket(**kwargs)
        return True

    @staticmethod
    def _secure(s3: Any, bucket: str) -> None:
        """Versioned, encrypted (aws:kms, bucket key), public access blocked."""
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        s3.put_bucket_encryption(
            Bucket=bucket,
            ServerSideEncryptionConfiguration={
                "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}, "BucketKeyEnabled": True}]
            },
        )
        s3.put_public_access_block(
            Bucket=bucket,
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": True,
                "IgnorePublicAcls": True,
                "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True,
            },
        )


class AwsTarget(Target):
    """Real AWS with the usual credential chain; refuses a caller in the wrong account or region."""

    name = "aws"

    def prepare(self) -> None:
        import boto3
        from botocore.exceptions import BotoCoreError, ClientError

        s = self.project.settings
        session = boto3.Session()
        try:
            account = session.client("sts", region_name=s.aws.region).get_caller_identity()["Account"]
        except (BotoCoreError, ClientError) as exc:
            raise TargetError(f"aws target: cannot identify the caller ({exc}); configure AWS credentials") from exc
        wanted = {e.aws.account_id for e in self.project.environments} | {s.aws.account_id}
        if account not in wanted:
            raise TargetError(
                f"aws target: the credentials are for account {account}, but the configuration deploys to "
                f"{', '.join(sorted(wanted))} (project.yaml / environments/*.yaml aws.account_id); refusing"
            )
        region = os.environ.get("AWS_REGION") or session.region_name  # Terraform reads AWS_REGION first
        if region and region != s.aws.region:
            raise TargetError(
                f"aws target: the session region is {region}, but project.yaml aws.region is "
                f"{s.aws.region}; set AWS_REGION={s.aws.region} or fix the YAML; refusing"
            )


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
        from orchestrator.local import emulator

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
        from orchestrator.local.emulator import LOCAL_CREDENTIALS

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
                    # A 500 from the emulator must fail fast, not retry for 15 minutes.
                    "max_retries": 2,
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


def make_target(name: str, project: Project) -> Target:
    if name == "local":
        return LocalTarget(project)
    if name == "aws":
        return AwsTarget(project)
    raise TargetError(f"--target: expected local or aws, got {name!r}")


def default_target_name() -> str:
    return os.environ.get("DEPLOY_TARGET", "local")
