"""What one frame shows of a run: the network's state, computed by `mlp_engine` itself.

A frame is a JSON part (`protocol.Frame`) and a binary part: every dense array, float32
little-endian, laid end to end and described by the JSON part's `arrays`. What the network
does over the input plane (the decision boundary, the neurons' thumbnails, the layer space's
grid lines) is not in it: the page computes that from the frame's W and b (static/forward.js),
which keeps a frame to a few kilobytes.
"""

import numpy as np

from mlp_engine import MLP

from .data import RunData
from .protocol import Grid, LayerSpaceView, TrainConfig

THUMBNAIL = 20
WIRE_DTYPE = np.dtype("<f4")


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


class FrameArrays:
    """Collects named arrays into one float32 buffer and its manifest: one dict per array with
    `protocol.ArraySpec`'s fields. Plain dicts, not models: a frame carries about 30 of them
    and is serialised once (`session.frame_message`), so a model per array would cost a frame
    more to build than its evaluation passes."""

    def __init__(self):
        self.specs: list[dict] = []
        self._parts: list[np.ndarray] = []
        self._offset = 0

    def add(self, name: str, array: np.ndarray, layer: int | None = None) -> None:
        array = np.asarray(array)
        self.specs.append(
            {"name": name, "layer": layer, "shape": list(array.shape), "offset": self._offset}
        )
        self._parts.append(array.ravel())
        self._offset += array.size

    def to_bytes(self) -> bytes:
        """Every array as WIRE_DTYPE, converted in the one copy that lays them end to end."""
        if not self._parts:
            return b""
        return np.concatenate(self._parts, dtype=WIRE_DTYPE, casting="unsafe").tobytes()


def add_predictions(arrays: FrameArrays, model: MLP, split: str, labels: np.ndarray, k: int):
    """After a forward pass over a split: each sample's predicted class (its prediction, for
    regression) and, for a classifier, the split's (k, k) confusion matrix."""
    a = model.activations_cache[-1]
    if not model.is_classifier:
        arrays.add(f"{split}_predicted", a[:, 0])
        return
    predicted = model.classes_of(a)
    arrays.add(f"{split}_predicted", predicted)
    counts = np.bincount(labels * k + predicted, minlength=k * k)
    arrays.add(f"confusion_{split}", counts.reshape(k, k))


def network_arrays(
    model: MLP, run, probe: int, layer_space: LayerSpaceView | None = None
) -> tuple[FrameArrays, dict[str, float], dict[str, float]]:
    """Every array a frame carries, and the training and test sets' scores (`MLP.evaluate`).

    `run` is the session's run: its data (`X_train`, `Y_train`, `X_test`, `Y_test`, `data`).
    All come from the engine's own forward and backward passes; the pictures over the plane
    are the page's to draw from W and b.
    """
    arrays = FrameArrays()
    X_train, Y_train = run.X_train, run.Y_train
    k = len(run.data.classes)
    test = model.evaluate(run.X_test, run.Y_test)
    add_predictions(arrays, model, "test", run.data.y_test, k)
    scores = model.evaluate(X_train, Y_train)  # the forward pass over the training set...
    add_predictions(arrays, model, "train", run.data.y_train, k)
    whole_set = model.backward(Y_train)  # ...that gives dC/dW, dC/db of the training set's cost
    if layer_space is not None:
        neurons = list(layer_space.neurons)
        points = model.activations_cache[layer_space.layer + 1][:, neurons]
    model.forward(X_train[probe : probe + 1])
    probe_pass = model.backward(Y_train[probe : probe + 1])
    z_probe, a_probe = model.weighted_inputs_cache, model.activations_cache
    arrays.add("input", a_probe[0][0])
    for l, layer in enumerate(model.sequential):
        arrays.add("W", layer.W, l)
        arrays.add("b", layer.b, l)
        arrays.add("dW", whole_set[l].dW, l)
        arrays.add("db", whole_set[l].db, l)
        delta = whole_set[l].delta
        arrays.add("mean_abs_delta", np.abs(delta).sum(axis=0) / delta.shape[0], l)
        arrays.add("z", z_probe[l][0], l)
        arrays.add("a", a_probe[l + 1][0], l)
        arrays.add("delta", probe_pass[l].delta[0], l)
    if layer_space is not None:
        arrays.add("layer_space_points", points, layer_space.layer)
    return arrays, scores, test
