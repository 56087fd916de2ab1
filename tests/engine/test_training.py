"""Training as a whole: it learns, matches scikit-learn, is reproducible, survives saturation and
divergence, persists as JSON, and refuses bad input by name."""

import contextlib
import json
import warnings
from dataclasses import dataclass

import numpy as np
import pytest

from mlp_engine import MLP, TrainingDiverged
from mlp_engine.datasets import make_dataset, train_test_split

XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_Y = np.array([0, 1, 1, 0])


def xor_model(**options):
    settings = {"learning_rate": 0.05, "optimizer": "adam", "seed": 0}
    return MLP(
        2,
        4,
        1,
        cost="binary_crossentropy",
        hidden_activation="tanh",
        output_activation="sigmoid",
        **(settings | options),
    )


def regression_data(n=120):
    """TF Playground's plane: the target rises with x1 + x2."""
    return make_dataset("plane", n, seed=0)


def weights_of(model):
    return [theta.copy() for theta in model.parameters()]


def snapshot_each_epoch(model):
    """[weights now] and a `fit` callback that appends the weights after every epoch to it."""
    snapshots = [weights_of(model)]
    return snapshots, lambda _record: snapshots.append(weights_of(model))


def assert_same_weights(a, b):
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)


# --- it learns ------------------------------------------------------------------------------------


@pytest.mark.parametrize("optimizer", ["adam", "momentum"])
def test_learns_the_four_point_xor(optimizer):
    model = xor_model(optimizer=optimizer)
    model.fit(XOR_X, XOR_Y, batch_size=4, epochs=300)
    np.testing.assert_array_equal(model.predict_classes(XOR_X), XOR_Y)
    assert model.evaluate(XOR_X, XOR_Y)["accuracy"] == 1.0
    assert model.loss(XOR_X, XOR_Y) < 0.1


def test_learns_the_noisy_xor_dataset():
    X, y = make_dataset("xor", 600, noise=0.05, seed=1)
    X_train, y_train, X_test, y_test = train_test_split(X / 6.0, y, 0.5, seed=2)
    model = MLP(
        2,
        8,
        1,
        learning_rate=0.01,
        cost="binary_crossentropy",
        hidden_activation="tanh",
        output_activation="sigmoid",
        optimizer="adam",
        seed=0,
    )
    model.fit(X_train, y_train, batch_size=16, epochs=100)
    assert model.evaluate(X_test, y_test)["accuracy"] >= 0.95


# --- in the same range as scikit-learn ------------------------------------------------------------


@dataclass(frozen=True)
class Benchmark:
    """One scikit-learn dataset and the training both MLPs get on it."""

    dataset: str
    widths: tuple[int, ...]
    activation: str
    optimizer: str
    learning_rate: float
    batch_size: int
    epochs: int
    floor: float  # the least test accuracy (R^2 for a regression) we accept

    @property
    def regression(self) -> bool:
        return self.dataset == "diabetes"


BENCHMARKS = [
    Benchmark("iris", (8,), "relu", "adam", 0.01, 16, 20, floor=0.9),
    Benchmark("wine", (16,), "relu", "adam", 0.01, 16, 20, floor=0.9),
    Benchmark("digits", (32,), "relu", "sgd", 0.1, 32, 20, floor=0.93),
    Benchmark("diabetes", (16,), "tanh", "adam", 0.001, 16, 40, floor=0.25),
]


def scaled_split(benchmark):
    """A fixed 75/25 split with inputs (and regression targets) standardised on the train part."""
    sklearn_datasets = pytest.importorskip("sklearn.datasets")
    from sklearn.model_selection import train_test_split as sklearn_split
    from sklearn.preprocessing import StandardScaler

    X, y = getattr(sklearn_datasets, f"load_{benchmark.dataset}")(return_X_y=True)
    stratify = None if benchmark.regression else y
    X_train, X_test, y_train, y_test = sklearn_split(
        X, y, test_size=0.25, random_state=0, stratify=stratify
    )
    scaler = StandardScaler().fit(X_train)
    if benchmark.regression:
        mean, std = y_train.mean(), y_train.std()
        y_train, y_test = (y_train - mean) / std, (y_test - mean) / std
    return scaler.transform(X_train), y_train, scaler.transform(X_test), y_test


def our_score(benchmark, X_train, y_train, X_test, y_test):
    regression = benchmark.regression
    model = MLP(
        X_train.shape[1],
        list(benchmark.widths),
        1 if regression else int(y_train.max()) + 1,
        learning_rate=benchmark.learning_rate,
        cost="mse" if regression else "categorical_crossentropy",
        hidden_activation=benchmark.activation,
        output_activation="linear" if regression else "softmax",
        optimizer=benchmark.optimizer,
        seed=0,
    )
    model.fit(X_train, y_train, batch_size=benchmark.batch_size, epochs=benchmark.epochs)
    return model.evaluate(X_test, y_test)["r2" if regression else "accuracy"]


def sklearn_score(benchmark, X_train, y_train, X_test, y_test):
    """scikit-learn's MLP with the same architecture and optimiser for the full epoch budget."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    estimator = (MLPRegressor if benchmark.regression else MLPClassifier)(
        hidden_layer_sizes=benchmark.widths,
        activation=benchmark.activation,
        solver=benchmark.optimizer,
        learning_rate_init=benchmark.learning_rate,
        batch_size=benchmark.batch_size,
        max_iter=benchmark.epochs,
        alpha=0.0,
        momentum=0.0,
        tol=0.0,
        n_iter_no_change=benchmark.epochs + 1,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        estimator.fit(X_train, y_train)
    assert estimator.n_iter_ == benchmark.epochs
    return estimator.score(X_test, y_test)


@pytest.mark.parametrize("case", BENCHMARKS, ids=lambda case: f"{case.dataset}-{case.optimizer}")
def test_scores_like_sklearn_mlp(case):
    split = scaled_split(case)
    ours, theirs = our_score(case, *split), sklearn_score(case, *split)
    assert ours >= case.floor, f"ours {ours}, sklearn {theirs}"
    assert ours >= theirs - (0.1 if case.regression else 0.05), f"ours {ours}, sklearn {theirs}"


# --- saturation -----------------------------------------------------------------------------------


@contextlib.contextmanager
def strict_numpy():
    """Fail on any warning, and on overflow, 0/0 or an invalid value in NumPy.

    Underflow to 0 (e.g. e^-800) is the correct rounding and stays allowed.
    """
    with (
        warnings.catch_warnings(),
        np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"),
    ):
        warnings.simplefilter("error")
        yield


@pytest.mark.parametrize("size", [50.0, 800.0])
def test_saturated_sigmoid_binary_crossentropy_is_finite(size):
    # One input x = +-1 and W = size * [1, -1]: z^L = +-size, half the samples confidently wrong.
    model = MLP(1, [], 2, cost="binary_crossentropy", output_activation="sigmoid")
    model.sequential[0].W[...] = [[size], [-size]]
    X = np.array([[1.0], [-1.0], [1.0], [-1.0]])
    Y = np.array([[1.0, 1.0], [1.0, 0.0], [0.0, 0.0], [0.0, 1.0]])
    z = X @ np.array([[size, -size]])
    with strict_numpy():
        loss = model.loss(X, Y)
        ((dW, db),) = model.gradients(X, Y)
    expected_loss = (np.logaddexp(0.0, z) - Y * z).mean()
    a = (z > 0).astype(float)  # sigmoid(+-size) is 1 or 0 to double precision
    assert np.isfinite(loss)
    assert loss == pytest.approx(expected_loss, rel=1e-12)
    np.testing.assert_allclose(db, ((a - Y) / 2).mean(axis=0), atol=1e-15)
    np.testing.assert_allclose(dW, ((a - Y) / 2).T @ X / 4, atol=1e-15)


@pytest.mark.parametrize("size", [50.0, 800.0])
def test_saturated_softmax_categorical_crossentropy_is_finite(size):
    model = MLP(1, [], 3, cost="categorical_crossentropy", output_activation="softmax")
    model.sequential[0].W[...] = [[size], [-size], [0.0]]
    X = np.array([[1.0], [-1.0], [1.0]])
    labels = np.array([1, 1, 2])  # off by 2 * size, right, off by size
    z = X @ np.array([[size, -size, 0.0]])
    with strict_numpy():
        loss = model.loss(X, labels)
        ((dW, db),) = model.gradients(X, labels)
    assert loss == pytest.approx((2 * size + 0.0 + size) / 3, rel=1e-12)
    assert z[0, 0] - z[0, 1] == 2 * size
    a = np.eye(3)[z.argmax(axis=1)]
    Y = np.eye(3)[labels]
    np.testing.assert_allclose(db, (a - Y).mean(axis=0), atol=1e-15)
    np.testing.assert_allclose(dW, (a - Y).T @ X / 3, atol=1e-15)


@pytest.mark.parametrize(
    ("output", "cost"),
    [("sigmoid", "binary_crossentropy"), ("softmax", "categorical_crossentropy")],
)
def test_saturated_output_behind_a_hidden_layer_gives_finite_gradients(output, cost):
    model = MLP(2, 4, 3, cost=cost, hidden_activation="tanh", output_activation=output, seed=0)
    model.sequential[-1].W[...] *= 800.0  # |z^L| in the hundreds
    X, Y = np.random.default_rng(0).normal(size=(8, 2)), np.eye(3)[[0, 1, 2, 0, 1, 2, 0, 1]]
    with strict_numpy():
        model.forward(X)
        assert np.abs(model.cache[1][-1]).max() > 100
        assert np.isfinite(model.loss(X, Y))
        grads = model.gradients(X, Y)
        model.train_step(X, Y)
    assert all(np.isfinite(g).all() for pair in grads for g in pair)
    assert all(np.isfinite(theta).all() for theta in model.parameters())


# --- reproducibility ------------------------------------------------------------------------------


def train_plane(seed, epochs=3):
    X, y = regression_data()
    model = MLP(
        2, [6, 4], 1, learning_rate=0.05, hidden_activation="tanh", optimizer="momentum", seed=seed
    )
    return model.fit(X, y, batch_size=10, epochs=epochs), model


def test_same_seed_gives_identical_histories_and_weights():
    history_a, model_a = train_plane(seed=7)
    history_b, model_b = train_plane(seed=7)
    assert history_a == history_b
    assert_same_weights(weights_of(model_a), weights_of(model_b))


def test_different_seed_gives_different_training():
    history_a, model_a = train_plane(seed=7)
    history_b, model_b = train_plane(seed=8)
    assert history_a["train_loss"] != history_b["train_loss"]
    assert not np.array_equal(model_a.sequential[0].W, model_b.sequential[0].W)


# --- mini-batches ---------------------------------------------------------------------------------


def record_partitions(model, monkeypatch):
    """Keep a copy of every partition that `model.batches` draws."""
    partitions, draw = [], model.batches

    def recording_batches(n_samples, batch_size):
        partition = draw(n_samples, batch_size)
        partitions.append(partition.copy())
        return partition

    monkeypatch.setattr(model, "batches", recording_batches)
    return partitions


@pytest.mark.parametrize("accelerate", [True, False], ids=["compiled-if-available", "numpy"])
@pytest.mark.parametrize(("n_samples", "batch_size"), [(60, 12), (60, 60), (60, 1), (50, 12)])
def test_an_epoch_is_one_step_per_batch_of_a_fresh_partition(
    n_samples, batch_size, accelerate, monkeypatch
):
    # One-hot inputs: column j of W moves in an SGD step only if sample j is in the batch.
    X, y = np.eye(n_samples), np.random.default_rng(0).normal(size=n_samples)
    model = MLP(n_samples, [], 1, learning_rate=0.1, seed=0)
    monkeypatch.setattr(model, "accelerate", accelerate, raising=False)
    reference = MLP.from_dict(model.to_dict())
    partitions = record_partitions(model, monkeypatch)
    snapshots, callback = snapshot_each_epoch(model)
    model.fit(X, y, batch_size=batch_size, epochs=3, callback=callback)
    n_batches = n_samples // batch_size
    assert len(partitions) == 3
    for before, after, partition in zip(snapshots[:-1], snapshots[1:], partitions, strict=True):
        used = partition.ravel()
        assert partition.shape == (n_batches, batch_size)
        assert len(set(used)) == n_batches * batch_size  # drawn without replacement
        moved = np.flatnonzero((after[0] != before[0]).any(axis=0))
        assert sorted(moved) == sorted(used)
        for batch in partition:
            reference.train_step(X[batch], y[batch])
        for ours, expected in zip(after, weights_of(reference), strict=True):
            np.testing.assert_allclose(ours, expected, rtol=1e-10, atol=1e-14)
    left_out = {frozenset(range(n_samples)) - set(p.ravel()) for p in partitions}
    assert all(len(samples) == n_samples % batch_size for samples in left_out)
    if n_samples % batch_size:
        assert len(left_out) > 1, "the same samples are left out every epoch"


# (hidden widths, hidden activation, output activation, cost, n_y, l1, l2)
EPOCH_NETWORKS = [
    ([5, 3], "tanh", "linear", "mse", 2, 0.0, 0.0),
    ([4], "relu", "sigmoid", "binary_crossentropy", 1, 0.01, 0.0),
    ([4, 4], "leaky_relu", "softmax", "categorical_crossentropy", 3, 0.0, 0.01),
    ([3], "sigmoid", "softmax", "binary_crossentropy", 3, 0.01, 0.01),
    ([3], "softmax", "sigmoid", "categorical_crossentropy", 3, 0.0, 0.0),
]


@pytest.mark.parametrize("accelerate", [True, False], ids=["compiled-if-available", "numpy"])
@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
@pytest.mark.parametrize("network", EPOCH_NETWORKS, ids=lambda n: f"{n[1]}-{n[2]}-{n[3]}")
def test_fit_epochs_equal_train_steps_over_the_drawn_batches(
    network, optimizer, accelerate, monkeypatch
):
    widths, hidden, output, cost, n_y, l1, l2 = network
    rng = np.random.default_rng(1)
    X = rng.normal(size=(45, 3))
    Y = rng.integers(0, n_y, 45) if cost == "categorical_crossentropy" else rng.random((45, n_y))
    model = MLP(
        3,
        widths,
        n_y,
        learning_rate=0.05,
        cost=cost,
        hidden_activation=hidden,
        output_activation=output,
        optimizer=optimizer,
        l1=l1,
        l2=l2,
        seed=2,
    )
    monkeypatch.setattr(model, "accelerate", accelerate, raising=False)
    reference = MLP.from_dict(model.to_dict())
    partitions = record_partitions(model, monkeypatch)
    history = model.fit(X, Y, batch_size=10, epochs=2)
    for partition in partitions:
        for batch in partition:
            reference.train_step(X[batch], Y[batch])
    for ours, expected in zip(weights_of(model), weights_of(reference), strict=True):
        np.testing.assert_allclose(ours, expected, rtol=1e-9, atol=1e-12)
    assert history["train_loss"][-1] == pytest.approx(reference.loss(X, Y), rel=1e-9)


# --- persistence ----------------------------------------------------------------------------------


def json_leaves_only(value):
    """True if value is built only of dicts, lists, str, int, float, bool and None."""
    if isinstance(value, dict):
        return all(isinstance(k, str) and json_leaves_only(v) for k, v in value.items())
    if isinstance(value, list):
        return all(json_leaves_only(v) for v in value)
    return value is None or type(value) in (str, int, float, bool)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
def test_save_load_round_trip_predicts_and_trains_identically(tmp_path, dtype, optimizer):
    X, labels = make_dataset("multi_blobs", 90, noise=0.1, seed=0)
    model = MLP(
        2,
        [5, 4],
        3,
        learning_rate=0.02,
        cost="categorical_crossentropy",
        hidden_activation="relu",
        output_activation="softmax",
        optimizer=optimizer,
        l2=1e-3,
        seed=3,
        dtype=dtype,
    )
    model.fit(X, labels, batch_size=16, epochs=2)
    data = model.to_dict()
    assert json_leaves_only(data)
    assert json.loads(json.dumps(data)) == data
    model.save(tmp_path / "model.json")
    text = (tmp_path / "model.json").read_text()
    assert json.loads(text) == data
    copy = MLP.load(tmp_path / "model.json")
    assert copy.config() == model.config()
    assert all(theta.dtype == dtype for theta in copy.parameters())
    np.testing.assert_array_equal(copy.predict(X), model.predict(X))
    history = model.fit(X, labels, batch_size=16, epochs=1)
    copy_history = copy.fit(X, labels, batch_size=16, epochs=1)
    assert copy_history == history
    assert_same_weights(weights_of(copy), weights_of(model))


# --- bad input is refused by name -----------------------------------------------------------------


def small_problem():
    X = np.random.default_rng(0).normal(size=(40, 2))
    return X, (X[:, 0] > 0).astype(np.int64) + (X[:, 1] > 0)


def classifier(**options):
    return MLP(
        2, 4, 3, cost="categorical_crossentropy", output_activation="softmax", seed=0, **options
    )


def with_value(array, index, value):
    array = np.array(array, dtype=float)
    array[index] = value
    return array


X_OK, LABELS_OK = small_problem()
Y_OK = np.eye(3)[LABELS_OK]
FIT_ERRORS = {
    "X with too few columns": (X_OK[:, :1], LABELS_OK, {}, "X must have shape"),
    "X of three dimensions": (X_OK[:, :, None], LABELS_OK, {}, "X must have shape"),
    "X with no rows": (np.zeros((0, 2)), LABELS_OK[:0], {}, "X must have shape"),
    "Y with a row missing": (X_OK, Y_OK[:-1], {}, "Y must have shape"),
    "Y with too many columns": (X_OK, np.hstack([Y_OK, Y_OK]), {}, "Y must have shape"),
    "labels with a row missing": (X_OK, LABELS_OK[:-1], {}, "Y must have shape"),
    "NaN in X": (with_value(X_OK, (3, 1), np.nan), LABELS_OK, {}, "X contains NaN"),
    "inf in X": (with_value(X_OK, (0, 0), -np.inf), LABELS_OK, {}, "X contains NaN or inf"),
    "NaN in Y": (X_OK, with_value(Y_OK, (2, 0), np.nan), {}, "Y contains NaN"),
    "inf in Y": (X_OK, with_value(Y_OK, (2, 0), np.inf), {}, "Y contains NaN or inf"),
    "class label 3 of 3 classes": (X_OK, with_value(LABELS_OK, 4, 3).astype(int), {}, "0..2"),
    "negative class label": (X_OK, with_value(LABELS_OK, 4, -1).astype(int), {}, "0..2"),
    "Y outside [0, 1]": (X_OK, 2 * Y_OK, {}, r"\[0, 1\]"),
    "float labels": (X_OK, LABELS_OK.astype(float), {}, "integer class labels"),
    "batch_size 0": (X_OK, LABELS_OK, {"batch_size": 0}, "batch_size"),
    "batch_size above N": (X_OK, LABELS_OK, {"batch_size": 41}, "batch_size"),
    "epochs 0": (X_OK, LABELS_OK, {"epochs": 0}, "epochs"),
}


@pytest.mark.parametrize("problem", FIT_ERRORS, ids=str)
def test_fit_refuses_bad_data_by_name(problem):
    X, Y, options, message = FIT_ERRORS[problem]
    model = classifier()
    before = weights_of(model)
    with pytest.raises(ValueError, match=message):
        model.fit(X, Y, **options)
    assert_same_weights(weights_of(model), before)


@pytest.mark.parametrize("accelerate", [True, False], ids=["compiled", "numpy"])
@pytest.mark.parametrize("where", ["a batch's row", "the row left out"])
@pytest.mark.parametrize("value", [np.nan, -np.inf], ids=["nan", "inf"])
def test_train_epoch_refuses_non_finite_inputs_and_changes_nothing(accelerate, where, value):
    """The compiled epoch looks for NaN and inf as it gathers a batch (no pass of its own), and
    train_epoch looks in the rows no batch gathers: either way the epoch is refused by name,
    with the weights, the rule's state and the random generator as they were."""
    model = classifier(optimizer="momentum")
    model.accelerate = accelerate
    model.train_epoch(X_OK, LABELS_OK, batch_size=16)  # 2 batches of 16: 8 rows left out
    theta, state = model.theta.copy(), model.optimizer.state_arrays()
    rng = model.rng.bit_generator.state
    used = model.batches(40, 16).ravel()  # the rows the next epoch gathers
    model.rng.bit_generator.state = rng
    row = used[5] if where == "a batch's row" else np.setdiff1d(np.arange(40), used)[0]
    with pytest.raises(ValueError, match="X contains NaN or infinite values"):
        model.train_epoch(with_value(X_OK, (row, 1), value), LABELS_OK, batch_size=16)
    np.testing.assert_array_equal(model.theta, theta)
    np.testing.assert_array_equal(model.optimizer.velocity, state[1][0])
    assert model.optimizer.t == state[0] and model.rng.bit_generator.state == rng


def test_binary_label_out_of_range_is_refused():
    model = MLP(2, 3, 1, cost="binary_crossentropy", output_activation="sigmoid")
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        model.fit(X_OK, np.where(LABELS_OK > 0, 2, 0))


@pytest.mark.parametrize("method", ["predict", "loss", "evaluate", "train_step"])
def test_every_entry_point_checks_X(method):
    model = classifier()
    args = (X_OK[:, :1],) if method == "predict" else (X_OK[:, :1], LABELS_OK)
    with pytest.raises(ValueError, match="X must have shape"):
        getattr(model, method)(*args)


def test_validation_data_is_checked_too():
    with pytest.raises(ValueError, match="Y must have shape"):
        classifier().fit(X_OK, LABELS_OK, validation_data=(X_OK, LABELS_OK[:-2]))


CONSTRUCTOR_ERRORS = {
    "unknown hidden activation": ({"hidden_activation": "swish"}, "swish"),
    "unknown output activation": ({"output_activation": "gelu"}, "gelu"),
    "unknown cost": ({"cost": "hinge"}, "hinge"),
    "unknown optimizer": ({"optimizer": "rmsprop"}, "rmsprop"),
    "negative l1": ({"l1": -0.1}, "l1"),
    "negative l2": ({"l2": -1.0}, "l2"),
    "zero learning rate": ({"learning_rate": 0.0}, "learning_rate"),
    "negative learning rate": ({"learning_rate": -0.1}, "learning_rate"),
    "infinite learning rate": ({"learning_rate": np.inf}, "learning_rate"),
}


@pytest.mark.parametrize("problem", CONSTRUCTOR_ERRORS, ids=str)
def test_constructor_refuses_bad_settings_by_name(problem):
    options, message = CONSTRUCTOR_ERRORS[problem]
    with pytest.raises(ValueError, match=message):
        MLP(2, 4, 1, **options)


@pytest.mark.parametrize("value", [0.0, -1.0, np.nan])
def test_learning_rate_setter_refuses_non_positive_values(value):
    model = MLP(2, 4, 1, learning_rate=0.1)
    with pytest.raises(ValueError, match="learning_rate"):
        model.learning_rate = value
    assert model.learning_rate == 0.1


def corrupted(change):
    """to_dict of a classifier after one Adam step, altered by `change`."""
    model = classifier(optimizer="adam")
    model.train_step(X_OK, LABELS_OK)
    data = model.to_dict()
    change(data)
    return data


def transpose_first_W(data):
    data["layers"][0]["W"] = np.array(data["layers"][0]["W"]).T.tolist()


def drop_last_bias(data):
    data["layers"][1]["b"] = data["layers"][1]["b"][:-1]


def drop_a_layer(data):
    data["layers"].pop()


def drop_first_W(data):
    del data["layers"][0]["W"]


def truncate_adam_moments(data):
    state = data["optimizer_state"]
    state["m"], state["v"] = state["m"][:3], state["v"][:3]


def wrong_format(data):
    data["format"] = "pickle"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (transpose_first_W, "W"),
        (drop_last_bias, "b"),
        (drop_a_layer, "layers"),
        (wrong_format, "format"),
        (drop_first_W, "W"),
        (truncate_adam_moments, "optimizer"),
    ],
)
def test_from_dict_refuses_a_corrupted_model_by_name(change, message):
    with pytest.raises(ValueError, match=message):
        MLP.from_dict(corrupted(change))


# --- divergence -----------------------------------------------------------------------------------


def test_diverging_fit_raises_and_restores_the_weights_of_the_epoch_before():
    X, y = regression_data()
    model = MLP(2, 8, 1, learning_rate=1e6, hidden_activation="tanh", seed=0)
    snapshots, callback = snapshot_each_epoch(model)
    with np.errstate(over="ignore", invalid="ignore"), pytest.raises(TrainingDiverged) as error:
        model.fit(X, y, batch_size=12, epochs=20, callback=callback)
    assert error.value.epoch == len(snapshots)
    assert not np.isfinite(error.value.loss)
    assert all(np.isfinite(theta).all() for theta in model.parameters())
    assert_same_weights(weights_of(model), snapshots[-1])


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
def test_training_can_go_on_at_a_smaller_rate_after_divergence(optimizer):
    """The message says "try a smaller learning rate": the optimiser must not keep NaN state."""
    X, y = regression_data()
    model = MLP(2, 8, 1, learning_rate=0.01, hidden_activation="tanh", optimizer=optimizer, seed=0)
    model.fit(X, y, batch_size=12, epochs=2)
    model.learning_rate = 1e200
    with np.errstate(over="ignore", invalid="ignore"), pytest.raises(TrainingDiverged):
        model.fit(X, y, batch_size=12, epochs=1)
    model.learning_rate = 0.01
    state = model.to_dict()["optimizer_state"]
    for name, value in state.items():
        assert value is None or np.isfinite(np.asarray(value, dtype=float)).all(), name
    history = model.fit(X, y, batch_size=12, epochs=1)
    assert np.isfinite(history["train_loss"]).all()


# --- fit's history and callback -------------------------------------------------------------------


def test_callback_sees_every_epoch_record_and_history_matches():
    X, y = regression_data()
    model = MLP(2, 6, 1, learning_rate=0.05, hidden_activation="tanh", seed=0)
    records = []
    history = model.fit(X, y, batch_size=10, epochs=4, callback=records.append)
    assert [r["epoch"] for r in records] == history["epoch"] == [1, 2, 3, 4]
    assert [r["train_loss"] for r in records] == history["train_loss"]
    assert set(history) == {"epoch", "train_loss"}
    assert history["train_loss"][-1] == pytest.approx(model.loss(X, y), rel=1e-12)
    assert history["train_loss"][-1] < history["train_loss"][0]


def test_callback_returning_true_stops_training():
    X, y = regression_data()
    model = MLP(2, 6, 1, learning_rate=0.05, seed=0)
    calls = []

    def stop_at_third(record):
        calls.append(record["epoch"])
        return record["epoch"] == 3

    history = model.fit(X, y, batch_size=10, epochs=50, callback=stop_at_third)
    assert calls == [1, 2, 3]
    assert history["epoch"] == [1, 2, 3]
    assert all(len(values) == 3 for values in history.values())


@pytest.mark.parametrize("kind", ["classifier", "regressor"])
def test_validation_metrics_are_recorded_each_epoch(kind):
    if kind == "classifier":
        X, Y = make_dataset("gaussian", 80, seed=0)
        model = MLP(2, 4, 1, cost="binary_crossentropy", output_activation="sigmoid", seed=0)
        score = "val_accuracy"
    else:
        X, Y = regression_data(80)
        model = MLP(2, 4, 1, seed=0)
        score = "val_r2"
    X_train, Y_train, X_val, Y_val = train_test_split(X, Y, 0.75, seed=0)
    records = []
    history = model.fit(
        X_train,
        Y_train,
        batch_size=10,
        epochs=3,
        validation_data=(X_val, Y_val),
        callback=records.append,
    )
    assert set(history) == {"epoch", "train_loss", "val_loss", score}
    assert all(len(values) == 3 for values in history.values())
    assert records[-1]["val_loss"] == history["val_loss"][-1]
    final = model.evaluate(X_val, Y_val)
    assert history["val_loss"][-1] == pytest.approx(final["loss"], rel=1e-12)
    assert history[score][-1] == pytest.approx(final[score[4:]], rel=1e-12)


@pytest.mark.parametrize("n_y", [1, 3])
def test_evaluate_reports_sklearn_accuracy(n_y):
    metrics = pytest.importorskip("sklearn.metrics")
    X, labels = make_dataset("multi_blobs" if n_y == 3 else "gaussian", 60, noise=0.5, seed=0)
    output = "softmax" if n_y == 3 else "sigmoid"
    cost = "categorical_crossentropy" if n_y == 3 else "binary_crossentropy"
    model = MLP(2, 3, n_y, cost=cost, output_activation=output, seed=0)
    model.fit(X, labels, batch_size=10, epochs=2)
    expected = metrics.accuracy_score(labels, model.predict_classes(X))
    assert model.evaluate(X, labels)["accuracy"] == pytest.approx(expected, rel=1e-12)


def test_evaluate_reports_sklearn_r2_averaged_over_outputs():
    metrics = pytest.importorskip("sklearn.metrics")
    X, y = regression_data()
    Y = np.column_stack([y, X[:, 0] ** 2])
    model = MLP(2, 6, 2, learning_rate=0.05, hidden_activation="tanh", seed=0)
    model.fit(X, Y, batch_size=10, epochs=3)
    expected = metrics.r2_score(Y, model.predict(X))
    assert model.evaluate(X, Y)["r2"] == pytest.approx(expected, rel=1e-12)


def test_float32_model_trains_and_stays_float32():
    X, y = make_dataset("circle", 200, seed=0)
    model = MLP(
        2,
        [8, 8],
        1,
        learning_rate=0.01,
        cost="binary_crossentropy",
        hidden_activation="tanh",
        output_activation="sigmoid",
        optimizer="adam",
        l1=1e-4,
        l2=1e-4,
        seed=0,
        dtype=np.float32,
    )
    history = model.fit(X / 5, y, batch_size=20, epochs=30)
    assert all(theta.dtype == np.float32 for theta in model.parameters())
    assert model.predict(X / 5).dtype == np.float32
    assert all(g.dtype == np.float32 for pair in model.gradients(X / 5, y) for g in pair)
    assert history["train_loss"][-1] < 0.5 * history["train_loss"][0]
    assert model.evaluate(X / 5, y)["accuracy"] >= 0.9


def test_copy_predicts_like_the_original_and_owns_its_weights():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(40, 3))
    model = MLP(
        3,
        [6, 4],
        2,
        cost="categorical_crossentropy",
        output_activation="softmax",
        hidden_activation="tanh",
        seed=2,
    )
    model.fit(X, rng.integers(0, 2, 40), batch_size=8, epochs=3)
    twin, twin32 = model.copy(), model.copy(np.float32)
    np.testing.assert_array_equal(twin.predict(X), model.predict(X))
    assert twin32.theta.dtype == np.float32
    np.testing.assert_allclose(twin32.predict(X.astype(np.float32)), model.predict(X), atol=1e-6)
    twin.sequential[0].W[0, 0] += 1.0
    assert not np.array_equal(twin.predict(X), model.predict(X))


def test_train_epoch_without_evaluation_updates_alike_and_still_catches_divergence():
    rng = np.random.default_rng(9)
    X, y = rng.normal(size=(50, 2)), rng.normal(size=50)
    evaluated, silent = (MLP(2, [4], 1, learning_rate=0.05, seed=1) for _ in range(2))
    for _ in range(3):
        assert np.isfinite(evaluated.train_epoch(X, y, batch_size=5))
        assert silent.train_epoch(X, y, batch_size=5, evaluate=False) is None
    np.testing.assert_array_equal(silent.theta, evaluated.theta)
    exploding = MLP(2, [4], 1, learning_rate=1e6, seed=1)
    start = exploding.theta.copy()
    with pytest.raises(TrainingDiverged):
        for _ in range(50):
            start = exploding.theta.copy()
            exploding.train_epoch(X * 1e3, y * 1e3, batch_size=5, evaluate=False)
    np.testing.assert_array_equal(exploding.theta, start)


# --- a training set and a test set in one pass ----------------------------------------------------

TWO_SET_MODELS = {  # the fused costs (closed-form delta^L) and the others
    "sigmoid+bce": dict(n_y=1, cost="binary_crossentropy", output_activation="sigmoid"),
    "softmax+cce": dict(n_y=3, cost="categorical_crossentropy", output_activation="softmax"),
    "linear+mse": dict(n_y=1, cost="mse", output_activation="linear"),
    "softmax+mse": dict(n_y=3, cost="mse", output_activation="softmax"),
}


def two_sets(kind, n_train=30, n_test=17):
    """47 rows, the first n_train a training set's: two inputs and the targets `kind` takes."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(n_train + n_test, 2))
    settings = TWO_SET_MODELS[kind]
    if settings["output_activation"] == "linear":
        return X, rng.normal(size=n_train + n_test), n_train
    return X, rng.integers(0, max(settings["n_y"], 2), size=n_train + n_test), n_train


def two_set_model(kind, dtype="float64"):
    settings = TWO_SET_MODELS[kind]
    return MLP(2, [5, 3], settings["n_y"], cost=settings["cost"],
               output_activation=settings["output_activation"], hidden_activation="tanh",
               l2=0.01, learning_rate=0.1, seed=4, dtype=dtype)  # fmt: skip


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kind", TWO_SET_MODELS)
def test_split_losses_are_each_sets_own_loss_and_pass(kind, dtype):
    """One pass over both sets gives what `loss` gives for each on its own (to the last bits a
    product over more rows may round differently), and leaves the first set's pass in the
    caches and the second's a^L in `held_out_output`."""
    X, y, n = two_sets(kind)
    model = two_set_model(kind, dtype)
    tolerance = 1e-12 if dtype == "float64" else 1e-5
    train_loss, test_loss = model.split_losses(X, y, n)
    A, Z = (
        [a.copy() for a in model.activations_cache],
        [z.copy() for z in model.weighted_inputs_cache],
    )
    held_out = model.held_out_output.copy()
    alone = two_set_model(kind, dtype)
    np.testing.assert_allclose(train_loss, alone.loss(X[:n], y[:n]), rtol=tolerance)
    for mine, theirs in zip(
        A + Z, alone.activations_cache + alone.weighted_inputs_cache, strict=True
    ):
        np.testing.assert_allclose(mine, theirs, rtol=tolerance, atol=tolerance)
    np.testing.assert_allclose(test_loss, alone.loss(X[n:], y[n:]), rtol=tolerance)
    np.testing.assert_allclose(
        held_out, alone.activations_cache[-1], rtol=tolerance, atol=tolerance
    )
    assert model.score(model.check_targets(y[n:], len(y) - n), held_out) == pytest.approx(
        alone.score(alone.check_targets(y[n:], len(y) - n))
    )


@pytest.mark.parametrize("accelerate", [True, False], ids=["compiled", "numpy"])
@pytest.mark.parametrize("kind", TWO_SET_MODELS)
def test_train_epoch_and_test_trains_on_the_first_rows_only(kind, accelerate):
    """The same steps as `train_epoch` on the training set alone (same batches, same weights
    to the bit), and the two losses after it as `loss` gives them."""
    X, y, n = two_sets(kind)
    both, alone = two_set_model(kind), two_set_model(kind)
    both.accelerate = alone.accelerate = accelerate
    for epoch in range(1, 4):
        train_loss, test_loss = both.train_epoch_and_test(X, y, n, batch_size=8, epoch=epoch)
        expected = alone.train_epoch(X[:n], y[:n], batch_size=8, epoch=epoch)
        np.testing.assert_array_equal(both.theta, alone.theta)
        np.testing.assert_allclose(train_loss, expected, rtol=1e-12)
        np.testing.assert_allclose(test_loss, alone.loss(X[n:], y[n:]), rtol=1e-12)


def test_train_epoch_and_test_restores_the_model_when_the_training_loss_diverges():
    X, y = regression_data()
    model = MLP(2, 8, 1, learning_rate=1e6, hidden_activation="tanh", seed=0)
    with np.errstate(over="ignore", invalid="ignore"), pytest.raises(TrainingDiverged) as error:
        for epoch in range(1, 21):
            theta, rng = model.theta.copy(), model.rng.bit_generator.state
            model.train_epoch_and_test(X, y, 80, batch_size=12, epoch=epoch)
    assert error.value.epoch == epoch and not np.isfinite(error.value.loss)
    np.testing.assert_array_equal(model.theta, theta)
    assert model.rng.bit_generator.state == rng


@pytest.mark.parametrize("accelerate", [True, False], ids=["compiled", "numpy"])
@pytest.mark.parametrize("value", [np.nan, np.inf], ids=["nan", "inf"])
def test_train_epoch_and_test_refuses_a_non_finite_test_row_and_changes_nothing(accelerate, value):
    X, y, n = two_sets("sigmoid+bce")
    model = two_set_model("sigmoid+bce")
    model.accelerate = accelerate
    theta, rng = model.theta.copy(), model.rng.bit_generator.state
    with pytest.raises(ValueError, match="X contains NaN or infinite values"):
        model.train_epoch_and_test(with_value(X, (n + 2, 0), value), y, n, batch_size=8)
    np.testing.assert_array_equal(model.theta, theta)
    assert model.rng.bit_generator.state == rng


@pytest.mark.parametrize("n_first", [0, 47, -1, 2.5, True], ids=str)
@pytest.mark.parametrize("method", ["split_losses", "train_epoch_and_test"])
def test_two_set_passes_need_rows_in_both_sets(method, n_first):
    X, y, _ = two_sets("sigmoid+bce")  # 47 rows
    model = two_set_model("sigmoid+bce")
    theta = model.theta.copy()
    name = "n_first" if method == "split_losses" else "n_train"
    with pytest.raises(ValueError, match=f"{name} must"):
        getattr(model, method)(X, y, n_first)
    np.testing.assert_array_equal(model.theta, theta)
