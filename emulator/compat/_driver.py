"""Test-only endpoints: drive what AWS's services do on their own and moto never does.

moto runs no pipeline executions and no deployments. So that tests can put a release in the state
CodePipeline or CodeDeploy would (an execution waiting at an approval, a deployment at its
AfterAllowTestTraffic hook), the compat patches register drivers here, served by the emulator as

    POST /moto-api/compat/<name>      JSON body -> JSON answer (400 with {"error": ...} on a bad request)

beside moto's own `/moto-api/` endpoints (reset, seed, ...). They exist only on the local emulator;
no AWS API has them, and nothing in the project's commands calls them: only tests do.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.exceptions import HTTPException

from emulator.compat._patching import Original, wrap_existing

PREFIX = "/moto-api/compat/"
Driver = Callable[[dict[str, Any]], dict[str, Any]]

ROUTES: dict[str, Driver] = {}
_installed = False
_lock = threading.Lock()


class DriverError(ValueError):
    """A request a driver cannot act on: answered 400 with the message."""


def route(name: str, driver: Driver) -> None:
    """Serve `driver` at POST /moto-api/compat/<name> (installs the dispatcher on first use)."""
    ROUTES[name] = driver
    _install()


def default_account() -> str:
    """The account the emulator serves every request as (MOTO_ACCOUNT_ID, as moto's responses read it)."""
    from moto.core import DEFAULT_ACCOUNT_ID

    return os.environ.get("MOTO_ACCOUNT_ID") or str(DEFAULT_ACCOUNT_ID)


def _app(environ: dict[str, Any], start_response: Callable[[str, Iterable[tuple[str, str]]], Any]) -> list[bytes]:
    name = str(environ.get("PATH_INFO", ""))[len(PREFIX) :]
    status, answer = "200 OK", {}
    try:
        if environ.get("REQUEST_METHOD") != "POST":
            raise DriverError("expected POST")
        if name not in ROUTES:
            raise DriverError(f"no driver {name!r}; expected one of {', '.join(sorted(ROUTES))}")
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = json.loads(environ["wsgi.input"].read(length) or b"{}")
        if not isinstance(body, dict):
            raise DriverError("expected a JSON object")
        with _lock:
            answer = ROUTES[name](body)
    except (DriverError, ValueError, KeyError) as exc:
        status, answer = "400 Bad Request", {"error": f"{type(exc).__name__}: {exc}"}
    except HTTPException as exc:  # moto's own errors (no such pipeline, deployment, ...)
        status, answer = "400 Bad Request", {"error": f"{type(exc).__name__}: {exc.description}"}
    payload = json.dumps(answer).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
    return [payload]


def _install() -> None:
    global _installed
    if _installed:
        return
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    @wrap_existing(DomainDispatcherApplication, "get_application")
    def get_application(original: Original, self: DomainDispatcherApplication, environ: dict[str, Any]) -> Any:
        if str(environ.get("PATH_INFO", "")).startswith(PREFIX):
            return _app
        return original(self, environ)

    _installed = True
