"""The stacks of a synthesized app, as cdktf.out's manifest describes them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Stack:
    name: str
    workdir: Path
    """cdktf.out/stacks/<name>: holds cdk.tf.json."""
    dependencies: tuple[str, ...]
    providers: tuple[str, ...]

    @property
    def config_file(self) -> Path:
        return self.workdir / "cdk.tf.json"


def read_stacks(outdir: Path) -> dict[str, Stack]:
    manifest = json.loads((outdir / "manifest.json").read_text())
    stacks = {}
    for name, entry in manifest["stacks"].items():
        workdir = outdir / entry["workingDirectory"]
        config = json.loads((workdir / "cdk.tf.json").read_text())
        stacks[name] = Stack(
            name=name, workdir=workdir, dependencies=tuple(entry.get("dependencies", [])),
            providers=tuple(sorted(config.get("provider", {}))),
        )
    return stacks


def in_dependency_order(stacks: dict[str, Stack], names: list[str]) -> list[str]:
    """Topological order of `names` (dependencies outside the selection are ignored)."""
    chosen, ordered, seen = set(names), [], set()

    def visit(name: str) -> None:
        if name in seen:
            return
        seen.add(name)
        for dep in stacks[name].dependencies:
            if dep in chosen:
                visit(dep)
        ordered.append(name)

    for name in sorted(names, key=list(stacks).index):
        visit(name)
    return ordered
