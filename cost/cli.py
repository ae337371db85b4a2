"""`cost [STACK ...] [--json] [--markdown FILE] [--against REF]`: the command, for orchestrator/cli.py.

Exit codes: 0 estimated, 2 invalid configuration or a problem the user fixes (missing
price table; an unknown stack or ref is refused while parsing, before any synthesis), 1 the
synthesis failed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from config import ConfigError, arguments, load_project
from cost import render
from cost.diff import CostDiff, diff
from cost.estimate import estimate
from cost.model import CostError, Estimate
from cost.resources import load_stacks
from synthesis.refs import RefError, resolve, synthesize_ref
from synthesis.synth import SynthError, synthesize

ROOT = Path(__file__).resolve().parent.parent


def git_ref(value: str) -> arguments.GitRef:
    """A git ref of ROOT's repository, resolved while the arguments are parsed."""
    return arguments.git_ref(lambda ref: resolve(ref, ROOT), RefError)(value)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "stacks", nargs="*", type=arguments.stack, metavar="STACK", help="stacks to estimate (default: every stack)"
    )
    parser.add_argument("--json", action="store_true", help="print the estimate (and the change) as JSON on stdout")
    parser.add_argument(
        "--markdown",
        type=arguments.output_file,
        metavar="FILE",
        help="also write a Markdown section for the merge request: the estimate, or with --against the change",
    )
    parser.add_argument(
        "--against",
        type=git_ref,
        metavar="REF",
        help="also estimate git REF with its own code and YAML, and show the change per stack (e.g. origin/main)",
    )


def run(args: argparse.Namespace) -> int:
    environments = getattr(args, "environments", None) or ROOT / "environments"
    change: CostDiff | None = None
    against = ""
    try:
        current = _estimate_checkout(environments, args.stacks)
        if args.against:
            against = f"{args.against.name} ({args.against.commit[:12]})"
            change = diff(_estimate_ref(args.against.commit, environments, args.stacks), current)
    except (ConfigError, CostError, RefError) as exc:
        print(f"error: {against + ': ' if against else ''}{exc}", file=sys.stderr)
        return 2
    except SynthError as exc:
        print(f"{exc.output}\n" if getattr(args, "verbose", False) else "", end="", file=sys.stderr)
        print(f"error: {against + ': ' if against else ''}{exc}", file=sys.stderr)
        return 1
    output = render.as_json if args.json else render.text
    sys.stdout.write(output(current, change, against))
    if args.markdown:  # checked while parsing; the disk may still refuse it (full, read-only)
        try:
            args.markdown.parent.mkdir(parents=True, exist_ok=True)
            args.markdown.write_text(render.markdown(current, change, against))
        except OSError as exc:
            print(f"error: --markdown: {exc}", file=sys.stderr)
            return 1
    return 0


def _estimate_checkout(environments: Path, names: list[str]) -> Estimate:
    result = synthesize(ROOT, environments_dir=environments)
    stacks = load_stacks(result.outdir)
    unknown = [n for n in names if n not in stacks]
    if unknown:
        raise CostError(f"unknown stack {', '.join(unknown)}; expected one of {', '.join(stacks)}")
    selected = {n: s for n, s in stacks.items() if not names or n in names}
    return estimate(selected, load_project(ROOT, environments))


def _estimate_ref(ref: str, environments: Path, names: list[str]) -> Estimate:
    """The same stacks at `ref`; one the ref does not have is a new stack in the diff."""
    project, outdir = synthesize_ref(ref, ROOT, environments)
    stacks = load_stacks(outdir)
    return estimate({n: s for n, s in stacks.items() if not names or n in names}, project)
