"""What Terraform prints, read: plan counts, `-json` lines as text, lock holders and errors."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Counts:
    create: int = 0
    update: int = 0
    delete: int = 0

    @property
    def changes(self) -> bool:
        return bool(self.create or self.update or self.delete)

    def as_report(self) -> dict[str, int]:
        """The JSON GitLab's MR widget reads (`artifacts: reports: terraform`)."""
        return {"create": self.create, "update": self.update, "delete": self.delete}

    def __str__(self) -> str:
        return f"+{self.create} ~{self.update} -{self.delete}"

    @staticmethod
    def total(counts: Iterable[Counts | None]) -> Counts:
        present = [c for c in counts if c]
        return Counts(sum(c.create for c in present), sum(c.update for c in present), sum(c.delete for c in present))


def change_summary(output: str) -> Counts:
    """The counts of `terraform plan -json`'s change_summary message (replacements count as add and remove).

    Reading them from the plan's own output spares a `terraform show -json`, which starts
    the provider again (~2.5 s of CPU per stack).
    """
    for line in reversed(output.splitlines()):
        if '"change_summary"' in line:
            changes = json.loads(line)["changes"]
            return Counts(changes["add"], changes["change"], changes["remove"])
    raise ValueError("terraform plan -json printed no change_summary")


def readable(line: str) -> str:
    """One line of `terraform -json` output as a person reads it: the message, and a diagnostic's detail."""
    try:
        message = json.loads(line)
    except ValueError:
        return line
    if not isinstance(message, dict):
        return line
    detail = (message.get("diagnostic") or {}).get("detail")
    return f"{message.get('@message', '')}\n" + (f"{detail}\n" if detail else "")


def is_locked(text: str) -> bool:
    return "Error acquiring the state lock" in text


def lock_message(text: str) -> str:
    """Who holds the state lock, and what to do about it."""
    info = {k: v.strip() for k, v in re.findall(r"^\s*(ID|Path|Operation|Who|Created):\s*(.*)$", text, re.M)}
    who = info.get("Who", "unknown holder")
    return (
        f"the state is locked by {who} (operation {info.get('Operation', '?')}, since {info.get('Created', '?')}, "
        f"lock ID {info.get('ID', '?')}); wait for it, rerun with --lock-timeout 5m, or `terraform force-unlock` if it is stale"
    )


def last_error(text: str) -> str:
    """Terraform's `Error:` lines (each once), else the output's last line."""
    errors = re.findall(r"^Error: (.*)$", text, re.M)
    return "; ".join(dict.fromkeys(errors)) if errors else (text.strip().splitlines() or ["no output"])[-1]
