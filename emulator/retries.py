"""The emulator's log names every request an SDK retried."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def log_retries(app: WsgiApp) -> WsgiApp:
    """Name in the log every request an SDK sent again (`amz-sdk-request: attempt=N`, N > 1).

    A retry of a call AWS does not make idempotent, such as AuthorizeSecurityGroupEgress, fails when
    the first attempt was applied ("InvalidPermission.Duplicate"); the request log alone ("POST / 400")
    cannot tell that from a wrong plan."""

    def logged(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        attempt = re.search(r"attempt=(\d+)", environ.get("HTTP_AMZ_SDK_REQUEST", ""))
        if attempt and int(attempt.group(1)) > 1:
            action = (
                environ.get("HTTP_X_AMZ_TARGET") or parse_qs(environ.get("QUERY_STRING", "")).get("Action", [""])[0]
            )
            if not action and environ.get("REQUEST_METHOD") == "POST":
                body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
                environ["wsgi.input"] = io.BytesIO(body)
                action = parse_qs(body.decode(errors="replace")).get("Action", [""])[0]
            invocation = environ.get("HTTP_AMZ_SDK_INVOCATION_ID", "?")
            print(
                f"retry: attempt {attempt.group(1)} of {action or environ.get('PATH_INFO')} ({invocation})", flush=True
            )
        return app(environ, start_response)

    return logged
