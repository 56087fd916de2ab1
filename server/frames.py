"""What one frame shows of a run: the network's state, computed by `mlp_engine` itself.

A frame is a JSON part (`protocol.Frame`) and a binary part: every dense array, float32
little-endian, laid end to end and described by the JSON part's `arrays`.
"""

from dataclasses import dataclass

import numpy as np

from mlp_engine import MLP
from mlp_engine.datasets import feature_map

from .data import RunData
from .protocol import ArraySpec, Grid, LayerSpaceView, TrainConfig

THUMBNAIL = 20
#: Grid rows per forward pass: each layer's arrays then stay in cache and come from the heap
#: rather than fresh pages, which takes a 100 x 100 grid through 6 x 8 tanh layers from ~4.6 ms
#: to ~2.5 ms (the frame's largest cost).
GRID_CHUNK = 2048
#: The layer-space view draws the images of LINES lines x2 = c and LINES lines x1 = c.
LINES = 11
LINE_POINTS = 50
WIRE_DTYPE = np.dtype("<f4")


@dataclass
class InputGrid:
    """The input plane sampled for the decision boundary, as raw points and as features."""

    grid: Grid
    features: np.ndarray  # (n_points, n_x), rows in the order the frame's arrays use
    thumbnail_features: np.ndarray  # the rows of `features` that make up the thumbnails
    lines: np.ndarray  # (n_lines * LINE_POINTS, n_x): the layer-space view's lines, as features
    n_lines: int


def grid_lines(x_range, y_range) -> np.ndarray:
    """Raw points of the layer-space view's lines, (n_lines, LINE_POINTS, n_inputs).

    2-D data: LINES lines x2 = c (c rising across y_range, each running along x_range), then
    LINES lines x1 = c (c across x_range, each along y_range). 1-D data (y_range None): one
    line, the x1 axis.
    """
    along_x = np.linspace(*x_range, LINE_POINTS)
    if y_range is None:
        return along_x[None, :, None]
    along_y = np.linspace(*y_range, LINE_POINTS)
    c2, t1 = np.meshgrid(np.linspace(*y_range, LINES), along_x, indexing="ij")
    c1, t2 = np.meshgrid(np.linspace(*x_range, LINES), along_y, indexing="ij")
    return np.concatenate([np.stack([t1, c2], axis=-1), np.stack([c1, t2], axis=-1)])


def input_grid(config: TrainConfig, data: RunData) -> InputGrid | None:
    """A resolution x resolution grid over the data's plane (a line of points for 1-D data),
    as model inputs; None for data shown on principal components, which have no such plane."""
    if data.view == "pca":
        return None
    n = config.grid_resolution

    def inputs(raw: np.ndarray) -> np.ndarray:
        mapped = feature_map(raw, config.features) if data.plane else raw
        return np.ascontiguousarray(mapped, dtype=np.float32)

    axis = np.linspace(*data.x_range, n)
    thumbnail = np.round(np.linspace(0, n - 1, THUMBNAIL)).astype(int)
    if data.y_range is None:
        raw = axis[:, None]
        rows = thumbnail
    else:
        x1, x2 = np.meshgrid(axis, np.linspace(*data.y_range, n))  # rows follow x2, columns x1
        raw = np.column_stack([x1.ravel(), x2.ravel()])
        rows = (thumbnail[:, None] * n + thumbnail[None, :]).ravel()
    grid = Grid(x_range=data.x_range, y_range=data.y_range, resolution=n, thumbnail=THUMBNAIL)
    features = inputs(raw)
    lines = grid_lines(data.x_range, data.y_range)
    line_features = inputs(lines.reshape(-1, data.n_inputs))
    return InputGrid(grid, features, features[rows], line_features, lines.shape[0])


class FrameArrays:
    """Collects named arrays into one float32 buffer and its `ArraySpec` manifest."""

    def __init__(self):
        self.specs: list[ArraySpec] = []
        self._parts: list[np.ndarray] = []
        self._offset = 0

    def add(self, name: str, array: np.ndarray, layer: int | None = None) -> None:
        array = np.asarray(array, dtype=WIRE_DTYPE)
        self.specs.append(
            ArraySpec(name=name, layer=layer, shape=list(array.shape), offset=self._offset)
        )
        self._parts.append(array.ravel())
        self._offset += array.size

    def to_bytes(self) -> bytes:
        return np.concatenate(self._parts).tobytes() if self._parts else b""


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

    `run` is the session's run: its data (`X_train`, `Y_train`, `X_test`, `Y_test`, `data`),
    `grid` and `display`, a float32 twin of `model` (see `MLP.copy`) that evaluates the grid:
    the wire carries float32 anyway, and NumPy's float32 tanh and exp are several times
    faster. All come from the engine's own forward and backward passes.
    """
    arrays = FrameArrays()
    X_train, Y_train, grid, display = run.X_train, run.Y_train, run.grid, run.display
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
        arrays.add("mean_abs_delta", np.abs(whole_set[l].delta).mean(axis=0), l)
        arrays.add("z", z_probe[l][0], l)
        arrays.add("a", a_probe[l + 1][0], l)
        arrays.add("delta", probe_pass[l].delta[0], l)
    if grid is None:
        return arrays, scores, test

    display.theta[...] = model.theta
    output = np.concatenate(
        [
            display.forward(grid.features[start : start + GRID_CHUNK])
            for start in range(0, len(grid.features), GRID_CHUNK)
        ]
    )
    n = grid.grid.resolution
    shape = (n, model.n_y) if grid.grid.y_range is None else (n, n, model.n_y)
    arrays.add("output", output.reshape(shape))
    thumbnail = grid.grid.thumbnail
    display.forward(grid.thumbnail_features)
    for l, hidden in enumerate(display.activations_cache[1:-1]):
        side = (thumbnail,) if grid.grid.y_range is None else (thumbnail, thumbnail)
        arrays.add("neurons", hidden.T.reshape(-1, *side), l)
    if layer_space is not None:
        display.forward(grid.lines)
        images = display.activations_cache[layer_space.layer + 1][:, neurons]
        arrays.add("layer_space_points", points, layer_space.layer)
        arrays.add(
            "layer_space_grid", images.reshape(grid.n_lines, LINE_POINTS, 2), layer_space.layer
        )
    return arrays, scores, test
