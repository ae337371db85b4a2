#!/usr/bin/env python3
"""Entry point. No arguments synthesizes every stack (what cdktf.json's app runs);
a command drives Terraform: `python main.py --help`."""

import sys

if __name__ == "__main__":
    try:
        from orchestrator.cli import main
    except ModuleNotFoundError as exc:  # run by a Python without the project's packages: say which one to use
        print(f"error: {exc} ({sys.executable}); run `make setup`, then `.venv/bin/python main.py`", file=sys.stderr)
        sys.exit(1)
    sys.exit(main(sys.argv[1:]))
