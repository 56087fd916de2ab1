"""Property-based fuzzing of `/ws/train`: whatever a client sends, the server answers a bad
message with an `error`, applies a good one, and keeps the session working.

At least 10,000 messages per run, over a few connections of the in-process app, with the rate
limiter raised so that none is dropped. Each message is judged with `parse_client_message`
(or the size cap, or as binary) before it is sent; a bad one must be answered by exactly that
error, in order. Errors the worker sends about good messages (a probe out of range, say) are
allowed in between, but never `internal`. Message types added to the protocol are fuzzed too
(through `CLIENT_TYPES`).
"""

import json

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wire import receive_message

from server.app import create_app
from server.protocol import CLIENT_TYPES, parse_client_message
from server.settings import Settings

MESSAGES = 10_000
CONNECTIONS = 4
MAX_BYTES = 64 * 1024
#: What the handler answers a message it refuses with; the worker's other codes (a probe out of
#: range, say) answer valid messages. The worker may also send invalid_config.
HANDLER_CODES = {
    "bad_json",
    "unknown_type",
    "invalid_message",
    "invalid_config",
    "message_too_large",
    "rate_limited",
}
CHEAP_CONFIG = {"n_samples": 60, "grid_resolution": 10, "batch_size": 5}
#: How the handler's `rate_limited` for a valid command dropped by a busy session begins.
SESSION_BUSY = "the session is busy:"

numbers = st.one_of(
    st.integers(),
    st.integers(min_value=-(10**60), max_value=10**60),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, -1, 1e-320, 1e308, -1e308, 2**63, 0.1]),
)
json_values = st.recursive(
    st.none() | st.booleans() | numbers | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=8,
)
field_names = st.sampled_from(
    ["config", "epochs", "index", "learning_rate", "speed", "layer", "row", "col", "value",
     "regularization_rate", "dataset", "hidden_layers"]
)  # fmt: skip
message_like = st.fixed_dictionaries(
    {"type": st.sampled_from([*CLIENT_TYPES, "fly", "", 7, None])},
    optional={"extra": json_values},
).flatmap(
    lambda base: st.dictionaries(field_names, json_values | numbers, max_size=3).map(
        lambda fields: {**base, **fields}
    )
)
ODD_TEXTS = [
    '{"type": "set", "speed": "NaN"}',
    '{"type": "set", "speed": "Infinity"}',
    '{"type": "set", "learning_rate": NaN}',
    '{"type": "step", "epochs": 1e999}',
    '{"type": "probe", "index": -0}',
    '{"type": "step", "epochs": ' + "9" * 5000 + "}",
    "",
    "{",
    "null",
]
texts = st.one_of(
    message_like.map(lambda m: json.dumps(m)),  # NaN and Infinity go as JSON tokens
    json_values.map(json.dumps),
    st.sampled_from(ODD_TEXTS),
    st.text(max_size=50),
    st.integers(1, 40_000).map(lambda depth: "[" * depth + "]" * depth),
    st.integers(1, 5_000).map(lambda depth: '{"a":' * depth + "1" + "}" * depth),
    st.integers(MAX_BYTES - 40, MAX_BYTES).map(lambda n: '{"type":"pause","p":"' + "a" * n + '"}'),
)
messages = st.one_of(texts, texts, texts, st.binary(max_size=64))
batches = st.lists(messages, min_size=20, max_size=20)


def variants(message: str | bytes) -> list[str | bytes]:
    """The message, cut in half, without its first character, with trailing garbage and with
    a NaN token: five for one drawn (drawing is what takes hypothesis its time)."""
    if isinstance(message, bytes):
        return [message]
    with_nan = message.replace(":", ": NaN,", 1)
    return [message, message[: len(message) // 2], message[1:], message + "}", with_nan]


def expected_error(message: str | bytes) -> dict | None:
    """The error the server must answer `message` with; None for a valid message."""
    raw = message if isinstance(message, bytes) else message.encode("utf-8", "surrogatepass")
    size = len(raw)
    if size > MAX_BYTES:
        return {"code": "message_too_large"}
    if isinstance(message, bytes):
        return {"code": "invalid_message"}
    error = parse_client_message(message)[1]
    return None if error is None else error.model_dump()


def send(ws, message: str | bytes) -> None:
    if isinstance(message, bytes):
        ws.send_bytes(message)
    else:
        ws.send_text(message)


def batch_errors(ws, end: str) -> list[dict]:
    """The errors the handler sent up to `end`'s, which marks the end of a batch, skipping the
    worker's replies to valid messages and the handler's own to a valid command it had to
    drop: with `MAX_PENDING_COMMANDS` commands waiting for the session (a batch of 100 holds
    gradient checks and runs to build, and a loaded machine's worker falls behind), the next
    is dropped with `rate_limited`, "the session is busy". That is the server's answer to a
    client that sends faster than its session works, not an answer to a bad message. Read to
    the end before anything is judged, so that a failing batch leaves the next one (and
    Hypothesis's replays) reading their own replies."""
    errors = []
    while True:
        reply = receive_message(ws)
        if reply["type"] != "error":
            continue
        assert reply["code"] != "internal", reply
        if reply["code"] == "unknown_type" and f'"{end}"' in reply["message"]:
            return errors
        if reply["code"] == "rate_limited" and reply["message"].startswith(SESSION_BUSY):
            continue
        if reply["code"] in HANDLER_CODES:
            errors.append(reply)


def match_errors(expected: list[tuple[str | bytes, dict]], errors: list[dict]) -> None:
    """Each bad message answered by its error, in order, and no other error but a worker's
    invalid_config about an earlier valid message."""
    replies = iter(errors)
    for message, error in expected:
        reply = next(replies, None)
        while (
            reply is not None
            and reply["code"] == "invalid_config"
            and error["code"] != "invalid_config"
        ):
            reply = next(replies, None)  # a worker's invalid_config about an earlier message
        assert reply is not None, ("no error answered", message[:200], error)
        assert reply["code"] == error["code"], (message[:200], reply, error)
        if "message" in error:
            assert reply["message"] == error["message"], (message[:200], reply, error)
    extra = [reply for reply in replies if reply["code"] != "invalid_config"]
    assert extra == [], ("errors no bad message asked for", extra)


def fuzz_connection(ws, quota: int) -> dict:
    counts = {"sent": 0, "errors": 0, "applied": 0, "batches": 0}
    ws.send_json({"type": "configure", "config": CHEAP_CONFIG})

    @settings(
        max_examples=quota // 60 + 10,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(batches)
    def fuzz(batch):
        expected = []  # the batch is sent at once, then its errors are read in order
        for message in (variant for drawn in batch for variant in variants(drawn)):
            if counts["sent"] >= quota:
                break
            if isinstance(message, str) and '"configure"' in message:
                message = message.replace('"configure"', '"reset"')  # keep runs cheap
            send(ws, message)
            counts["sent"] += 1
            error = expected_error(message)
            if error is None:
                counts["applied"] += 1
            else:
                expected.append((message, error))
        counts["batches"] += 1
        end = f"end-of-batch-{counts['batches']}"
        ws.send_json({"type": end})
        match_errors(expected, batch_errors(ws, end))
        counts["errors"] += len(expected)

    fuzz()
    ws.send_json({"type": "reset"})
    ready = next_message(ws, "ready")
    ws.send_json({"type": "step", "epochs": 1})
    stepped = next_message(ws, "status", lambda s: "stepped" in s["message"])
    assert stepped["epoch"] == 1 and ready["run"] >= 2
    return counts


def next_message(ws, expected: str, until=lambda message: True) -> dict:
    while True:
        reply = receive_message(ws)
        assert reply.get("code") != "internal", reply
        if reply["type"] == expected and until(reply):
            return reply


def test_fuzzed_messages_get_errors_and_never_break_a_session():
    app = create_app(
        Settings(
            messages_per_second=1e9,
            message_burst=1e9,
            message_bytes_per_second=10**12,
            allowed_hosts=("testserver",),
        )
    )
    totals = {"sent": 0, "errors": 0, "applied": 0, "batches": 0}
    with TestClient(app) as client:
        for _ in range(CONNECTIONS):
            with client.websocket_connect("/ws/train") as ws:
                counts = fuzz_connection(ws, MESSAGES // CONNECTIONS)
            totals = {key: totals[key] + counts[key] for key in totals}
        assert client.get("/api/health").json()["status"] == "ok"
    print(f"fuzz: {totals['sent']} messages, {totals['errors']} errors, "
          f"{totals['applied']} applied, 0 crashes")  # fmt: skip
    assert totals["sent"] >= MESSAGES
