"""What one frame shows of a run: the network's state, computed by `mlp_engine` itself.

A frame is a JSON part (`protocol.Frame`) and a binary part: every dense array, float32
little-endian, laid end to end and described by the JSON part's `arrays`; both go out in one
binary websocket message (`frame_bytes`). What the network does over the input plane (the
decision boundary, the neurons' thumbnails, the layer space's grid lines) is not in it: the
page computes that from the frame's W and b (static/forward.js), which keeps a frame to a few
kilobytes.
"""

import functools
import json
import math
import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from mlp_engine import MLP

from . import protocol
from .data import RunData
from .protocol import Grid, LayerSpaceView, TrainConfig

if TYPE_CHECKING:
    from .run import Run

THUMBNAIL = 20
WIRE_DTYPE = np.dtype("<f4")
#: A frame's first 4 bytes: the length of its JSON head, a uint32 little-endian.
HEAD_LENGTH = struct.Struct("<I")


def input_grid(config: TrainConfig, data: RunData) -> Grid | None:
    """The plane the page draws the network's output on (a line for 1-D data): a
    resolution x resolution grid over the data's range; None for data shown on principal
    components, which have no such plane. The page evaluates the network there itself
    (static/forward.js), from each frame's weights."""
    if data.view == "pca":
        return None
    return Grid(
        x_range=data.x_range,
        y_range=data.y_range,
        resolution=config.grid_resolution,
        thumbnail=THUMBNAIL,
    )


class Manifest(list):
    """The frame's `arrays`: one dict per array with `protocol.ArraySpec`'s fields, and their
    JSON `text`. Every frame of a run has the same arrays in the same shapes, so one manifest
    (`manifest`) serves them all, read only: about 30 dicts would otherwise be built and
    encoded again for every frame, most of a frame's JSON (`frame_text`)."""

    def __init__(self, specs: list[dict]):
        super().__init__(specs)
        self.text = json.dumps(specs)


@functools.lru_cache(maxsize=256)
def manifest(layout: tuple[tuple[str, int | None, tuple[int, ...]], ...]) -> Manifest:
    """The manifest of arrays (name, layer, shape) laid end to end in this order."""
    specs, offset = [], 0
    for name, layer, shape in layout:
        specs.append({"name": name, "layer": layer, "shape": list(shape), "offset": offset})
        offset += math.prod(shape)
    return Manifest(specs)


class FrameArrays:
    """Collects named arrays into one float32 buffer and its `manifest`."""

    def __init__(self):
        self._layout: list[tuple[str, int | None, tuple[int, ...]]] = []
        self._parts: list[np.ndarray] = []

    def add(self, name: str, array: np.ndarray, layer: int | None = None) -> None:
        array = np.asarray(array)
        self._layout.append((name, layer, array.shape))
        self._parts.append(array.ravel())

    def add_layers(self, names: tuple[str, ...], shapes: list[tuple], values: np.ndarray) -> None:
        """Arrays of every layer lying end to end in `values` already (theta's layout, say):
        for each name, layer 0's array of shapes[0], layer 1's of shapes[1], ...; one part."""
        self._layout.extend((name, l, shape) for name in names for l, shape in enumerate(shapes))
        self._parts.append(values.ravel())

    @property
    def specs(self) -> Manifest:
        return manifest(tuple(self._layout))

    def to_bytes(self) -> bytes:
        """Every array as WIRE_DTYPE, converted in the one copy that lays them end to end."""
        if not self._parts:
            return b""
        return np.concatenate(self._parts, dtype=WIRE_DTYPE, casting="unsafe").tobytes()


def add_predictions(
    arrays: FrameArrays,
    model: MLP,
    a: np.ndarray,
    split: str,
    labels: np.ndarray,
    k: int,
    each: bool,
):
    """From `model`'s outputs a^L over a split: with `each`, each sample's predicted class
    (its prediction, for regression), and for a classifier the split's (k, k) confusion
    matrix. A page that draws the data on the input plane computes each sample's prediction
    itself, from W and b as it draws the boundary; only principal components need them sent."""
    if not model.is_classifier:
        if each:
            arrays.add(f"{split}_predicted", a[:, 0])
        return
    predicted = model.classes_of(a)
    if each:
        arrays.add(f"{split}_predicted", predicted)
    counts = np.bincount(labels * k + predicted, minlength=k * k)
    arrays.add(f"confusion_{split}", counts.reshape(k, k))


def network_arrays(
    run: "Run", probe: int, layer_space: LayerSpaceView | None = None
) -> tuple[FrameArrays, dict[str, float], dict[str, float]]:
    """Every array a frame carries, and the training and test sets' scores (loss and metric).

    All come from the engine's own passes over the two sets at the run's weights now
    (`Run.passes`: those the last epoch made, when the weights are still its), and its
    backpropagation over the training set; the pictures over the plane are the page's to draw
    from W and b.

    The probe is a training sample, and a pass over a batch treats each sample on its own
    (eqs. 32-33 row by row; eqs. 12-13 for each x, `backward` giving every sample's own delta):
    its z, a and delta are its rows of the training set's passes, not a pass of their own.
    """
    arrays = FrameArrays()
    model, X_train, Y_train = run.model, run.X_train, run.Y_train
    k = len(run.data.classes)
    # The training set's pass in the model's caches, the test set's a^L beside them.
    train_loss, test_loss = run.passes()
    a_test, a_train = model.held_out_output, model.activations_cache[-1]
    test = {"loss": test_loss, model.metric: model.score(run.Y_test, a_test)}
    each = run.grid is None  # no plane to draw them on: principal components
    add_predictions(arrays, model, a_test, "test", run.data.y_test, k, each)
    scores = {"loss": train_loss, model.metric: model.score(Y_train)}
    add_predictions(arrays, model, a_train, "train", run.data.y_train, k, each)
    # dC/dW, dC/db of the training set's cost, left in `grad` (theta's layout), and each
    # sample's delta: the layers' arrays go out a few blocks at a time, not one by one.
    deltas = np.hstack([layer.delta for layer in model.backward(Y_train)])
    z_train, a_train = model.weighted_inputs_cache, model.activations_cache
    arrays.add("input", X_train[probe])
    weights = [layer.W.shape for layer in model.sequential]
    biases = [layer.b.shape for layer in model.sequential]
    arrays.add_layers(("W",), weights, model.theta[: model.n_weights])
    arrays.add_layers(("b",), biases, model.theta[model.n_weights :])
    arrays.add_layers(("dW",), weights, model.grad[: model.n_weights])
    arrays.add_layers(("db",), biases, model.grad[model.n_weights :])
    arrays.add_layers(("mean_abs_delta",), biases, np.abs(deltas).sum(axis=0) / len(deltas))
    at_probe = [z[probe] for z in z_train] + [a[probe] for a in a_train[1:]] + [deltas[probe]]
    arrays.add_layers(("z", "a", "delta"), biases, np.concatenate(at_probe))
    if layer_space is not None:
        neurons = list(layer_space.neurons)
        arrays.add(
            "layer_space_points", a_train[layer_space.layer + 1][:, neurons], layer_space.layer
        )
    return arrays, scores, test


@dataclass
class FrameJob:
    """What a frame shows: a run as it is now (the frame is built at once)."""

    run: "Run"
    epoch: int
    history: protocol.History  # the epochs since the last frame that the loss chart needs
    state: str
    probe: int
    epochs_per_second: float
    layer_space: protocol.LayerSpaceView | None = None


def frame_message(job: FrameJob) -> tuple[dict, bytes]:
    """The frame's JSON part and its binary part (`network_arrays`).

    The JSON part is `protocol.Frame` as plain data, built directly: validating the values
    this function computes itself, then dumping them again, cost as much as a frame's
    evaluation passes (tests/server/test_frame_message.py holds it to the model).
    """
    run, probe, layer_space = job.run, job.probe, job.layer_space
    metric = run.model.metric
    arrays, train, test = network_arrays(run, probe, layer_space)
    payload = arrays.to_bytes()
    frame = {
        "type": "frame",
        "run": run.number,
        "epoch": job.epoch,
        "state": job.state,
        "train_loss": _finite(train["loss"]),
        "test_loss": _finite(test["loss"]),
        "metric": metric,
        "train_metric": _finite(train[metric]),
        "test_metric": _finite(test[metric]),
        "epochs_per_second": round(job.epochs_per_second, 1),
        "probe": probe,
        "layer_space": None if layer_space is None else layer_space.model_dump(mode="json"),
        "history": dict(job.history),  # its fields are lists of JSON's own values
        "arrays": arrays.specs,
        "n_bytes": len(payload),
    }
    return frame, payload


def frame_text(message: dict) -> str:
    """`message` as JSON text, its manifest's text taken as it was encoded (`Manifest`)."""
    arrays = message.get("arrays")
    if not isinstance(arrays, Manifest):
        return json.dumps(message)
    head = json.dumps({key: value for key, value in message.items() if key != "arrays"})
    separator = ", " if len(head) > 2 else ""
    return f'{head[:-1]}{separator}"arrays": {arrays.text}}}'


def frame_bytes(message: dict, payload: bytes) -> bytes:
    """A frame as it goes out: one binary websocket message of its head's length (`HEAD_LENGTH`),
    its JSON part (`frame_text`, ASCII, padded with spaces to a multiple of 4 bytes, so that the
    values after it can be read in place as float32) and its binary part.

    One message, not a JSON message and a binary one: a crowded worker's event loop sends 480
    frames a second, and every message is a trip through the websocket's stack, a write to the
    socket and a wake-up of the reader (docs/deploy.md, "Seventh session").
    """
    head = frame_text(message).encode("ascii")
    head += b" " * (-len(head) % 4)
    return b"".join((HEAD_LENGTH.pack(len(head)), head, payload))


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None
