"""Reading a frame's binary part as a client does: only from what the frame's JSON says."""

import math

import numpy as np

WIRE_DTYPE = np.dtype("<f4")


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
