"""Injected faults: a bounded, seeded share of requests answered as AWS does when it sheds load.

Told by the environment of the emulator process, ``EMULATOR_FAULTS=<rate>[,seed=<n>][,max=<n>]``
(e.g. ``0.1,seed=7,max=400``), or at run time by ``POST /moto-api/faults`` with a JSON body
``{"rate": 0.1, "seed": 7, "max": 400}`` (``{"rate": 0}`` stops them; the answer counts what was injected).
A faulted request is not served: it is answered 503 with a throttling error in the shapes AWS uses
(``x-amzn-ErrorType: ThrottlingException`` and a JSON body for the JSON protocols; ``<Code>SlowDown</Code>``
XML, as S3 and the query protocols answer), which every AWS SDK retries (the standard and legacy retry
modes retry throttling errors and HTTP 503: botocore ``retryhandler``/``retries.standard``), as does the
Terraform AWS provider (``max_retries``). The emulator's own API (``/moto-api/``) is never faulted, and
``max`` caps the total injected, so a run whose clients retry converges whatever the seed.
"""

from __future__ import annotations

import json
import os
import random
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


@dataclass
class Faults:
    rate: float = 0.0
    limit: int = 0
    injected: int = 0
    served: int = 0
    _random: random.Random = field(default_factory=random.Random)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def configure(self, rate: float, seed: int = 0, limit: int = 1000) -> None:
        if not 0.0 <= rate <= 0.5:
            raise ValueError("rate: expected a share between 0 and 0.5")
        with self._lock:
            self.rate, self.limit, self.injected, self.served = rate, limit, 0, 0
            self._random = random.Random(seed)

    def draw(self) -> bool:
        with self._lock:
            self.served += 1
            if self.rate <= 0 or self.injected >= self.limit or self._random.random() >= self.rate:
                return False
            self.injected += 1
            return True

    def to_json(self) -> dict[str, Any]:
        return {"rate": self.rate, "max": self.limit, "injected": self.injected, "requests": self.served}


FAULTS = Faults()


def parse(spec: str) -> tuple[float, int, int]:
    """``0.1,seed=7,max=400`` -> (0.1, 7, 400)."""
    parts = [p.strip() for p in spec.split(",") if p.strip()]
    options = dict(p.split("=", 1) for p in parts[1:])
    return float(parts[0]), int(options.get("seed", 0)), int(options.get("max", 1000))


def _throttled(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    if environ.get("HTTP_X_AMZ_TARGET") or "json" in str(environ.get("CONTENT_TYPE", "")):
        body = json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded (injected)"}).encode()
        headers = [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-ErrorType", "ThrottlingException")]
    elif "/s3/aws4_request" in str(environ.get("HTTP_AUTHORIZATION", "")):
        body = (
            b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code>'
            b"<Message>Please reduce your request rate. (injected)</Message></Error>"
        )
        headers = [("Content-Type", "application/xml")]
    else:  # the query protocol (STS, IAM, EC2's shape differs only in its wrapper)
        body = (
            b'<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse><Error><Type>Sender</Type>'
            b"<Code>Throttling</Code><Message>Rate exceeded (injected)</Message></Error></ErrorResponse>"
        )
        headers = [("Content-Type", "text/xml")]
    start_response("503 Service Unavailable", [*headers, ("Content-Length", str(len(body)))])
    return [body]


def _control(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    status = "200 OK"
    try:
        if environ.get("REQUEST_METHOD") == "POST":
            wanted = json.loads(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)) or b"{}")
            FAULTS.configure(float(wanted.get("rate", 0)), int(wanted.get("seed", 0)), int(wanted.get("max", 1000)))
        answer = FAULTS.to_json()
    except (ValueError, TypeError) as exc:
        status, answer = "400 Bad Request", {"error": str(exc)}
    body = json.dumps(answer).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def inject_faults(app: WsgiApp) -> WsgiApp:
    """Serve `app`, faulting a share of its requests as FAULTS says (configured from EMULATOR_FAULTS)."""
    spec = os.environ.get("EMULATOR_FAULTS")
    if spec:
        rate, seed, limit = parse(spec)
        FAULTS.configure(rate, seed, limit)

    def served(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = str(environ.get("PATH_INFO", ""))
        if path == "/moto-api/faults":
            return _control(environ, start_response)
        if not path.startswith("/moto-api/") and FAULTS.draw():
            print(f"fault: injected 503 for {environ.get('REQUEST_METHOD')} {path}", flush=True)
            return _throttled(environ, start_response)
        return app(environ, start_response)

    return served
