"""The compiled epoch loop is an accelerator: an epoch through it equals a NumPy epoch."""

import itertools

import numpy as np
import pytest

from mlp_engine import MLP, kernels
from mlp_engine.costs import COSTS

pytestmark = pytest.mark.skipif(not kernels.AVAILABLE, reason="Numba is not installed")

HIDDEN = ["sigmoid", "tanh", "relu", "leaky_relu", "linear", "softmax"]
OUTPUTS = ["sigmoid", "tanh", "relu", "leaky_relu", "linear", "softmax"]


def valid_pairs():
    for cost, output in itertools.product(COSTS, OUTPUTS):
        valid = COSTS[cost].valid_outputs
        if valid is None or output in valid:
            yield cost, output


def twin_epochs(epochs=3, n_y=3, dtype=np.float64, **config):
    """Train two identical models, one compiled and one NumPy; return both."""
    rng = np.random.default_rng(7)
    X = rng.normal(size=(61, 4)).astype(dtype)
    Y = rng.integers(0, n_y, 61) if n_y > 1 else rng.random(61)
    twins = []
    for accelerate in (True, False):
        model = MLP(4, [5, 3], n_y, seed=3, dtype=dtype, **config)
        model.accelerate = accelerate
        model.KERNEL_MAX_BATCH_WORK = 10**9
        losses = [model.train_epoch(X, Y, batch_size=7) for _ in range(epochs)]
        twins.append((model, losses))
    return twins


def assert_same(twins, rtol):
    (fast, fast_losses), (slow, slow_losses) = twins
    np.testing.assert_allclose(fast.theta, slow.theta, rtol=rtol, atol=rtol)
    np.testing.assert_allclose(fast_losses, slow_losses, rtol=rtol)
    assert fast.optimizer.t == slow.optimizer.t == 3 * (61 // 7)


@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize(("cost", "output"), list(valid_pairs()))
def test_every_activation_and_cost_pair_matches_numpy(hidden, cost, output):
    twins = twin_epochs(
        learning_rate=0.05, cost=cost, hidden_activation=hidden, output_activation=output
    )
    assert_same(twins, rtol=1e-10)


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
@pytest.mark.parametrize(("l1", "l2"), [(0.0, 0.0), (0.01, 0.0), (0.0, 0.05)])
def test_every_optimizer_and_regularisation_matches_numpy(optimizer, l1, l2):
    twins = twin_epochs(
        learning_rate=0.01,
        cost="categorical_crossentropy",
        output_activation="softmax",
        optimizer=optimizer,
        l1=l1,
        l2=l2,
    )
    assert_same(twins, rtol=1e-10)
    fast, slow = twins[0][0].optimizer, twins[1][0].optimizer
    for buffer in fast.buffers:
        np.testing.assert_allclose(getattr(fast, buffer), getattr(slow, buffer), rtol=1e-10)


def test_float32_matches_numpy_to_float32_precision():
    twins = twin_epochs(
        n_y=1, dtype=np.float32, learning_rate=0.05, cost="mse", hidden_activation="tanh"
    )
    assert twins[0][0].theta.dtype == np.float32
    assert_same(twins, rtol=2e-4)


def test_large_batches_of_large_networks_use_numpy(monkeypatch):
    calls = []
    monkeypatch.setattr(kernels, "train_epoch", lambda *args: calls.append(args))
    X, Y = np.zeros((64, 2)), np.zeros((64, 1))
    MLP(2, [4], 1).train_epoch(X, Y, batch_size=8)
    assert len(calls) == 1
    big = MLP(2, [32] * 8, 1)
    big.train_epoch(X, Y, batch_size=64)
    assert len(calls) == 1, "64 x 7264 multiply-adds per batch is NumPy's job"
