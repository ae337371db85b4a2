"""Terraform child processes: each in its own session, tracked, and interrupted together.

Ctrl-C reaches only this process (the children are in their own sessions); the handler
`forward_interrupts` installs sets `interrupted` and forwards SIGINT once to every running
child, so Terraform stops gracefully, writes its state and releases its lock. After it, no
new Terraform process starts.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

_children: set[subprocess.Popen[str]] = set()
_children_lock = threading.Lock()
interrupted = threading.Event()
"""Set on the first Ctrl-C: no new Terraform process starts after it."""


def interrupt_all() -> int:
    """Forward SIGINT to every running Terraform; returns how many were signalled."""
    interrupted.set()
    with _children_lock:
        for proc in _children:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGINT)
        return len(_children)


@contextmanager
def child(argv: list[str], *, cwd: Path, env: dict[str, str], merge_stderr: bool) -> Iterator[subprocess.Popen[str]]:
    """Start `argv` in its own session with stdout piped (stderr merged into it, or piped apart),
    tracked for `interrupt_all` until the block ends; the caller reads and waits."""
    proc = subprocess.Popen(
        argv,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT if merge_stderr else subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    with _children_lock:
        _children.add(proc)
        if interrupted.is_set():  # Ctrl-C landed between the caller's check and the start
            os.killpg(proc.pid, signal.SIGINT)
    try:
        yield proc
    finally:
        with _children_lock:
            _children.discard(proc)


def was_interrupted(returncode: int) -> bool:
    """Whether a child that exited with `returncode` was stopped by Ctrl-C."""
    return returncode in (-signal.SIGINT, 130) or interrupted.is_set()


def forward_interrupts() -> None:
    """Install the SIGINT handler of a CLI run (see the module's docstring)."""
    signal.signal(signal.SIGINT, _on_interrupt)


def _on_interrupt(signum: int, frame: FrameType | None) -> None:
    """First Ctrl-C: let running Terraform finish gracefully (state written, lock released)
    and start nothing new. A later one is forwarded too, which makes Terraform stop hard."""
    first = not interrupted.is_set()
    n = interrupt_all()
    if first:
        print(
            f"\ninterrupt: asked {n} running terraform process(es) to stop gracefully; no new stack will start "
            "(Ctrl-C again to force)",
            file=sys.stderr,
            flush=True,
        )
    if n == 0:
        raise KeyboardInterrupt
