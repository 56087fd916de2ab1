"""Tests of mlp_engine.datasets: TF Playground geometry, labels, balance, splits and features."""

import math

import numpy as np
import pytest

from mlp_engine.datasets import (
    DATASETS,
    FEATURES,
    INPUT_RANGE,
    KINDS,
    N_CLASSES_RANGE,
    DatasetSpec,
    feature_map,
    make_dataset,
    train_test_split,
)

NAMES = [
    "circle", "xor", "gaussian", "spiral", "moons",
    "multi_blobs", "multi_spiral", "plane", "multi_gaussian", "sine",
]  # fmt: skip
MULTICLASS = ["multi_blobs", "multi_spiral"]


def radius(X):
    return np.hypot(X[:, 0], X[:, 1])


def by_radius(points):
    return points[np.argsort(radius(points))]


# --- registry ---------------------------------------------------------------------------------


def test_registry_names_kinds_and_inputs():
    assert list(DATASETS) == NAMES
    assert KINDS == ("binary", "multiclass", "regression")
    assert N_CLASSES_RANGE == (3, 5)
    assert INPUT_RANGE == (-6.0, 6.0)
    kinds = {name: spec.kind for name, spec in DATASETS.items()}
    assert [n for n, k in kinds.items() if k == "binary"] == [
        "circle", "xor", "gaussian", "spiral", "moons",
    ]  # fmt: skip
    assert [n for n, k in kinds.items() if k == "multiclass"] == MULTICLASS
    assert [n for n, k in kinds.items() if k == "regression"] == ["plane", "multi_gaussian", "sine"]
    for name, spec in DATASETS.items():
        assert isinstance(spec, DatasetSpec)
        assert spec.name == name
        assert spec.n_inputs == (1 if name == "sine" else 2)
        assert spec.description and "\n" not in spec.description


def test_spec_is_frozen_and_checks_kind():
    with pytest.raises(AttributeError):
        DATASETS["circle"].kind = "regression"
    with pytest.raises(ValueError, match="kind"):
        DatasetSpec("bad", "ordinal", 2, "no such kind", lambda rng, n, noise: None)


# --- shapes, dtypes, sizes, reproducibility ---------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("n", [3, 7, 501])
def test_shapes_dtypes_and_exact_size(name, n):
    spec = DATASETS[name]
    X, y = make_dataset(name, n_samples=n, noise=0.2, seed=0)
    assert X.shape == (n, spec.n_inputs) and X.dtype == np.float64
    assert y.shape == (n,)
    assert y.dtype == (np.float64 if spec.kind == "regression" else np.int64)
    assert np.all(np.isfinite(X)) and np.all(np.isfinite(y))


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_same_data_other_seed_other_data(name):
    X1, y1 = make_dataset(name, 200, noise=0.1, seed=42)
    X2, y2 = make_dataset(name, 200, noise=0.1, seed=42)
    X3, _ = make_dataset(name, 200, noise=0.1, seed=43)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(X1, X3)


def test_seed_none_draws_fresh_data():
    X1, _ = make_dataset("xor", 50)
    X2, _ = make_dataset("xor", 50)
    assert not np.array_equal(X1, X2)


def test_data_is_shuffled():
    _, y = make_dataset("circle", 100, seed=0)
    assert 0 < y[:50].sum() < 50


@pytest.mark.parametrize("name", ["circle", "xor", "spiral", "moons", "plane", "multi_gaussian"])
def test_noiseless_inputs_stay_in_the_drawn_plane(name):
    X, _ = make_dataset(name, 2000, seed=1)
    low, high = INPUT_RANGE
    assert X.min() >= low and X.max() <= high


# --- binary datasets --------------------------------------------------------------------------


@pytest.mark.parametrize("n", [500, 501])
def test_circle_geometry_labels_and_balance(n):
    X, y = make_dataset("circle", n, seed=3)
    r = radius(X)
    assert np.all(r[y == 1] <= 2.5)
    assert np.all((r[y == 0] >= 3.5) & (r[y == 0] <= 5.0))
    np.testing.assert_array_equal(y, (r < 2.5).astype(np.int64))
    assert sorted(np.bincount(y)) == [n // 2, n - n // 2]


def test_circle_noise_flips_labels_but_not_points():
    X, y = make_dataset("circle", 2000, noise=0.5, seed=3)
    r = radius(X)
    assert np.all((r <= 2.5) | ((r >= 3.5) & (r <= 5.0)))
    flipped = np.mean(y != (r < 2.5))
    assert 0.05 < flipped < 0.5


def test_xor_padding_and_labels():
    X, y = make_dataset("xor", 2000, seed=4)
    assert np.all((np.abs(X) >= 0.3) & (np.abs(X) <= 5.3))
    np.testing.assert_array_equal(y, (X[:, 0] * X[:, 1] > 0).astype(np.int64))
    assert 0.4 < y.mean() < 0.6
    _, y_noisy = make_dataset("xor", 2000, noise=0.5, seed=4)
    assert np.mean(y_noisy != y) > 0.05


def test_gaussian_centers_balance_and_spread():
    X, y = make_dataset("gaussian", 4001, seed=5)
    assert sorted(np.bincount(y)) == [2000, 2001]
    np.testing.assert_allclose(X[y == 1].mean(axis=0), [2, 2], atol=0.06)
    np.testing.assert_allclose(X[y == 0].mean(axis=0), [-2, -2], atol=0.06)
    np.testing.assert_allclose(X[y == 1].std(axis=0), math.sqrt(0.5), rtol=0.06)
    X, y = make_dataset("gaussian", 4000, noise=0.5, seed=5)
    np.testing.assert_allclose(X[y == 0].std(axis=0), 2.0, rtol=0.06)


def test_spiral_arms_are_point_reflections():
    X, y = make_dataset("spiral", 400, seed=6)
    assert list(np.bincount(y)) == [200, 200]
    assert radius(X).max() <= 5.0
    arm1, arm0 = by_radius(X[y == 1]), by_radius(X[y == 0])
    np.testing.assert_allclose(arm0, -arm1, atol=1e-12)
    # the label-1 arm starts at angle 0: x = r sin t, y = r cos t with t = 1.75 * 2pi * r / 5
    r = radius(arm1)
    t = 1.75 * 2 * np.pi * r / 5
    np.testing.assert_allclose(arm1, np.column_stack([r * np.sin(t), r * np.cos(t)]), atol=1e-12)


def test_spiral_noise_is_bounded_jitter():
    X0, y0 = make_dataset("spiral", 400, seed=6)
    X1, y1 = make_dataset("spiral", 400, noise=0.5, seed=6)
    np.testing.assert_array_equal(y0, y1)
    shift = X1 - X0
    assert np.all(np.abs(shift) <= 0.5) and np.abs(shift).max() > 0.4


def test_moons_lie_on_two_unit_half_circles():
    X, y = make_dataset("moons", 1001, seed=7)
    assert sorted(np.bincount(y)) == [500, 501]
    u = X[:, 0] * 0.3 + 0.5  # undo the scaling back to the unit moons
    v = X[:, 1] / 6.0 + 0.25
    up, down = y == 1, y == 0
    np.testing.assert_allclose(u[up] ** 2 + v[up] ** 2, 1.0)
    assert np.all(v[up] >= -1e-12)
    np.testing.assert_allclose((u[down] - 1) ** 2 + (v[down] - 0.5) ** 2, 1.0)
    assert np.all(v[down] <= 0.5 + 1e-12)
    assert X[:, 0].min() < -4.5 and X[:, 0].max() > 4.5
    assert X[:, 1].min() < -4.0 and X[:, 1].max() > 4.0


# --- multi-class datasets ---------------------------------------------------------------------


@pytest.mark.parametrize("k", [3, 4, 5])
def test_multi_blobs_classes_balance_and_centers(k):
    X, y = make_dataset("multi_blobs", 3000 + 1, seed=8, n_classes=k)
    counts = np.bincount(y)
    assert len(counts) == k and counts.max() - counts.min() <= 1 and counts.sum() == 3001
    means = np.array([X[y == c].mean(axis=0) for c in range(k)])
    np.testing.assert_allclose(radius(means), 4.0, atol=0.1)
    angles = np.arctan2(means[:, 1], means[:, 0])
    steps = np.mod(np.diff(angles), 2 * np.pi)
    np.testing.assert_allclose(steps, 2 * np.pi / k, atol=0.05)


def test_multi_blobs_noise_widens_blobs():
    X0, y0 = make_dataset("multi_blobs", 3000, seed=8)
    X1, y1 = make_dataset("multi_blobs", 3000, noise=0.5, seed=8)
    np.testing.assert_allclose(X0[y0 == 0].std(axis=0), math.sqrt(0.5), rtol=0.1)
    np.testing.assert_allclose(X1[y1 == 0].std(axis=0), 2.0, rtol=0.1)


@pytest.mark.parametrize("k", [3, 4, 5])
def test_multi_spiral_arms_are_rotations(k):
    X, y = make_dataset("multi_spiral", 60 * k, seed=9, n_classes=k)
    assert list(np.bincount(y)) == [60] * k
    assert radius(X).max() <= 5.0
    arm0 = by_radius(X[y == 0])
    for c in range(1, k):
        a = 2 * np.pi * c / k  # arm c is arm 0 with t shifted by a: (sin(t+a), cos(t+a))
        rotated = np.column_stack(
            [
                arm0[:, 0] * np.cos(a) + arm0[:, 1] * np.sin(a),
                arm0[:, 1] * np.cos(a) - arm0[:, 0] * np.sin(a),
            ]
        )
        np.testing.assert_allclose(by_radius(X[y == c]), rotated, atol=1e-12)


# --- regression datasets ----------------------------------------------------------------------


def test_plane_target_rule():
    X, y = make_dataset("plane", 1000, seed=10)
    np.testing.assert_allclose(y, (X[:, 0] + X[:, 1]) / 10)
    assert np.all(np.abs(y) <= 1.2) and np.abs(y).max() > 1.0  # TF does not clip
    _, y_noisy = make_dataset("plane", 1000, noise=0.3, seed=10)
    assert np.abs(y_noisy - y).max() > 0.1


def _tf_regress_gaussian_label(x, y):
    """Literal port of TF's getLabel loop, as an independent reference."""
    label = 0.0
    for cx, cy, sign in [(-4, 2.5, 1), (0, 2.5, -1), (4, 2.5, 1),
                         (-4, -2.5, -1), (0, -2.5, 1), (4, -2.5, -1)]:  # fmt: skip
        new = sign * min(max(1 - math.hypot(x - cx, y - cy) / 2, 0.0), 1.0)
        if abs(new) > abs(label):
            label = new
    return label


def test_multi_gaussian_matches_tf_rule():
    X, y = make_dataset("multi_gaussian", 500, seed=11)
    expected = [_tf_regress_gaussian_label(a, b) for a, b in X]
    np.testing.assert_allclose(y, expected, atol=1e-12)
    assert y.min() < -0.9 and y.max() > 0.9 and np.mean(y == 0) > 0.2


def test_sine_shape_and_target():
    X, y = make_dataset("sine", 2000, seed=12)
    assert X.shape == (2000, 1)
    x = X[:, 0]
    assert x.min() >= -6 and x.max() <= 6
    np.testing.assert_allclose(y, (x * np.sin(x) + 1.5) / 3.3)
    assert -1.01 < y.min() < -0.95 and 0.95 < y.max() < 1.01
    _, y_noisy = make_dataset("sine", 2000, noise=0.4, seed=12)
    assert np.std(y_noisy - y) == pytest.approx(0.2, rel=0.1)


# --- train/test split -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "fraction", "n_train"),
    [(500, 0.5, 250), (10, 0.7, 7), (7, 0.5, 4), (10, 0.01, 1), (10, 0.99, 9), (10, 1.0, 10),
     (2, 0.5, 1)],
)  # fmt: skip
def test_split_sizes_and_cover(n, fraction, n_train):
    X = np.arange(2 * n, dtype=float).reshape(n, 2)
    y = np.arange(n)
    X_tr, y_tr, X_te, y_te = train_test_split(X, y, train_fraction=fraction, seed=0)
    assert len(X_tr) == len(y_tr) == n_train and len(X_te) == len(y_te) == n - n_train
    np.testing.assert_array_equal(X_tr[:, 0], 2 * y_tr)  # rows stay paired with their labels
    np.testing.assert_array_equal(X_te[:, 0], 2 * y_te)
    np.testing.assert_array_equal(np.sort(np.concatenate([y_tr, y_te])), y)


def test_split_reproducible_and_shuffled():
    X, y = make_dataset("circle", 100, seed=0)
    a = train_test_split(X, y, seed=5)
    b = train_test_split(X, y, seed=5)
    c = train_test_split(X, y, seed=6)
    for u, v in zip(a, b, strict=True):
        np.testing.assert_array_equal(u, v)
    assert not np.array_equal(a[1], c[1])


# --- features ---------------------------------------------------------------------------------


def test_feature_values_and_order():
    assert list(FEATURES) == ["x1", "x2", "x1^2", "x2^2", "x1*x2", "sin x1", "sin x2"]
    X = np.array([[1.0, 2.0], [-3.0, 0.5]])
    out = feature_map(X, list(FEATURES))
    expected = [
        [1, 2, 1, 4, 2, math.sin(1), math.sin(2)],
        [-3, 0.5, 9, 0.25, -1.5, math.sin(-3), math.sin(0.5)],
    ]
    assert out.shape == (2, 7) and out.dtype == np.float64
    np.testing.assert_allclose(out, expected)
    np.testing.assert_allclose(feature_map(X, ("x1*x2", "x1")), [[2, 1], [-1.5, -3]])


def test_feature_map_on_one_input():
    X, _ = make_dataset("sine", 20, seed=0)
    out = feature_map(X, ["x1", "x1^2", "sin x1"])
    np.testing.assert_allclose(out, np.column_stack([X[:, 0], X[:, 0] ** 2, np.sin(X[:, 0])]))


# --- errors -----------------------------------------------------------------------------------


def test_unknown_dataset_lists_valid_names():
    with pytest.raises(ValueError, match="unknown dataset 'donut'") as err:
        make_dataset("donut")
    assert all(name in str(err.value) for name in NAMES)


@pytest.mark.parametrize("n", [-1, 0, 1, 100_001, 2.5, "10", True])
def test_bad_n_samples(n):
    with pytest.raises(ValueError, match="n_samples"):
        make_dataset("circle", n_samples=n)


def test_n_samples_limits_accepted():
    assert len(make_dataset("circle", 2)[1]) == 2
    assert len(make_dataset("circle", np.int64(100_000))[1]) == 100_000


@pytest.mark.parametrize("noise", [-0.01, 1.01, float("nan"), float("inf"), "0.1", None])
def test_bad_noise(noise):
    with pytest.raises(ValueError, match="noise"):
        make_dataset("xor", noise=noise)


def test_noise_limits_accepted():
    make_dataset("xor", noise=0.0)
    make_dataset("xor", noise=1.0)


@pytest.mark.parametrize("name", MULTICLASS)
@pytest.mark.parametrize("k", [2, 6, 0, 3.0])
def test_bad_n_classes(name, k):
    with pytest.raises(ValueError, match="n_classes"):
        make_dataset(name, n_classes=k)


def test_n_classes_ignored_for_other_datasets_and_needs_enough_samples():
    _, y = make_dataset("circle", 10, n_classes=99)
    assert set(y) == {0, 1}
    with pytest.raises(ValueError, match="at least n_classes"):
        make_dataset("multi_blobs", 4, n_classes=5)


def test_unknown_feature_lists_valid_ones():
    with pytest.raises(ValueError, match="unknown feature 'cos x1'") as err:
        feature_map(np.zeros((3, 2)), ["x1", "cos x1"])
    assert all(name in str(err.value) for name in FEATURES)


@pytest.mark.parametrize("feature", ["x2", "x2^2", "x1*x2", "sin x2"])
def test_x2_feature_on_one_input(feature):
    with pytest.raises(ValueError, match="uses x2"):
        feature_map(np.zeros((3, 1)), ["x1", feature])


@pytest.mark.parametrize("features", [[], (), "x1", None])
def test_empty_or_malformed_features(features):
    with pytest.raises(ValueError, match="non-empty"):
        feature_map(np.zeros((3, 2)), features)


def test_duplicate_features():
    with pytest.raises(ValueError, match="duplicate"):
        feature_map(np.zeros((3, 2)), ["x1", "x2", "x1"])


def test_feature_map_bad_shape():
    with pytest.raises(ValueError, match="shape"):
        feature_map(np.zeros(3), ["x1"])


@pytest.mark.parametrize("fraction", [0, -0.5, 1.5, float("nan"), None])
def test_bad_train_fraction(fraction):
    with pytest.raises(ValueError, match="train_fraction"):
        train_test_split(np.zeros((10, 2)), np.zeros(10), train_fraction=fraction)


def test_split_length_mismatch_and_too_few_samples():
    with pytest.raises(ValueError, match="different lengths"):
        train_test_split(np.zeros((10, 2)), np.zeros(9))
    with pytest.raises(ValueError, match="too few"):
        train_test_split(np.zeros((1, 2)), np.zeros(1), train_fraction=0.5)
