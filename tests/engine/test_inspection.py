"""The backprop inspector shows the engine's own numbers, and they obey eqs. 12-15 and 30-31;
the gradient check passes on the engine's gradients and fails on a corrupted one.
"""

import itertools
import json
import zlib

import numpy as np
import pytest

from mlp_engine import MLP
from mlp_engine.costs import COSTS
from mlp_engine.inspection import gradient_check, trace
from mlp_engine.operations import Tanh

HIDDEN = ["sigmoid", "tanh", "relu", "leaky_relu", "linear", "softmax"]
OUTPUTS = ["sigmoid", "tanh", "relu", "leaky_relu", "linear", "softmax"]
N_X, WIDTHS, N_Y, M = 3, [4, 3], 3, 5


def valid_pairs():
    for cost, output in itertools.product(COSTS, OUTPUTS):
        valid = COSTS[cost].valid_outputs
        if valid is None or output in valid:
            yield cost, output


CASES = [(hidden, cost, output) for hidden in HIDDEN for cost, output in valid_pairs()]


def network(hidden, cost, output, **config):
    """A random network with nonzero biases, and a batch (X, Y) for it."""
    seed = zlib.crc32(f"{hidden} {cost} {output}".encode())
    model = MLP(
        N_X,
        WIDTHS,
        N_Y,
        learning_rate=0.1,
        cost=cost,
        hidden_activation=hidden,
        output_activation=output,
        seed=seed,
        **config,
    )
    rng = np.random.default_rng(seed)
    for layer in model.sequential:
        layer.b[...] = rng.normal(0.0, 0.3, layer.b.shape)
    X = rng.normal(size=(M, N_X))
    Y = rng.normal(size=(M, N_Y)) if cost == "mse" else np.eye(N_Y)[rng.integers(0, N_Y, M)]
    return model, X, Y


def arrays(layer: dict, *names):
    return [np.array(layer[name], dtype=float) for name in names]


@pytest.mark.parametrize(("hidden", "cost", "output"), CASES)
def test_trace_values_are_the_engines_forward_and_backward(hidden, cost, output):
    model, X, Y = network(hidden, cost, output)
    for sample in (0, M - 1):
        shown = trace(model, X, Y, sample)
        model.forward(X)
        A, Z = model.cache
        expected = model.backward(Y)
        assert shown["sample"] == sample and shown["batch_size"] == M
        assert shown["loss"] == model.loss(X, Y)
        for l, (layer, entry) in enumerate(zip(model.sequential, shown["layers"], strict=True)):
            assert entry["layer"] == l
            np.testing.assert_array_equal(entry["W"], layer.W)
            np.testing.assert_array_equal(entry["b"], layer.b)
            np.testing.assert_array_equal(entry["a_prev"], A[l][sample])
            np.testing.assert_array_equal(entry["z"], Z[l][sample])
            np.testing.assert_array_equal(entry["a"], A[l + 1][sample])
            np.testing.assert_array_equal(entry["delta"], expected[l].delta[sample])
            np.testing.assert_array_equal(entry["db_sample"], expected[l].delta[sample])
            np.testing.assert_array_equal(
                entry["dW_sample"], np.outer(expected[l].delta[sample], A[l][sample])
            )
            np.testing.assert_array_equal(entry["dW_batch"], expected[l].dW)
            np.testing.assert_array_equal(entry["db_batch"], expected[l].db)


def assert_delta_is(delta, upstream, phi_prime, kind):
    """delta = upstream o phi' (eqs. 12-13), or J^T upstream for softmax's Jacobian J."""
    expected = phi_prime.T @ upstream if kind == "jacobian" else upstream * phi_prime
    np.testing.assert_allclose(delta, expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(("hidden", "cost", "output"), CASES)
def test_hidden_delta_is_backprop_times_phi_prime(hidden, cost, output):
    """Eq. 13: delta^l = ((W^(l+1))^T delta^(l+1)) o phi'(z^l)."""
    model, X, Y = network(hidden, cost, output)
    shown = trace(model, X, Y, sample=2)
    for l, entry in enumerate(shown["layers"][:-1]):
        delta_next = np.array(shown["layers"][l + 1]["delta"])
        backprop, phi_prime, delta = arrays(entry, "backprop", "phi_prime", "delta")
        np.testing.assert_allclose(backprop, model.sequential[l + 1].W.T @ delta_next, rtol=1e-12)
        expected_kind = "jacobian" if hidden == "softmax" else "diagonal"
        assert entry["phi_prime_kind"] == expected_kind
        assert phi_prime.shape == ((WIDTHS[l],) * 2 if hidden == "softmax" else (WIDTHS[l],))
        assert_delta_is(delta, backprop, phi_prime, expected_kind)
        assert entry["grad_a"] is None and entry["fused"] is None


@pytest.mark.parametrize(("hidden", "cost", "output"), CASES)
def test_output_delta_is_eq_12_or_its_fused_form(hidden, cost, output):
    model, X, Y = network(hidden, cost, output)
    shown = trace(model, X, Y, sample=1)
    entry = shown["layers"][-1]
    assert entry["backprop"] is None
    np.testing.assert_array_equal(entry["y"], Y[1])
    grad_a, phi_prime, delta, a, y = arrays(entry, "grad_a", "phi_prime", "delta", "a", "y")
    model.forward(X)
    np.testing.assert_array_equal(grad_a, model.cost.gradient(model.activations_cache[-1], Y)[1])
    assert entry["fused"] == (COSTS[cost].fused_activation == output)
    if cost == "binary_crossentropy" and output == "sigmoid":
        np.testing.assert_allclose(delta, (a - y) / N_Y, rtol=1e-12)
        assert "(a^L - y)/n_y" in entry["fused_note"]
    elif cost == "categorical_crossentropy" and output == "softmax":
        np.testing.assert_allclose(delta, a - y, rtol=1e-12, atol=1e-15)
        assert "a^L - y" in entry["fused_note"]
    else:
        assert entry["fused_note"] is None
        assert_delta_is(delta, grad_a, phi_prime, entry["phi_prime_kind"])


@pytest.mark.parametrize(("hidden", "cost", "output"), CASES)
def test_batch_gradient_is_the_mean_of_the_samples_gradients(hidden, cost, output):
    """Eqs. 14-15 averaged over the batch, as eqs. 30-31 use them (no regularisation)."""
    model, X, Y = network(hidden, cost, output)
    shown = [trace(model, X, Y, sample) for sample in range(M)]
    for l, entry in enumerate(shown[0]["layers"]):
        samples = [s["layers"][l] for s in shown]
        mean_dW = np.mean([s["dW_sample"] for s in samples], axis=0)
        mean_db = np.mean([s["db_sample"] for s in samples], axis=0)
        np.testing.assert_allclose(entry["dW_batch"], mean_dW, rtol=1e-12, atol=1e-16)
        np.testing.assert_allclose(entry["db_batch"], mean_db, rtol=1e-12, atol=1e-16)
    assert shown[0]["note"] is None


@pytest.mark.parametrize(("hidden", "cost", "output"), CASES[::5])
def test_update_is_eqs_30_31_and_the_sgd_step(hidden, cost, output):
    model, X, Y = network(hidden, cost, output)
    shown = trace(model, X, Y)
    eta = shown["learning_rate"]
    assert eta == model.learning_rate == 0.1
    model.train_step(X, Y)
    for layer, entry in zip(model.sequential, shown["layers"], strict=True):
        W, b, dW, db = arrays(entry, "W", "b", "dW_batch", "db_batch")
        np.testing.assert_array_equal(entry["W_after"], W - eta * dW)
        np.testing.assert_array_equal(entry["b_after"], b - eta * db)
        np.testing.assert_array_equal(entry["W_after"], layer.W)
        np.testing.assert_array_equal(entry["b_after"], layer.b)


def test_trace_notes_another_optimiser_and_regularisation():
    model, X, Y = network("tanh", "mse", "linear", optimizer="adam", l2=0.1)
    shown = trace(model, X, Y)
    assert shown["optimizer"] == "adam"
    assert "adam" in shown["note"] and "eqs. 30-31" in shown["note"]
    assert "regularisation" in shown["note"]
    for layer, entry in zip(model.sequential, shown["layers"], strict=True):
        mean = np.mean([trace(model, X, Y, s)["layers"][entry["layer"]]["dW_sample"]
                        for s in range(M)], axis=0)  # fmt: skip
        np.testing.assert_allclose(entry["dW_batch"], mean + 0.1 * layer.W, rtol=1e-12)


def test_trace_names_the_network():
    model, X, Y = network("relu", "categorical_crossentropy", "softmax")
    shown = trace(model, X, Y)
    assert {k: shown[k] for k in ("cost", "hidden_activation", "output_activation")} == {
        "cost": "categorical_crossentropy",
        "hidden_activation": "relu",
        "output_activation": "softmax",
    }
    assert [entry["activation"] for entry in shown["layers"]] == ["relu", "relu", "softmax"]


def test_trace_keeps_the_engines_overflow_as_it_is():
    model, X, Y = network("linear", "mse", "linear")
    model.theta[: model.n_weights] = 1e200
    with np.errstate(all="ignore"):
        shown = trace(model, X, Y)
        model.forward(X)
    for entry, z in zip(shown["layers"], model.weighted_inputs_cache, strict=True):
        np.testing.assert_array_equal(entry["z"], z[0])
    assert not np.isfinite(shown["layers"][-1]["z"]).any()


def test_trace_holds_copies_not_the_models_arrays():
    model, X, Y = network("tanh", "mse", "linear")
    shown = trace(model, X, Y)
    W = model.sequential[0].W.copy()
    model.sequential[0].W[...] = 0.0
    np.testing.assert_array_equal(shown["layers"][0]["W"], W)


def test_trace_refuses_a_sample_outside_the_batch():
    model, X, Y = network("tanh", "mse", "linear")
    for sample in (-1, M, 1.0, True):
        with pytest.raises(ValueError, match="sample"):
            trace(model, X, Y, sample)


# -- gradient check ------------------------------------------------------------------------------
@pytest.mark.parametrize(("hidden", "cost", "output"), CASES)
def test_gradient_check_passes_on_the_engines_gradients(hidden, cost, output):
    model, X, Y = network(hidden, cost, output)
    theta = model.theta.tobytes()
    report = gradient_check(model, X, Y)
    assert report["passed"], report
    assert report["worst"] < 1e-6
    assert report["threshold"] == 1e-5 and report["eps"] == 1e-6
    assert [e["layer"] for e in report["layers"]] == [0, 1, 2]
    assert all(e["max_abs_error"] < 1e-7 for e in report["layers"])
    assert model.theta.tobytes() == theta
    json.dumps(report, allow_nan=False)


def test_gradient_check_passes_with_regularisation():
    model, X, Y = network("tanh", "binary_crossentropy", "sigmoid", l1=0.01, l2=0.1)
    assert gradient_check(model, X, Y)["passed"]


def test_gradient_check_fails_on_a_corrupted_output_delta(monkeypatch):
    model, X, Y = network("tanh", "categorical_crossentropy", "softmax")
    output_delta = model.output_delta
    monkeypatch.setattr(model, "output_delta", lambda Y: 1.1 * output_delta(Y))
    theta = model.theta.tobytes()
    report = gradient_check(model, X, Y)
    assert not report["passed"]
    assert all(e["rel_error_W"] > 1e-2 for e in report["layers"])
    assert report["worst"] == max(e["rel_error_W"] for e in report["layers"])
    assert model.theta.tobytes() == theta


def test_gradient_check_blames_the_layers_below_a_corrupted_activation(monkeypatch):
    """A wrong tanh' corrupts eq. 13 for the hidden layers only: the output layer still passes."""
    vjp = Tanh.vjp
    monkeypatch.setattr(Tanh, "vjp", lambda self, z, a, grad: 1.1 * vjp(self, z, a, grad))
    model, X, Y = network("tanh", "mse", "linear")
    report = gradient_check(model, X, Y)
    assert not report["passed"]
    hidden, output = report["layers"][:-1], report["layers"][-1]
    assert all(e["rel_error_W"] > 1e-2 and e["rel_error_b"] > 1e-2 for e in hidden)
    assert output["rel_error_W"] < 1e-6 and output["rel_error_b"] < 1e-6


def test_gradient_check_of_a_float32_model_runs_in_float64_and_leaves_it_unchanged():
    model = MLP(N_X, WIDTHS, 1, cost="binary_crossentropy", output_activation="sigmoid",
                hidden_activation="tanh", seed=4, dtype=np.float32)  # fmt: skip
    rng = np.random.default_rng(4)
    X, Y = rng.normal(size=(M, N_X)), rng.integers(0, 2, M)
    theta = model.theta.tobytes()
    report = gradient_check(model, X, Y)
    assert report["passed"] and report["worst"] < 1e-6
    assert model.theta.dtype == np.float32 and model.theta.tobytes() == theta
