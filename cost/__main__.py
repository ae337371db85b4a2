"""`python -m cost ...`: the cost command on its own, with the CLI's common options."""

from __future__ import annotations

import argparse
import sys

from config import ConfigError, arguments, load_project
from cost import cli


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m cost", description=cli.__doc__)
    parser.add_argument(
        "--environments",
        type=arguments.existing_directory,
        metavar="DIR",
        default=cli.ROOT / "environments",
        help="directory of <environment>.yaml files",
    )
    parser.add_argument("--verbose", "-v", action="store_true", help="show the synthesis' traceback when it fails")
    cli.add_arguments(parser)
    args = parser.parse_args(argv)
    try:  # the stacks named, against the configuration, before anything is synthesized
        problem = arguments.unknown_names(parser, args, load_project(cli.ROOT, args.environments))
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return arguments.usage_error(parser, args, problem) if problem else cli.run(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
