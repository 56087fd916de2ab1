"""A run and the one mapping from its config to the engine's model (server/run.py): a run whose
rates change while it trains goes on exactly as a run built with those rates would, a bare
model's penalties read back as the config that builds them, and the exported script builds the
run's own model from the same mapping."""

import numpy as np
import pytest

from mlp_engine import MLP
from server.export import script
from server.protocol import TrainConfig
from server.run import build_run, model_arguments, penalties, regularization_of

BASE = {"dataset": "xor", "n_samples": 120, "hidden_layers": [5, 3], "batch_size": 8}


def train(run, epochs: int) -> list[float]:
    return [
        run.model.train_epoch(run.X_train, run.Y_train, run.config.batch_size, epoch)
        for epoch in range(1, epochs + 1)
    ]


@pytest.mark.parametrize("regularization", ["none", "l1", "l2"])
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_rates_changed_live_train_as_a_run_built_with_them(regularization, optimizer):
    config = {**BASE, "regularization": regularization, "optimizer": optimizer}
    changed = build_run(TrainConfig(**config, learning_rate=0.3, regularization_rate=0.0), 1, 0)
    changed.set_rates(learning_rate=0.01, regularization_rate=0.3)
    built = build_run(TrainConfig(**config, learning_rate=0.01, regularization_rate=0.3), 1, 0)
    assert (changed.model.l1, changed.model.l2) == (built.model.l1, built.model.l2)
    assert train(changed, 3) == train(built, 3)
    assert np.array_equal(changed.model.theta, built.model.theta)
    assert changed.config == built.config, "the run's config says what it trains with"
    expected = [(0, "learning_rate", None, 0.01)]
    if regularization != "none":
        expected.append((0, regularization, None, 0.3))
    assert changed.changes == expected, "noted for the exported script to replay"


@pytest.mark.parametrize(("l1", "l2"), [(0.0, 0.0), (0.25, 0.0), (0.0, 0.5)])
def test_a_bare_models_penalties_read_back_as_the_config_that_builds_them(l1, l2):
    model = MLP(2, [3], 1, l1=l1, l2=l2)
    regularization, rate = regularization_of(model)
    assert penalties(regularization, rate) == {"l1": l1, "l2": l2}


@pytest.mark.parametrize("regularization", ["l1", "l2"])
def test_the_exported_script_builds_the_runs_own_model(regularization):
    config = TrainConfig(**BASE, regularization=regularization, regularization_rate=0.03)
    run = build_run(config, 1, 2)
    source = script(run)
    start = source.index("model = MLP(")
    call = source[start + len("model = ") : source.index("\n)\n", start) + 2]
    model = eval(call, {"MLP": MLP})  # the script's own constructor call, as it runs it
    assert model.config() == run.model.config()
    assert np.array_equal(model.theta, run.model.theta), "the same seed [config.seed, resets]"
    assert model_arguments(run.initial_config, run.data, run.resets)[regularization] == 0.03


def test_a_network_over_the_servers_cap_is_refused_before_it_trains():
    with pytest.raises(ValueError) as refused:
        build_run(TrainConfig(**{**BASE, "hidden_layers": [32, 32]}), 1, 0, max_parameters=100)
    assert "1185 weights and biases" in str(refused.value) and "at most 100" in str(refused.value)
