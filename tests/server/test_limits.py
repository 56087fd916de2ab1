"""Issue 7's guards, in process: origins, message size and rate, the session cap, idle and
compute time, and the settings that set them (flags, environment, `/api/options`)."""

import time

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect
from wire import frame_parts, receive_message

from server import protocol
from server.app import create_app
from server.cli import _parser, settings_from_args
from server.guard import TokenBucket, origin_allowed, refusal_reason
from server.settings import Settings

OWN = "testserver"  # the TestClient's Host


def app_client(**settings) -> TestClient:
    return TestClient(create_app(Settings(allowed_hosts=(OWN,), **settings)))


def receive_type(ws, expected: str) -> dict:
    """The next message of type `expected`, skipping frames (and their binary parts)."""
    while True:
        message = receive_message(ws)
        if message["type"] == expected:
            return message


def closed_with(ws) -> WebSocketDisconnect:
    with pytest.raises(WebSocketDisconnect) as closed:
        while True:
            receive_message(ws)
    return closed.value


# -- origins -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("origin", "host", "allowed", "expected"),
    [
        (None, "example.org", (), True),
        ("http://example.org:8000", "example.org:8000", (), True),
        ("https://example.org", "example.org", (), True),
        ("http://localhost:8000", "0.0.0.0:8000", (), True),
        ("http://127.0.0.1:8000", "localhost:8000", (), True),
        ("http://localhost:9999", "localhost:8000", (), False),
        ("http://evil.example", "example.org:8000", (), False),
        ("http://evil.example", "example.org:8000", ("http://evil.example:80",), True),
        ("http://evil.example", "example.org:8000", ("*",), True),
        ("null", "example.org:8000", (), False),
    ],
)
def test_origin_allow_list(origin, host, allowed, expected):
    assert origin_allowed(origin, host, 8000, allowed, ("example.org",)) is expected


def test_a_cross_origin_connection_is_closed_1008_with_a_reason():
    with (
        app_client() as client,
        client.websocket_connect("/ws/train", headers={"origin": "http://evil.example"}) as ws,
    ):
        closed = closed_with(ws)
    assert closed.code == 1008
    assert closed.reason == refusal_reason("http://evil.example")
    assert "--allowed-origin" in closed.reason and "evil.example" in closed.reason


def test_a_long_origin_is_cut_to_fit_a_close_frame():
    assert len(refusal_reason("http://" + "a" * 500).encode()) <= 123


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [(f"http://{OWN}", ()), ("http://evil.example", ("http://evil.example",)), (None, ())],
)
def test_own_configured_and_absent_origins_may_train(origin, allowed):
    headers = {"origin": origin} if origin else {}
    with (
        app_client(allowed_origins=allowed) as client,
        client.websocket_connect("/ws/train", headers=headers) as ws,
    ):
        ws.send_json({"type": "configure"})
        assert receive_type(ws, "ready")["run"] == 1


# -- caps ----------------------------------------------------------------------------------------
def test_a_message_over_the_size_cap_is_an_error_and_the_connection_stays():
    with app_client(max_message_bytes=1000) as client, client.websocket_connect("/ws/train") as ws:
        ws.send_text('{"type": "configure", "pad": "' + "a" * 1000 + '"}')
        error = receive_type(ws, "error")
        ws.send_bytes(b"\x00" * 1001)
        binary = receive_type(ws, "error")
        ws.send_json({"type": "configure"})
        ready = receive_type(ws, "ready")
    assert error["code"] == binary["code"] == "message_too_large"
    assert "1000 bytes" in error["message"]
    assert ready["run"] == 1


def test_messages_over_the_rate_are_dropped_with_one_error():
    with (
        app_client(messages_per_second=5, message_burst=10) as client,
        client.websocket_connect("/ws/train") as ws,
    ):
        for _ in range(40):
            ws.send_text("not json")
        time.sleep(1.0)  # the bucket refills
        ws.send_json({"type": "configure"})
        errors = []
        while (message := receive_message(ws))["type"] == "error":
            errors.append(message["code"])
    assert message["type"] == "ready"
    assert errors.count("rate_limited") == 1
    assert 10 <= errors.count("bad_json") < 20


def test_the_token_bucket_refills_at_its_rate():
    now = [0.0]
    bucket = TokenBucket(rate=2, burst=3, clock=lambda: now[0])
    assert [bucket.take() for _ in range(4)] == [True, True, True, False]
    now[0] = 1.0
    assert [bucket.take() for _ in range(3)] == [True, True, False]


def test_a_full_server_closes_the_next_connection_1013():
    with app_client(max_sessions=2) as client:
        with (
            client.websocket_connect("/ws/train") as first,
            client.websocket_connect("/ws/train") as second,
        ):
            for ws in (first, second):
                ws.send_json({"type": "configure"})
                receive_type(ws, "ready")
            with client.websocket_connect("/ws/train") as third:
                closed = closed_with(third)
        with client.websocket_connect("/ws/train") as again:
            again.send_json({"type": "configure"})
            assert receive_type(again, "ready")["run"] == 1
    assert closed.code == 1013
    assert closed.reason == "the server is full: 2 sessions are running; try again later"


def test_an_idle_session_is_closed_but_not_while_training():
    with app_client(idle_seconds=0.5) as client, client.websocket_connect("/ws/train") as ws:
        ws.send_json({"type": "configure"})
        ws.send_json({"type": "set", "speed": 20})
        ws.send_json({"type": "play"})
        started = time.monotonic()
        while time.monotonic() - started < 1.5:
            receive_type(ws, "frame")
        ws.send_json({"type": "pause"})
        paused_at = time.monotonic()
        closed = closed_with(ws)
    assert (closed.code, closed.reason) == (1000, "idle for 0.5 s")
    assert 0.3 < time.monotonic() - paused_at < 3.0


def test_the_compute_budget_pauses_training_until_a_reset():
    with app_client(compute_seconds=0.3) as client, client.websocket_connect("/ws/train") as ws:
        ws.send_json({"type": "configure"})
        ws.send_json({"type": "play"})
        receive_type(ws, "status")  # training
        stopped = receive_type(ws, "status")
        ws.send_json({"type": "reset"})
        ready = receive_type(ws, "ready")
        ws.send_json({"type": "step", "epochs": 2})
        stepped = receive_type(ws, "status")
    assert stopped["state"] == "paused"
    assert "0.3 s of training time" in stopped["message"] and "reset" in stopped["message"]
    assert ready["run"] == 2
    assert (stepped["state"], stepped["epoch"]) == ("paused", 2)


# -- settings ------------------------------------------------------------------------------------
def test_settings_come_from_the_environment():
    settings = Settings.from_env(
        {
            "MLP_PLAYGROUND_MAX_SESSIONS": "3",
            "MLP_PLAYGROUND_IDLE_SECONDS": "60",
            "MLP_PLAYGROUND_ALLOWED_ORIGINS": "https://a.example, https://b.example",
        }
    )
    assert (settings.max_sessions, settings.idle_seconds) == (3, 60.0)
    assert settings.allowed_origins == ("https://a.example", "https://b.example")
    assert Settings.from_env(settings.to_env()) == settings
    with pytest.raises(ValueError, match="MLP_PLAYGROUND_MAX_SESSIONS"):
        Settings.from_env({"MLP_PLAYGROUND_MAX_SESSIONS": "0"})


def test_flags_set_every_cap_and_add_origins(monkeypatch):
    monkeypatch.setenv("MLP_PLAYGROUND_ALLOWED_ORIGINS", "https://a.example")
    args = _parser().parse_args(
        ["--max-message-bytes", "100", "--messages-per-second", "7", "--message-burst", "9",
         "--max-sessions", "5", "--idle-seconds", "11", "--compute-seconds", "13",
         "--allowed-origin", "https://b.example", "--allowed-origin", "*"]
    )  # fmt: skip
    assert settings_from_args(args) == Settings(
        max_message_bytes=100,
        messages_per_second=7,
        message_burst=9,
        max_sessions=5,
        idle_seconds=11,
        compute_seconds=13,
        allowed_origins=("https://a.example", "https://b.example", "*"),
    )
    assert _parser().parse_args([]).host == "127.0.0.1"


def test_options_state_the_server_limits_and_health_its_pid(monkeypatch):
    monkeypatch.setenv("MLP_PLAYGROUND_MAX_SESSIONS", "7")
    monkeypatch.setenv("MLP_PLAYGROUND_ALLOWED_HOSTS", OWN)
    with TestClient(create_app()) as client:
        limits = client.get("/api/options").json()["server_limits"]
        health = client.get("/api/health").json()
    assert limits == {
        "max_message_bytes": 65536,
        "max_upload_bytes": 7_000_000,
        "messages_per_second": 200.0,
        "message_burst": 400.0,
        "message_bytes_per_second": 1_000_000,
        "max_outbox_bytes": 8 * 1024 * 1024,
        "max_sessions": 7,
        "idle_seconds": 1800.0,
        "compute_seconds": 3600.0,
        "max_parameters": 10000,
    }
    assert isinstance(health["pid"], int)
    assert health["sessions"] == 0


class NoLoop:
    def call_soon_threadsafe(self, callback):
        pass


def test_a_client_that_sends_but_never_reads_is_closed_before_replies_pile_up():
    from server.session import MAX_PENDING_MESSAGES, Outbox

    outbox = Outbox(NoLoop())
    for i in range(MAX_PENDING_MESSAGES):
        outbox.put(protocol.Error(code="bad_json", message=str(i)))
    assert not outbox.overflowed
    outbox.put(protocol.Error(code="bad_json", message="one too many"))
    assert outbox.overflowed
    assert len(outbox._control) == 0, "what a closing connection will not send is let go"


def test_the_outbox_is_capped_in_bytes_but_passes_one_message_of_any_size():
    from server.session import Outbox

    outbox = Outbox(NoLoop(), max_bytes=1000)
    big = protocol.ExportFile(
        what="data", filename="big.csv", media_type="text/csv", content="x" * 5000
    )
    outbox.put(big)
    assert not outbox.overflowed and outbox.pending_bytes > 5000
    outbox.sent(outbox._control.popleft())
    assert outbox.pending_bytes == 0
    status = protocol.Status(state="idle", epoch=0, message="y" * 78)
    for _ in range(7):  # 133 bytes each
        outbox.put(status)
    assert not outbox.overflowed and outbox.pending_bytes == 7 * 133
    outbox.put(status)
    assert outbox.overflowed


def test_a_frame_put_before_a_message_goes_out_before_it():
    """A run's last frame, built before the next run's `ready`, must not arrive after it (a
    client would take it for the new run's first frame)."""
    import asyncio
    import json

    from server.protocol import TrainConfig
    from server.run import build_run, ready_message
    from server.session import Outbox

    ready = ready_message(build_run(TrainConfig(n_samples=20), 2, 0))

    async def order():
        outbox = Outbox(asyncio.get_running_loop())
        outbox.put_frame({"type": "frame", "run": 1}, b"old")
        outbox.put(ready)
        outbox.put_frame({"type": "frame", "run": 2}, b"new")
        taken = []
        for message in await outbox.take():
            text, payload = (message, None) if isinstance(message, str) else frame_parts(message)
            taken.append((json.loads(text)["type"], payload))
        return taken

    assert asyncio.run(order()) == [("frame", b"old"), ("ready", None), ("frame", b"new")]


def test_a_network_over_the_parameter_cap_is_refused_and_the_run_kept():
    with app_client(max_parameters=100).websocket_connect("/ws/train") as ws:
        ws.send_json({"type": "configure", "config": {"hidden_layers": [4, 2]}})
        ready = receive_type(ws, "ready")
        ws.send_json({"type": "configure", "config": {"hidden_layers": [32, 32]}})
        error = receive_type(ws, "error")
        ws.send_json({"type": "step", "epochs": 1})
        status = receive_type(ws, "status")
    assert ready["layer_sizes"] == [2, 4, 2, 1]
    assert error["code"] == "invalid_config"
    assert "1185 weights and biases" in error["message"] and "at most 100" in error["message"]
    assert status["epoch"] == 1, "the earlier run goes on"
