"""The merge request's plan summary (`plan --summary FILE`): Markdown, risks first.

One section per stack that changes: its counts, its risks (disruptive, destructive,
broadening: orchestrator.plans.risk), the resources it changes, and the full plan text folded
below. Stacks without changes take one line; stacks not planned say why. The first line is a
marker that ci/mr_note.py finds to update the same note on the next push.
"""

from __future__ import annotations

from collections.abc import Callable

from orchestrator.executor import Outcome
from orchestrator.terraform.plan_output import Counts

MARKER = "<!-- acme-web: plan summary -->"
ICONS = {"disruptive": "🔴", "destructive": "🟥", "broadening": "🟠"}
MAX_PLAN_CHARS = 60_000
"""GitLab notes hold 1,000,000 characters; a plan past this is cut (the artifact has all of it)."""


def render(outcomes: dict[str, Outcome], skipped: dict[str, str], plan_text: Callable[[str], str]) -> str:
    changed = [o for o in outcomes.values() if o.changed]
    total = Counts.total(o.counts for o in changed)
    risky = sum(len(o.risks) for o in changed)
    lines = [MARKER, f"## Terraform plan: {len(changed)} stack(s) change ({total})"]
    if risky:
        lines.append(
            f"**{risky} risky change(s)**: read them before merging; a protected environment needs --allow-risk."
        )
    for o in sorted(changed, key=lambda o: -len(o.risks)):
        lines += ["", f"### `{o.stack}` {o.counts}"]
        if o.risks:
            lines.append("")
            lines += [
                f"- {ICONS.get(str(r.kind), '')} **{r.kind}** {r.action} `{r.address}`: {r.reason}" for r in o.risks
            ]
        lines += ["", "<details><summary>Changes</summary>", ""]
        lines += [f"- {c.action} `{c.address}`" for c in o.resources]
        text = plan_text(o.stack)
        if len(text) > MAX_PLAN_CHARS:
            text = text[:MAX_PLAN_CHARS] + "\n... (cut: the job's plans/ artifact has the whole plan)"
        lines += [
            "",
            "</details>",
            "",
            "<details><summary>Full plan</summary>",
            "",
            "```",
            text.rstrip(),
            "```",
            "</details>",
        ]
    failed = [o for o in outcomes.values() if not o.ok]
    if failed:
        lines += ["", "### Failed", ""] + [f"- `{o.stack}`: {o.detail}" for o in failed]
    unchanged = [o.stack for o in outcomes.values() if o.ok and not o.changed]
    if unchanged:
        lines += ["", f"No changes: {', '.join(f'`{n}`' for n in unchanged)}."]
    if skipped:
        lines += ["", "Not planned: " + "; ".join(f"`{n}` ({why})" for n, why in skipped.items()) + "."]
    return "\n".join(lines) + "\n"
