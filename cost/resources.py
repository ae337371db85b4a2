"""Reading a synthesized stack (cdk.tf.json): resources by type, and the references between them.

CDKTF writes a reference as a token, `${aws_s3_bucket.release_artifacts_520C49CC.id}`;
`target` turns it back into the address it names, so a pricer can ask e.g. which
lifecycle policy belongs to a repository without knowing any construct's name.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

_TOKEN = re.compile(r"^\$\{([A-Za-z0-9_]+)\.([A-Za-z0-9_-]+)\.[A-Za-z0-9_]+\}$")


def load_stacks(outdir: Path) -> dict[str, dict[str, Any]]:
    """Stack name -> its cdk.tf.json, in the manifest's order."""
    manifest = json.loads((outdir / "manifest.json").read_text())
    return {
        name: json.loads((outdir / entry["synthesizedStackPath"]).read_text())
        for name, entry in manifest["stacks"].items()
    }


def resources(stack: dict[str, Any], kind: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(address, body) of every resource of `kind`."""
    for name, body in stack.get("resource", {}).get(kind, {}).items():
        yield f"{kind}.{name}", body


def resource_types(stack: dict[str, Any]) -> dict[str, int]:
    return {kind: len(items) for kind, items in sorted(stack.get("resource", {}).items())}


def target(token: Any) -> str | None:
    """The address a reference token names, or None when `token` is not a reference."""
    match = _TOKEN.match(token) if isinstance(token, str) else None
    return f"{match.group(1)}.{match.group(2)}" if match else None


def referencing(stack: dict[str, Any], kind: str, attribute: str, address: str) -> list[dict[str, Any]]:
    """Resources of `kind` whose top-level `attribute` refers to `address`."""
    return [body for _, body in resources(stack, kind) if target(body.get(attribute)) == address]


def region(stack: dict[str, Any]) -> str | None:
    """The AWS provider's region; None for a stack without the AWS provider."""
    providers = stack.get("provider", {}).get("aws") or []
    return providers[0].get("region") if providers else None


def first(value: Any) -> dict[str, Any]:
    """A nested block as CDKTF writes it: an object, or a list of one."""
    if isinstance(value, list):
        return value[0] if value else {}
    return value if isinstance(value, dict) else {}
