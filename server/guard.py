"""What a connection must pass before its messages reach a session: host, origin and rate.

Cross-site websocket hijacking needs a browser: a page on another site opens a websocket to
this server, and the browser sends it along. Browsers always send `Origin` with a websocket
handshake, so checking it against an allow-list stops that. A connection without `Origin` is
not a browser's (the `websockets` library, curl, the tests); it could send any `Origin` it
liked, so refusing it would protect nothing, and it is let in.

DNS rebinding also needs a browser: a page on `evil.example` has its name re-resolved to
127.0.0.1, and the browser, still on the origin `http://evil.example:PORT`, talks to this
server with that name in `Host` (and in `Origin`, so the two agree). Only a name can be
re-resolved, so every request's `Host` must be an IP address (what the browser's URL said is
then where it connects), a loopback name, or a name the server was told to serve.
"""

import fcntl
import ipaddress
import os
import random
import time
from pathlib import Path
from urllib.parse import urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
LOOPBACK_NAMES = {"localhost", "127.0.0.1", "[::1]", "::1"}
#: A websocket close frame's reason is at most 123 bytes (RFC 6455, 5.5).
MAX_CLOSE_REASON = 123


def _host_port(netloc: str, default_port: int | None) -> tuple[str, int | None] | None:
    """(host, port) of "host[:port]", lower-case; None when it does not parse."""
    try:
        parts = urlsplit(f"//{netloc}")
        return (parts.hostname or "").lower(), parts.port or default_port
    except ValueError:
        return None


def normalize_origin(origin: str) -> str:
    """ "scheme://host:port" of an origin or URL, default ports filled in, for comparing."""
    parts = urlsplit(origin.strip())
    scheme = parts.scheme.lower()
    try:
        port = parts.port or DEFAULT_PORTS.get(scheme)
    except ValueError:
        return origin.strip().lower()
    return f"{scheme}://{(parts.hostname or '').lower()}:{port}"


def _is_ip_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def host_allowed(
    host_header: str | None, allowed_hosts: tuple[str, ...], allowed_origins: tuple[str, ...]
) -> bool:
    """Whether a request's `Host` names this server (see the module's docstring on rebinding).

    Allowed, whatever the port: an IP address; `localhost`; the names of `allowed_hosts`
    ("*": any name); and the host names of `allowed_origins`. A request without `Host` is not.
    """
    if "*" in allowed_hosts:
        return True
    parsed = _host_port(host_header or "", None)
    if parsed is None or not parsed[0]:
        return False
    name = parsed[0]
    if _is_ip_address(name) or name in LOOPBACK_NAMES:
        return True
    served = {_host_port(entry, None) for entry in allowed_hosts}
    served |= {_host_port(urlsplit(entry).netloc, None) for entry in allowed_origins}
    return name in {entry[0] for entry in served if entry is not None}


def origin_allowed(
    origin: str | None,
    host_header: str | None,
    server_port: int | None,
    allowed: tuple[str, ...],
    allowed_hosts: tuple[str, ...] = (),
) -> bool:
    """Whether a websocket handshake from `origin` may open a session.

    Allowed: no `Origin` (not a browser, see the module's docstring); the server's own origin,
    whose host and port are the request's `Host`, when `host_allowed` allows that `Host`;
    `http://localhost:PORT` and `http://127.0.0.1:PORT` for the server's own port; and the
    origins of `allowed` ("*": any).
    """
    if origin is None or "*" in allowed:
        return True
    if normalize_origin(origin) in {normalize_origin(entry) for entry in allowed}:
        return True
    parts = urlsplit(origin)
    if parts.scheme.lower() not in DEFAULT_PORTS:
        return False
    own = _host_port(parts.netloc, DEFAULT_PORTS[parts.scheme.lower()])
    if own is None:
        return False
    host = _host_port(host_header or "", own[1])
    if host is not None and own == host and host_allowed(host_header, allowed_hosts, allowed):
        return True
    own_ports = {server_port, host[1] if host else None} - {None}
    return own[0] in LOOPBACK_NAMES and own[1] in own_ports


def refusal_reason(origin: str) -> str:
    """The close reason for a refused origin, cut to fit a close frame."""
    template = (
        "cross-origin connection refused: {}; start the server with --allowed-origin to allow it"
    )
    room = MAX_CLOSE_REASON - len(template.format("").encode())
    shown = origin if len(origin.encode()) <= room else origin[: max(room - 3, 0)] + "..."
    return template.format(shown)


class TokenBucket:
    """`rate` tokens a second on average, `burst` at once; a connection has one counting its
    messages and one counting their bytes."""

    def __init__(self, rate: float, burst: float, clock=time.monotonic):
        self.rate, self.burst, self.clock = rate, burst, clock
        self.tokens, self.updated = burst, clock()

    def take(self, amount: float = 1.0) -> bool:
        """Spend `amount` tokens if there are as many: whether the message may pass."""
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= amount:
            self.tokens -= amount
            return True
        return False


#: The folder of `SessionSlots` shared by the worker processes of one server (`mlp-playground`
#: makes it); without it each process counts its own sessions.
SESSION_SLOTS_ENV = "MLP_PLAYGROUND_SESSION_SLOTS"


class SessionSlots:
    """`max_sessions` across every worker process of a server: a session holds one of
    `capacity` slot files in `directory` under an exclusive `flock`. The kernel lets a slot go
    when its holder closes it or its process dies, so a crashed worker leaves none taken, and
    no count can drift."""

    def __init__(self, directory: Path, capacity: int):
        self.directory, self.capacity = Path(directory), capacity

    def take(self) -> int | None:
        """A free slot (a file descriptor, for `release`), or None when all are taken."""
        first = random.randrange(self.capacity)  # a free slot is found in a few tries
        for i in range(self.capacity):
            path = self.directory / f"slot-{(first + i) % self.capacity}"
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            return fd
        return None

    @staticmethod
    def release(slot: int) -> None:
        os.close(slot)
