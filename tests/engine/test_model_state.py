"""A model's state set through its own methods: one weight or bias at a time
(`MLP.set_parameter`, the weight editor's), and everything another model's training has
reached (`MLP.continue_from`: weights, update-rule state, random generator), so that a server
never writes into `theta` or an optimiser's buffers itself."""

import numpy as np
import pytest

from mlp_engine import MLP
from mlp_engine.datasets import make_dataset


def classifier(rule: str = "adam", seed=0, learning_rate: float = 0.03) -> MLP:
    return MLP(
        2,
        [5, 3],
        1,
        learning_rate=learning_rate,
        cost="binary_crossentropy",
        hidden_activation="tanh",
        output_activation="sigmoid",
        optimizer=rule,
        seed=seed,
    )


@pytest.fixture(scope="module")
def data():
    X, y = make_dataset("xor", 80, noise=0.1, seed=3)
    return X, y.reshape(-1, 1).astype(float)


def train(model: MLP, data, epochs: int, first: int = 1) -> list[float]:
    X, Y = data
    return [model.train_epoch(X, Y, 8, epoch) for epoch in range(first, first + epochs)]


@pytest.mark.parametrize("rule", ["sgd", "momentum", "adam"])
def test_a_model_that_continues_from_another_trains_exactly_as_it_would_have(data, rule):
    reference = classifier(rule)
    train(reference, data, 3)
    model = classifier(rule, seed=[7, 1])
    model.continue_from(reference)
    assert np.array_equal(model.theta, reference.theta)
    # Both now train the same epochs: same batches (the generator), same steps (the rule's
    # step count and buffers, which Adam's bias correction and momentum's velocity read).
    losses, expected = train(model, data, 3, first=4), train(reference, data, 3, first=4)
    assert losses == expected
    assert np.array_equal(model.theta, reference.theta)
    assert model.optimizer.t == reference.optimizer.t > 0


def test_continuing_keeps_the_models_own_rates_and_shares_no_array(data):
    reference = classifier(learning_rate=0.03)
    train(reference, data, 2)
    model = classifier(learning_rate=0.1)
    model.l2 = 0.01
    model.continue_from(reference)
    assert model.learning_rate == 0.1 and model.l2 == 0.01
    before = reference.theta.copy(), reference.optimizer.m.copy()
    train(model, data, 1, first=3)
    assert np.array_equal(reference.theta, before[0]), "the other model's weights are its own"
    assert np.array_equal(reference.optimizer.m, before[1]), "and so are its buffers"


@pytest.mark.parametrize(
    ("other", "named"),
    [
        (MLP(2, [5, 4], 1, optimizer="adam"), "layer sizes [2, 5, 4, 1]"),
        (MLP(2, [5, 3], 1, optimizer="sgd"), "update rule SGD()"),
    ],
)
def test_a_model_of_another_shape_or_rule_is_refused_and_nothing_changes(other, named):
    model = classifier()
    theta = model.theta.copy()
    with pytest.raises(ValueError) as refused:
        model.continue_from(other)
    assert named in str(refused.value)
    assert np.array_equal(model.theta, theta)


def test_set_parameter_sets_one_weight_or_bias_that_the_forward_pass_uses():
    model = classifier()
    X = np.array([[0.5, -1.5], [2.0, 0.25]])
    model.set_parameter(0, 3, 1, -2.5)
    model.set_parameter(1, 2, None, 0.75)
    W1, b1 = model.sequential[0].W, model.sequential[0].b
    W2, b2 = model.sequential[1].W, model.sequential[1].b
    assert W1[3, 1] == -2.5 and b2[2] == 0.75
    # Eqs. 32-33 by hand with the edited parameters: the model's own pass agrees.
    a1 = np.tanh(X @ W1.T + b1)
    a2 = np.tanh(a1 @ W2.T + b2)
    model.forward(X)
    np.testing.assert_allclose(model.activations_cache[2], a2, rtol=1e-12)


@pytest.mark.parametrize(
    ("where", "named"),
    [
        ((3, 0, 0), "layer 3 does not exist"),
        ((-1, 0, 0), "layer -1 does not exist"),
        ((0, 5, 0), "no weight at (5, 0)"),
        ((0, 0, 2), "no weight at (0, 2)"),
        ((0, -1, 0), "no weight at (-1, 0)"),
        ((2, 1, None), "no bias 1"),
    ],
)
def test_set_parameter_refuses_an_entry_the_network_does_not_have(where, named):
    model = classifier()
    theta = model.theta.copy()
    with pytest.raises(IndexError) as refused:
        model.set_parameter(*where, 1.0)
    assert named in str(refused.value)
    assert np.array_equal(model.theta, theta), "nothing changed"


def test_set_parameters_takes_another_moments_weights_and_refuses_a_wrong_vector(data):
    """A copy of theta taken at one moment and set on a twin: the same forward pass; a vector of
    another size or with NaN is refused by name and nothing changes."""
    X, y = data
    model, twin = MLP(2, [4, 3], 1, seed=1), MLP(2, [4, 3], 1, seed=2)
    model.fit(X, y, batch_size=10, epochs=2)
    twin.set_parameters(model.theta.copy())
    np.testing.assert_array_equal(twin.forward(X), model.forward(X))
    before = twin.theta.copy()
    for bad, named in ((np.zeros(5), "shape"), (np.full_like(before, np.nan), "NaN")):
        with pytest.raises(ValueError, match=named):
            twin.set_parameters(bad)
        np.testing.assert_array_equal(twin.theta, before)
