"""Reading the server's messages as a client does: only from what docs/protocol.md says."""

import json
import math
import struct

import numpy as np
from starlette.websockets import WebSocketDisconnect

WIRE_DTYPE = np.dtype("<f4")


def frame_parts(data: bytes) -> tuple[str, bytes]:
    """A frame's binary message split as docs/protocol.md lays it out: its JSON part (after a
    little-endian uint32 of its length, a multiple of 4) and its binary part."""
    (length,) = struct.unpack_from("<I", data)
    assert length % 4 == 0, f"the JSON part is {length} bytes, not a multiple of 4"
    return data[4 : 4 + length].decode("ascii"), data[4 + length :]


def decode_arrays(frame: dict, payload: bytes) -> dict[tuple[str, int | None], np.ndarray]:
    """{(name, layer): array} for every entry of the frame's `arrays` manifest.

    Checks on the way that the payload is `n_bytes` long and that the manifest's arrays lie end
    to end and cover it exactly, as docs/protocol.md promises.
    """
    assert len(payload) == frame["n_bytes"]
    values = np.frombuffer(payload, dtype=WIRE_DTYPE)
    arrays, offset = {}, 0
    for spec in frame["arrays"]:
        assert spec["offset"] == offset, f"{spec['name']} does not follow the previous array"
        count = math.prod(spec["shape"])
        key = (spec["name"], spec["layer"])
        assert key not in arrays, f"{key} appears twice in the manifest"
        arrays[key] = values[offset : offset + count].reshape(spec["shape"])
        offset += count
    assert offset * WIRE_DTYPE.itemsize == len(payload), "the manifest does not cover the payload"
    return arrays


def read_message(data: str | bytes) -> dict:
    """A message as received: JSON text, or a frame's binary message, whose JSON part is
    returned with its arrays decoded under "decoded" (`decode_arrays`)."""
    if isinstance(data, str):
        message = json.loads(data)
        assert message["type"] != "frame", "a frame came as a text message"
        return message
    text, payload = frame_parts(data)
    frame = json.loads(text)
    assert frame["type"] == "frame", frame["type"]
    frame["decoded"] = decode_arrays(frame, payload)
    return frame


def receive_message(ws) -> dict:
    """The next message of a `TestClient` websocket (`read_message`); a close raises
    `WebSocketDisconnect`, as the client's own `receive_json` does."""
    message = ws.receive()
    if message["type"] == "websocket.close":
        raise WebSocketDisconnect(code=message.get("code", 1000), reason=message.get("reason", ""))
    text = message.get("text")
    return read_message(message["bytes"] if text is None else text)
