"""A model file keeps the hyperparameters of the model's objects, files written before they were
saved still load (with the defaults they were trained with), and a malformed file is refused by
a ValueError that names the field, before anything is allocated for the sizes it declares."""

import copy
import json
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlp_engine import MLP
from mlp_engine.datasets import make_dataset
from mlp_engine.operations import LeakyReLU
from mlp_engine.optimizers import Adam, Momentum

DATA = Path(__file__).parent / "data"


def weights_after(model, epochs, X, y):
    model.fit(X, y, batch_size=10, epochs=epochs)
    return model.theta.copy()


@pytest.mark.parametrize("rule", [Momentum(mu=0.5), Adam(beta1=0.8, beta2=0.99, eps=1e-6)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_save_and_load_keep_every_hyperparameter(tmp_path, rule, dtype):
    X, labels = make_dataset("multi_blobs", 60, noise=0.2, seed=1)
    model = MLP(
        2,
        [5, 4],
        3,
        learning_rate=0.03,
        cost="categorical_crossentropy",
        hidden_activation=LeakyReLU(alpha=0.3),
        output_activation="softmax",
        optimizer=rule,
        seed=4,
        dtype=dtype,
    )
    model.fit(X, labels, batch_size=10, epochs=2)
    model.save(tmp_path / "model.json")
    saved = json.loads((tmp_path / "model.json").read_text())
    assert saved["version"] == 2
    assert saved["config"]["hidden_activation"] == {"name": "leaky_relu", "alpha": 0.3}
    assert saved["config"]["optimizer"] == {"name": rule.name, **rule.hyperparameters()}
    loaded = MLP.load(tmp_path / "model.json")
    assert loaded.hidden_activation.alpha == 0.3
    assert loaded.optimizer.hyperparameters() == rule.hyperparameters()
    assert loaded.config() == model.config()
    assert loaded.optimizer.t == model.optimizer.t
    np.testing.assert_array_equal(
        weights_after(loaded, 2, X, labels), weights_after(model, 2, X, labels)
    )


def test_copy_and_config_keep_every_hyperparameter():
    model = MLP(
        3,
        [4],
        2,
        hidden_activation=LeakyReLU(0.2),
        output_activation=LeakyReLU(0.05),
        optimizer=Adam(beta1=0.5, beta2=0.95, eps=1e-4),
    )
    for twin in (model.copy(), model.copy(np.float32), MLP(**model.config())):
        assert twin.config() | {"dtype": "float64"} == model.config()
        assert twin.hidden_activation.alpha == 0.2 and twin.output_activation.alpha == 0.05
        assert twin.optimizer.hyperparameters() == {"beta1": 0.5, "beta2": 0.95, "eps": 1e-4}
        assert twin.optimizer is not model.optimizer


def test_two_models_given_one_rule_object_do_not_share_its_state():
    rule = Momentum(mu=0.7)
    X, y = np.random.default_rng(0).normal(size=(20, 2)), np.zeros(20)
    first, second = (MLP(2, [3], 1, optimizer=rule, seed=s) for s in (0, 1))
    first.train_epoch(X, y, batch_size=5)
    assert first.optimizer.t == 4 and second.optimizer.t == 0 and rule.t == 0
    assert second.optimizer.velocity is None


def test_a_version_1_file_loads_with_the_defaults_it_was_trained_with():
    """model_version_1.json was written by the engine before hyperparameters were saved (a
    leaky_relu + momentum classifier); the other file holds its weights after one more epoch
    there. The default alpha = 0.01 and mu = 0.9 reproduce that epoch."""
    model = MLP.load(DATA / "model_version_1.json")
    assert model.hidden_activation.alpha == 0.01 and model.optimizer.mu == 0.9
    X, y = make_dataset("moons", 60, seed=0)
    expected = json.loads((DATA / "model_version_1_after_an_epoch.json").read_text())["theta"]
    np.testing.assert_allclose(weights_after(model, 1, X, y), expected, rtol=1e-10, atol=1e-13)


# --- malformed files ----------------------------------------------------------------------------


def valid_file() -> dict:
    model = MLP(
        2, [3], 2, cost="categorical_crossentropy", output_activation="softmax", optimizer="adam"
    )
    model.train_step(np.ones((4, 2)), np.array([0, 1, 0, 1]))
    return model.to_dict()


VALID = valid_file()
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**30), 10**30)
    | st.floats(allow_nan=True)
    | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)


def paths(value, prefix=()):
    """Every path (tuple of keys and indices) into a JSON value."""
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value[:3]):
            yield from paths(child, (*prefix, index))


PATHS = [path for path in paths(VALID) if path]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(PATHS), value=JSON_VALUES, delete=st.booleans())
def test_a_malformed_file_is_refused_by_a_value_error(path, value, delete):
    data = copy.deepcopy(VALID)
    parent = data
    for key in path[:-1]:
        parent = parent[key]
    if delete and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    try:
        model = MLP.from_dict(data)
    except ValueError:
        return
    assert isinstance(model, MLP)  # the change was one the format allows (e.g. a new seed)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d["config"].update(n_x=10**12), "W"),
        (lambda d: d["config"].update(n_h=[10**9]), "layer 0"),
        (lambda d: d["config"].update(n_y=10**10), "layer 1"),
        (lambda d: d["config"].update(n_h=3, n_hidden_layers=10**12), "n_hidden_layers"),
        (lambda d: d["optimizer_state"].update(m=[0.0] * 10**6), "optimizer_state: m"),
        (lambda d: d["config"].update(optimizer={"name": "adam", "beta3": 1}), "beta3"),
        (lambda d: d["config"].update(optimizer={"name": "momentum", "mu": 1.5}), "mu"),
        (
            lambda d: d["config"].update(hidden_activation={"name": "leaky_relu", "alpha": "x"}),
            "alpha",
        ),
        (lambda d: d["config"].update(learning_rate=[1]), "learning_rate"),
        (lambda d: d["config"].update(dtype={}), "dtype"),
        (lambda d: d["config"].update(depth=3), "depth"),
        (lambda d: d.update(rng_state={"bit_generator": "PCG64"}), "rng_state"),
        (lambda d: d.update(layers={}), "layers"),
    ],
    ids=[
        "huge n_x",
        "huge hidden layer",
        "huge n_y",
        "huge depth",
        "too many moments",
        "unknown adam constant",
        "mu of 1.5",
        "alpha not a number",
        "learning rate a list",
        "dtype an object",
        "unknown config field",
        "random state incomplete",
        "layers an object",
    ],
)
def test_a_malformed_file_names_its_field_before_allocating(change, field):
    data = copy.deepcopy(VALID)
    change(data)
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=field):
            MLP.from_dict(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4_000_000, f"{peak} bytes allocated to refuse the file"
