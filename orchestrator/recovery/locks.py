"""State locks as Terraform's S3 backend leaves them (`use_lockfile`: the object `<key>.tflock`).

A lock that outlives its Terraform (killed, a lost CI runner, an OOM) blocks every later
deploy. Plans and drift never take the lock, so they read it here to say that a deploy
would be refused and why; `python main.py unlock STACK` removes a stale one.
"""

from __future__ import annotations

import json

from botocore.exceptions import ClientError

from orchestrator.targets import Target
from orchestrator.terraform.plan_output import Lock, parse_created
from synthesis.manifest import Backend


def read_lock(target: Target, stack: str, backend: Backend) -> Lock | None:
    """The lock on `stack`'s state, or None; a lock file Terraform cannot have written is reported as is."""
    s3 = target.client("s3", backend.region)
    try:
        body = s3.get_object(Bucket=backend.bucket, Key=backend.lock_key)["Body"].read()
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NoSuchBucket"):
            return None
        raise
    try:
        info = json.loads(body)
    except ValueError:
        info = {}
    return Lock(
        stack=stack,
        id=str(info.get("ID", "?")),
        operation=str(info.get("Operation", "?")),
        who=str(info.get("Who", "unknown holder")),
        created=parse_created(str(info.get("Created", ""))),
    )
