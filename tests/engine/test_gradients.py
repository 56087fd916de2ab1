"""Backpropagation (eqs. 12-15) against central finite differences of the loss it differentiates.

`MLP.gradients(X, Y)` must be the derivative of `MLP.loss(X, Y)` for every pairing of hidden
activation, output activation and cost that the engine accepts, at every depth, with and without
L1/L2 regularisation; the pairings it refuses must be refused by name.
"""

import itertools
import zlib

import numpy as np
import pytest

from mlp_engine import MLP, LayerBackprop, get_cost

ACTIVATIONS = ["sigmoid", "tanh", "relu", "leaky_relu", "linear", "softmax"]
COSTS = ["mse", "binary_crossentropy", "categorical_crossentropy"]
PROBABILITY_OUTPUTS = ("sigmoid", "softmax")
HIDDEN_WIDTHS = {0: [], 1: [5], 3: [4, 5, 3]}
N_X, M = 3, 6
EPS = 1e-6
REGULARISATIONS = [(0.0, 0.0), (0.02, 0.1)]


def accepted(output, cost):
    """A cross-entropy needs outputs in (0, 1); the mean squared error takes any output."""
    return cost == "mse" or output in PROBABILITY_OUTPUTS


ACCEPTED = [(o, c) for o, c in itertools.product(ACTIVATIONS, COSTS) if accepted(o, c)]
REFUSED = [(o, c) for o, c in itertools.product(ACTIVATIONS, COSTS) if not accepted(o, c)]
CASES = [("tanh", output, cost, 0) for output, cost in ACCEPTED] + [
    (hidden, output, cost, depth)
    for hidden, (output, cost), depth in itertools.product(ACTIVATIONS, ACCEPTED, [1, 3])
]


def make_model(hidden, output, cost, depth, n_y, l1=0.0, l2=0.0, seed=0):
    """A random network whose weights are at least 0.05 from 0 (L1's kink) and biases nonzero."""
    model = MLP(
        N_X,
        HIDDEN_WIDTHS[depth],
        n_y,
        cost=cost,
        hidden_activation=hidden,
        output_activation=output,
        l1=l1,
        l2=l2,
        seed=seed,
    )
    rng = np.random.default_rng(seed + 1000)
    for layer in model.sequential:
        layer.W[...] = np.sign(layer.W) * (np.abs(layer.W) + 0.05)
        layer.b[...] = rng.normal(0.0, 0.3, layer.b.shape)
    return model


def make_targets(cost, n_y, rng, one_hot=False):
    """Regression targets for mse; values in [0, 1] (or one-hot rows) for the cross-entropies."""
    if cost == "mse":
        return rng.normal(size=(M, n_y))
    if one_hot:
        return np.eye(n_y)[rng.integers(0, n_y, M)]
    return rng.uniform(0.0, 1.0, (M, n_y))


def inputs_away_from_kinks(model, rng, margin=1e-3):
    """Inputs X for which no weighted input z lies within `margin` of relu's kink at 0."""
    for _ in range(100):
        X = rng.normal(size=(M, N_X))
        model.forward(X)
        _, weighted_inputs = model.cache
        if min(np.abs(z).min() for z in weighted_inputs) > margin:
            return X
    raise AssertionError("no kink-free inputs found")


def numerical_gradients(model, X, Y, eps=EPS):
    """Central differences of model.loss(X, Y) for every element of every W and b."""
    result = []
    for theta in model.parameters():
        grad = np.zeros_like(theta)
        for idx in np.ndindex(theta.shape):
            saved = theta[idx]
            theta[idx] = saved + eps
            plus = model.loss(X, Y)
            theta[idx] = saved - eps
            minus = model.loss(X, Y)
            theta[idx] = saved
            grad[idx] = (plus - minus) / (2 * eps)
        result.append(grad)
    return result


def flat(gradients):
    return [theta for pair in gradients for theta in pair]


def assert_gradients_match(model, X, Y):
    analytic = flat(model.gradients(X, Y))
    numeric = numerical_gradients(model, X, Y)
    assert [g.shape for g in analytic] == [p.shape for p in model.parameters()]
    for i, (a, n) in enumerate(zip(analytic, numeric, strict=True)):
        np.testing.assert_allclose(a, n, rtol=1e-6, atol=1e-8, err_msg=f"parameter {i}")


@pytest.mark.parametrize(("hidden", "output", "cost", "depth"), CASES)
def test_gradients_are_the_derivative_of_the_loss(hidden, output, cost, depth):
    rng = np.random.default_rng(zlib.crc32(f"{hidden} {output} {cost} {depth}".encode()))
    for n_y, (l1, l2) in itertools.product([1, 3], REGULARISATIONS):
        model = make_model(hidden, output, cost, depth, n_y, l1, l2, seed=int(rng.integers(99)))
        X = inputs_away_from_kinks(model, rng)
        one_hot_options = [False, True] if cost == "categorical_crossentropy" else [False]
        for one_hot in one_hot_options:
            assert_gradients_match(model, X, make_targets(cost, n_y, rng, one_hot))


@pytest.mark.parametrize(("l1", "l2"), [(0.05, 0.0), (0.0, 0.3)])
@pytest.mark.parametrize(
    ("output", "cost"), [("sigmoid", "binary_crossentropy"), ("linear", "mse")]
)
def test_l1_and_l2_gradients_alone(output, cost, l1, l2):
    rng = np.random.default_rng(5)
    for n_y in (1, 3):
        model = make_model("tanh", output, cost, 3, n_y, l1, l2, seed=7)
        assert_gradients_match(model, rng.normal(size=(M, N_X)), make_targets(cost, n_y, rng))


@pytest.mark.parametrize(("output", "cost"), REFUSED)
def test_cross_entropy_refuses_outputs_outside_0_1(output, cost):
    with pytest.raises(ValueError) as error:
        MLP(N_X, 4, 2, cost=cost, output_activation=output)
    assert cost in str(error.value)
    assert output in str(error.value)


@pytest.mark.parametrize(("output", "cost"), ACCEPTED)
def test_accepted_pairs_build(output, cost):
    model = MLP(N_X, 4, 2, cost=cost, output_activation=output)
    assert model.cost.name == cost
    assert model.output_activation.name == output


# --- backward -------------------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [0, 1, 3])
@pytest.mark.parametrize(("l1", "l2"), [(0.0, 0.0), (0.02, 0.1)])
def test_backward_gives_each_layers_delta_and_the_gradients(depth, l1, l2):
    model = make_model("tanh", "softmax", "categorical_crossentropy", depth, 3, l1, l2)
    rng = np.random.default_rng(1)
    X, Y = rng.normal(size=(M, N_X)), make_targets("categorical_crossentropy", 3, rng, True)
    expected = model.gradients(X, Y)
    model.forward(X)
    result = model.backward(Y)
    activations, _ = model.cache
    widths = [*HIDDEN_WIDTHS[depth], 3]
    assert len(result) == len(model.sequential) == depth + 1
    for l, (entry, width, (dW, db)) in enumerate(zip(result, widths, expected, strict=True)):  # noqa: E741
        assert isinstance(entry, LayerBackprop)
        assert entry.delta.shape == (M, width)
        np.testing.assert_allclose(entry.dW, dW, rtol=1e-12)
        np.testing.assert_allclose(entry.db, db, rtol=1e-12)
        # eqs. 14-15 averaged over the batch: dW = delta^T a^(l-1) / m (+ penalty), db = mean delta
        W = model.sequential[l].W
        penalty = l1 * np.sign(W) + l2 * W
        np.testing.assert_allclose(entry.db, entry.delta.mean(axis=0), rtol=1e-12)
        np.testing.assert_allclose(
            entry.dW, entry.delta.T @ activations[l] / M + penalty, rtol=1e-12, atol=1e-15
        )


def test_backward_without_forward_is_refused():
    with pytest.raises(ValueError, match="forward"):
        MLP(N_X, 4, 1).backward(np.zeros((M, 1)))


@pytest.mark.parametrize("n_y", [1, 3])
def test_sigmoid_binary_crossentropy_output_delta_is_a_minus_y_over_n_y(n_y):
    model = make_model("relu", "sigmoid", "binary_crossentropy", 1, n_y)
    rng = np.random.default_rng(2)
    X, Y = rng.normal(size=(M, N_X)), make_targets("binary_crossentropy", n_y, rng)
    a = model.forward(X)
    np.testing.assert_allclose(model.backward(Y)[-1].delta, (a - Y) / n_y, rtol=1e-12)


def test_softmax_categorical_crossentropy_output_delta_is_a_minus_y():
    model = make_model("relu", "softmax", "categorical_crossentropy", 1, 4)
    rng = np.random.default_rng(3)
    X, Y = rng.normal(size=(M, N_X)), make_targets("categorical_crossentropy", 4, rng, True)
    a = model.forward(X)
    np.testing.assert_allclose(model.backward(Y)[-1].delta, a - Y, rtol=1e-12, atol=1e-15)
    labels = Y.argmax(axis=1)
    model.forward(X)
    np.testing.assert_allclose(model.backward(labels)[-1].delta, a - Y, rtol=1e-12, atol=1e-15)


# --- regularisation -------------------------------------------------------------------------------


@pytest.mark.parametrize("cost", COSTS)
@pytest.mark.parametrize(("l1", "l2"), [(0.0, 0.0), (0.03, 0.0), (0.0, 0.2), (0.03, 0.2)])
def test_regularised_loss_penalises_weights_only(cost, l1, l2):
    model = make_model("tanh", "sigmoid", cost, 3, 2, l1, l2)
    for layer in model.sequential:
        layer.b[...] = 3.0  # a bias counted in the penalty would change the loss a lot
    rng = np.random.default_rng(4)
    X, Y = rng.normal(size=(M, N_X)), make_targets(cost, 2, rng)
    data_loss = get_cost(cost)(model.predict(X), Y)
    weights = [layer.W for layer in model.sequential]
    penalty = l1 * sum(np.abs(W).sum() for W in weights) + l2 / 2 * sum(
        (W**2).sum() for W in weights
    )
    assert model.loss(X, Y) == pytest.approx(data_loss + penalty, rel=1e-12)
