"""`python -m bench`: measure synth, plan, deploy and drift; print a table; write JSON.

Every command runs in its own private temporary directory and emulator(s), stopped and
removed at the end (also on Ctrl-C). The targets of the issue are printed as ratios
measured in this run, with PASS/FAIL; the exit code is 0 when every step ran (whatever
the targets say), 1 when a step failed, 130 when interrupted.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import signal
import sys
import time
from pathlib import Path
from typing import Any

from bench.figures import load1, own_cpu_seconds, system_busy_seconds
from bench.report import other_ratios, render, targets
from bench.runner import GROUPS, ROOT, Bench, Options, Workspace, machine

DEFAULT_OUT = ROOT / "bench" / "results" / "latest.json"


def parse_args(argv: list[str]) -> tuple[Options, Path]:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: 1 run each, 1 cold synth, no --parallelism 1 plan, slowest apply taken from "
        "the all-stacks deploy instead of deploying each stack alone, no deploys at scale",
    )
    parser.add_argument("--runs", type=int, help="runs of each short step (median); default 3, 1 with --quick")
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help=f"JSON results (default {DEFAULT_OUT.relative_to(ROOT)})"
    )
    parser.add_argument("--scales", default="1,4,16", help="environment counts for the scaling runs (default 1,4,16)")
    parser.add_argument("--deploy-scales", help="environment counts also deployed (default 1,4; none with --quick)")
    parser.add_argument("--only", help=f"comma-separated groups to run, of {','.join(GROUPS)} (default all)")
    parser.add_argument(
        "--keep", action="store_true", help="keep the temporary directory (emulators are stopped anyway)"
    )
    args = parser.parse_args(argv)
    runs = args.runs if args.runs is not None else (1 if args.quick else 3)
    if runs < 1:
        parser.error("--runs: expected at least 1")
    groups = tuple(g.strip() for g in args.only.split(",")) if args.only else GROUPS
    unknown = [g for g in groups if g not in GROUPS]
    if unknown:
        parser.error(f"--only: unknown group(s) {', '.join(unknown)}; expected {', '.join(GROUPS)}")
    scales = _ints(parser, "--scales", args.scales)
    deploy_default = "" if args.quick else "1,4"
    deploy_scales = _ints(
        parser, "--deploy-scales", args.deploy_scales if args.deploy_scales is not None else deploy_default
    )
    opts = Options(
        runs=runs,
        quick=args.quick,
        scales=scales,
        deploy_scales=deploy_scales,
        singles=not args.quick,
        cold_runs=1 if args.quick else min(runs, 2),
        naive_runs=1,
        groups=groups,
        keep=args.keep,
    )
    return opts, args.out


def _ints(parser: argparse.ArgumentParser, flag: str, text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(x) for x in text.split(",") if x.strip())
    except ValueError:
        parser.error(f"{flag}: expected comma-separated numbers, got {text!r}")
    if any(v < 1 for v in values):
        parser.error(f"{flag}: expected numbers >= 1")
    return values


def results(bench: Bench, info: dict[str, Any], opts: Options) -> dict[str, Any]:
    return {
        "machine": info,
        "options": _opts(opts),
        "figures": {k: f.to_json() for k, f in bench.figures.items()},
        "targets": [t.to_json() for t in targets(bench.figures, bench.facts)],
        "other_ratios": [{"name": n, "value": v, "how": h} for n, v, h in other_ratios(bench.figures, bench.facts)],
        "facts": bench.facts,
        "notes": bench.notes,
        "errors": bench.errors,
    }


def _opts(opts: Options) -> dict[str, Any]:
    """The options as the results record them (not where to keep files, nor the timeout)."""
    return {k: v for k, v in dataclasses.asdict(opts).items() if k not in ("keep", "timeout")}


def main(argv: list[str] | None = None) -> int:
    opts, out = parse_args(sys.argv[1:] if argv is None else argv)
    signal.signal(signal.SIGTERM, _terminate)
    info = machine()
    began = time.time()
    busy0, own0 = system_busy_seconds(), own_cpu_seconds()
    ws = Workspace(keep=opts.keep)
    bench = Bench(opts, ws)
    bench.log(f"temporary directory {ws.root}; nproc {info['nproc']}, load {info['load1_start']}")
    interrupted = False
    try:
        bench.run()
    except KeyboardInterrupt:
        interrupted = True
        bench.errors.append("interrupted")
        bench.log("interrupted: stopping emulators and removing the temporary directory")
    finally:
        ws.close()
    info["load1_end"] = load1()
    info["load1_max"] = max(bench.loads, default=None)
    info["wall_seconds"] = round(time.time() - began, 1)
    busy1 = system_busy_seconds()
    if busy0 is not None and busy1 is not None:
        others = max(0.0, (busy1 - busy0) - (own_cpu_seconds() - own0))
        info["other_cpu_seconds"] = round(others, 1)
        info["other_cpu_share"] = round(others / max(1e-9, info["wall_seconds"] * info["nproc"]), 3)
    info["busy"] = (info.get("other_cpu_share") or 0) > 0.1 or (info.get("load1_start") or 0) > 0.5 * info["nproc"]
    if opts.keep:
        bench.notes.append(f"kept the temporary directory {ws.root}")
    if info["busy"]:
        bench.notes.append(
            f"the machine was busy: processes outside the bench used {info.get('other_cpu_seconds')} CPU-s "
            f"({100 * (info.get('other_cpu_share') or 0):.0f}% of the {info['nproc']} CPUs over the run; load "
            f"{info.get('load1_start')} at start); absolute seconds are inflated and noisy"
        )
    data = results(bench, info, opts)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, indent=2, default=str) + "\n")
    print(render(bench.figures, bench.facts, info, bench.notes, bench.errors, _opts(opts)))
    print(f"\nresults: {out} (bench took {info['wall_seconds'] / 60:.1f} min)")
    if interrupted:
        return 130
    return 1 if bench.errors else 0


def _terminate(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
