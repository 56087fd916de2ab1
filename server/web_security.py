"""HTTP hardening: request heads that must arrive whole, soon and small (the uvicorn protocol
`mlp-playground` runs), and the app's allowed Host names and security headers (middleware).

uvicorn has no deadline for a request's head: a connection that sends half a header and stays
silent holds its socket for ever (slowloris), and httptools gathers one header's value by
concatenation, so an endless header costs time quadratic in its length. `HeadLimitedProtocol`
closes a connection whose head is not complete `header_timeout` seconds after its connection
(or its request's first byte), or grows past `max_header_bytes`.
"""

import os
from dataclasses import dataclass

from fastapi import FastAPI
from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from .guard import host_allowed
from .settings import Settings, env_name

#: Scripts, styles, fonts and images from the page's own origin; inline styles, which Plotly
#: and KaTeX set on their elements; images from data: and blob: URLs (Plotly's exports);
#: the websocket on the page's own origin; no plugins, no <base>, no framing.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
)
SECURITY_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
]
#: A refused Host is named in the answer, cut to this many characters.
SHOWN_HOST = 100


class HostAllowList:
    """Answer 400 to any request or websocket handshake whose Host `host_allowed` refuses."""

    def __init__(self, app: ASGIApp, settings: Settings):
        self.app, self.settings = app, settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        host = Headers(scope=scope).get("host")
        if not host_allowed(host, self.settings.allowed_hosts, self.settings.allowed_origins):
            shown = (host or "")[:SHOWN_HOST]
            refusal = PlainTextResponse(
                f"Host {shown!r} is not served here: start the server with "
                "--allowed-host NAME to serve a name other than localhost",
                status_code=400,
            )
            await refusal(scope, receive, send)
            return
        await self.app(scope, receive, send)


class SecurityHeaders:
    """Add `SECURITY_HEADERS` to every HTTP response."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *SECURITY_HEADERS]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def secure(app: FastAPI, settings: Settings) -> None:
    """Add the middleware that checks Host names and sets the security headers."""
    app.add_middleware(HostAllowList, settings=settings)
    app.add_middleware(SecurityHeaders)  # outermost: a refused Host's answer gets them too


@dataclass(frozen=True)
class HeadLimits:
    """How long and how large a request's head (request line and headers) may be.

    Set by `mlp-playground --header-timeout/--max-header-bytes` through the environment, as
    server/settings.py's are, since uvicorn builds the protocol in each worker process.
    """

    header_timeout: float = 10.0
    max_header_bytes: int = 64 * 1024

    def __post_init__(self):
        if not (self.header_timeout > 0 and self.max_header_bytes > 0):
            raise ValueError(f"the request head's limits must be positive: {self}")

    @classmethod
    def from_env(cls) -> "HeadLimits":
        timeout = os.environ.get(env_name("header_timeout"), cls.header_timeout)
        size = os.environ.get(env_name("max_header_bytes"), cls.max_header_bytes)
        try:
            return cls(float(timeout), int(size))
        except ValueError as error:
            names = f"{env_name('header_timeout')}={timeout}, {env_name('max_header_bytes')}={size}"
            raise ValueError(f"{names}: {error}") from None

    def to_env(self) -> dict[str, str]:
        return {
            env_name("header_timeout"): str(self.header_timeout),
            env_name("max_header_bytes"): str(self.max_header_bytes),
        }


class HeadLimitedProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, closing connections whose request head is late or large.

    The deadline runs from the connection (or from a kept-alive connection's next request's
    first byte; before that, uvicorn's keep-alive timeout applies) to the end of the head.
    A head over the size is answered 431 and the connection closed; a late one, 408 (or
    nothing, if not one byte came). Websockets pass: their handshake's head ends the deadline.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.head_limits = HeadLimits.from_env()
        self.head_deadline = None  # the timer while a head is awaited
        self.head_bytes = 0

    def _await_head(self) -> None:
        if self.head_deadline is None:
            self.head_bytes = 0
            self.head_deadline = self.loop.call_later(
                self.head_limits.header_timeout, self._head_too_late
            )

    def _head_over(self) -> None:
        if self.head_deadline is not None:
            self.head_deadline.cancel()
            self.head_deadline = None

    def _refuse(self, status: int | None) -> None:
        """Answer `status` (None: nothing) and close the connection."""
        self._head_over()
        if self.transport.is_closing():
            return
        if status is not None:
            self.transport.write(
                STATUS_LINE[status] + b"content-length: 0\r\nconnection: close\r\n\r\n"
            )
        self.transport.close()

    def _head_too_late(self) -> None:
        self.head_deadline = None
        self._refuse(408 if self.head_bytes else None)

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self._await_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self._head_over()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.head_deadline is None:
            return
        # Counted after parsing, since a head may end and the next begin within `data`: what
        # was read when the head is incomplete is its (a pipelined head's: at most one read more).
        self.head_bytes += len(data)
        if self.head_bytes > self.head_limits.max_header_bytes:
            self._refuse(431)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._await_head()

    def on_headers_complete(self) -> None:
        self._head_over()
        super().on_headers_complete()
