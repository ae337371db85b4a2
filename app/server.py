"""The sample service: a stdlib-only HTTP server that ECS runs behind the ALB.

Environment:
  PORT         listening port (default 8080; the container port of the task definition)
  HOST         bind address (default 0.0.0.0: awsvpc tasks receive ALB traffic on their ENI)
  HEALTH_PATH  path of the ALB health check (default /health, as service.health_check_path)
  APP_COMMIT   commit the image was built from (baked in by buildspecs/build.yml)
  APP_ENV      environment name, reported by /version
  LOG_LEVEL    debug | info | warning | error (default info); health checks log at debug

On SIGTERM (ECS stops a task after the ALB drained it) the server stops accepting,
finishes the requests in flight and exits 0, well inside the task's stopTimeout.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType
from typing import Any
from urllib.parse import urlsplit

LEVELS = {"debug": 10, "info": 20, "warning": 30, "error": 40}
LOG_LEVEL = LEVELS.get(os.environ.get("LOG_LEVEL", "info").lower(), 20)
HEALTH_PATH = os.environ.get("HEALTH_PATH") or "/health"


def log(level: str, msg: str, **fields: Any) -> None:
    """One JSON object per line on stdout: what the awslogs driver ships to CloudWatch."""
    if LEVELS[level] >= LOG_LEVEL:
        record = {"time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "level": level, "msg": msg, **fields}
        print(json.dumps(record), flush=True)


class Handler(BaseHTTPRequestHandler):
    server_version = "app"
    sys_version = ""  # do not advertise the Python version
    timeout = 10  # a client that stalls cannot hold a thread (or the shutdown) for longer

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path == HEALTH_PATH:
            self._json(HTTPStatus.OK, {"status": "ok"})
        elif path == "/version":
            self._json(
                HTTPStatus.OK,
                {
                    "commit": os.environ.get("APP_COMMIT") or "unknown",
                    "environment": os.environ.get("APP_ENV") or "unknown",
                },
            )
        elif path == "/":
            self._json(HTTPStatus.OK, {"message": "hello"})
        else:
            self._json(HTTPStatus.NOT_FOUND, {"error": "not found"})

    def _json(self, status: HTTPStatus, body: dict[str, Any]) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        level = "debug" if urlsplit(self.path).path == HEALTH_PATH else "info"
        log(level, "request", method=self.command, path=self.path, status=int(code), client=self.client_address[0])

    def log_message(self, format: str, *args: Any) -> None:
        log("warning", format % args, client=self.client_address[0])


class Server(ThreadingHTTPServer):
    """Request threads are joined on close, so in-flight requests finish before exit."""

    daemon_threads = False
    block_on_close = True


def main() -> int:
    port = int(os.environ.get("PORT") or 8080)
    server = Server((os.environ.get("HOST") or "0.0.0.0", port), Handler)

    def stop(signum: int, frame: FrameType | None) -> None:
        log("info", "stopping", signal=signal.Signals(signum).name)
        # shutdown() waits for serve_forever() to return, which runs in this (main) thread.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log("info", "listening", port=server.server_address[1], health_path=HEALTH_PATH)
    try:
        server.serve_forever()
    finally:
        server.server_close()  # closes the listening socket, then joins request threads
    log("info", "stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
