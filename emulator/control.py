"""Start, inspect and stop the project's local AWS emulator (moto + :mod:`compat`).

The emulator runs detached (``python -m emulator.server``) so it outlives the CLI
call that started it; its pid, port and endpoint are recorded in ``<state_dir>/emulator.json``
and its output goes to ``<state_dir>/emulator.log``. The state dir defaults to ``.local/`` at
the repository root; the ``LOCAL_EMULATOR_DIR`` environment variable overrides it.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_STATE_DIR = Path(".local")  # relative paths are taken from REPO_ROOT
STATE_FILE = "emulator.json"
LOG_FILE = "emulator.log"
HOST = "127.0.0.1"

MOTO_ACCOUNT_ID = "123456789012"
LOCAL_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}


class EmulatorError(RuntimeError):
    """The emulator could not be started (the message ends with the log tail)."""


@dataclass(frozen=True)
class EmulatorStatus:
    running: bool
    endpoint: str | None  # "http://127.0.0.1:PORT"
    pid: int | None

    def to_json(self) -> dict[str, Any]:
        return {"running": self.running, "endpoint": self.endpoint, "pid": self.pid}


def _state_dir(state_dir: Path | None) -> Path:
    """An explicit state dir wins, then $LOCAL_EMULATOR_DIR, then REPO_ROOT/.local."""
    if state_dir is None or Path(state_dir) == DEFAULT_STATE_DIR:
        override = os.environ.get("LOCAL_EMULATOR_DIR")
        if override:
            return Path(override).resolve()
        state_dir = DEFAULT_STATE_DIR
    return (REPO_ROOT / state_dir).resolve()  # an absolute state_dir stays as it is


def _read_state(directory: Path) -> dict[str, Any] | None:
    try:
        state = json.loads((directory / STATE_FILE).read_text())
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) else None


def _is_emulator(pid: int) -> bool:
    """Guard against a recycled pid: the process must be ``-m emulator.server``."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        try:  # no procfs (macOS)
            cmdline = subprocess.run(
                ["ps", "-p", str(pid), "-o", "command="],
                capture_output=True,
                text=True,
                check=False,
            ).stdout
        except OSError:
            return True
    return "emulator.server" in cmdline


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie child (we started it and have not reaped it) is not alive
        waited, _ = os.waitpid(pid, os.WNOHANG)
        return waited == 0
    except ChildProcessError:  # not our child: cannot reap, kill(0) said it exists
        return True


def _answers(endpoint: str, timeout: float = 2.0) -> bool:
    """True if moto's own API answers at the endpoint."""
    try:
        with urllib.request.urlopen(f"{endpoint}/moto-api/config", timeout=timeout) as resp:
            return 200 <= int(resp.status) < 300
    except (urllib.error.URLError, OSError, ValueError):
        return False


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def log_tail(log: Path, lines: int = 30) -> str:
    """The last lines of an emulator's log (``<state_dir>/emulator.log``)."""
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _exit_reason(log: Path) -> str:
    """What a server that refused to start said: its `error:` message whole (it may run longer than a
    tail, e.g. the list of patches to re-check for another moto), else the log's last lines."""
    try:
        lines = log.read_text(errors="replace").splitlines()
    except OSError:
        return "(no log)"
    starts = [i for i, line in enumerate(lines) if line.startswith("error: ")]
    return "\n".join(lines[starts[-1] :]) if starts else log_tail(log)


def status(state_dir: Path = DEFAULT_STATE_DIR) -> EmulatorStatus:
    """The recorded emulator; running only if its process exists and its endpoint answers."""
    state = _read_state(_state_dir(state_dir))
    if not state:
        return EmulatorStatus(running=False, endpoint=None, pid=None)
    pid, endpoint = state.get("pid"), state.get("endpoint")
    running = (
        isinstance(pid, int)
        and _pid_alive(pid)
        and _is_emulator(pid)
        and isinstance(endpoint, str)
        and _answers(endpoint)
    )
    return EmulatorStatus(running=running, endpoint=endpoint, pid=pid)


def start(
    state_dir: Path = DEFAULT_STATE_DIR,
    port: int | None = None,
    timeout: float = 30,
    account_id: str = MOTO_ACCOUNT_ID,
    root: Path = REPO_ROOT,
) -> EmulatorStatus:
    """Start the emulator, or return the running one (idempotent). `root` is the checkout whose
    ``emulator.server`` runs (the bench runs its snapshot's)."""
    directory = _state_dir(state_dir)
    current = status(directory)
    if current.running:
        return current
    if current.pid is not None:  # recorded but not answering: clear it before starting anew
        stop(directory)

    directory.mkdir(parents=True, exist_ok=True)
    port = port or _free_port()
    endpoint = f"http://{HOST}:{port}"
    log = directory / LOG_FILE
    env = {
        **os.environ,
        "MOTO_ACCOUNT_ID": account_id,  # ARNs then name the configured account, as on AWS
        "ENGINE_WORK_DIR": os.environ.get("ENGINE_WORK_DIR") or str(directory / "engine"),  # builds, hooks, tasks
        "PYTHONPATH": os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")])),
    }
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "emulator.server",
                "--port",
                str(port),
                "--host",
                HOST,
            ],
            cwd=root,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    (directory / STATE_FILE).write_text(
        json.dumps({"pid": process.pid, "port": port, "endpoint": endpoint}, indent=2) + "\n"
    )

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            (directory / STATE_FILE).unlink(missing_ok=True)
            raise EmulatorError(f"emulator exited with code {process.returncode}; {log}:\n{_exit_reason(log)}")
        if _answers(endpoint, timeout=1.0):
            return EmulatorStatus(running=True, endpoint=endpoint, pid=process.pid)
        time.sleep(0.2)
    stop(directory)
    raise EmulatorError(f"emulator did not answer at {endpoint} within {timeout}s; {log}:\n{log_tail(log)}")


def stop(state_dir: Path = DEFAULT_STATE_DIR, grace: float = 5.0) -> bool:
    """Stop the recorded emulator (SIGTERM, then SIGKILL after ``grace`` s); True if one was running."""
    directory = _state_dir(state_dir)
    state = _read_state(directory)
    (directory / STATE_FILE).unlink(missing_ok=True)
    pid = state.get("pid") if state else None
    if not isinstance(pid, int) or not _pid_alive(pid) or not _is_emulator(pid):
        return False
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    deadline = time.monotonic() + grace
    while _pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if _pid_alive(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + grace
        while _pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
    _end_group(pid)
    return True


def _end_group(pgid: int) -> None:
    """What the emulator started (the release engine's tasks and builds) is in its process group, which it
    leads (`start_new_session`): nothing of it may outlive the emulator."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)
