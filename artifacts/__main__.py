"""CLI: `python -m artifacts --commit SHA [--environment NAME ...] [--release-parameters FILE] [--out DIR] [--root DIR]`.

Writes the release artifacts and prints a one-line JSON summary on stdout for the
pipeline. Mistakes (bad commit, unknown environment, invalid config) are reported as one
message on stderr with exit code 2, never as a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from artifacts.parameters import from_ssm_output
from artifacts.render import (
    IMAGE_DETAIL,
    InvalidCommit,
    UnknownEnvironment,
    render,
    select_environments,
    validate_commit,
    write,
)
from config.loader import ConfigError, load_project

COMMIT_ENV = "CODEBUILD_RESOLVED_SOURCE_VERSION"
DEFAULT_OUT = Path("build/release")


def parse_args(argv: list[str] | None) -> tuple[argparse.ArgumentParser, argparse.Namespace]:
    parser = argparse.ArgumentParser(
        prog="python -m artifacts", description="Render the release artifacts of a commit."
    )
    parser.add_argument("--commit", help=f"git commit SHA, also the image tag (default: ${COMMIT_ENV})")
    parser.add_argument(
        "--environment",
        action="append",
        dest="environments",
        metavar="NAME",
        help="render only this environment (repeatable; default: all)",
    )
    parser.add_argument(
        "--release-parameters",
        type=Path,
        metavar="FILE",
        help="output of `aws ssm get-parameters-by-path --path /<project>/ --recursive --output json`: the "
        "environments' release parameters (required by the pipeline for blue_green environments)",
    )
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, metavar="DIR", help=f"output directory (default: {DEFAULT_OUT})"
    )
    parser.add_argument(
        "--root",
        type=Path,
        default=Path("."),
        metavar="DIR",
        help="project root holding project.yaml and environments/ (default: .)",
    )
    return parser, parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    parser, args = parse_args(argv)
    commit = args.commit or os.environ.get(COMMIT_ENV)
    if not commit:
        parser.error(f"--commit: required (or set {COMMIT_ENV})")
    try:
        validate_commit(commit)
    except InvalidCommit as exc:
        parser.error(f"--commit: {exc}")
    try:
        project = load_project(args.root)
    except ConfigError as exc:
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 2
    try:
        environments = select_environments(project, args.environments)
    except UnknownEnvironment as exc:
        parser.error(f"--environment: {exc}")
    try:
        parameters = (
            from_ssm_output(project, json.loads(args.release_parameters.read_text()))
            if args.release_parameters
            else None
        )
    except (OSError, ValueError, KeyError) as exc:
        print(f"{parser.prog}: error: --release-parameters {args.release_parameters}: {exc}", file=sys.stderr)
        return 2
    files = render(project, commit, [env.name for env in environments], parameters=parameters)
    try:
        write(files, args.out)
    except OSError as exc:
        print(f"{parser.prog}: error: cannot write to {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    summary = {
        "commit": commit,
        "imageUri": json.loads(files[IMAGE_DETAIL])["ImageURI"],
        "outDir": str(args.out),
        "environments": {env.name: env.strategy for env in environments},
        "files": sorted(files),
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
