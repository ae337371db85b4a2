"""Orphaned states: a state in a state bucket that no synthesized stack owns any more.

Deleting `environments/qa.yaml` removes the `qa` stack from the app, but not what it deployed:
its resources keep running (and costing) and its state stays in the bucket, with nothing left
that plans or destroys them. `plan` and `deploy` name every such state, and
`python main.py destroy qa --orphaned` destroys it from the state alone: Terraform can destroy
what a state holds with only a provider and the backend, which `orphan_stack` writes.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestrator.targets import Target
from synthesis.manifest import Backend, Stack

STATE_SUFFIX = ".tfstate"


@dataclass(frozen=True)
class Orphan:
    name: str
    """The state key's file name without .tfstate (`acme-web/qa.tfstate` -> `qa`): what `destroy --orphaned` takes."""
    backend: Backend
    resources: int

    def remedy(self) -> str:
        return f"python main.py destroy {self.name} --orphaned"

    def describe(self) -> str:
        return (
            f"state s3://{self.backend.bucket}/{self.backend.key} holds {self.resources} resource(s) that no stack "
            f"synthesizes any more (its environment file was removed?); destroy them with `{self.remedy()}`"
        )

    def to_json(self) -> dict[str, Any]:
        b = self.backend
        return {
            "stack": self.name,
            "bucket": b.bucket,
            "key": b.key,
            "resources": self.resources,
            "remedy": self.remedy(),
        }


def find_orphans(target: Target, stacks: dict[str, Stack]) -> list[Orphan]:
    """Every non-empty state in the project's state buckets whose key no stack of `stacks` uses."""
    owned = {(s.backend.bucket, s.backend.key) for s in stacks.values() if s.backend}
    found = []
    for location in target.state_locations():
        s3 = target.client("s3", location.region)
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=location.bucket):
            for item in page.get("Contents", []):
                key = item["Key"]
                if not key.endswith(STATE_SUFFIX) or (location.bucket, key) in owned:
                    continue
                state = json.loads(s3.get_object(Bucket=location.bucket, Key=key)["Body"].read() or b"{}")
                count = sum(
                    len(r.get("instances", [])) for r in state.get("resources", []) if r.get("mode") == "managed"
                )
                if count:
                    name = Path(key).name.removesuffix(STATE_SUFFIX)
                    found.append(Orphan(name, Backend(location.bucket, key, location.region), count))
    return found


def state_of(target: Target, backend: Backend) -> dict[str, Any]:
    s3 = target.client("s3", backend.region)
    return json.loads(s3.get_object(Bucket=backend.bucket, Key=backend.key)["Body"].read() or b"{}")


def orphan_stack(orphan: Orphan, state: dict[str, Any], template: dict[str, Any], workdir: Path) -> Stack:
    """A stack with no resources, the orphan's backend and an AWS provider for where its resources are.

    `template` is any synthesized AWS stack's JSON: its pinned provider version is reused. The
    region and account come from the ARNs in the state, the region of the bucket if none."""
    region, account = _where(state, orphan.backend.region)
    required = (template.get("terraform") or {}).get("required_providers") or {}
    provider: dict[str, Any] = {"region": region, **({"allowed_account_ids": [account]} if account else {})}
    config = {
        "terraform": {
            "required_providers": {"aws": required["aws"]},
            "backend": {
                "s3": {
                    "bucket": orphan.backend.bucket,
                    "key": orphan.backend.key,
                    "region": orphan.backend.region,
                    "encrypt": True,
                    "use_lockfile": True,
                }
            },
        },
        "provider": {"aws": [provider]},
    }
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "cdk.tf.json").write_text(json.dumps(config, indent=2))
    return Stack(name=orphan.name, workdir=workdir, dependencies=(), providers=("aws",), backend=orphan.backend)


def _where(state: dict[str, Any], default_region: str) -> tuple[str, str | None]:
    """The most common region and account of the ARNs in a state."""
    regions: Counter[str] = Counter()
    accounts: Counter[str] = Counter()
    for resource in state.get("resources", []):
        for instance in resource.get("instances", []):
            arn = str((instance.get("attributes") or {}).get("arn") or "")
            parts = arn.split(":")
            if len(parts) >= 6 and parts[0] == "arn":
                if parts[3]:
                    regions[parts[3]] += 1
                if parts[4].isdigit():
                    accounts[parts[4]] += 1
    region = regions.most_common(1)[0][0] if regions else default_region
    return region, accounts.most_common(1)[0][0] if accounts else None
