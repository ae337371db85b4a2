"""What Terraform prints, read: plan counts, `-json` lines as text, lock holders and errors."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

CREATED = re.compile(r"^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.\d+)?\s*(Z|[+-]\d{2}:?\d{2})?")


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


def lock_message(text: str, stack: str) -> str:
    """Who holds the state lock (from Terraform's `Lock Info:`), since when, and what to do about it."""
    info = {k: v.strip() for k, v in re.findall(r"^\s*(ID|Path|Operation|Who|Created):\s*(.*)$", text, re.M)}
    lock = Lock(
        stack=stack,
        id=info.get("ID", "?"),
        operation=info.get("Operation", "?"),
        who=info.get("Who", "unknown holder"),
        created=parse_created(info.get("Created", "")),
    )
    return f"{lock.describe()}; {lock.advice()}"


@dataclass(frozen=True)
class Lock:
    stack: str
    id: str
    operation: str
    who: str
    created: datetime | None

    def age(self, now: datetime | None = None) -> str:
        if self.created is None:
            return "of unknown age"
        seconds = int(((now or datetime.now(UTC)) - self.created).total_seconds())
        hours, rest = divmod(max(seconds, 0), 3600)
        return f"{hours}h{rest // 60:02d}m old" if hours else f"{rest // 60}m{rest % 60:02d}s old"

    def describe(self) -> str:
        since = self.created.strftime("%Y-%m-%d %H:%M:%S UTC") if self.created else "?"
        return (
            f"the state of {self.stack} is locked by {self.who} ({self.operation}, since {since}, {self.age()}, "
            f"lock ID {self.id})"
        )

    def advice(self) -> str:
        return (
            f"if no Terraform is running for {self.stack} any more (a killed or lost run), release it with "
            f"`python main.py unlock {self.stack}`; otherwise wait, or rerun with --lock-timeout 5m"
        )

    def to_json(self) -> dict[str, Any]:
        created = self.created.isoformat() if self.created else None
        return {"id": self.id, "operation": self.operation, "who": self.who, "created": created, "age": self.age()}


def parse_created(value: str) -> datetime | None:
    """Terraform's lock time: RFC 3339 with nanoseconds in the lock file, `... +0000 UTC` when it prints it."""
    found = CREATED.match(value.strip())
    if not found:
        return None
    day, time, zone = found.groups()
    offset = "+00:00" if zone in (None, "Z") else f"{zone[:3]}:{zone[-2:]}"
    return datetime.fromisoformat(f"{day}T{time}{offset}").astimezone(UTC)


def last_error(text: str) -> str:
    """Terraform's `Error:` lines (each once), else the output's last line."""
    errors = re.findall(r"^Error: (.*)$", text, re.M)
    return "; ".join(dict.fromkeys(errors)) if errors else (text.strip().splitlines() or ["no output"])[-1]
