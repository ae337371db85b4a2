"""The sample service, run for real in a subprocess, and its Dockerfile.

Stdlib and pytest only: buildspecs/test.yml runs this before the image is built.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[2] / "app"
STARTUP_SECONDS = 10
STOP_SECONDS = 5  # far inside the task's 30 s stopTimeout


@dataclass
class Service:
    process: subprocess.Popen[str]
    port: int

    def get(self, path: str) -> tuple[int, dict]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=5) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())

    def stop(self) -> tuple[int, str]:
        """SIGTERM, as ECS sends it; returns the exit code and everything logged."""
        self.process.send_signal(signal.SIGTERM)
        output, _ = self.process.communicate(timeout=STOP_SECONDS)
        return self.process.returncode, output


def open_sockets(pid: int) -> int:
    """Sockets `pid` holds open: its listener plus one per connection it has accepted."""
    fds = Path(f"/proc/{pid}/fd")
    return sum(1 for fd in fds.iterdir() if os.readlink(fd).startswith("socket:")) if fds.exists() else 0


def wait_until_accepted(service: Service, held_before: int) -> None:
    """Until the server has accepted one more connection than it held before (bounded, never a fixed sleep)."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while open_sockets(service.process.pid) <= held_before:
        if time.monotonic() > deadline:
            pytest.fail(f"the server did not accept the connection within {STARTUP_SECONDS}s")
        time.sleep(0.01)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(**env: str) -> Service:
    port = free_port()
    environ = {k: v for k, v in os.environ.items() if k not in ("APP_COMMIT", "APP_ENV", "HEALTH_PATH", "LOG_LEVEL")}
    environ.update(PORT=str(port), HOST="127.0.0.1", **env)
    process = subprocess.Popen(
        [sys.executable, str(APP / "server.py")],
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited with {process.returncode}: {process.stdout.read()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return Service(process, port)
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise AssertionError(f"server did not listen on {port} within {STARTUP_SECONDS}s")


@pytest.fixture(scope="module")
def service() -> Iterator[Service]:
    running = start(APP_COMMIT="0123abc", APP_ENV="staging")
    yield running
    if running.process.poll() is None:
        running.process.kill()
        running.process.wait()


def test_health_is_ok(service: Service) -> None:
    assert service.get("/health") == (200, {"status": "ok"})


def test_version_reports_commit_and_environment(service: Service) -> None:
    assert service.get("/version") == (200, {"commit": "0123abc", "environment": "staging"})


def test_root_says_hello(service: Service) -> None:
    status, body = service.get("/")
    assert status == 200 and body["message"] == "hello"


def test_unknown_path_is_404(service: Service) -> None:
    assert service.get("/nope") == (404, {"error": "not found"})


def test_health_path_and_defaults_come_from_the_environment() -> None:
    service = start(HEALTH_PATH="/ready")
    try:
        assert service.get("/ready") == (200, {"status": "ok"})
        assert service.get("/health")[0] == 404
        assert service.get("/version") == (200, {"commit": "unknown", "environment": "unknown"})
    finally:
        service.stop()


def test_sigterm_stops_accepting_finishes_in_flight_request_and_exits_zero() -> None:
    service = start()
    held = open_sockets(service.process.pid)
    in_flight = socket.create_connection(("127.0.0.1", service.port), timeout=5)
    try:
        in_flight.sendall(b"GET /health HTTP/1.1\r\nHost: test\r\n")  # headers not finished yet
        wait_until_accepted(service, held)
        service.process.send_signal(signal.SIGTERM)

        deadline = time.monotonic() + STOP_SECONDS
        while time.monotonic() < deadline:  # the listener closes while the request is pending
            try:
                socket.create_connection(("127.0.0.1", service.port), timeout=0.2).close()
                time.sleep(0.05)
            except (ConnectionRefusedError, ConnectionResetError):  # reset: it closed during the handshake
                break
        else:
            pytest.fail("server still accepts connections after SIGTERM")
        assert service.process.poll() is None, "server exited before finishing the in-flight request"

        in_flight.sendall(b"\r\n")
        response = in_flight.makefile("rb").read()
    finally:
        in_flight.close()
    assert response.startswith(b"HTTP/1.0 200 "), response
    assert response.endswith(b'{"status": "ok"}')

    output, _ = service.process.communicate(timeout=STOP_SECONDS)
    assert service.process.returncode == 0, output
    assert "Traceback" not in output
    messages = [json.loads(line)["msg"] for line in output.splitlines()]
    assert messages[-2:] == ["stopping", "stopped"], output


# --- Dockerfile --------------------------------------------------------------------------


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", (APP / "Dockerfile").read_text())
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "") for line in lines]


def arguments(instruction: str) -> list[str]:
    return [args for name, args in instructions() if name == instruction]


def test_dockerfile_base_image_is_pinned_to_a_tag() -> None:
    (base,) = arguments("FROM")
    image = base.split()[0]
    assert ":" in image.rsplit("/", 1)[-1] or "@sha256:" in image, f"untagged base image {image}"
    assert not image.endswith(":latest"), image


def test_dockerfile_runs_as_non_root_user() -> None:
    users = arguments("USER")
    assert users, "no USER: the container would run as root"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0"), users[-1]


def test_dockerfile_health_check_gets_the_health_path_with_python() -> None:
    (check,) = arguments("HEALTHCHECK")
    assert "python" in check and "HEALTH_PATH" in check and "/health" in check, check


def test_dockerfile_exposes_the_port_and_bakes_in_the_commit() -> None:
    assert arguments("EXPOSE") == ["8080"]
    assert any(arg.startswith("APP_COMMIT") for arg in arguments("ARG"))
    assert any("APP_COMMIT=${APP_COMMIT}" in env for env in arguments("ENV"))
