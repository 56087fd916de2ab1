"""The backprop inspector, the gradient check and the layer-space view over a websocket.

Every number the server sends must be `mlp_engine`'s own: the run is rebuilt here with
`build_run` (same config, same seeds, same weights) and the engine asked directly.
"""

import json
import time

import numpy as np
import pytest
from test_protocol import assert_float32_of, configure, receive, receive_frame, valid_config
from wire import receive_message

import mlp_engine.operations
from mlp_engine import MLP
from server import inspector
from server.inspector import gradient_check, json_ready, trace
from server.protocol import TrainConfig, parse_client_message
from server.run import build_run


def receive_until(ws, expected_type: str) -> list[dict]:
    """Every message up to and including the first of `expected_type`, frames decoded."""
    messages = []
    while True:
        message = receive_message(ws)
        messages.append(message)
        if message["type"] == expected_type:
            return messages


def inspection_batch(config: TrainConfig, probe: int, n_train: int) -> list[int]:
    """As docs/protocol.md says: the probe, then the next batch_size - 1 samples, wrapping."""
    return [(probe + k) % n_train for k in range(config.batch_size)]


def probe_and(ws, probe: int, request: dict, answer: str) -> dict:
    ws.send_json({"type": "probe", "index": probe})
    receive_frame(ws)
    ws.send_json(request)
    return receive_until(ws, answer)[-1]


INSPECTED = [
    ({"dataset": "circle", "n_samples": 100}, 5),
    (
        {
            "dataset": "multi_blobs",
            "n_classes": 4,
            "features": ["x1", "x2", "x1*x2"],
            "hidden_layers": [5, 3],
            "activation": "relu",
            "n_samples": 120,
        },
        57,  # the batch wraps around past the 60th training sample
    ),
    (
        {
            "dataset": "plane",
            "hidden_layers": [3],
            "activation": "sigmoid",
            "regularization": "l2",
            "regularization_rate": 0.1,
            "n_samples": 80,
            "batch_size": 4,
        },
        0,
    ),
    (
        {"dataset": "sine", "hidden_layers": [], "output_activation": "tanh", "n_samples": 60},
        11,
    ),
    (
        {
            "dataset": "xor",
            "cost": "mse",
            "activation": "leaky_relu",
            "optimizer": "adam",
            "n_samples": 100,
        },
        3,
    ),
    (
        {
            "dataset": "multi_spiral",
            "activation": "softmax",
            "cost": "binary_crossentropy",
            "hidden_layers": [4],
            "n_samples": 90,
            "batch_size": 5,
        },
        44,
    ),
]


@pytest.mark.parametrize(("fields", "probe"), INSPECTED)
def test_inspection_is_the_engines_trace_of_the_inspection_batch(client, fields, probe):
    config = valid_config(**fields)
    with client.websocket_connect("/ws/train") as ws:
        configure(ws, config)
        inspection = probe_and(ws, probe, {"type": "inspect"}, "inspection")
    run = build_run(config, 1, 0)
    n_train = run.X_train.shape[0]
    batch = inspection_batch(config, probe, n_train)
    assert (inspection["run"], inspection["epoch"], inspection["probe"]) == (1, 0, probe)
    assert inspection["batch"] == batch and inspection["sample"] == 0
    X, Y = run.X_train[batch], run.Y_train[batch]
    expected = json.loads(json.dumps(trace(run.model, X, Y, sample=0)))
    assert {key: inspection[key] for key in expected} == expected

    model = run.model
    model.forward(X)
    A, Z = model.cache
    backprop = model.backward(Y)
    for l, entry in enumerate(inspection["layers"]):
        np.testing.assert_array_equal(entry["a_prev"], X[0] if l == 0 else A[l][0])
        np.testing.assert_array_equal(entry["z"], Z[l][0])
        np.testing.assert_array_equal(entry["a"], A[l + 1][0])
        np.testing.assert_array_equal(entry["delta"], backprop[l].delta[0])
        np.testing.assert_array_equal(entry["dW_batch"], backprop[l].dW)
        np.testing.assert_array_equal(entry["db_batch"], backprop[l].db)
    assert inspection["layers"][-1]["y"] == Y[0].tolist()
    assert inspection["loss"] == model.loss(X, Y)


def test_inspection_explains_the_fused_output_error(client):
    with client.websocket_connect("/ws/train") as ws:
        configure(ws, TrainConfig(dataset="multi_blobs", n_samples=60))
        ws.send_json({"type": "inspect"})
        output = receive_until(ws, "inspection")[-1]["layers"][-1]
    assert output["fused"] is True and output["phi_prime_kind"] == "jacobian"
    assert "a^L - y" in output["fused_note"]
    np.testing.assert_allclose(
        output["delta"], np.subtract(output["a"], output["y"]), rtol=1e-12, atol=1e-15
    )


def test_inspect_while_running_pauses_and_training_stops(client):
    with client.websocket_connect("/ws/train") as ws:
        configure(ws, TrainConfig(n_samples=100))
        ws.send_json({"type": "play"})
        receive(ws, "status")
        while receive_frame(ws)[0]["epoch"] < 2:
            pass
        ws.send_json({"type": "inspect"})
        messages = receive_until(ws, "inspection")
        inspection = messages[-1]
        status = [m for m in messages if m["type"] == "status"]
        assert [s["state"] for s in status] == ["paused"]
        assert inspection["epoch"] == status[0]["epoch"] >= 2
        frame, _ = receive_frame(ws)
        while frame["state"] == "running":  # one built before the pause may still be on its way
            assert frame["epoch"] <= inspection["epoch"]
            frame, _ = receive_frame(ws)
        assert (frame["state"], frame["epoch"]) == ("paused", inspection["epoch"])
        time.sleep(0.2)
        ws.send_json({"type": "probe", "index": 1})
        later, _ = receive_frame(ws)
    assert (later["state"], later["epoch"]) == ("paused", inspection["epoch"])


def test_gradcheck_passes_and_is_the_engines_check(client):
    config = TrainConfig(dataset="spiral", hidden_layers=[5, 3], n_samples=100)
    with client.websocket_connect("/ws/train") as ws:
        _, _, before = configure(ws, config)
        report = probe_and(ws, 48, {"type": "gradcheck"}, "gradcheck")
        ws.send_json({"type": "probe", "index": 0})
        frame, after = receive_frame(ws)
    run = build_run(config, 1, 0)
    batch = inspection_batch(config, 48, run.X_train.shape[0])
    assert report["batch"] == batch and (report["run"], report["epoch"]) == (1, 0)
    assert report["passed"] is True and report["worst"] < 1e-6
    assert report["threshold"] == 1e-5 and report["eps"] == 1e-6
    assert [e["layer"] for e in report["layers"]] == [0, 1, 2]
    expected = gradient_check(run.model, run.X_train[batch], run.Y_train[batch])
    assert {key: report[key] for key in expected} == json.loads(json.dumps(expected))
    assert frame["state"] == "paused" and frame["epoch"] == 0
    for layer in range(3):
        np.testing.assert_array_equal(after["W", layer], before["W", layer])
        np.testing.assert_array_equal(after["b", layer], before["b", layer])


def test_gradcheck_fails_when_backpropagation_is_wrong(client, monkeypatch):
    """tanh's derivative 10% too large corrupts eq. 13: the hidden layers fail the check."""
    vjp = mlp_engine.operations.Tanh.vjp
    monkeypatch.setattr(
        mlp_engine.operations.Tanh, "vjp", lambda self, z, a, grad: 1.1 * vjp(self, z, a, grad)
    )
    with client.websocket_connect("/ws/train") as ws:
        configure(ws, TrainConfig(n_samples=100))
        ws.send_json({"type": "gradcheck"})
        report = receive(ws, "gradcheck")
    assert report["passed"] is False and report["worst"] > 1e-2
    assert all(e["rel_error_W"] > 1e-2 for e in report["layers"][:-1])
    assert report["layers"][-1]["rel_error_W"] < 1e-6


def test_a_gradcheck_too_slow_to_run_is_refused(client, monkeypatch):
    monkeypatch.setattr(inspector, "GRADCHECK_MAX_SECONDS", 0.0)
    with client.websocket_connect("/ws/train") as ws:
        configure(ws, TrainConfig(n_samples=100))
        ws.send_json({"type": "gradcheck"})
        error = receive(ws, "error")
    assert error["code"] == "gradcheck_too_large"
    assert "parameters" in error["message"] and "batch size" in error["message"]


# -- the layer-space view --------------------------------------------------------------------------
LAYER_SPACE_CONFIG = TrainConfig(
    dataset="xor",
    features=["x1", "x2", "x1*x2"],
    hidden_layers=[5, 3],
    n_samples=120,
    noise=0.1,
    seed=3,
)


def assert_layer_space_is_the_models(arrays, model, run, layer, neurons):
    """The training points' activations; the grid lines' images are the page's to compute
    (tests/browser/test_forward_parity.py)."""
    n_train = run.X_train.shape[0]
    assert arrays["layer_space_points", layer].shape == (n_train, 2)
    assert [key for key in arrays if key[0].startswith("layer_space")] == [
        ("layer_space_points", layer)
    ]
    model.forward(run.X_train)
    assert_float32_of(
        arrays["layer_space_points", layer], model.activations_cache[layer + 1][:, neurons]
    )


def test_layer_space_arrays_are_the_hidden_layers_image_while_training(client):
    config = LAYER_SPACE_CONFIG
    with client.websocket_connect("/ws/train") as ws:
        configure(ws, config)
        ws.send_json({"type": "layer_space", "layer": 1, "neurons": [2, 0]})
        frame, arrays = receive_frame(ws)
        ws.send_json({"type": "step", "epochs": 3})
        trained = receive_until(ws, "frame")
        while trained[-1]["epoch"] < 3:
            trained += receive_until(ws, "frame")
    later, later_arrays = trained[-1], trained[-1]["decoded"]
    run = build_run(config, 1, 0)
    assert frame["layer_space"] == {"layer": 1, "neurons": [2, 0]}
    assert ("layer_space_points", 0) not in arrays
    assert_layer_space_is_the_models(arrays, run.model, run, 1, [2, 0])

    assert later["epoch"] == 3 and later["layer_space"] == frame["layer_space"]
    assert all(("layer_space_points", 1) in m["decoded"] for m in trained if m["type"] == "frame")
    for epoch in (1, 2, 3):
        run.model.train_epoch(run.X_train, run.Y_train, config.batch_size, epoch)
    assert_layer_space_is_the_models(later_arrays, run.model, run, 1, [2, 0])


def test_layer_space_of_one_dimensional_data_shows_its_training_points(client):
    config = valid_config("sine", hidden_layers=[4], n_samples=60)
    with client.websocket_connect("/ws/train") as ws:
        configure(ws, config)
        ws.send_json({"type": "layer_space", "layer": 0, "neurons": [3, 1]})
        _, arrays = receive_frame(ws)
    run = build_run(config, 1, 0)
    assert_layer_space_is_the_models(arrays, run.model, run, 0, [3, 1])


@pytest.mark.parametrize(
    ("hidden_layers", "request_fields", "named"),
    [
        ([4, 2], {"layer": 2, "neurons": [0, 1]}, "layer 2 is not a hidden layer"),
        ([4, 2], {"layer": 0, "neurons": [0, 4]}, "no neuron 4"),
        ([4, 2], {"layer": 1, "neurons": [1, 1]}, "two different neurons"),
        ([1], {"layer": 0, "neurons": [0, 1]}, "no neuron 1"),
        ([], {"layer": 0, "neurons": [0, 1]}, "no hidden layer"),
    ],
)
def test_an_invalid_layer_space_is_an_error_that_changes_nothing(
    client, hidden_layers, request_fields, named
):
    with client.websocket_connect("/ws/train") as ws:
        configure(ws, TrainConfig(hidden_layers=hidden_layers, n_samples=100))
        if hidden_layers == [4, 2]:
            ws.send_json({"type": "layer_space", "layer": 0, "neurons": [1, 3]})
            receive_frame(ws)
        ws.send_json({"type": "layer_space", **request_fields})
        error = receive(ws, "error")
        ws.send_json({"type": "probe", "index": 1})
        frame, arrays = receive_frame(ws)
    assert error["code"] == "bad_layer_space" and named in error["message"]
    if hidden_layers == [4, 2]:
        assert frame["layer_space"] == {"layer": 0, "neurons": [1, 3]}
        assert arrays["layer_space_points", 0].shape == (50, 2)
    else:
        assert frame["layer_space"] is None
        assert not [key for key in arrays if key[0].startswith("layer_space")]


def test_layer_space_null_turns_the_view_off(client):
    with client.websocket_connect("/ws/train") as ws:
        configure(ws, TrainConfig(n_samples=100))
        ws.send_json({"type": "layer_space", "layer": 1, "neurons": [0, 1]})
        _, arrays = receive_frame(ws)
        ws.send_json({"type": "layer_space", "layer": None})
        frame, off = receive_frame(ws)
    assert ("layer_space_points", 1) in arrays
    assert frame["layer_space"] is None
    assert not [key for key in off if key[0].startswith("layer_space")]


def test_reset_and_configure_keep_the_view_only_while_it_fits(client):
    with client.websocket_connect("/ws/train") as ws:
        configure(ws, TrainConfig(hidden_layers=[4, 3], n_samples=100))
        ws.send_json({"type": "layer_space", "layer": 1, "neurons": [2, 0]})
        receive_frame(ws)
        ws.send_json({"type": "reset"})
        receive(ws, "ready")
        after_reset, _ = receive_frame(ws)
        _, widened, widened_arrays = configure(ws, TrainConfig(hidden_layers=[6, 5]))
        _, narrowed, narrowed_arrays = configure(ws, TrainConfig(hidden_layers=[6]))
    assert after_reset["layer_space"] == {"layer": 1, "neurons": [2, 0]}
    assert widened["layer_space"] == {"layer": 1, "neurons": [2, 0]}
    assert widened_arrays["layer_space_points", 1].shape == (250, 2)
    assert narrowed["layer_space"] is None
    assert not [key for key in narrowed_arrays if key[0].startswith("layer_space")]


@pytest.mark.parametrize(
    "message",
    [
        {"type": "inspect"},
        {"type": "gradcheck"},
        {"type": "layer_space", "layer": 0, "neurons": [0, 1]},
        {"type": "layer_space", "layer": None},
    ],
)
def test_parse_client_message_accepts_the_inspectors_messages(message):
    parsed, error = parse_client_message(json.dumps(message))
    assert error is None and parsed.type == message["type"]


@pytest.mark.parametrize(
    ("message", "named"),
    [
        ({"type": "layer_space", "layer": 0, "neurons": [0, 1, 2]}, "neurons"),
        ({"type": "layer_space", "layer": -1, "neurons": [0, 1]}, "layer"),
        ({"type": "layer_space", "layer": 0, "neurons": [0, -1]}, "neurons"),
        ({"type": "layer_space", "neurons": [0, 1]}, "layer"),
        ({"type": "inspect", "sample": 3}, "sample"),
    ],
)
def test_parse_client_message_refuses_malformed_inspector_messages(message, named):
    _, error = parse_client_message(json.dumps(message))
    assert error.code == "invalid_message" and named in error.message


# -- the engine's numbers as strict JSON ---------------------------------------------------------
def test_trace_is_strict_json_when_values_overflow():
    model = MLP(2, [3, 3], 1, hidden_activation="linear", seed=0)
    for layer in model.sequential:
        layer.W[...] = 1e200
    with np.errstate(all="ignore"):
        shown = trace(model, np.ones((2, 2)), np.zeros(2))
    text = json.dumps(shown, allow_nan=False)
    assert "null" in text
    assert shown["layers"][1]["z"] == [None] * 3


def test_json_ready_replaces_non_finite_values_with_none():
    assert json_ready(np.array([[1.5, np.inf], [np.nan, -np.inf]])) == [[1.5, None], [None, None]]
    assert json_ready(np.float32(0.5)) == 0.5
    assert json_ready(float("nan")) is None


def test_a_gradient_check_of_an_overflowing_model_is_strict_json():
    model = MLP(2, [3], 1, hidden_activation="linear", seed=0)
    model.sequential[0].W[...] = 1e200
    with np.errstate(all="ignore"):
        report = gradient_check(model, np.ones((2, 2)), np.zeros(2))
    json.dumps(report, allow_nan=False)
    assert report["worst"] is None and report["passed"] is False
