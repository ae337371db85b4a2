"""The project's CLI: `python main.py <command>`; no command synthesizes (as cdktf expects).

Exit codes: 0 success (or no changes with --detailed-exitcode), 1 error, 2 changes found
(plan --detailed-exitcode, drift), 2 also for invalid configuration or arguments (nothing is run),
130 interrupted.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import traceback
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError

import cost.cli
from config import ConfigError, arguments, load_project
from orchestrator import commands
from orchestrator.release import cli as release_cli
from orchestrator.session import LOG_ROOT
from orchestrator.targets import LocalTarget, TargetError, default_target_name
from orchestrator.terraform import process
from orchestrator.terraform.runner import TerraformError
from synthesis.refs import RefError, resolve
from synthesis.synth import SynthError

ROOT = Path(__file__).resolve().parent.parent
TARGETS = ("local", "aws")
TARGET_HELP = "local: the embedded AWS emulator (the default, unless DEPLOY_TARGET says aws); aws: real AWS"


def git_ref(value: str) -> arguments.GitRef:
    """A git ref of this checkout, resolved while the arguments are parsed (before any synthesis)."""
    return arguments.git_ref(lambda ref: resolve(ref, ROOT), RefError)(value)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python main.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--environments",
        type=arguments.existing_directory,
        metavar="DIR",
        default=ROOT / "environments",
        help="directory of <environment>.yaml files",
    )
    common.add_argument(
        "--verbose", "-v", action="store_true", help="stream Terraform's output (always kept in the run's log files)"
    )

    on_target = argparse.ArgumentParser(add_help=False, parents=[common])
    on_target.add_argument("--target", choices=TARGETS, help=TARGET_HELP)
    on_target.add_argument(
        "--lock-timeout",
        type=arguments.duration,
        metavar="DURATION",
        default="0s",
        help="how long to wait for a state lock, in Terraform's syntax: 30s, 5m, 1h30m (default 0s: fail fast)",
    )
    on_target.add_argument(
        "--parallelism", type=arguments.count, metavar="N", default=4, help="stacks run at once (default 4)"
    )
    on_target.add_argument("--json", action="store_true", help="print the result as JSON on stdout")
    tf = argparse.ArgumentParser(add_help=False, parents=[on_target])
    tf.add_argument(
        "stacks",
        nargs="*",
        type=arguments.stack,
        metavar="STACK",
        help="stacks to act on (default: every stack the target can deploy)",
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
        "--report",
        type=arguments.output_file,
        metavar="FILE",
        help="write the GitLab terraform report {create, update, delete} to this file",
    )
    p.add_argument(
        "--plan-dir",
        type=arguments.output_directory,
        metavar="DIR",
        help="copy each stack's plan file and its text rendering here",
    )
    p.add_argument(
        "--changed-since",
        type=git_ref,
        metavar="REF",
        help="plan only the stacks whose synthesized JSON differs from git REF's synthesis (e.g. the MR's base)",
    )
    p.add_argument(
        "--summary",
        type=arguments.output_file,
        metavar="FILE",
        help="write the Markdown plan summary (risks first) here",
    )
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
    p.add_argument("stack", type=arguments.stack, metavar="STACK", help="the stack whose state lock to release")
    p.add_argument("--force", action="store_true", help="release it without asking")
    p.set_defaults(func=commands.unlock, stacks=[])

    p = sub.add_parser("output", parents=[tf], help="print the stacks' outputs")
    p.set_defaults(func=commands.output)

    p = sub.add_parser("drift", parents=[tf], help="detect changes made outside Terraform (exit 2 when found)")
    p.add_argument(
        "--report",
        type=arguments.output_file,
        metavar="FILE",
        help="write the JSON drift report (resources, attributes, code changes) here",
    )
    p.add_argument(
        "--gitlab-report",
        type=arguments.output_file,
        metavar="FILE",
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
    p.add_argument(
        "--out", type=arguments.output_directory, metavar="DIR", help="write into this directory instead of printing"
    )
    p.set_defaults(func=commands.schema)
    return parser


def main(argv: list[str]) -> int:
    """Usage errors (exit 2) are found before anything runs: argparse's, then what needs the
    environment and the configuration (`usage_problem`). An error the user can act on is one
    `error:` line; anything else is a bug, said in one line with where its traceback went."""
    args = argparse.Namespace()
    try:
        parser = build_parser()
        args = parser.parse_args(argv or ["synth"])
        if args.command is None:
            parser.print_help()
            return 1
        problem = usage_problem(parser, args)
        if problem:
            return arguments.usage_error(parser, args, problem)
        process.forward_interrupts()
        return int(args.func(args))  # the command's exit code
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except SynthError as exc:
        print(f"{exc.output}\n" if getattr(args, "verbose", False) else "", end="", file=sys.stderr)
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except TerraformError as exc:
        print(f"interrupted: {exc}" if exc.interrupted else f"error: {exc}", file=sys.stderr)
        return 130 if exc.interrupted else 1
    except (TargetError, BotoCoreError, ClientError, OSError) as exc:  # the target's, AWS's, the machine's
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - whatever else is a bug: one line, the traceback in a file
        return report_bug(exc)


def usage_problem(parser: argparse.ArgumentParser, args: argparse.Namespace) -> str | None:
    """What argparse cannot see: the target from DEPLOY_TARGET (and its credentials' mode), and the
    stacks and environments named, against the configuration. Raises ConfigError for an invalid one."""
    if hasattr(args, "target"):
        if args.target is None:
            args.target = default_target_name()
            if args.target not in TARGETS:
                return f"DEPLOY_TARGET={args.target!r}: expected {' or '.join(TARGETS)} (or pass --target)"
        if args.target == "local":
            try:
                LocalTarget.credentials()
            except TargetError as exc:  # LOCAL_TARGET_CREDENTIALS: checked before the emulator starts
                return str(exc)
    if not hasattr(args, "environments"):
        return None
    project = load_project(ROOT, args.environments)
    if getattr(args, "orphaned", False):  # destroy --orphaned: STACK names states no stack synthesizes any more
        return None
    return arguments.unknown_names(parser, args, project)


def report_bug(exc: Exception) -> int:
    """One line for the user; the traceback into .local/logs (or the temp folder when that cannot be written)."""
    name = f"{time.strftime('%Y%m%d-%H%M%S')}-bug-{os.getpid()}.log"
    where = "nowhere (no folder could be written)"
    for folder in (LOG_ROOT, Path(tempfile.gettempdir())):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            (folder / name).write_text(traceback.format_exc())
        except OSError:
            continue
        where = str(folder / name)
        break
    what = " ".join(f"{type(exc).__name__}: {exc}".split())[:200]
    print(f"error: a bug in this program, not in what you asked ({what}); its traceback is in {where}", file=sys.stderr)
    return 1
