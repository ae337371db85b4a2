"""The stacks of a synthesized app, as cdktf.out's manifest describes them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Backend:
    """Where a stack's state lives (its S3 backend): `key` is the state object, `key.tflock` its lock."""

    bucket: str
    key: str
    region: str

    @property
    def lock_key(self) -> str:
        return f"{self.key}.tflock"


@dataclass(frozen=True)
class Stack:
    name: str
    workdir: Path
    """cdktf.out/stacks/<name>: holds cdk.tf.json."""
    dependencies: tuple[str, ...]
    providers: tuple[str, ...]
    backend: Backend | None = None

    @property
    def config_file(self) -> Path:
        return self.workdir / "cdk.tf.json"


def read_stacks(outdir: Path) -> dict[str, Stack]:
    """Every stack of `outdir`/manifest.json, in its order, with its dependencies and providers."""
    manifest = json.loads((outdir / "manifest.json").read_text())
    stacks = {}
    for name, entry in manifest["stacks"].items():
        workdir = outdir / entry["workingDirectory"]
        config = json.loads((workdir / "cdk.tf.json").read_text())
        stacks[name] = Stack(
            name=name,
            workdir=workdir,
            dependencies=tuple(entry.get("dependencies", [])),
            providers=tuple(sorted(config.get("provider", {}))),
            backend=backend_of(config),
        )
    return stacks


def backend_of(config: dict[str, Any]) -> Backend | None:
    s3 = ((config.get("terraform") or {}).get("backend") or {}).get("s3")
    return Backend(s3["bucket"], s3["key"], s3["region"]) if s3 else None
