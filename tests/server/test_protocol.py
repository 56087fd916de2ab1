"""The protocol as a specification: REST, config validation, message parsing, generated docs,
and a websocket session whose frames carry exactly what `mlp_engine` computes.

Everything here runs in process through FastAPI's TestClient; tests/server/test_end_to_end.py
drives the real server over the network.
"""

import contextlib
import json
from pathlib import Path

import numpy as np
import plotly
import pytest
from pydantic import ValidationError
from wire import frame_parts, receive_message

from mlp_engine.datasets import (
    DATASETS,
    FEATURES,
    INPUT_RANGE,
    feature_map,
    make_dataset,
    train_test_split,
)
from mlp_engine.operations import ACTIVATIONS
from mlp_engine.problems import PROBLEM_KINDS
from mlp_engine.tabular import REAL_DATASETS
from server import protocol
from server.protocol import TrainConfig, parse_client_message
from server.protocol import docs as protocol_docs
from server.run import build_run

ROOT = Path(__file__).resolve().parents[2]
KINDS = {
    "circle": "binary",
    "xor": "binary",
    "gaussian": "binary",
    "spiral": "binary",
    "moons": "binary",
    "multi_blobs": "multiclass",
    "multi_spiral": "multiclass",
    "plane": "regression",
    "multi_gaussian": "regression",
    "sine": "regression",
}
OUTPUT_BY_KIND = {
    "binary": ("sigmoid", "binary_crossentropy"),
    "multiclass": ("softmax", "categorical_crossentropy"),
    "regression": ("linear", "mse"),
}
TF_PLAYGROUND_LEARNING_RATES = [0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10]


def valid_config(dataset: str, **fields) -> TrainConfig:
    """A config for `dataset` (1-D datasets get the x1 feature only)."""
    if DATASETS[dataset].n_inputs == 1:
        fields.setdefault("features", ["x1"])
    return TrainConfig(dataset=dataset, **fields)


def assert_float32_of(actual: np.ndarray, expected: np.ndarray) -> None:
    """`actual` came over the wire as float32: equal to `expected` to float32 precision."""
    assert actual.dtype == np.float32
    assert actual.shape == expected.shape
    np.testing.assert_allclose(actual, expected, rtol=1e-6, atol=1e-30)


# -- REST ----------------------------------------------------------------------------------------
def test_health_answers_ok(client):
    response = client.get("/api/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert isinstance(response.json()["version"], str)


@pytest.fixture(scope="module")
def options(client):
    response = client.get("/api/options")
    assert response.status_code == 200
    return response.json()


def test_options_list_every_dataset_with_its_kind(options):
    generated = [d for d in options["datasets"] if d["source"] == "generated"]
    assert {d["name"]: d["kind"] for d in generated} == KINDS
    n_inputs = {d["name"]: d["n_inputs"] for d in generated}
    assert n_inputs == {name: 1 if name == "sine" else 2 for name in KINDS}
    real = {d["name"]: (d["kind"], d["n_inputs"], d["n_samples"]) for d in options["datasets"]}
    assert {name: real[name] for name in REAL_DATASETS} == {
        "iris": ("multiclass", 4, 150),
        "wine": ("multiclass", 13, 178),
        "breast_cancer": ("binary", 30, 569),
        "digits": ("multiclass", 64, 1797),
        "diabetes": ("regression", 10, 442),
    }
    assert len(options["datasets"]) == len(KINDS) + len(REAL_DATASETS)
    assert all(d["description"] for d in options["datasets"])


def test_options_list_features_activations_optimisers_and_regularisations(options):
    assert options["features"] == ["x1", "x2", "x1^2", "x2^2", "x1*x2", "sin x1", "sin x2"]
    assert options["features"] == list(FEATURES)
    assert {"sigmoid", "tanh", "relu", "linear"} <= set(options["activations"])
    assert options["activations"] == list(ACTIVATIONS)
    assert set(options["optimizers"]) == {"sgd", "momentum", "adam"}
    assert options["regularizations"] == ["none", "l1", "l2"]
    assert options["output_defaults"] == {k: list(v) for k, v in OUTPUT_BY_KIND.items()}


def test_options_list_costs_with_their_valid_outputs_per_kind(options):
    costs = options["costs"]
    assert set(costs["regression"]) == {"mse"}
    assert set(costs["regression"]["mse"]) == set(ACTIVATIONS)
    assert set(costs["binary"]) == {"mse", "binary_crossentropy"}
    assert set(costs["binary"]["binary_crossentropy"]) == {"sigmoid"}
    assert "softmax" not in costs["binary"]["mse"]
    assert set(costs["multiclass"]["categorical_crossentropy"]) == {"softmax", "sigmoid"}
    assert set(costs["multiclass"]["binary_crossentropy"]) == {"sigmoid", "softmax"}


def test_options_carry_the_engines_problem_kinds(options):
    assert options["costs"] == {
        kind.name: {cost: list(outputs) for cost, outputs in kind.outputs.items()}
        for kind in PROBLEM_KINDS.values()
    }
    assert options["output_defaults"] == {
        kind.name: [kind.output_activation, kind.cost] for kind in PROBLEM_KINDS.values()
    }


EXAMPLE_DATASET = {"binary": "circle", "multiclass": "multi_blobs", "regression": "plane"}


def test_options_valid_outputs_are_what_the_config_accepts(options):
    for kind, dataset in EXAMPLE_DATASET.items():
        for cost in options["costs"]["binary"] | options["costs"]["multiclass"]:
            valid_outputs = options["costs"][kind].get(cost, [])
            for output in options["activations"]:
                fields = {"dataset": dataset, "cost": cost, "output_activation": output}
                if output in valid_outputs:
                    TrainConfig(**fields)
                else:
                    with pytest.raises(ValidationError, match="cost"):
                        TrainConfig(**fields)


def test_options_offer_tf_playgrounds_learning_rate_ladder(options):
    assert options["learning_rates"] == TF_PLAYGROUND_LEARNING_RATES
    low, high = options["limits"]["learning_rate"]
    assert low <= min(TF_PLAYGROUND_LEARNING_RATES) and high >= max(TF_PLAYGROUND_LEARNING_RATES)
    assert options["regularization_rates"][0] == 0


def test_options_state_the_limits(options):
    limits = options["limits"]
    assert limits["hidden_layers"] == [0, 8]
    assert limits["neurons"] == [1, 32]
    assert limits["n_samples"][1] == 5000
    assert limits["noise"][0] == 0


def test_options_defaults_are_the_default_config(options):
    assert options["defaults"] == TrainConfig().model_dump(mode="json")
    assert options["defaults"]["dataset"] == "circle"


def test_plotly_is_served_from_the_installed_package(client):
    response = client.get("/vendor/plotly.min.js")
    assert response.status_code == 200
    assert "javascript" in response.headers["content-type"]
    assert len(response.content) > 1_000_000
    bundled = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    assert response.content == bundled.read_bytes()


def test_root_serves_the_page(client):
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "<html" in response.text.lower()


def test_protocol_docs_are_generated_from_the_models():
    """docs/protocol.md is what `python -m server.protocol.docs` writes; rerun it if this fails."""
    assert (ROOT / "docs" / "protocol.md").read_text() == protocol_docs.render()


# -- TrainConfig ---------------------------------------------------------------------------------
@pytest.mark.parametrize("dataset", list(KINDS))
def test_config_defaults_output_and_cost_by_kind(dataset):
    assert valid_config(dataset).kind == KINDS[dataset]
    config = build_run(valid_config(dataset), 1, 0).config
    assert (config.output_activation, config.cost) == OUTPUT_BY_KIND[KINDS[dataset]]


def test_config_keeps_an_explicit_output_and_cost():
    config = build_run(TrainConfig(dataset="plane", output_activation="tanh"), 1, 0).config
    assert (config.output_activation, config.cost) == ("tanh", "mse")
    config = build_run(TrainConfig(dataset="circle", cost="mse"), 1, 0).config
    assert (config.output_activation, config.cost) == ("sigmoid", "mse")


def test_validating_a_config_leaves_it_as_sent():
    """Validators check and change nothing: the run fills in the output activation and cost
    its kind of problem gets by default, on its own copy of the config."""
    sent = {"dataset": "multi_blobs", "output_activation": None, "cost": None}
    config = TrainConfig(**sent)
    assert (config.output_activation, config.cost) == (None, None)
    assert TrainConfig.model_validate(config.model_dump()) == config
    run = build_run(config, 1, 0)
    assert (run.config.output_activation, run.config.cost) == OUTPUT_BY_KIND["multiclass"]
    assert (config.output_activation, config.cost) == (None, None)


def test_config_accepts_its_limits():
    config = TrainConfig(hidden_layers=[32] * 8, n_samples=5000, noise=0.5, batch_size=2500)
    assert config.hidden_layers == [32] * 8
    assert TrainConfig(hidden_layers=[]).hidden_layers == []
    assert TrainConfig(n_samples=500, train_fraction=0.5, batch_size=250).batch_size == 250


def fields_named(error: ValidationError) -> set[str]:
    """The fields a ValidationError blames: a field's location, or a whole-model error's prefix."""
    named = set()
    for e in error.errors():
        if e["loc"]:
            named.add(str(e["loc"][0]))
        else:
            named.add(e["msg"].removeprefix("Value error, ").split(":")[0])
    return named


@pytest.mark.parametrize(
    ("fields", "blamed"),
    [
        ({"hidden_layers": [4] * 9}, "hidden_layers"),
        ({"hidden_layers": [4, 33]}, "hidden_layers"),
        ({"hidden_layers": [0]}, "hidden_layers"),
        ({"n_samples": 5001}, "n_samples"),
        ({"n_samples": 9}, "n_samples"),
        ({"noise": -0.1}, "noise"),
        ({"learning_rate": 0}, "learning_rate"),
        ({"learning_rate": 11}, "learning_rate"),
        ({"dataset": "moon"}, "dataset"),
        ({"features": ["x1", "x3"]}, "features"),
        ({"features": []}, "features"),
        ({"features": ["x1", "x1"]}, "features"),
        ({"dataset": "sine", "features": ["x1", "x2"]}, "features"),
        ({"dataset": "sine", "features": ["x1", "x1*x2"]}, "features"),
        ({"n_samples": 500, "train_fraction": 0.5, "batch_size": 251}, "batch_size"),
        ({"cost": "binary_crossentropy", "output_activation": "linear"}, "output_activation"),
        ({"dataset": "plane", "cost": "binary_crossentropy"}, "cost"),
        ({"cost": "categorical_crossentropy", "output_activation": "relu"}, "cost"),
        ({"optimizer": "rmsprop"}, "optimizer"),
        ({"regularization": "l3"}, "regularization"),
        ({"n_classes": 6}, "n_classes"),
        ({"grid_resolution": 1000}, "grid_resolution"),
        ({"epochs": 10}, "epochs"),
    ],
)
def test_config_rejects_out_of_range_fields_naming_them(fields, blamed):
    with pytest.raises(ValidationError) as caught:
        TrainConfig(**fields)
    assert blamed in fields_named(caught.value)


def test_config_rejects_a_cross_entropy_on_regression_targets():
    """Regression targets are not probabilities: a config that build_run cannot run is invalid.

    `plane`'s targets leave [0, 1] and the engine refuses them ("binary_crossentropy targets
    must lie in [0, 1]"); the config should say so, naming the cost, instead of passing
    validation and failing only when the session builds the run.
    """
    fields = {"dataset": "plane", "cost": "binary_crossentropy", "output_activation": "sigmoid"}
    with pytest.raises(ValidationError) as caught:
        TrainConfig(**fields)
    assert "cost" in fields_named(caught.value)


# -- parsing client messages ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "code", "named"),
    [
        ("play", "bad_json", "JSON"),
        ('{"type": "play"', "bad_json", "JSON"),
        ("[1, 2]", "invalid_message", "object"),
        ("42", "invalid_message", "object"),
        ("null", "invalid_message", "object"),
        ("{}", "invalid_message", "type"),
        ('{"epochs": 3}', "invalid_message", "type"),
        ('{"type": "fly"}', "unknown_type", "fly"),
        ('{"type": 5}', "unknown_type", "type"),
        ('{"type": "step", "epochs": "many"}', "invalid_message", "epochs"),
        ('{"type": "step", "epochs": 0}', "invalid_message", "epochs"),
        ('{"type": "probe", "index": "first"}', "invalid_message", "index"),
        ('{"type": "probe", "index": -1}', "invalid_message", "index"),
        ('{"type": "set", "speed": "fast"}', "invalid_message", "speed"),
        ('{"type": "set", "learning_rate": [0.1]}', "invalid_message", "learning_rate"),
        ('{"type": "play", "now": true}', "invalid_message", "now"),
        ('{"type": "configure", "config": 5}', "invalid_config", "config"),
        (
            '{"type": "configure", "config": {"hidden_layers": "4,2"}}',
            "invalid_config",
            "hidden_layers",
        ),
        (
            '{"type": "configure", "config": {"hidden_layers": [4, 33]}}',
            "invalid_config",
            "hidden_layers",
        ),
        ('{"type": "configure", "config": {"batch_size": 400}}', "invalid_config", "batch_size"),
    ],
)
def test_parse_client_message_answers_bad_messages_with_an_error(text, code, named):
    message, error = parse_client_message(text)
    assert message is None
    assert error.type == "error"
    assert error.code == code
    assert named in error.message


def test_parse_client_message_lists_valid_types_for_an_unknown_one():
    _, error = parse_client_message('{"type": "fly"}')
    for kind in ("configure", "play", "pause", "step", "reset", "set", "probe"):
        assert kind in error.message


def test_parse_client_message_reports_details_with_locations():
    _, error = parse_client_message('{"type": "configure", "config": {"hidden_layers": [4, 33]}}')
    assert error.message.startswith("config.hidden_layers.1:")
    assert error.details[0]["loc"] == ["configure", "config", "hidden_layers", "1"]


@pytest.mark.parametrize(
    "message",
    # docs/protocol.md's example of every client message, and a configure with no config
    [*protocol_docs.CLIENT_EXAMPLES, {"type": "configure"}],
    ids=lambda message: message["type"],
)
def test_parse_client_message_accepts_valid_messages(message):
    parsed, error = parse_client_message(json.dumps(message))
    assert error is None
    assert parsed.type == message["type"]


# -- a websocket session -------------------------------------------------------------------------
def receive(ws, expected_type: str) -> dict:
    message = receive_message(ws)
    assert message["type"] == expected_type, message
    return message


def receive_frame(ws) -> tuple[dict, dict]:
    """The next frame and its binary part, decoded."""
    frame = receive(ws, "frame")
    return frame, frame["decoded"]


def receive_until_frame_at(ws, epoch: int) -> list[dict]:
    """Every message up to and including the first frame at `epoch`."""
    messages = []
    while True:
        message = receive_message(ws)
        messages.append(message)
        if message["type"] == "frame" and message["epoch"] == epoch:
            return messages


def configure(ws, config: TrainConfig) -> tuple[dict, dict, dict]:
    ws.send_json({"type": "configure", "config": config.model_dump(mode="json")})
    ready = receive(ws, "ready")
    frame, arrays = receive_frame(ws)
    return ready, frame, arrays


@pytest.mark.parametrize(
    ("fields", "layer_sizes", "n_train", "n_test"),
    [
        ({}, [2, 4, 2, 1], 250, 250),
        (
            {
                "dataset": "multi_blobs",
                "n_classes": 4,
                "features": ["x1", "x2", "x1*x2"],
                "hidden_layers": [5, 3],
                "n_samples": 300,
                "train_fraction": 0.7,
            },
            [3, 5, 3, 4],
            210,
            90,
        ),
        ({"dataset": "sine", "features": ["x1"], "hidden_layers": []}, [1, 1], 250, 250),
    ],
)
def test_configure_answers_ready_then_the_first_frame(client, fields, layer_sizes, n_train, n_test):
    config = TrainConfig(**fields)
    with client.websocket_connect("/ws/train") as ws:
        ready, frame, arrays = configure(ws, config)
    assert ready["run"] == 1
    assert ready["config"] == config.completed(config.kind).model_dump(mode="json")
    assert ready["kind"] == config.kind
    assert ready["layer_sizes"] == layer_sizes
    assert ready["metric"] == ("r2" if config.kind == "regression" else "accuracy")
    assert n_train == round(config.n_samples * config.train_fraction)
    assert len(ready["train"]["x"]) == len(ready["train"]["y"]) == n_train
    assert len(ready["test"]["x"]) == len(ready["test"]["y"]) == n_test
    assert {len(point) for point in ready["train"]["x"]} == {DATASETS[config.dataset].n_inputs}

    assert (frame["run"], frame["epoch"], frame["state"]) == (1, 0, "paused")
    assert frame["history"] == {"epoch": [], "train_loss": [], "test_loss": []}
    assert frame["probe"] == 0
    for layer, (n_x, n_h) in enumerate(zip(layer_sizes[:-1], layer_sizes[1:], strict=True)):
        for name, shape in [("W", (n_h, n_x)), ("b", (n_h,)), ("dW", (n_h, n_x)), ("db", (n_h,))]:
            assert arrays[name, layer].shape == shape
        for name in ("z", "a", "delta", "mean_abs_delta"):
            assert arrays[name, layer].shape == (n_h,)
    assert arrays["input", None].shape == (layer_sizes[0],)


def test_ready_carries_the_runs_data_points(client):
    config = TrainConfig(dataset="spiral", noise=0.2, seed=11, n_samples=120, train_fraction=0.6)
    with client.websocket_connect("/ws/train") as ws:
        ready, _, _ = configure(ws, config)
    X, y = make_dataset("spiral", 120, 0.2, 11)
    raw_train, y_train, raw_test, y_test = train_test_split(X, y, 0.6, 11)
    np.testing.assert_allclose(ready["train"]["x"], raw_train, atol=1e-4)
    np.testing.assert_array_equal(ready["train"]["y"], y_train)
    np.testing.assert_allclose(ready["test"]["x"], raw_test, atol=1e-4)
    np.testing.assert_array_equal(ready["test"]["y"], y_test)


def engine_arrays(run, probe: int) -> dict:
    """What the engine itself computes for a frame: weights, whole-set gradients, the probe."""
    model = run.model
    model.forward(run.X_train)
    whole_set = model.backward(run.Y_train)
    model.forward(run.X_train[probe : probe + 1])
    probe_pass = model.backward(run.Y_train[probe : probe + 1])
    expected = {("input", None): run.X_train[probe]}
    for l, layer in enumerate(model.sequential):
        expected["W", l], expected["b", l] = layer.W, layer.b
        expected["dW", l], expected["db", l] = whole_set[l].dW, whole_set[l].db
        expected["mean_abs_delta", l] = np.abs(whole_set[l].delta).mean(axis=0)
        expected["z", l] = model.weighted_inputs_cache[l][0]
        expected["a", l] = model.activations_cache[l + 1][0]
        expected["delta", l] = probe_pass[l].delta[0]
    return expected


FRAME_CONFIG = TrainConfig(
    dataset="xor",
    features=["x1", "x2", "x1*x2"],
    hidden_layers=[5, 3],
    n_samples=200,
    train_fraction=0.6,
    noise=0.1,
    seed=3,
)


@pytest.fixture(scope="module")
def first_frames(client):
    """The epoch-0 frame, then the frame after `probe` 7, of FRAME_CONFIG's run."""
    with client.websocket_connect("/ws/train") as ws:
        _, frame, arrays = configure(ws, FRAME_CONFIG)
        ws.send_json({"type": "probe", "index": 7})
        probed, probed_arrays = receive_frame(ws)
    return (frame, arrays), (probed, probed_arrays)


@pytest.mark.parametrize("which", ["epoch 0, probe 0", "after probe 7"])
def test_frame_arrays_are_the_engines(first_frames, which):
    frame, arrays = first_frames[0 if which == "epoch 0, probe 0" else 1]
    probe = 0 if which == "epoch 0, probe 0" else 7
    assert frame["probe"] == probe
    assert frame["epoch"] == 0
    expected = engine_arrays(build_run(FRAME_CONFIG, 1, 0), probe)
    for key, value in expected.items():
        assert_float32_of(arrays[key], np.asarray(value))


def test_frame_probe_arrays_follow_the_papers_equations(first_frames):
    """Eqs. 32-33 by hand from the frame's own arrays: z^1 = W^1 a^0 + b^1, a^l = tanh(z^l)."""
    _, arrays = first_frames[1]
    z1 = arrays["W", 0] @ arrays["input", None] + arrays["b", 0]
    np.testing.assert_allclose(arrays["z", 0], z1, rtol=1e-5, atol=1e-6)
    for layer in (0, 1):
        np.testing.assert_allclose(arrays["a", layer], np.tanh(arrays["z", layer]), atol=1e-6)
    sigmoid = 1 / (1 + np.exp(-arrays["z", 2]))
    np.testing.assert_allclose(arrays["a", 2], sigmoid, atol=1e-6)


def test_frame_losses_are_the_engines(first_frames):
    frame, _ = first_frames[0]
    run = build_run(FRAME_CONFIG, 1, 0)
    assert frame["train_loss"] == pytest.approx(run.model.loss(run.X_train, run.Y_train))
    assert frame["test_loss"] == pytest.approx(run.model.loss(run.X_test, run.Y_test))
    assert frame["metric"] == "accuracy"
    assert 0 <= frame["train_metric"] <= 1


def test_frames_carry_the_weights_the_page_draws_the_plane_from(first_frames):
    """The output over the plane and the neurons' maps are the page's to compute (its forward
    pass is checked against the engine in tests/browser/test_forward_parity.py): frames carry
    W and b, and `ready` the grid and each layer's activation. Each sample's prediction too
    is the page's to compute on the plane (only principal components get them sent)."""
    frame, arrays = first_frames[0]
    assert {name for name, _ in arrays} == {
        "input", "W", "b", "dW", "db", "mean_abs_delta", "z", "a", "delta",
        "confusion_train", "confusion_test",
    }  # fmt: skip
    model = build_run(FRAME_CONFIG, 1, 0).model
    for l, layer in enumerate(model.sequential):
        assert_float32_of(arrays["W", l], layer.W)
        assert_float32_of(arrays["b", l], layer.b)
    assert frame["n_bytes"] < 4_000  # was 60 kB with the 100 x 100 grid and the thumbnails


def test_ready_says_where_and_how_the_page_evaluates_the_network(client):
    config = TrainConfig(hidden_layers=[3], activation="leaky_relu")
    with client.websocket_connect("/ws/train") as ws:
        ready, _, _ = configure(ws, config)
    assert ready["grid"] == {
        "x_range": list(INPUT_RANGE),
        "y_range": list(INPUT_RANGE),
        "resolution": 100,
        "thumbnail": 20,
    }
    assert ready["activations"] == [{"name": "leaky_relu", "alpha": 0.01}, {"name": "sigmoid"}]


def test_one_dimensional_data_has_a_line_of_grid_points(client):
    config = TrainConfig(dataset="sine", features=["x1", "sin x1"], hidden_layers=[6])
    with client.websocket_connect("/ws/train") as ws:
        ready, _, arrays = configure(ws, config)
    assert ready["grid"]["y_range"] is None
    assert ready["n_inputs"] == 1
    assert ready["activations"] == [{"name": "tanh"}, {"name": "linear"}]
    assert arrays["W", 0].shape == (6, 2)


def test_messages_before_configure_are_answered_not_configured(client):
    with client.websocket_connect("/ws/train") as ws:
        ws.send_json({"type": "play"})
        error = receive(ws, "error")
        assert error["code"] == "not_configured"
        ws.send_json({"type": "step"})
        assert receive(ws, "error")["code"] == "not_configured"


def test_bad_messages_get_errors_and_the_session_keeps_working(client):
    with client.websocket_connect("/ws/train") as ws:
        configure(ws, TrainConfig())
        ws.send_bytes(b"\x00\x01")
        assert receive(ws, "error")["code"] == "invalid_message"
        ws.send_text("not json")
        assert receive(ws, "error")["code"] == "bad_json"
        ws.send_json({"type": "probe", "index": 250})
        assert receive(ws, "error")["code"] == "bad_probe"
        ws.send_json({"type": "configure", "config": {"hidden_layers": [4] * 9}})
        assert receive(ws, "error")["code"] == "invalid_config"
        ws.send_json({"type": "step", "epochs": 2})
        messages = receive_until_frame_at(ws, epoch=2)
    statuses = [m for m in messages if m["type"] == "status"]
    assert [(s["state"], s["epoch"]) for s in statuses] == [("paused", 2)]
    frames = [m for m in messages if m["type"] == "frame"]
    assert {frame["run"] for frame in frames} == {1}
    assert [epoch for frame in frames for epoch in frame["history"]["epoch"]] == [1, 2]


def is_strict_json(text: str) -> bool:
    """Whether a browser's JSON.parse reads `text`: NaN and Infinity are not JSON."""

    def refuse(constant: str):
        raise ValueError(f"{constant} is not JSON")

    try:
        json.loads(text, parse_constant=refuse)
    except ValueError:
        return False
    return True


# ReLU, SGD and learning rate 10 on `plane`: the weights grow until a test point's loss overflows
# to inf while the training set's loss is still finite, so training goes on.
OVERFLOW_CONFIG = TrainConfig(
    dataset="plane",
    activation="relu",
    optimizer="sgd",
    learning_rate=10,
    hidden_layers=[8, 8],
    seed=10,
    n_samples=200,
    train_fraction=0.1,
)


def first_overflowing_epoch(config: TrainConfig, max_epochs: int = 100) -> int | None:
    """The first epoch after which the test loss is not finite but the train loss still is."""
    run = build_run(config, 1, 0)
    with np.errstate(all="ignore"):
        for epoch in range(1, max_epochs + 1):
            try:
                run.model.train_epoch(run.X_train, run.Y_train, config.batch_size, epoch)
            except FloatingPointError:
                return None
            if not np.isfinite(run.model.loss(run.X_test, run.Y_test)):
                return epoch
    return None


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_messages_stay_strict_json_when_the_test_loss_overflows(client):
    """Frame fields are null when not finite; so must every loss in `history` be."""
    epochs = first_overflowing_epoch(OVERFLOW_CONFIG)
    if epochs is None:
        pytest.skip("the engine no longer overflows on OVERFLOW_CONFIG's test set")
    texts = []
    with client.websocket_connect("/ws/train") as ws:
        configure(ws, OVERFLOW_CONFIG)
        ws.send_json({"type": "step", "epochs": epochs})
        while True:
            received = ws.receive()
            text = received.get("text")
            if text is None:  # a frame: its JSON part
                text = frame_parts(received["bytes"])[0]
            texts.append(text)
            message = json.loads(text)
            if message["type"] == "frame" and message["epoch"] == epochs:
                break
    not_json = [json.loads(text) for text in texts if not is_strict_json(text)]
    offending = [
        (epoch, train_loss, test_loss)
        for message in not_json
        for epoch, train_loss, test_loss in zip(*message["history"].values(), strict=True)
        if not np.isfinite([train_loss, test_loss]).all()
    ]
    assert not not_json, f"NaN or Infinity sent; (epoch, train_loss, test_loss): {offending}"


def test_set_weight_edits_one_weight_and_one_bias(client):
    with client.websocket_connect("/ws/train") as ws:
        _, _, before = configure(ws, TrainConfig())
        ws.send_json({"type": "set_weight", "layer": 1, "row": 1, "col": 3, "value": -2.5})
        _, after = receive_frame(ws)
        ws.send_json({"type": "set_weight", "layer": 0, "row": 2, "col": None, "value": 0.75})
        _, after_bias = receive_frame(ws)
    expected = before[("W", 1)].copy()
    expected[1, 3] = -2.5
    np.testing.assert_array_equal(after[("W", 1)], expected)
    np.testing.assert_array_equal(after[("W", 0)], before[("W", 0)])
    assert after_bias[("b", 0)][2] == 0.75


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ({"layer": 3, "row": 0, "col": 0}, "layer 3 does not exist"),
        ({"layer": 0, "row": 4, "col": 0}, "no weight at (4, 0)"),
        ({"layer": 0, "row": 0, "col": 2}, "no weight at (0, 2)"),
    ],
)
def test_set_weight_out_of_range_is_an_error_that_changes_nothing(client, edit, message):
    with client.websocket_connect("/ws/train") as ws:
        _, _, before = configure(ws, TrainConfig())
        ws.send_json({"type": "set_weight", "value": 1.0, **edit})
        error = receive(ws, "error")
        _, after = receive_frame(ws)
    assert error["code"] == "bad_weight" and message in error["message"]
    for layer in range(3):
        np.testing.assert_array_equal(after[("W", layer)], before[("W", layer)])


def test_options_tell_the_page_the_wire_models_fields(options):
    """The page's forms are told which fields `configure` and `set` carry, not left to guess."""
    assert options["config_fields"] == list(protocol.TrainConfig.model_fields)
    assert "hidden_layers" in options["config_fields"] and "speed" not in options["config_fields"]
    assert options["live_fields"] == ["learning_rate", "regularization_rate", "speed"]
    for field in options["live_fields"]:
        protocol.Set.model_validate({"type": "set", field: options["limits"][field][1]})
    assert options["uses_x2"] == ["x2", "x2^2", "x1*x2", "sin x2"]
    for feature in options["features"]:
        uses_x2 = feature in options["uses_x2"]
        with pytest.raises(ValueError) if uses_x2 else contextlib.nullcontext():
            feature_map(np.zeros((3, 1)), [feature])
