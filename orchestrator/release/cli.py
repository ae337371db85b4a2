"""The `release` command and its subcommands (registered by orchestrator/cli.py)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from botocore.exceptions import BotoCoreError, ClientError

from artifacts.render import InvalidCommit, validate_commit
from config import arguments
from orchestrator.release import actions, status, verify, wait
from orchestrator.release.common import ROOT, ReleaseError, error_code

DESCRIPTION = """Operate a release: where it is, approve or reject it, roll it back, wait for it, verify it.

  status [ENV ...]              the latest pipeline execution and what each environment runs now
  start [--commit SHA]          start a pipeline execution (default: the branch's latest commit)
  approve ENV / reject ENV      answer ENV's pending manual approval
  rollback ENV                  blue_green: stop the deployment with rollback, or redeploy the previous
                                revision; rolling: back to the previous task definition, and wait
  wait ENV [--timeout S]        until ENV's release finishes: exit 0 succeeded, 1 failed or rolled back,
                                124 still running at the timeout
  verify ENV [--commit SHA]     what would make a release fail on AWS (image in ECR, roles, log group,
                                target groups and listeners); exit 1 naming each failure

They use the AWS APIs only (no synth, no Terraform), the same way on --target local and aws."""

COMMIT = arguments.checked(validate_commit, InvalidCommit)
"""A git commit SHA, the image tag a release builds (it need not be in this checkout)."""


def add_parser(sub: argparse._SubParsersAction) -> None:
    """`python main.py release <subcommand>`."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--environments",
        type=arguments.existing_directory,
        metavar="DIR",
        default=ROOT / "environments",
        help="directory of <environment>.yaml files",
    )
    common.add_argument(  # the default, from DEPLOY_TARGET, is checked by orchestrator.cli.usage_problem
        "--target",
        choices=["local", "aws"],
        help="local: the embedded AWS emulator (the default, unless DEPLOY_TARGET says aws); aws: real AWS",
    )
    common.add_argument("--json", action="store_true", help="print the result as JSON on stdout")

    release = sub.add_parser(
        "release",
        help="release operations: status, start, approve, reject, rollback, wait, verify",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    steps = release.add_subparsers(dest="release_command", metavar="SUBCOMMAND", required=True)

    p = steps.add_parser(
        "status", parents=[common], help="the latest pipeline execution and each environment's release"
    )
    p.add_argument(
        "environments_wanted",
        nargs="*",
        type=arguments.environment,
        metavar="ENV",
        help="environments to report (default: every one)",
    )
    p.set_defaults(func=_guarded(status.run))

    p = steps.add_parser("start", parents=[common], help="start a pipeline execution")
    p.add_argument(
        "--commit", type=COMMIT, metavar="SHA", help="the commit to release (default: the latest commit of the branch)"
    )
    p.set_defaults(func=_guarded(actions.start))

    p = steps.add_parser("approve", parents=[common], help="approve ENV's pending manual approval")
    p.add_argument("environment", type=arguments.environment, metavar="ENV")
    p.add_argument(
        "--summary",
        type=arguments.text,
        metavar="TEXT",
        help="what the approval says (default: who approved, from where)",
    )
    p.set_defaults(func=_guarded(actions.approve))

    p = steps.add_parser("reject", parents=[common], help="reject ENV's pending manual approval")
    p.add_argument("environment", type=arguments.environment, metavar="ENV")
    p.add_argument(
        "--reason", type=arguments.text, metavar="TEXT", required=True, help="why (recorded on the approval)"
    )
    p.set_defaults(func=_guarded(actions.reject))

    p = steps.add_parser(
        "rollback", parents=[common], help="roll ENV back (stop with rollback, or the previous revision)"
    )
    p.add_argument("environment", type=arguments.environment, metavar="ENV")
    p.add_argument(
        "--timeout",
        type=arguments.seconds,
        metavar="SECONDS",
        default=1800,
        help="rolling: seconds to wait for the rollback (1800)",
    )
    p.set_defaults(func=_guarded(actions.rollback))

    p = steps.add_parser("wait", parents=[common], help="block until ENV's release finishes (exit 0 only on success)")
    p.add_argument("environment", type=arguments.environment, metavar="ENV")
    p.add_argument(
        "--timeout",
        type=arguments.seconds,
        metavar="SECONDS",
        default=3600,
        help="seconds before giving up with exit 124 (3600)",
    )
    p.add_argument(
        "--interval", type=arguments.seconds, metavar="SECONDS", default=wait.POLL_SECONDS, help=argparse.SUPPRESS
    )
    p.set_defaults(func=_guarded(wait.run))

    p = steps.add_parser("verify", parents=[common], help="check what would make ENV's release fail on AWS")
    p.add_argument("environment", type=arguments.environment, metavar="ENV")
    p.add_argument(
        "--commit",
        type=COMMIT,
        metavar="SHA",
        help="the commit to be released (default: the pipeline's, else what runs now)",
    )
    p.set_defaults(func=_guarded(verify.run))


def _guarded(command: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Errors the user can act on print `error: ...` and an exit code, never a traceback."""

    def run(args: argparse.Namespace) -> int:
        try:
            return command(args)
        except ReleaseError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return exc.code
        except ClientError as exc:
            operation = getattr(exc, "operation_name", "an AWS call")
            message = exc.response.get("Error", {}).get("Message", str(exc))
            print(f"error: {operation} failed: {error_code(exc)}: {message}", file=sys.stderr)
            return 1
        except BotoCoreError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1

    run.__doc__ = command.__doc__
    return run
