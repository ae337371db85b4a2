"""The project's CLI: `python main.py <command>`; no command synthesizes (as cdktf expects).

Exit codes: 0 success (or no changes with --detailed-exitcode), 1 error, 2 changes found
(plan --detailed-exitcode, drift), 2 also for invalid configuration (nothing is run),
130 interrupted.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cost.cli
from config import ConfigError
from orchestrator import commands
from orchestrator.release import cli as release_cli
from orchestrator.targets import TargetError, default_target_name
from orchestrator.terraform import process
from synthesis.synth import SynthError

ROOT = Path(__file__).resolve().parent.parent


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python main.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--environments", type=Path, default=ROOT / "environments", help="directory of <environment>.yaml files"
    )
    common.add_argument(
        "--verbose", "-v", action="store_true", help="stream Terraform's output (always kept in the run's log files)"
    )

    on_target = argparse.ArgumentParser(add_help=False, parents=[common])
    on_target.add_argument(
        "--target",
        choices=["local", "aws"],
        default=default_target_name(),
        help="local: the embedded AWS emulator (default; env DEPLOY_TARGET); aws: real AWS",
    )
    on_target.add_argument(
        "--lock-timeout", default="0s", help="how long to wait for a state lock (default 0s: fail fast)"
    )
    on_target.add_argument("--parallelism", type=int, default=4, help="stacks run at once (default 4)")
    on_target.add_argument("--json", action="store_true", help="print the result as JSON on stdout")
    tf = argparse.ArgumentParser(add_help=False, parents=[on_target])
    tf.add_argument(
        "stacks", nargs="*", metavar="STACK", help="stacks to act on (default: every stack the target can deploy)"
    )

    p = sub.add_parser("synth", parents=[common], help="synthesize every stack into cdktf.out (cached by input hash)")
    p.add_argument("--force", action="store_true", help="ignore the cache")
    p.add_argument("--json", action="store_true", help="print whether the cache was used, the time and the stacks")
    p.set_defaults(func=commands.synth)

    p = sub.add_parser("plan", parents=[tf], help="init and plan; a summary per stack")
    p.add_argument(
        "--detailed-exitcode", action="store_true", help="exit 0 when no stack has changes, 2 when any has, 1 on error"
    )
    p.add_argument(
        "--report", type=Path, help="write the GitLab terraform report {create, update, delete} to this file"
    )
    p.add_argument("--plan-dir", type=Path, help="copy each stack's plan file and its text rendering here")
    p.add_argument(
        "--changed-since",
        metavar="REF",
        help="plan only the stacks whose synthesized JSON differs from git REF's synthesis (e.g. the MR's base)",
    )
    p.add_argument("--summary", type=Path, metavar="FILE", help="write the Markdown plan summary (risks first) here")
    p.set_defaults(func=commands.plan)

    p = sub.add_parser(
        "deploy",
        parents=[tf],
        help="bootstrap the state, plan, then apply in dependency order (--auto-approve: each stack as soon as its plan is ready)",
    )
    p.add_argument("--auto-approve", action="store_true", help="apply without asking (pipelines)")
    p.add_argument(
        "--allow-risk",
        action="store_true",
        help="apply disruptive, destructive or broadening changes to a protected environment (they are listed)",
    )
    p.add_argument(
        "--adopt",
        action="store_true",
        help="import what exists in the cloud but not in the state before planning (after a lost apply; "
        "`unlock` asks for it by itself)",
    )
    p.add_argument(
        "--no-release",
        action="store_true",
        help="do not add the release stack to the environments named (CI: deploy:staging alone owns it)",
    )
    p.set_defaults(func=commands.deploy)

    p = sub.add_parser("destroy", parents=[tf], help="destroy stacks, dependants first")
    p.add_argument("--auto-approve", action="store_true", help="destroy without asking")
    p.add_argument(
        "--orphaned",
        action="store_true",
        help="destroy STACK from its state alone: a state no stack synthesizes any more (`plan` names them)",
    )
    p.set_defaults(func=commands.destroy)

    p = sub.add_parser("unlock", parents=[on_target], help="release a stale state lock (asks first); marks recovery")
    p.add_argument("stack", metavar="STACK", help="the stack whose state lock to release")
    p.add_argument("--force", action="store_true", help="release it without asking")
    p.set_defaults(func=commands.unlock, stacks=[])

    p = sub.add_parser("output", parents=[tf], help="print the stacks' outputs")
    p.set_defaults(func=commands.output)

    p = sub.add_parser("drift", parents=[tf], help="detect changes made outside Terraform (exit 2 when found)")
    p.add_argument("--report", type=Path, help="write the JSON drift report (resources, attributes, code changes) here")
    p.add_argument(
        "--gitlab-report",
        type=Path,
        help="write the GitLab terraform report of the repairs {create, update, delete} here",
    )
    p.set_defaults(func=commands.drift)

    p = sub.add_parser("local", help="the local AWS emulator's lifecycle")
    p.add_argument("action", choices=["start", "stop", "status"])
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=commands.local)

    p = sub.add_parser(
        "cost", parents=[common], help="monthly AWS estimate per stack and resource, offline; --against REF: the change"
    )
    cost.cli.add_arguments(p)
    p.set_defaults(func=cost.cli.run)

    release_cli.add_parser(sub)  # python main.py release status|start|approve|reject|rollback|wait|verify

    p = sub.add_parser("schema", help="print the JSON Schema of environments/*.yaml and project.yaml")
    p.add_argument("--out", type=Path, help="write into this directory instead of printing")
    p.set_defaults(func=commands.schema)
    return parser


def main(argv: list[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv or ["synth"])
    if args.command is None:
        parser.print_help()
        return 1
    process.forward_interrupts()
    try:
        return args.func(args)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except SynthError as exc:
        print(f"{exc.output}\n" if getattr(args, "verbose", False) else "", end="", file=sys.stderr)
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except TargetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
