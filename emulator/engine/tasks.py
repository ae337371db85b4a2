"""ECS tasks as local processes, and the ALB's listeners as local proxies in front of them.

The local target has no container engine: a task of an image the engine's build pushed runs that
commit's ``app/server.py`` (the image's stand-in: the build context the docker shim recorded), as a
process with the task definition's container environment, on 127.0.0.1 and a free port (the task's
awsvpc address and container port, substituted). An image the engine did not build (Terraform's
bootstrap image) runs the emulator's own checkout of ``app/`` with ``APP_COMMIT`` set to its tag.

Each load balancer gets a loopback address of its own (127.P.Q.n, from the emulator's port), which the
engine records as the ALB node's network interface (description ``ELB app/<name>/<id>``, as AWS
names them) in place of the VPC address AWS would give it; each listener port there forwards to a task
of the target group the listener's default action names (weighted forwards choose by weight), read
from the emulator's state at every request. This is what the hook and a person reach.
"""

from __future__ import annotations

import http.client
import os
import random
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Task:
    arn: str
    image: str
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def health(self, path: str, timeout: float = 2.0) -> int | None:
        """The health check's HTTP status (None: no answer)."""
        try:
            with urllib.request.urlopen(f"http://{self.address()}{path}", timeout=timeout) as answer:
                return int(answer.status)
        except urllib.error.HTTPError as exc:
            return int(exc.code)
        except OSError:
            return None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


@dataclass
class Fleet:
    """Every local task, by target group ARN (or `service:<arn>` for tasks behind no load balancer)."""

    images: Path
    """The docker shim's image store: <tag>/ holds the build context of that commit."""
    logs: Path
    groups: dict[str, list[Task]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def source_of(self, image: str) -> tuple[Path, bool]:
        """(the app directory to run, whether the engine built that image)."""
        tag = image.rsplit(":", 1)[-1] if ":" in image.rsplit("/", 1)[-1] else ""
        built = self.images / tag if tag else None
        if built is not None and (built / "server.py").is_file():
            return built, True
        return REPO_ROOT / "app", False

    def start(self, group: str, definition: Any, container: str | None = None) -> Task:
        """One task of `definition` (moto's task definition) registered behind `group`."""
        containers = definition.container_definitions
        spec = next((c for c in containers if c.get("name") == container), containers[0])
        image = str(spec.get("image", ""))
        app, _ = self.source_of(image)
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MOTO_"))}
        env.update({str(e["name"]): str(e["value"]) for e in spec.get("environment") or []})
        env.setdefault("APP_COMMIT", image.rsplit(":", 1)[-1])  # the Dockerfile's build argument
        env.update(HOST="127.0.0.1", PORT=str(port))  # the task's address and container port, substituted
        # What the Fargate agent puts in every container's environment (ECS developer guide, "Amazon ECS
        # task metadata endpoint version 4"; "Fargate task environment"): the metadata endpoint is not served.
        env.update(
            AWS_EXECUTION_ENV="AWS_ECS_FARGATE",
            ECS_CONTAINER_METADATA_URI_V4=f"http://127.0.0.1:{port}/(task metadata: not served locally)",
        )
        self.logs.mkdir(parents=True, exist_ok=True)
        arn = f"{definition.arn.split(':task-definition/')[0]}:task/{random.getrandbits(64):016x}"
        log = self.logs / f"task-{port}.log"
        with open(log, "ab") as out:
            process = subprocess.Popen(
                [sys.executable, str(app / "server.py")],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        task = Task(arn, image, process, port, log)
        with self._lock:
            self.groups.setdefault(group, []).append(task)
        return task

    def stop(self, group: str, tasks: list[Task] | None = None) -> None:
        with self._lock:
            current = self.groups.get(group, [])
            leaving = list(current) if tasks is None else [t for t in current if t in tasks]
            self.groups[group] = [t for t in current if t not in leaving]
        for task in leaving:
            task.stop()

    def move(self, source: str, target: str) -> None:
        """Re-register the tasks of `source` behind `target` (CodeDeploy's rollback keeps them serving)."""
        with self._lock:
            self.groups.setdefault(target, []).extend(self.groups.pop(source, []))

    def pick(self, group: str) -> Task | None:
        with self._lock:
            running = [t for t in self.groups.get(group, []) if t.process.poll() is None]
        return random.choice(running) if running else None

    def shutdown(self) -> None:
        for group in list(self.groups):
            self.stop(group)


def wait_healthy(task: Task, path: str, timeout: float, unhealthy_threshold: int = 3) -> bool:
    """The target group's health check until it passes (200), fails `unhealthy_threshold` times in a row
    (an answer other than 200), the process exits, or `timeout`. Checks run every 0.5 s (AWS: the
    target group's interval, 30 s by default)."""
    deadline, failures = time.monotonic() + timeout, 0
    while time.monotonic() < deadline:
        if task.process.poll() is not None:
            return False
        status = task.health(path)
        if status == 200:
            return True
        failures = failures + 1 if status is not None else 0
        if failures >= unhealthy_threshold:
            return False
        time.sleep(0.5)
    return False


def copy_app(source: Path, into: Path) -> None:
    if into.exists():
        shutil.rmtree(into)
    shutil.copytree(source, into)


class _Proxy(BaseHTTPRequestHandler):
    server_version = "local-alb"
    sys_version = ""
    route: Any = None  # (port) -> Task | None, set per server

    def do_GET(self) -> None:
        task = type(self).route(0)
        if task is None:
            self.send_error(503, "no healthy target")
            return
        try:
            connection = http.client.HTTPConnection("127.0.0.1", task.port, timeout=5)
            connection.request("GET", self.path, headers={"Host": self.headers.get("Host", "")})
            answer = connection.getresponse()
            body = answer.read()
        except OSError:
            self.send_error(502, "target unreachable")
            return
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.getheader("Content-Type") or "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass
class Balancer:
    """One load balancer's listeners on its loopback address."""

    address: str
    servers: dict[int, ThreadingHTTPServer] = field(default_factory=dict)

    def listen(self, port: int, route: Any) -> None:
        if port in self.servers:
            return
        handler = type("Proxy", (_Proxy,), {"route": staticmethod(route)})
        server = ThreadingHTTPServer((self.address, port), handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.servers[port] = server

    def close(self) -> None:
        for server in self.servers.values():
            server.shutdown()
            server.server_close()
