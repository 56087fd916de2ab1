"""A large network takes SGD's and momentum's step on its weights inside eq. 15's product (one
GEMM: W <- beta W - eta delta^T a), on the NumPy path (`Optimizer.fold`) and in the compiled
epoch alike: the same epoch as NumPy's `theta - eta * grad` step, but for the GEMM's rounding,
with and without L2; and whatever the fold cannot express (Adam, L1, a user's own rule) keeps
the step pass."""

import numpy as np
import pytest

from mlp_engine import MLP, kernels
from mlp_engine.optimizers import SGD, Adam, Momentum

RNG = np.random.default_rng(21)
X = RNG.normal(size=(320, 48))
Y = np.eye(10)[RNG.integers(0, 10, 320)]


def large_model(optimizer, dtype=np.float64, l1=0.0, l2=0.0):
    """48-96-80-10: 64 x 13,248 multiply-adds a batch, above MLP.KERNEL_MAX_BATCH_WORK."""
    model = MLP(
        48,
        [96, 80],
        10,
        0.05,
        cost="categorical_crossentropy",
        hidden_activation="relu",
        output_activation="softmax",
        optimizer=optimizer,
        l1=l1,
        l2=l2,
        seed=4,
        dtype=dtype,
    )
    assert 64 * model.n_weights > model.KERNEL_MAX_BATCH_WORK
    return model


def noted(function, calls: list):
    """`function`, noting each call in `calls`."""

    def wrapper(*args):
        calls.append(1)
        return function(*args)

    return wrapper


def folded_and_stepped(monkeypatch, optimizer, dtype, **regularisation):
    """Two epochs of twin NumPy models: one folding its steps, one with the fold switched off."""
    runs = []
    for folds in (True, False):
        model = large_model(optimizer, dtype, **regularisation)
        model.accelerate = False
        calls = []
        monkeypatch.setattr(type(model.optimizer), "fold", noted(type(model.optimizer).fold, calls))
        monkeypatch.setattr(type(model.optimizer), "folds", lambda self, on=folds: on)
        losses = [model.train_epoch(X.astype(dtype), Y, batch_size=64) for _ in range(2)]
        t, buffers = model.optimizer.state_arrays()
        runs.append((model.theta.copy(), losses, t, buffers, len(calls)))
        monkeypatch.undo()
    return runs


@pytest.mark.parametrize(("dtype", "rtol"), [(np.float64, 1e-10), (np.float32, 2e-4)])
@pytest.mark.parametrize("l2", [0.0, 0.1])
@pytest.mark.parametrize("optimizer", [SGD(), Momentum(mu=0.7)], ids=repr)
def test_a_folded_epoch_is_numpys_epoch_but_for_rounding(monkeypatch, optimizer, l2, dtype, rtol):
    (theta, losses, t, buffers, folds), (theta_0, losses_0, t_0, buffers_0, no_folds) = (
        folded_and_stepped(monkeypatch, optimizer, dtype, l2=l2)
    )
    # 5 batches of 64 an epoch, 3 layers a step
    assert (folds, no_folds) == (2 * 5 * 3, 0)
    assert t == t_0 == 10
    atol = rtol * np.abs(theta_0).max()
    np.testing.assert_allclose(theta, theta_0, rtol=rtol, atol=atol)
    np.testing.assert_allclose(losses, losses_0, rtol=rtol)
    for ours, theirs in zip(buffers, buffers_0, strict=True):  # momentum's velocity
        np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=rtol * np.abs(theirs).max())
    assert theta.dtype == dtype


@pytest.mark.parametrize(("dtype", "rtol"), [(np.float64, 1e-10), (np.float32, 2e-4)])
@pytest.mark.parametrize("l2", [0.0, 0.1])
@pytest.mark.parametrize("optimizer", [SGD(), Momentum(mu=0.7)], ids=repr)
def test_the_compiled_epoch_of_a_large_network_folds_as_numpys(
    monkeypatch, optimizer, l2, dtype, rtol
):
    """The compiled epoch trains a large network when its rule folds, its GEMMs SciPy's BLAS:
    the NumPy path's folded epoch, but for the order of a few sums."""
    runs = []
    for accelerate in (True, False):
        model = large_model(optimizer, dtype, l2=l2)
        model.accelerate = accelerate
        epochs = []
        monkeypatch.setattr(kernels, "train_epoch", noted(kernels.train_epoch, epochs))
        losses = [model.train_epoch(X.astype(dtype), Y, batch_size=64) for _ in range(2)]
        monkeypatch.undo()
        t, buffers = model.optimizer.state_arrays()
        runs.append((model.theta.copy(), losses, t, buffers, len(epochs)))
    (theta, losses, t, buffers, compiled), (theta_0, losses_0, t_0, buffers_0, none) = runs
    assert (compiled, none) == (2, 0)
    assert all(64 * n_x * n_h >= kernels.FOLD_MIN_WORK for n_x, n_h in [(48, 96), (96, 80)])
    assert t == t_0 == 10
    np.testing.assert_allclose(theta, theta_0, rtol=rtol, atol=rtol * np.abs(theta_0).max())
    np.testing.assert_allclose(losses, losses_0, rtol=rtol)
    for ours, theirs in zip(buffers, buffers_0, strict=True):  # momentum's velocity
        np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=rtol * np.abs(theirs).max())
    assert theta.dtype == dtype


@pytest.mark.parametrize(
    ("optimizer", "l1"), [(Adam(), 0.0), (SGD(), 0.01), (Momentum(), 0.01)], ids=repr
)
def test_rules_the_fold_cannot_express_keep_the_step_pass(monkeypatch, optimizer, l1):
    model = large_model(optimizer, l1=l1)
    folded = []
    update = MLP._update
    monkeypatch.setattr(MLP, "_update", lambda self, *a: folded.append(a[2]) or update(self, *a))
    model.train_epoch(X, Y, batch_size=64)
    assert folded == [False] * 5
    assert model.optimizer.t == 5


def test_a_users_rule_derived_from_sgd_is_not_folded():
    """Its own `apply` is its math: an inherited fold would skip it."""

    class HalfStep(SGD):
        def apply(self, theta, grad, part=slice(None)):
            theta -= 0.5 * self.learning_rate * grad

    model, twin = large_model(HalfStep()), large_model(SGD())
    twin.learning_rate = 0.025
    assert not model.optimizer.folds() and twin.optimizer.folds()
    model.train_epoch(X, Y, batch_size=64)
    twin.train_epoch(X, Y, batch_size=64)
    np.testing.assert_allclose(model.theta, twin.theta, rtol=1e-10, atol=1e-12)


def test_the_backward_pass_of_a_large_network_still_gives_its_gradient():
    """The fold serves train_epoch alone: backward()'s dW (the inspector's, the gradient
    checks') is computed and returned as before, with the step left to the caller."""
    model = large_model("sgd", l2=0.1)
    model.train_epoch(X, Y, batch_size=64)
    W_before = [layer.W.copy() for layer in model.sequential]
    model.forward(X[:64])
    gradients = model.backward(Y[:64])
    for layer, W in zip(model.sequential, W_before, strict=True):
        np.testing.assert_array_equal(layer.W, W)  # backward() takes no step
    twin = model.copy()
    for entry, (dW, db) in zip(gradients, twin.gradients(X[:64], Y[:64]), strict=True):
        np.testing.assert_array_equal(entry.dW, dW)
        np.testing.assert_array_equal(entry.db, db)
    loss = model.loss(X[:64], Y[:64])
    assert model.train_step(X[:64], Y[:64]) == loss
    for layer, W, entry in zip(model.sequential, W_before, gradients, strict=True):
        np.testing.assert_array_equal(layer.W, W - 0.05 * entry.dW)
