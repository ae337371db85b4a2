"""The processes a test started, found through /proc: killed by whole process group, and checked gone.

Killing one pid is not enough: Terraform runs its provider plugin as a child in its own process
group, and a SIGKILLed `terraform apply` leaves that plugin running, orphaned, for as long as the
machine stays up. Every process the integration session starts inherits its private
LOCAL_EMULATOR_DIR, which is how `started_with` finds them, orphans included.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

PROC = Path("/proc")


def _stat(pid: int) -> tuple[str, int] | None:
    """(state, process group) of a live process, None once it is gone or a zombie (it runs nothing)."""
    try:
        fields = (PROC / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return None if fields[0] in ("Z", "X") else (fields[0], int(fields[2]))


def _pids() -> list[int]:
    return [int(p.name) for p in PROC.iterdir() if p.name.isdigit()]


def describe(pid: int) -> str:
    with contextlib.suppress(OSError):
        return f"{pid} " + (PROC / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    return str(pid)


def in_group(pgid: int) -> list[int]:
    """Live processes of process group `pgid`."""
    return [pid for pid in _pids() if (stat := _stat(pid)) is not None and stat[1] == pgid]


def started_with(name: str, value: str) -> list[int]:
    """Live processes (not this one) whose environment has `name=value`."""
    wanted = f"{name}={value}".encode()
    found = []
    for pid in _pids():
        if pid == os.getpid() or _stat(pid) is None:
            continue
        try:
            environ = (PROC / str(pid) / "environ").read_bytes().split(b"\0")
        except OSError:  # gone meanwhile, or not ours to read
            continue
        if wanted in environ:
            found.append(pid)
    return found


def wait_until(done: Callable[[], list[int]], timeout: float, interval: float = 0.2) -> list[int]:
    """Poll `done` (the processes still there) until it lists none or `timeout` passes; what is left."""
    deadline = time.monotonic() + timeout
    left = done()
    while left and time.monotonic() < deadline:
        time.sleep(interval)
        left = done()
    return left


def kill_group(pgid: int, timeout: float = 30) -> list[int]:
    """SIGKILL process group `pgid`; what is still alive after `timeout` (nothing, normally)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)
    return wait_until(lambda: in_group(pgid), timeout)


def group_of(pid: int) -> int | None:
    stat = _stat(pid)
    return None if stat is None else stat[1]
