"""The sample service: a stdlib-only HTTP server that ECS runs behind the ALB.

Environment:
  PORT                     listening port (default 8080; the container port of the task definition)
  HOST                     bind address (default 0.0.0.0: awsvpc tasks receive ALB traffic on their ENI)
  HEALTH_PATH              path of the ALB health check (default /health, as service.health_check_path)
  APP_COMMIT               commit the image was built from (baked in by buildspecs/build.yml)
  APP_ENV                  environment name, reported by /version
  LOG_LEVEL                debug | info | warning | error (default info); health checks log at debug
  DRAIN_SECONDS            grace period after SIGTERM (service.drain_seconds; the task definition sets it)
  REQUEST_TIMEOUT_SECONDS  longest a request's read or write may stall (service.request_timeout_seconds)

It fails loudly: a handler that raises answers 500 (the ALB counts it in the target's 5xx, per target
group, where the release alarms look; a closed connection would be the ALB's own 502), and a method it
does not serve answers 405 with Allow (never 501, which the 5xx alarms would count: anyone could trip
them). HEAD is served like GET, without the body.

It drains gently. ECS sends SIGTERM once the ALB has deregistered the task, but an ALB node may not have
caught up yet, and a refused connection is a 502 (docs/zero-downtime.md). So on SIGTERM it keeps
accepting for DRAIN_SECONDS, then stops accepting, finishes the requests in flight and exits 0, inside
the task's stopTimeout (the schema checks drain + request timeout < stopTimeout). A second SIGTERM or
SIGINT stops accepting at once. HTTP/1.0, one request per connection: no idle keep-alive connection can
be cut under the ALB (whose idle timeout is 60 s), and a deregistered target has nothing left open.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType
from typing import Any
from urllib.parse import urlsplit

LEVELS = {"debug": 10, "info": 20, "warning": 30, "error": 40}
LOG_LEVEL = LEVELS.get(os.environ.get("LOG_LEVEL", "info").lower(), 20)
HEALTH_PATH = os.environ.get("HEALTH_PATH") or "/health"
DRAIN_SECONDS = float(os.environ.get("DRAIN_SECONDS") or 10)
REQUEST_TIMEOUT_SECONDS = float(os.environ.get("REQUEST_TIMEOUT_SECONDS") or 10)
ALLOWED_METHODS = "GET, HEAD"

Body = dict[str, Any]
_log_lock = threading.Lock()


def log(level: str, msg: str, **fields: Any) -> None:
    """One JSON object per line on stdout: what the awslogs driver ships to CloudWatch."""
    if LEVELS[level] >= LOG_LEVEL:
        record = {"time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "level": level, "msg": msg, **fields}
        with _log_lock:  # request threads log concurrently: one whole line at a time
            print(json.dumps(record), flush=True)


def health() -> tuple[HTTPStatus, Body]:
    return HTTPStatus.OK, {"status": "ok"}


def version() -> tuple[HTTPStatus, Body]:
    return HTTPStatus.OK, {
        "commit": os.environ.get("APP_COMMIT") or "unknown",
        "environment": os.environ.get("APP_ENV") or "unknown",
    }


def hello() -> tuple[HTTPStatus, Body]:
    return HTTPStatus.OK, {"message": "hello"}


ROUTES: dict[str, Callable[[], tuple[HTTPStatus, Body]]] = {HEALTH_PATH: health, "/version": version, "/": hello}
"""Path -> handler: GET and HEAD only."""


class Handler(BaseHTTPRequestHandler):
    server_version = "app"
    sys_version = ""  # do not advertise the Python version
    protocol_version = "HTTP/1.0"  # one request per connection (see the module docstring)
    timeout = REQUEST_TIMEOUT_SECONDS  # a client that stalls cannot hold a thread (or the shutdown) for longer

    def do_GET(self) -> None:
        self._respond(*self._route(), body=True)

    def do_HEAD(self) -> None:
        self._respond(*self._route(), body=False)

    def __getattr__(self, name: str) -> Any:
        """Any other method: the stdlib looks up `do_<METHOD>` and, missing, answers 501; this answers 405."""
        if name.startswith("do_"):
            return self._not_allowed
        raise AttributeError(name)

    def _not_allowed(self) -> None:
        self._respond(HTTPStatus.METHOD_NOT_ALLOWED, {"error": "method not allowed"}, allow=ALLOWED_METHODS)

    def _route(self) -> tuple[HTTPStatus, Body]:
        path = urlsplit(self.path).path
        route = ROUTES.get(path)
        if route is None:
            return HTTPStatus.NOT_FOUND, {"error": "not found"}
        try:
            return route()
        except Exception as exc:  # noqa: BLE001 - a failing handler answers 500, counted where the alarms look
            log("error", "handler raised", path=path, error=repr(exc), traceback=traceback.format_exc())
            return HTTPStatus.INTERNAL_SERVER_ERROR, {"error": "internal error"}

    def _respond(self, status: HTTPStatus, payload: Body, *, body: bool = True, allow: str = "") -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if allow:
            self.send_header("Allow", allow)
        self.end_headers()
        if body:
            self.wfile.write(data)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        level = "debug" if urlsplit(self.path).path == HEALTH_PATH else "info"
        log(level, "request", method=self.command, path=self.path, status=int(code), client=self.client_address[0])

    def log_message(self, format: str, *args: Any) -> None:
        log("warning", format % args, client=self.client_address[0])


class Server(ThreadingHTTPServer):
    """Request threads are joined on close, so in-flight requests finish before exit."""

    daemon_threads = False
    block_on_close = True
    request_queue_size = socket.SOMAXCONN  # the listen backlog (the stdlib's default is 5)


def main() -> int:
    port = int(os.environ.get("PORT") or 8080)
    server = Server((os.environ.get("HOST") or "0.0.0.0", port), Handler)
    draining, stop_now = threading.Event(), threading.Event()

    def drain() -> None:
        stop_now.wait(DRAIN_SECONDS)  # the grace period, cut short by a second signal
        log("info", "stopping", accepting=False)
        server.shutdown()  # serve_forever() returns in the main thread, which then closes the listener

    def on_signal(signum: int, frame: FrameType | None) -> None:
        if draining.is_set():
            stop_now.set()
            return
        draining.set()
        log("info", "draining", signal=signal.Signals(signum).name, seconds=DRAIN_SECONDS)
        threading.Thread(target=drain, daemon=True).start()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    log("info", "listening", port=server.server_address[1], health_path=HEALTH_PATH, drain_seconds=DRAIN_SECONDS)
    try:
        server.serve_forever()
    finally:
        server.server_close()  # closes the listening socket, then joins request threads
    log("info", "stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
