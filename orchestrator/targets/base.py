"""What every target provides; each destination overrides only what differs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from config.schema import Project


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
