"""Request context middleware: request id, access log, metrics, body limit, catch-all.

A plain ASGI middleware (not BaseHTTPMiddleware) because it runs on every request
and BaseHTTPMiddleware adds a task and memory stream per request.
"""

from __future__ import annotations

import logging
import re
import random
import time

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import metrics
from .errors import error_response
from .identity import Identity
from .logs import request_id_var

access_log = logging.getLogger("labkit.access")
error_log = logging.getLogger("labkit.error")

# Accept a caller's id only if it is short and harmless in logs and headers.
_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")

# Probe and scrape requests are logged at debug level: they arrive every few seconds
# from the kubelet and Prometheus and would drown the useful lines.
QUIET_PATHS = frozenset({"/healthz", "/readyz", "/startupz", "/metrics"})


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, identity: Identity, max_body_bytes: int = 1_048_576) -> None:
        self.app = app
        self.identity = identity
        self.max_body_bytes = max_body_bytes
        self._pod_header = identity.pod.encode("latin-1", "replace")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        request_id = self._request_id(scope)
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500
        response_started = False
        header_value = request_id.encode()

        async def send_with_headers(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
                message["headers"] = [
                    *message.get("headers", ()),
                    (b"x-request-id", header_value),
                    (b"x-served-by", self._pod_header),
                ]
            await send(message)

        metrics.IN_PROGRESS.inc()
        try:
            declared = self._content_length(scope)
            if declared is not None and declared > self.max_body_bytes:
                too_large = error_response(self.identity, 413, f"request body larger than {self.max_body_bytes} bytes")
                await too_large(scope, receive, send_with_headers)
            else:
                await self.app(scope, self._limited(receive), send_with_headers)
        except Exception:
            error_log.exception("unhandled error while serving %s %s", scope["method"], scope["path"])
            if response_started:
                raise  # headers are gone; the server can only drop the connection
            response = error_response(self.identity, 500, "internal server error")
            await response(scope, receive, send_with_headers)
        finally:
            metrics.IN_PROGRESS.dec()
            elapsed = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", None) or "<unmatched>"
            metrics.observe(scope["method"], route, status, elapsed)
            level = logging.DEBUG if scope["path"] in QUIET_PATHS else logging.INFO
            if access_log.isEnabledFor(level):
                access_log.log(
                    level,
                    "request",
                    extra={
                        "method": scope["method"],
                        "path": scope["path"],
                        "route": route,
                        "status": status,
                        "duration_ms": round(elapsed * 1000, 3),
                        "client": (scope.get("client") or ("", 0))[0],
                    },
                )
            request_id_var.reset(token)

    @staticmethod
    def _request_id(scope: Scope) -> str:
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                candidate = value.decode("latin-1")
                if _VALID_REQUEST_ID.fullmatch(candidate):
                    return candidate
                break
        # Not a secret, only unique: getrandbits avoids uuid4's getrandom() syscall.
        return f"{random.getrandbits(128):032x}"

    @staticmethod
    def _content_length(scope: Scope) -> int | None:
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    return int(value)
                except ValueError:
                    return None
        return None

    def _limited(self, receive: Receive) -> Receive:
        """Enforce the limit on bodies without (or with a lying) Content-Length."""
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    # An HTTPException so FastAPI's body parser re-raises it unchanged.
                    raise HTTPException(413, f"request body larger than {self.max_body_bytes} bytes")
            return message

        return limited_receive
