#!/usr/bin/env python3
"""Entry point. No arguments synthesizes every stack (what cdktf.json's app runs);
a command drives Terraform: `python main.py --help`."""

import sys

from orchestrator.cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
