"""The targets of the issue, evaluated on one run's figures, and the printed table."""

from __future__ import annotations

from typing import Any

from bench.figures import Figure
from bench.stats import GB, Target, fmt_breakdown, fmt_bytes, fmt_seconds, ratio

CACHED_VS_COLD = 1 / 20
PARALLEL_VS_SEQUENTIAL = 0.7
DEPLOY_VS_SLOWEST = 1.3
SCALE_SYNTH = 1.3
SYNTH_PEAK = 1.3 * GB
SAME_RUN = (
    "Ratios measured in the same run matter more than absolute seconds: both sides of a ratio ran on the "
    "same machine, minutes apart, under the same load."
)


def _seconds(figures: dict[str, Figure], key: str) -> float | None:
    fig = figures.get(key)
    return fig.seconds if fig else None


def slowest_single(figures: dict[str, Figure], facts: dict[str, Any]) -> tuple[str | None, float | None, str]:
    """(stack, apply seconds, how): from the deploys of one stack alone, else from the all-stacks deploy."""
    medians = {
        k.removeprefix("deploy.single."): f.median_of("apply_seconds")
        for k, f in figures.items()
        if k.startswith("deploy.single.") and not f.error and f.runs
    }
    alone = {k: v for k, v in medians.items() if v is not None}
    if alone:
        stack = max(alone, key=lambda s: alone[s])
        return stack, alone[stack], "deployed alone into a fresh emulator"
    in_run = facts.get("in_run_apply_seconds") or {}
    if in_run:
        stack = max(in_run, key=lambda s: in_run[s])
        return stack, in_run[stack], "its apply inside the all-stacks deploy (shares the CPUs: flatters the ratio)"
    return None, None, ""


def targets(figures: dict[str, Figure], facts: dict[str, Any]) -> list[Target]:
    found = []
    cold, cached = _seconds(figures, "synth.cold"), _seconds(figures, "synth.cached")
    found.append(
        Target(
            "cached synth <= 1/20 of cold synth",
            ratio(cached, cold),
            CACHED_VS_COLD,
            f"cached {fmt_seconds(cached)} / cold {fmt_seconds(cold)}",
        )
    )
    par, seq = _seconds(figures, "plan.parallel"), _seconds(figures, "plan.sequential")
    found.append(
        Target(
            "parallel plan of all stacks <= 0.7x sequential plan",
            ratio(par, seq),
            PARALLEL_VS_SEQUENTIAL,
            f"`main.py plan` {fmt_seconds(par)} / plain terraform plan one by one {fmt_seconds(seq)}",
        )
    )
    deploy = _seconds(figures, "deploy.all")
    stack, slowest, how = slowest_single(figures, facts)
    found.append(
        Target(
            "deploy of all stacks from nothing <= 1.3x the slowest single stack's apply",
            ratio(deploy, slowest),
            DEPLOY_VS_SLOWEST,
            f"deploy {fmt_seconds(deploy)} / apply of {stack} {fmt_seconds(slowest)} ({how})"
            if stack
            else f"deploy {fmt_seconds(deploy)} / no single apply measured",
        )
    )
    scales = sorted(
        int(k.split(".")[1])
        for k in figures
        if k.startswith("scale.") and k.endswith(".synth") and figures[k].seconds is not None
    )
    lo, hi = (scales[0], scales[-1]) if len(scales) > 1 else (1, 16)
    small, large = _seconds(figures, f"scale.{lo}.synth"), _seconds(figures, f"scale.{hi}.synth")
    found.append(
        Target(
            f"synth of {hi} environments <= 1.3x synth of {lo}",
            ratio(large, small),
            SCALE_SYNTH,
            f"warm synth {fmt_seconds(large)} / {fmt_seconds(small)}",
        )
    )
    for key, what in (("synth.cold", "cold"), ("synth.warm", "warm")):
        fig = figures.get(key)
        peak = fig.peak if fig else None
        run = fig.peak_run if fig else None
        found.append(
            Target(
                f"peak memory of synth ({what}) <= 1.3 GB",
                peak,
                SYNTH_PEAK,
                fmt_breakdown(run["breakdown"], run.get("processes")) if run else "",
                unit="GB",
            )
        )
    return found


def other_ratios(figures: dict[str, Figure], facts: dict[str, Any]) -> list[tuple[str, float | None, str]]:
    """Informational ratios (no target)."""

    def s(key: str) -> float | None:
        return _seconds(figures, key)

    rows = [
        (
            "naive synth (1 process per stack) / warm synth",
            ratio(s("synth.naive"), s("synth.warm")),
            f"{fmt_seconds(s('synth.naive'))} / {fmt_seconds(s('synth.warm'))}",
        ),
        (
            "`main.py plan --parallelism 1` / plain terraform plan one by one",
            ratio(s("plan.cli_serial"), s("plan.sequential")),
            f"{fmt_seconds(s('plan.cli_serial'))} / {fmt_seconds(s('plan.sequential'))}",
        ),
    ]
    warm = figures.get("synth.warm")
    if warm and warm.median_of("exit_seconds") is not None:
        rows.append(
            (
                "warm synth: exiting after the work / the whole process",
                ratio(warm.median_of("exit_seconds"), warm.seconds),
                f"{fmt_seconds(warm.median_of('exit_seconds'))} after the synthesis (its JSON printed) / {fmt_seconds(warm.seconds)}",
            )
        )
    in_run = facts.get("in_run_apply_seconds") or {}
    if in_run and s("deploy.all"):
        stack = max(in_run, key=lambda k: in_run[k])
        rows.append(
            (
                f"deploy of all stacks / slowest apply inside it ({stack})",
                ratio(s("deploy.all"), in_run[stack]),
                f"{fmt_seconds(s('deploy.all'))} / {fmt_seconds(in_run[stack])}",
            )
        )
    singles = {k: f for k, f in figures.items() if k.startswith("deploy.single.") and f.seconds}
    if singles and s("deploy.all"):
        walls = max(f.seconds or 0 for f in singles.values())
        rows.append(
            (
                "deploy of all stacks / slowest single stack's whole `deploy` (wall)",
                ratio(s("deploy.all"), walls),
                f"{fmt_seconds(s('deploy.all'))} / {fmt_seconds(walls)}",
            )
        )
    scales = sorted({int(k.split(".")[1]) for k in figures if k.startswith("scale.")})
    for kind in ("plan", "deploy"):
        have = [n for n in scales if s(f"scale.{n}.{kind}")]
        if len(have) > 1:
            lo, hi = have[0], have[-1]
            rows.append(
                (
                    f"{kind} of {hi} environments / {kind} of {lo}",
                    ratio(s(f"scale.{hi}.{kind}"), s(f"scale.{lo}.{kind}")),
                    f"{fmt_seconds(s(f'scale.{hi}.{kind}'))} / {fmt_seconds(s(f'scale.{lo}.{kind}'))}",
                )
            )
    return rows


def render(
    figures: dict[str, Figure],
    facts: dict[str, Any],
    machine: dict[str, Any],
    notes: list[str],
    errors: list[str],
    opts: dict[str, Any],
) -> str:
    lines = []
    mem = machine.get("mem_total_bytes")
    lines.append(
        f"Machine: nproc {machine.get('nproc')} ({machine.get('cpu_model') or 'unknown CPU'}), "
        f"memory {fmt_bytes(mem)}, python {machine.get('python')}, terraform {machine.get('terraform')}, "
        f"git {machine.get('git')}"
    )
    share = machine.get("other_cpu_share")
    lines.append(
        f"Load average (1 min): {machine.get('load1_start')} at start (before the bench), "
        f"{machine.get('load1_end')} at end; other processes used "
        f"{'-' if share is None else f'{100 * share:.0f}%'} of the CPUs during the run"
        + (" -- the machine was BUSY: absolute seconds are inflated" if machine.get("busy") else "")
    )
    lines.append(
        f"Runs: {opts.get('runs')} per short step (medians), cold synth x{opts.get('cold_runs')}, "
        f"{'quick' if opts.get('quick') else 'full'} mode. {SAME_RUN}"
    )
    lines.append(
        "MEDIAN: wall seconds from start to exit; CPU: median CPU-seconds of the command and its children "
        f"(on {machine.get('nproc')} CPUs a step cannot take less wall time than CPU / {machine.get('nproc')})."
    )
    lines.append(
        "Peak RSS: sum of VmRSS over the measured process's whole tree (python + node/jsii + terraform + "
        "providers), sampled every 50 ms."
    )
    lines.append("")
    header = f"{'STEP':<62} {'RUNS':>4} {'MEDIAN':>8} {'MIN-MAX':>11} {'CPU':>7} {'PEAK RSS':>9}  PEAK BREAKDOWN / NOTE"
    lines.append(header)
    lines.append("-" * len(header))
    group = None
    for fig in figures.values():
        if fig.group != group:
            group = fig.group
            lines.append(f"[{group}]")
        spread = fig.spread
        spread_s = f"{spread[0]:.1f}-{spread[1]:.1f}" if spread else ""
        run = fig.peak_run
        detail = fmt_breakdown(run["breakdown"], run.get("processes")) if run else ""
        extra = _extra(fig)
        if extra:
            detail = f"{detail}; {extra}" if detail else extra
        if fig.error:
            detail = f"ERROR: {fig.error.splitlines()[0]}"
        lines.append(
            f"{fig.label:<62} {len(fig.runs):>4} {fmt_seconds(fig.seconds):>8} {spread_s:>11} "
            f"{fmt_seconds(fig.cpu):>7} {fmt_bytes(fig.peak):>9}  {detail}"
        )
    lines.append("")
    lines.append("TARGETS (measured in this run; not asserted anywhere)")
    for t in targets(figures, facts):
        lines.append(f"  {t.status:<4}  {t.name:<72} {t.shown(t.value):>9} (limit {t.shown(t.limit)})  {t.how}")
    lines.append("")
    lines.append("OTHER RATIOS (informational)")
    for name, value, how in other_ratios(figures, facts):
        lines.append(f"  {name:<76} {('-' if value is None else f'{value:.2f}x'):>9}  {how}")
    if facts.get("plan_skipped"):
        lines.append("")
        lines.append(
            "Stacks the local target skips (not in plan/deploy figures): "
            + "; ".join(f"{k}: {v}" for k, v in facts["plan_skipped"].items())
        )
    for note in notes:
        lines.append(f"Note: {note}")
    if errors:
        lines.append("")
        lines.append("ERRORS")
        for e in errors:
            lines += [f"  {line}" for line in e.splitlines()[:25]]
    return "\n".join(lines)


def _extra(fig: Figure) -> str:
    parts = []
    synth, exit_s = fig.median_of("synth_seconds"), fig.median_of("exit_seconds")
    if synth is not None:
        parts.append(f"synthesis {fmt_seconds(synth)}")
    if exit_s is not None:
        parts.append(f"exit {fmt_seconds(exit_s)}")
    apply = fig.median_of("apply_seconds")
    if apply is not None:
        parts.append(f"apply {fmt_seconds(apply)}")
    stacks = fig.runs[-1].get("stacks") if fig.runs else None
    if isinstance(stacks, int):
        parts.append(f"{stacks} stacks")
    elif isinstance(stacks, dict) and stacks:
        parts.append(f"{len(stacks)} stacks")
    drifted = [r.get("drifted") for r in fig.runs if "drifted" in r]
    if drifted:
        parts.append("drift found" if any(drifted) else "no drift")
    resynth = sum(r.get("synth") == "synthesized" for r in fig.runs)
    if resynth:
        parts.append(f"synthesized in {resynth} run(s) instead of reusing cdktf.out")
    per = fig.runs[-1].get("per_process_seconds") if fig.runs else None
    if per:
        parts.append("per process " + ", ".join(f"{x:.1f}" for x in per))
    if fig.note and not parts:
        parts.append(fig.note)
    return ", ".join(parts)
