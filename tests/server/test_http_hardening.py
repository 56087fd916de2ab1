"""Issue 11, points 6 and 7, against a real server on loopback: request heads that never end
or never stop growing are cut off, and only Host names the server serves are answered."""

import json
import socket
import time

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from server.cli import _parser, settings_from_args
from server.guard import host_allowed, origin_allowed
from tests.support.launcher import ServerProcess

HEADER_TIMEOUT = 1.0
MAX_HEADER_BYTES = 8192
PARTIAL_HEAD = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
SAFETY = 15.0  # seconds a read may wait before the test gives up: a net, not a figure


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A server with short limits on request heads, so that the tests take seconds."""
    with ServerProcess(
        log_path=tmp_path_factory.mktemp("server") / "server.log",
        env={
            "MLP_PLAYGROUND_HEADER_TIMEOUT": str(HEADER_TIMEOUT),
            "MLP_PLAYGROUND_MAX_HEADER_BYTES": str(MAX_HEADER_BYTES),
        },
    ) as running:
        yield running


@pytest.fixture(scope="module")
def serving_more(tmp_path_factory):
    """A server told to serve one more name, and an origin on another (and given the heads'
    limits by flag rather than by environment)."""
    with ServerProcess(
        "--allowed-host", "playground.example", "--allowed-origin", "https://class.example",
        "--header-timeout", "30", "--max-header-bytes", "100000",
        log_path=tmp_path_factory.mktemp("server") / "server.log",
    ) as running:  # fmt: skip
        yield running


def read_until_closed(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (a reset counts as closed)."""
    sock.settimeout(SAFETY)
    received = b""
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except ConnectionResetError:
        pass
    return received


def read_response(sock: socket.socket) -> bytes:
    """One whole response (head and `content-length` body) of a kept-alive connection."""
    sock.settimeout(SAFETY)
    received = b""
    while b"\r\n\r\n" not in received:
        received += sock.recv(65536)
    head, body = received.split(b"\r\n\r\n", 1)
    length = next(
        int(line.split(b":")[1]) for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )  # fmt: skip
    while len(body) < length:
        body += sock.recv(65536)
    assert len(body) == length, "more than one response"
    return head + b"\r\n\r\n" + body


def http_get(port: int, host: str, path: str = "/api/health") -> bytes:
    """The raw answer to a GET for `path` with `Host: host`."""
    with socket.create_connection(("127.0.0.1", port), timeout=SAFETY) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        return read_until_closed(sock)


def status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


def open_session(port: int, host: str, origin: str | None) -> dict:
    """Open /ws/train on 127.0.0.1 as a browser on `host` would, and configure: the `ready`."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=SAFETY)
    with connect(f"ws://{host}/ws/train", sock=sock, origin=origin, open_timeout=SAFETY) as ws:
        ws.send(json.dumps({"type": "configure"}))
        while True:
            message = ws.recv(timeout=SAFETY)
            if isinstance(message, str) and json.loads(message)["type"] == "ready":
                return json.loads(message)


# -- point 6: request heads -----------------------------------------------------------------------
def test_connections_that_never_finish_their_head_are_closed_after_the_timeout(server):
    silent = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(10)]
    partial = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(40)]
    for sock in partial:
        sock.sendall(PARTIAL_HEAD)
    answers = [read_until_closed(sock) for sock in silent + partial]
    for sock in silent + partial:
        sock.close()
    assert answers[: len(silent)] == [b""] * len(silent)
    assert {answer.split(b"\r\n")[0] for answer in answers[len(silent) :]} == {
        b"HTTP/1.1 408 Request Timeout"
    }


def test_a_kept_alive_connection_gets_a_new_deadline_for_each_request(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=SAFETY) as sock:
        sock.sendall(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        first = read_response(sock)
        sock.sendall(PARTIAL_HEAD)
        second = read_until_closed(sock)
    assert status(first) == 200
    assert second.startswith(b"HTTP/1.1 408")


def test_a_head_over_the_size_cap_is_answered_431_and_closed(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=SAFETY) as sock:
        sock.sendall(PARTIAL_HEAD + b"a" * MAX_HEADER_BYTES)
        answer = read_until_closed(sock)
    assert answer.startswith(b"HTTP/1.1 431 Request Header Fields Too Large")


def test_an_endless_header_is_cut_off_long_before_it_ends(server):
    """20 MB of one header: the server stops reading after its cap plus what the kernel's
    socket buffers hold, and closes the connection."""
    total, chunk, sent = 20_000_000, b"a" * 65536, 0
    with socket.create_connection(("127.0.0.1", server.port), timeout=SAFETY) as sock:
        sock.sendall(PARTIAL_HEAD)
        try:
            while sent < total:
                sock.sendall(chunk)
                sent += len(chunk)
        except OSError:
            pass
    assert sent < total
    assert server.process.poll() is None


def test_heads_within_the_limits_and_websockets_are_served(server):
    under_cap = b"x" * (MAX_HEADER_BYTES // 2)
    with socket.create_connection(("127.0.0.1", server.port), timeout=SAFETY) as sock:
        sock.sendall(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: " + under_cap)
        sock.sendall(b"\r\nConnection: close\r\n\r\n")
        answer = read_until_closed(sock)
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=SAFETY)
    with connect(f"ws://127.0.0.1:{server.port}/ws/train", sock=sock) as ws:
        time.sleep(2 * HEADER_TIMEOUT)  # a websocket outlives the head's deadline
        ws.send(json.dumps({"type": "configure"}))
        while not (isinstance(reply := ws.recv(timeout=SAFETY), str) and '"ready"' in reply):
            pass
    assert status(answer) == 200


# -- point 7: Host names (DNS rebinding) ----------------------------------------------------------
@pytest.mark.parametrize(
    "host", ["localhost", "127.0.0.1", "[::1]", "LOCALHOST", "10.1.2.3", "[2001:db8::1]"]
)
def test_loopback_names_and_ip_addresses_are_served(server, host):
    assert status(http_get(server.port, f"{host}:{server.port}")) == 200
    assert status(http_get(server.port, host)) == 200


@pytest.mark.parametrize("host", ["evil.example", "127.0.0.1.nip.io", "localhost.evil.example"])
def test_a_rebound_name_is_refused_400_over_http_and_websocket(server, host):
    answer = http_get(server.port, f"{host}:{server.port}", "/")
    with pytest.raises(InvalidStatus) as refused:
        open_session(server.port, f"{host}:{server.port}", f"http://{host}:{server.port}")
    assert status(answer) == 400
    assert b"--allowed-host" in answer
    assert refused.value.response.status_code == 400


def test_a_request_without_host_is_refused(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=SAFETY) as sock:
        sock.sendall(b"GET /api/health HTTP/1.0\r\n\r\n")
        assert status(read_until_closed(sock)) == 400


def test_own_loopback_origins_still_open_sessions(server):
    for host in ("localhost", "127.0.0.1", "[::1]"):
        own = f"{host}:{server.port}"
        assert open_session(server.port, own, f"http://{own}")["run"] == 1


def test_allowed_host_and_allowed_origin_add_names(serving_more):
    port = serving_more.port
    assert status(http_get(port, "playground.example")) == 200
    assert status(http_get(port, f"class.example:{port}")) == 200
    assert status(http_get(port, "evil.example")) == 400
    own = f"playground.example:{port}"
    assert open_session(port, own, f"http://{own}")["run"] == 1
    assert open_session(port, own, "https://class.example")["run"] == 1


@pytest.mark.parametrize(
    ("host", "allowed_hosts", "allowed_origins", "expected"),
    [
        ("localhost:8000", (), (), True),
        ("[::1]:8000", (), (), True),
        ("192.168.1.10:8000", (), (), True),
        (None, (), (), False),
        ("evil.example:8000", (), (), False),
        ("evil.example:8000", ("Evil.Example",), (), True),
        ("evil.example", ("evil.example:8000",), (), True),
        ("evil.example", (), ("https://evil.example",), True),
        ("evil.example", ("*",), (), True),
        ("evil.example", (), ("*",), False),
    ],
)
def test_host_allow_list(host, allowed_hosts, allowed_origins, expected):
    assert host_allowed(host, allowed_hosts, allowed_origins) is expected


@pytest.mark.parametrize(
    ("flags", "served"),
    [
        ([], ()),
        (
            ["--allowed-host", "a.example", "--allowed-host", "b.example"],
            ("a.example", "b.example"),
        ),
        (["--host", "0.0.0.0"], ()),
        (
            ["--host", "lab-pc.example", "--allowed-host", "a.example"],
            ("a.example", "lab-pc.example"),
        ),
    ],
)
def test_flags_name_the_hosts_served(monkeypatch, flags, served):
    monkeypatch.delenv("MLP_PLAYGROUND_ALLOWED_HOSTS", raising=False)
    assert settings_from_args(_parser().parse_args(flags)).allowed_hosts == served


def test_host_equal_to_origin_is_trusted_only_for_a_served_host():
    own = ("http://evil.example:8000", "evil.example:8000", 8000, ())
    assert origin_allowed(*own) is False
    assert origin_allowed(*own, ("evil.example",)) is True
