"""`python -m cost ...`: the cost command on its own, with the CLI's common options."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cost import cli


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m cost", description=cli.__doc__)
    parser.add_argument(
        "--environments", type=Path, default=cli.ROOT / "environments", help="directory of <environment>.yaml files"
    )
    parser.add_argument("--verbose", "-v", action="store_true", help="show the synthesis' traceback when it fails")
    cli.add_arguments(parser)
    return cli.run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
