"""Serve moto, patched by :mod:`emulator.compat`, as the project's local AWS.

Usage::

    python -m emulator.server --port 4566 [--host 127.0.0.1]

Run it through :func:`emulator.control.start`, which picks a port, detaches the
process and records it; running it by hand is useful when debugging a patch.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from types import FrameType

# Must be set before moto is imported: moto reads its settings at import time, and
# iam_role_policy_attachment of an AWS-managed policy ARN needs the managed policies loaded.
os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"


def _exit(signum: int, frame: FrameType | None) -> None:
    sys.exit(0)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args(argv)
    os.environ.setdefault("MOTO_PORT", str(args.port))  # moto uses it for self-referencing URLs

    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import run_simple

    from emulator import compat
    from emulator.retries import log_retries

    try:
        compat.apply()
    except compat.PatchError as exc:  # a moto the patches were not written for; emulator.start shows the log's tail
        sys.exit(f"error: {exc}")
    from emulator import engine

    engine.install(f"http://{args.host}:{args.port}", os.environ.get("MOTO_ACCOUNT_ID") or "123456789012")
    from emulator.engine.faults import inject_faults

    app = inject_faults(log_retries(DomainDispatcherApplication(create_backend_app)))

    signal.signal(signal.SIGTERM, _exit)
    signal.signal(signal.SIGINT, _exit)
    print(f"local AWS emulator (moto) listening on http://{args.host}:{args.port}", flush=True)
    run_simple(
        args.host,
        args.port,
        app,
        threaded=True,
        request_handler=MotoRequestHandler,
    )


if __name__ == "__main__":
    main()
