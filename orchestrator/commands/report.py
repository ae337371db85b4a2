"""How commands end: the table (or JSON) of outcomes, warnings about locks and orphans, exit codes."""

from __future__ import annotations

import json
import sys
from typing import Any

from orchestrator.executor import Outcome, Status
from orchestrator.session import Session


def finish(
    s: Session,
    outcomes: dict[str, Outcome],
    as_json: bool,
    command: str,
    *,
    outputs: bool = False,
    extra: dict[str, Any] | None = None,
) -> None:
    """`extra`: more top-level JSON members (orphans, locks), each said in text form by its command."""
    s.progress.close()
    values: dict[str, dict[str, Any]] = {}
    if outputs:
        for name, o in outcomes.items():
            if o.ok:
                try:
                    values[name] = s.runner(name).outputs()
                except Exception as exc:  # noqa: BLE001 - outputs are a courtesy after a deploy
                    values[name] = {"error": str(exc)}
    if as_json:
        emit(
            {
                "command": command,
                "target": s.target.name,
                "logs": str(s.ctx.log_dir),
                "synth": s.synth.to_json(),
                "stacks": [o.to_json() for o in outcomes.values()],
                "skipped": s.skipped,
                "outputs": values,
                **(extra or {}),
            }
        )
        return
    print(f"\n{'STACK':<12} {'STATUS':<8} {'CHANGES':<14} {'TIME':>7}  DETAIL")
    for o in outcomes.values():
        counts = str(o.counts) if o.counts else "-"
        print(f"{o.stack:<12} {o.status.value:<8} {counts:<14} {o.seconds:6.1f}s  {o.detail}")
        for risk in o.risks:
            print(f"{'':<12} ! {risk}")
        for pending in o.pending:
            print(f"{'':<12} pending: {pending}")
    for name, reason in s.skipped.items():
        print(f"{name:<12} {Status.SKIPPED.value:<8} {'-':<14} {'':>7}  not on the {s.target.name} target: {reason}")
    for name, outs in values.items():
        for key, value in outs.items():
            print(f"{name}.{key} = {value}")
    print(f"logs: {s.ctx.log_dir}")


def exit_code(outcomes: dict[str, Outcome]) -> int:
    if any(o.interrupted for o in outcomes.values()):
        return 130
    return 0 if all(o.ok for o in outcomes.values()) else 1


def emit(data: object) -> None:
    json.dump(data, sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")


def warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr, flush=True)


def confirm(question: str, refusal: str, exact: str | None = None) -> bool:
    """Ask on the terminal; without one, refuse with `refusal`. `exact`: the only accepted answer."""
    if not sys.stdin.isatty():
        print(f"error: {refusal}", file=sys.stderr)
        return False
    answer = input(question).strip()
    return answer == exact if exact else answer.lower() in ("y", "yes")
