"""The sample service, run for real in a subprocess, and its Dockerfile.

Stdlib and pytest only: buildspecs/test.yml runs this before the image is built.
"""

from __future__ import annotations

import http.client
import importlib.util
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[2] / "app"
STARTUP_SECONDS = 10
STOP_SECONDS = 10  # a bound on waits for the process, far inside the task's 30 s stopTimeout
RAISING_ROOT = (
    "import sys, server\n"
    "def boom():\n"
    "    raise RuntimeError('boom')\n"
    "server.ROUTES['/'] = boom\n"
    "sys.exit(server.main())\n"
)
"""The real app/server.py with one handler that raises: a release whose `/` is broken."""


@dataclass
class Service:
    process: subprocess.Popen[str]
    port: int
    lines: list[str] = field(default_factory=list)
    changed: threading.Condition = field(default_factory=threading.Condition)

    def read_log(self) -> None:
        """Collects stdout (one JSON record a line) so tests can wait on what the server says."""
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self.changed:
                self.lines.append(line)
                self.changed.notify_all()

    def messages(self) -> list[str]:
        with self.changed:
            return [json.loads(line)["msg"] for line in self.lines if line.startswith("{")]

    def lifecycle(self) -> list[str]:
        """What the server logged, requests left out."""
        return [m for m in self.messages() if m != "request"]

    def wait_for(self, msg: str, timeout: float = STOP_SECONDS) -> None:
        with self.changed:
            if not self.changed.wait_for(lambda: msg in self.messages(), timeout=timeout):
                raise AssertionError(f"the server never logged {msg!r} within {timeout}s: {self.lines}")

    def request(self, method: str, path: str) -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        try:
            connection.request(method, path)
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()

    def get(self, path: str) -> tuple[int, dict]:
        status, _, body = self.request("GET", path)
        return status, json.loads(body)

    def stop(self) -> tuple[int, str]:
        """SIGTERM, as ECS sends it, then a second one (no grace period); the exit code and everything logged."""
        self.process.send_signal(signal.SIGTERM)
        self.wait_for("draining")
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=STOP_SECONDS)
        return self.process.returncode, "".join(self.lines)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(*, code: str | None = None, **env: str) -> Service:
    """app/server.py in a subprocess (or `code` importing it, run from app/), once it listens."""
    port = free_port()
    skip = ("APP_COMMIT", "APP_ENV", "HEALTH_PATH", "LOG_LEVEL", "DRAIN_SECONDS", "REQUEST_TIMEOUT_SECONDS")
    environ = {k: v for k, v in os.environ.items() if k not in skip}
    environ.update(PORT=str(port), HOST="127.0.0.1", PYTHONPATH=str(APP), **env)
    command = [sys.executable, "-c", code] if code else [sys.executable, str(APP / "server.py")]
    process = subprocess.Popen(command, env=environ, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    service = Service(process, port)
    threading.Thread(target=service.read_log, daemon=True).start()
    try:
        service.wait_for("listening", timeout=STARTUP_SECONDS)
    except AssertionError:
        process.kill()
        raise
    return service


def refused(port: int) -> bool:
    """Whether the port no longer accepts (a probe queued as the listener closes is reset, not refused)."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return False
    except (ConnectionRefusedError, ConnectionResetError):
        return True


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


def test_head_is_served_like_get_without_the_body(service: Service) -> None:
    status, headers, body = service.request("HEAD", "/")
    assert (status, body) == (200, b"") and int(headers["Content-Length"]) > 0
    assert service.request("HEAD", "/nope")[0] == 404


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "PROPFIND"])
def test_other_methods_answer_405_with_allow_never_501(service: Service, method: str) -> None:
    """A 501 is a 5xx: an uptime probe sending POST would trip the release alarms."""
    status, headers, body = service.request(method, "/")
    assert status == 405, (method, status)
    assert headers["Allow"] == "GET, HEAD"
    assert json.loads(body) == {"error": "method not allowed"}


def test_one_request_per_connection(service: Service) -> None:
    """HTTP/1.0 without keep-alive: the server closes after each response, so no idle connection can be cut
    under the ALB (idle timeout 60 s) and a deregistered target has nothing open."""
    with socket.create_connection(("127.0.0.1", service.port), timeout=5) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: t\r\nConnection: keep-alive\r\n\r\n")
        received = sock.makefile("rb").read()  # returns only once the server closes the connection
    assert received.startswith(b"HTTP/1.0 200 ") and received.endswith(b'{"status": "ok"}')
    assert b"keep-alive" not in received.lower()


def test_the_listen_backlog_is_somaxconn() -> None:
    spec = importlib.util.spec_from_file_location("app_server", APP / "server.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.Server.request_queue_size == socket.SOMAXCONN > 5


def test_a_raising_handler_answers_500_and_the_server_keeps_serving() -> None:
    service = start(code=RAISING_ROOT)
    try:
        assert service.get("/") == (500, {"error": "internal error"})
        assert service.get("/health") == (200, {"status": "ok"})
        service.wait_for("handler raised")
        record = next(json.loads(line) for line in service.lines if "handler raised" in line)
        assert record["level"] == "error" and "RuntimeError" in record["traceback"]
    finally:
        code, output = service.stop()
    assert code == 0, output


def test_health_path_and_defaults_come_from_the_environment() -> None:
    service = start(HEALTH_PATH="/ready")
    try:
        assert service.get("/ready") == (200, {"status": "ok"})
        assert service.get("/health")[0] == 404
        assert service.get("/version") == (200, {"commit": "unknown", "environment": "unknown"})
    finally:
        service.stop()


def test_sigterm_serves_the_grace_period_then_stops_accepting_and_finishes_in_flight() -> None:
    service = start(DRAIN_SECONDS="3")
    in_flight = socket.create_connection(("127.0.0.1", service.port), timeout=STOP_SECONDS)
    try:
        in_flight.sendall(b"GET /health HTTP/1.1\r\nHost: test\r\n")  # headers not finished yet
        assert service.get("/health")[0] == 200  # the server has accepted (connections are accepted in order)
        service.process.send_signal(signal.SIGTERM)
        service.wait_for("draining")
        assert service.get("/") == (200, {"message": "hello"})  # a new connection in the grace period is served

        service.wait_for("stopping")
        deadline = time.monotonic() + STOP_SECONDS
        while not refused(service.port):  # the listener closes while the request is pending
            assert time.monotonic() < deadline, "server still accepts connections after the grace period"
        assert service.process.poll() is None, "server exited before finishing the in-flight request"

        in_flight.sendall(b"\r\n")
        response = in_flight.makefile("rb").read()
    finally:
        in_flight.close()
    assert response.startswith(b"HTTP/1.0 200 "), response
    assert response.endswith(b'{"status": "ok"}')

    assert service.process.wait(timeout=STOP_SECONDS) == 0
    service.wait_for("stopped")
    output = "".join(service.lines)
    assert "Traceback" not in output
    assert service.lifecycle() == ["listening", "draining", "stopping", "stopped"], output


def test_a_load_across_sigterm_loses_no_request() -> None:
    """Loopback clients keep calling while SIGTERM arrives: every request is answered 200."""
    service = start(DRAIN_SECONDS="60")  # the grace period outlasts the load; a second SIGTERM ends it
    results: list[int | str] = []
    lock, stop = threading.Lock(), threading.Event()

    def client() -> None:
        while not stop.is_set():
            try:
                status = service.request("GET", "/")[0]
            except OSError as exc:
                status = f"{type(exc).__name__}: {exc}"
            with lock:
                results.append(status)

    def answered_at_least(n: int) -> None:
        deadline = time.monotonic() + 30
        while len(results) < n:
            assert time.monotonic() < deadline, f"only {len(results)} of {n} requests answered"
            time.sleep(0.01)

    clients = [threading.Thread(target=client) for _ in range(4)]
    for thread in clients:
        thread.start()
    try:
        answered_at_least(40)
        service.process.send_signal(signal.SIGTERM)
        service.wait_for("draining")
        at_signal = len(results)
        answered_at_least(at_signal + 40)  # as many again after the server logged the signal
    finally:
        stop.set()
        for thread in clients:
            thread.join(timeout=STOP_SECONDS)
    assert not any(t.is_alive() for t in clients)
    assert len(results) >= 80 and set(results) == {200}, [r for r in results if r != 200][:5]

    service.process.send_signal(signal.SIGTERM)  # the second: stop accepting now
    assert service.process.wait(timeout=STOP_SECONDS) == 0
    service.wait_for("stopped")
    assert service.lifecycle() == ["listening", "draining", "stopping", "stopped"]


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
