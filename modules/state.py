"""Remote state: one S3 key per stack, encrypted, locked with an S3 lock file.

The bucket itself is bootstrapped by the orchestrator (versioned, encrypted, public
access blocked) because a stack cannot create the bucket that holds its own state.
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf import S3Backend, TerraformStack


@dataclass(frozen=True)
class RemoteStateProps:
    bucket: str
    key: str
    region: str


def remote_state(stack: TerraformStack, props: RemoteStateProps) -> S3Backend:
    backend = S3Backend(stack, bucket=props.bucket, key=props.key, region=props.region, encrypt=True)
    # S3-native locking (Terraform >= 1.10); cdktf 0.21's S3Backend has no field for it.
    stack.add_override("terraform.backend.s3.use_lockfile", True)
    return backend
