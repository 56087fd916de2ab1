"""The page's forward pass (static/forward.js) gives the engine's numbers.

The page draws the decision boundary, the neurons' thumbnails and the layer space's grid lines
from each frame's W and b instead of receiving them. For the same float32 weights, every
activation the engine has (LeakyReLU with its alpha), every output activation (softmax
included) and every input feature, its pictures must be `mlp_engine`'s forward pass over the
grid of `ready.grid` (the protocol's `Grid`: x1 along columns, x2 along rows) to float32
precision.
"""

import numpy as np
import pytest

from mlp_engine import MLP
from mlp_engine.datasets import FEATURES, feature_map
from mlp_engine.operations import spec

RESOLUTION = 30
THUMBNAIL = 7
LINES, LINE_POINTS = 11, 50  # the layer space's lines (static/forward.js)
ALL_FEATURES = list(FEATURES)
ONE_D_FEATURES = ["x1", "x1^2", "sin x1"]

#: (hidden activation, output activation, n_y, features, plane, 1-D)
CASES = [
    ("tanh", "sigmoid", 1, ALL_FEATURES, True, False),
    ("sigmoid", "tanh", 1, ["x1", "x2"], True, False),
    ("relu", "linear", 1, ["x1^2", "x2^2", "x1*x2"], True, False),
    ({"name": "leaky_relu", "alpha": 0.3}, "softmax", 4, ["x1", "sin x1", "sin x2"], True, False),
    ("linear", "relu", 1, ["x1", "x2"], True, False),
    ("softmax", "sigmoid", 1, ["x1", "x2", "x1*x2"], True, False),
    ("leaky_relu", {"name": "leaky_relu", "alpha": 0.05}, 1, ["x1", "x2"], True, False),
    ("tanh", "linear", 1, ONE_D_FEATURES, True, True),
    ("relu", "softmax", 3, ["x1", "x2"], False, False),  # tabular columns: no features
]


def grid_points(x_range, y_range):
    """The protocol's grid: rows follow x2, columns x1 (a line of x1 for 1-D data)."""
    axis = np.linspace(*x_range, RESOLUTION)
    if y_range is None:
        return axis[:, None]
    x1, x2 = np.meshgrid(axis, np.linspace(*y_range, RESOLUTION))
    return np.column_stack([x1.ravel(), x2.ravel()])


def line_points(x_range, y_range):
    """The layer space's lines: LINES lines x2 = c, then LINES lines x1 = c."""
    along_x = np.linspace(*x_range, LINE_POINTS)
    if y_range is None:
        return along_x[:, None]
    along_y = np.linspace(*y_range, LINE_POINTS)
    across = [
        np.column_stack([along_x, np.full(LINE_POINTS, c)]) for c in np.linspace(*y_range, LINES)
    ]
    across += [
        np.column_stack([np.full(LINE_POINTS, c), along_y]) for c in np.linspace(*x_range, LINES)
    ]
    return np.concatenate(across)


def engine_activations(model: MLP, raw: np.ndarray, features, plane: bool) -> list[np.ndarray]:
    inputs = feature_map(raw, features) if plane else raw
    model.forward(inputs)
    return model.activations_cache[1:]


@pytest.fixture(scope="module")
def forward_page(browser, server_url):
    """A page of the server's origin, from which the test imports static/forward.js."""
    page = browser.new_page()
    page.goto(f"{server_url}/api/health")
    yield page
    page.close()


@pytest.mark.parametrize("hidden, output, n_y, features, plane, one_d", CASES)
def test_pictures_match_the_engine(forward_page, hidden, output, n_y, features, plane, one_d):
    n_x = len(features) if plane else (1 if one_d else 2)
    model = MLP(
        n_x=n_x,
        n_h=[5, 3],
        n_y=n_y,
        hidden_activation=hidden,
        output_activation=output,
        cost="mse" if n_y == 1 else "categorical_crossentropy",
        seed=7,
    )
    rng = np.random.default_rng(3)
    # Large weights, so the activations saturate and the softmax's max-subtraction matters;
    # float32 ones, as a frame carries them.
    model.theta[...] = rng.normal(0.0, 1.5, model.theta.size).astype(np.float32)
    x_range, y_range = [-6.0, 6.0], (None if one_d else [-5.0, 4.0])
    run = {
        "plane": plane,
        "config": {"features": features},
        "activations": [spec(layer.activation) for layer in model.sequential],
        "layer_sizes": [n_x, *model.n_h, n_y],
        "grid": {
            "x_range": x_range,
            "y_range": y_range,
            "resolution": RESOLUTION,
            "thumbnail": THUMBNAIL,
        },
    }
    layers = [
        {"W": layer.W.ravel().tolist(), "b": layer.b.tolist(), "shape": list(layer.W.shape)}
        for layer in model.sequential
    ]
    shown = forward_page.evaluate(
        """async ({ run, layers }) => {
            const { planePictures, lineImages } = await import("/forward.js");
            const values = new Map();
            layers.forEach(({ W, b, shape }, l) => {
                values.set(`W:${l}`, { shape, data: Float32Array.from(W) });
                values.set(`b:${l}`, { shape: [b.length], data: Float32Array.from(b) });
            });
            const frame = { values };
            const { output, neurons } = planePictures(frame, run);
            const lines = lineImages(frame, run, 1, [2, 0]);
            return {
                output: { shape: output.shape, data: Array.from(output.data) },
                neurons: neurons.map((a) => ({ shape: a.shape, data: Array.from(a.data) })),
                lines: { shape: lines.shape, data: Array.from(lines.data) },
            };
        }""",
        {"run": run, "layers": layers},
    )

    hidden_1, hidden_2, out = engine_activations(
        model, grid_points(x_range, y_range), features, plane
    )
    tolerance = {"rtol": 2e-6, "atol": 2e-6}
    output_shape = [RESOLUTION, n_y] if one_d else [RESOLUTION, RESOLUTION, n_y]
    assert shown["output"]["shape"] == output_shape
    np.testing.assert_allclose(shown["output"]["data"], out.ravel(), **tolerance)

    # Evenly spread grid points, halves rounded up (7 of 30: 0, 5, 10, 15, 19, 24, 29).
    picks = np.floor(np.arange(THUMBNAIL) * (RESOLUTION - 1) / (THUMBNAIL - 1) + 0.5).astype(int)
    for a, maps in zip((hidden_1, hidden_2), shown["neurons"], strict=True):
        if one_d:
            expected = a[picks].T
        else:
            grid = a.reshape(RESOLUTION, RESOLUTION, -1)
            expected = grid[np.ix_(picks, picks)].transpose(2, 0, 1)
        assert maps["shape"] == list(expected.shape)
        np.testing.assert_allclose(maps["data"], expected.ravel(), **tolerance)

    line_images = engine_activations(model, line_points(x_range, y_range), features, plane)[1]
    n_lines = 1 if one_d else 2 * LINES
    assert shown["lines"]["shape"] == [n_lines, LINE_POINTS, 2]
    np.testing.assert_allclose(shown["lines"]["data"], line_images[:, [2, 0]].ravel(), **tolerance)
