"""The problem kinds' table against the engine: every pair it lists trains, every other is refused.

`mlp_engine.problems` states which (cost, output activation) pairs learn each kind of problem;
these tests build the engine's MLP with every pair on data of every kind and check that the
table says what the engine does: a listed pair trains a step to a finite loss, a pair the
engine cannot compute is never listed, and each unlisted pair is refused with an error naming
what does not fit.
"""

import itertools

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, r2_score

from mlp_engine import MLP
from mlp_engine.costs import COSTS
from mlp_engine.datasets import DATASETS, make_dataset
from mlp_engine.operations import ACTIVATIONS
from mlp_engine.problems import KINDS, PROBLEM_KINDS, kind_of, problem_kind
from mlp_engine.tabular import REAL_DATASETS

EXAMPLE_DATASET = {"binary": "circle", "multiclass": "multi_blobs", "regression": "plane"}
N_CLASSES = 3
PAIRS = list(itertools.product(KINDS, COSTS, ACTIVATIONS))


def test_the_three_kinds_and_their_defaults():
    assert KINDS == ("binary", "multiclass", "regression")
    defaults = {k.name: (k.output_activation, k.cost, k.metric) for k in PROBLEM_KINDS.values()}
    assert defaults == {
        "binary": ("sigmoid", "binary_crossentropy", "accuracy"),
        "multiclass": ("softmax", "categorical_crossentropy", "accuracy"),
        "regression": ("linear", "mse", "r2"),
    }


def test_every_dataset_is_of_a_known_kind():
    for spec in (*DATASETS.values(), *REAL_DATASETS.values()):
        assert problem_kind(spec.kind).name == spec.kind


def test_an_unknown_kind_is_refused_by_name():
    with pytest.raises(ValueError, match="unknown problem kind 'ordinal'"):
        problem_kind("ordinal")


@pytest.mark.parametrize(
    ("n_classes", "kind"), [(0, "regression"), (2, "binary"), (3, "multiclass"), (20, "multiclass")]
)
def test_the_kind_of_a_number_of_classes(n_classes, kind):
    assert kind_of(n_classes) == kind


@pytest.mark.parametrize("kind", KINDS)
def test_a_kinds_number_of_classes_is_of_that_kind(kind):
    for multiclass in (3, 5):
        n_classes = problem_kind(kind).n_classes(multiclass)
        assert kind_of(n_classes) == kind
        assert n_classes == {"binary": 2, "multiclass": multiclass, "regression": 0}[kind]


def test_a_single_class_is_no_kind_of_problem():
    with pytest.raises(ValueError, match="1 classes: classification needs 2 or more"):
        kind_of(1)


def train_one_step(kind: str, cost: str, output: str) -> MLP:
    """A 2-4-n_y network with `cost` and `output` trained one epoch on `kind`'s example data."""
    X, y = make_dataset(EXAMPLE_DATASET[kind], 40, 0.0, seed=0, n_classes=N_CLASSES)
    model = MLP(
        n_x=2,
        n_h=[4],
        n_y=problem_kind(kind).n_outputs(N_CLASSES),
        cost=cost,
        hidden_activation="tanh",
        output_activation=output,
        learning_rate=0.01,
        seed=0,
    )
    model.fit(X, y, batch_size=10, epochs=1)
    return model


@pytest.mark.parametrize(("kind", "cost", "output"), PAIRS)
def test_a_listed_pair_trains_and_every_other_is_refused(kind, cost, output):
    problem = problem_kind(kind)
    if output in problem.valid_outputs(cost):
        problem.check(cost, output)
        model = train_one_step(kind, cost, output)
        X, y = make_dataset(EXAMPLE_DATASET[kind], 40, 0.0, seed=1, n_classes=N_CLASSES)
        assert np.isfinite(model.evaluate(X, y)["loss"])
    else:
        wrong_cost = cost not in problem.outputs
        field, value = ("cost", cost) if wrong_cost else ("output_activation", output)
        with pytest.raises(ValueError, match=f"^{field}: '{value}' does not fit"):
            problem.check(cost, output)


@pytest.mark.parametrize(("cost", "output"), list(itertools.product(COSTS, ACTIVATIONS)))
def test_a_pair_the_engine_cannot_compute_is_listed_for_no_kind(cost, output):
    """The engine refuses a cross-entropy on outputs outside (0, 1); no kind may offer it."""
    try:
        MLP(n_x=2, n_h=[], n_y=3, cost=cost, output_activation=output)
    except ValueError:
        assert all(output not in k.valid_outputs(cost) for k in PROBLEM_KINDS.values())


@pytest.mark.parametrize("kind", KINDS)
def test_the_default_pair_scores_with_the_kinds_metric(kind):
    problem = problem_kind(kind)
    model = train_one_step(kind, problem.cost, problem.output_activation)
    X, y = make_dataset(EXAMPLE_DATASET[kind], 40, 0.0, seed=1, n_classes=N_CLASSES)
    assert set(model.evaluate(X, y)) == {"loss", problem.metric}


@pytest.mark.parametrize(("kind", "metric"), [("binary", "accuracy"), ("regression", "r2")])
def test_a_model_told_its_kinds_metric_scores_by_it_whatever_its_cost(kind, metric):
    dataset = {"binary": "xor", "regression": "sine"}[kind]
    X, y = make_dataset(dataset, 60, 0.1, seed=2)
    model = MLP(X.shape[1], [4], 1, cost="mse", output_activation="sigmoid", seed=2,
                metric=problem_kind(kind).metric)  # fmt: skip
    a = model.predict(X)[:, 0]
    scores = model.evaluate(X, y)
    expected = accuracy_score(y, a > 0.5) if metric == "accuracy" else r2_score(y, a)
    assert scores == {"loss": pytest.approx(np.mean((a - y) ** 2)), metric: pytest.approx(expected)}
