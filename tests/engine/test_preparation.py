"""Tests of mlp_engine.preparation, the one pipeline from a data set to the network's arrays:
the split, the input features or standardisation, and the plane view (PCA), against
scikit-learn's StandardScaler and PCA."""

import subprocess
import sys

import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.preprocessing import StandardScaler

from mlp_engine.datasets import feature_map, make_dataset, train_test_split
from mlp_engine.preparation import prepare, principal_components, project, standardize
from mlp_engine.tabular import load_real


def test_the_engine_imports_no_web_library_nor_the_server():
    """A notebook can import every engine module (the pipeline, the data sources, the
    inspector) with nothing of the server's in memory: nothing in the engine climbs back."""
    probe = (
        "import pkgutil, sys, importlib, mlp_engine\n"
        "for m in pkgutil.iter_modules(mlp_engine.__path__):\n"
        "    if m.name != '__main__': importlib.import_module('mlp_engine.' + m.name)\n"
        "web = ('fastapi', 'starlette', 'pydantic', 'uvicorn', 'server')\n"
        "print(sorted(n for n in sys.modules if n.split('.')[0] in web))"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.strip() == "[]"


# --- prepare -------------------------------------------------------------------------------------


def test_plane_data_go_in_through_their_features_and_are_shown_as_they_are():
    X, y = make_dataset("spiral", 120, 0.1, seed=3)
    features = ["x1", "x2", "x1^2", "sin x1"]
    prepared = prepare(X, y, "binary", 0.6, 3, features)
    raw_train, y_train, raw_test, y_test = train_test_split(X, y, 0.6, 3)
    np.testing.assert_array_equal(prepared.X_train, feature_map(raw_train, features))
    np.testing.assert_array_equal(prepared.X_test, feature_map(raw_test, features))
    np.testing.assert_array_equal(prepared.shown_train, raw_train)
    np.testing.assert_array_equal(prepared.shown_test, raw_test)
    np.testing.assert_array_equal(prepared.y_train, y_train)
    assert prepared.y_train.dtype == np.int64 and prepared.y_test.dtype == np.int64
    assert prepared.scaling is None and prepared.explained_variance is None


def test_tabular_inputs_are_standardised_with_the_training_samples_and_shown_by_pca():
    table = load_real("wine")
    prepared = prepare(table.X, table.y, "multiclass", 0.5, 7)
    raw_train, y_train, raw_test, _ = train_test_split(table.X, table.y, 0.5, 7)
    scaler = StandardScaler().fit(raw_train)
    np.testing.assert_allclose(prepared.X_train, scaler.transform(raw_train), atol=1e-12)
    np.testing.assert_allclose(prepared.X_test, scaler.transform(raw_test), atol=1e-12)
    np.testing.assert_allclose(prepared.scaling.input_mean, scaler.mean_, rtol=1e-12)
    np.testing.assert_allclose(prepared.scaling.input_scale, scaler.scale_, rtol=1e-12)
    assert prepared.scaling.target_mean is None
    np.testing.assert_array_equal(prepared.y_train, y_train.astype(np.int64))
    pca = PCA(n_components=2).fit(prepared.X_train)
    signs = np.sign(np.sum(principal_components(prepared.X_train, 2)[0] * pca.components_, 1))
    np.testing.assert_allclose(prepared.shown_train, pca.transform(prepared.X_train) * signs,
                               atol=1e-10)  # fmt: skip
    np.testing.assert_allclose(prepared.shown_test, pca.transform(prepared.X_test) * signs,
                               atol=1e-10)  # fmt: skip
    np.testing.assert_allclose(prepared.explained_variance, pca.explained_variance_ratio_,
                               rtol=1e-10)  # fmt: skip


def test_regression_targets_are_standardised_and_two_inputs_are_shown_themselves():
    rng = np.random.default_rng(1)
    X, y = rng.normal(3.0, 2.0, (50, 2)), rng.normal(100.0, 15.0, 50)
    prepared = prepare(X, y, "regression", 0.8, 0)
    _, y_train, raw_test, y_test = train_test_split(X, y, 0.8, 0)
    targets = StandardScaler().fit(y_train[:, None])
    np.testing.assert_allclose(prepared.y_train, targets.transform(y_train[:, None])[:, 0],
                               atol=1e-12)  # fmt: skip
    np.testing.assert_allclose(prepared.y_test, targets.transform(y_test[:, None])[:, 0],
                               atol=1e-12)  # fmt: skip
    assert prepared.scaling.target_mean == pytest.approx(targets.mean_[0], rel=1e-12)
    assert prepared.scaling.target_scale == pytest.approx(targets.scale_[0], rel=1e-12)
    np.testing.assert_array_equal(prepared.shown_test, prepared.X_test)
    assert prepared.explained_variance is None


def test_an_unknown_kind_is_refused_by_name():
    with pytest.raises(ValueError, match="unknown problem kind 'ordinal'"):
        prepare(np.zeros((4, 2)), np.zeros(4), "ordinal", 0.5, 0)


# --- standardize ---------------------------------------------------------------------------------


def test_standardize_matches_sklearn_standard_scaler_with_constant_columns():
    rng = np.random.default_rng(2)
    X = np.column_stack(
        [rng.normal(5.0, 3.0, 100), np.full(100, 0.1), np.zeros(100), rng.uniform(-1e3, 1e3, 100)]
    )
    X_std, mean, scale = standardize(X)
    scaler = StandardScaler().fit(X)
    np.testing.assert_allclose(mean, scaler.mean_, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(scale, scaler.scale_, rtol=1e-12)
    np.testing.assert_allclose(X_std, scaler.transform(X), rtol=1e-10, atol=1e-12)
    assert scale[1] == scale[2] == 1.0
    np.testing.assert_allclose(X_std[:, 1:3], 0.0, atol=1e-15)


def test_standardize_real_data_matches_sklearn():
    X = load_real("wine").X
    np.testing.assert_allclose(standardize(X)[0], StandardScaler().fit_transform(X), atol=1e-12)


def test_standardize_rejects_non_tables():
    with pytest.raises(ValueError, match="shape"):
        standardize(np.zeros(3))
    with pytest.raises(ValueError, match="shape"):
        standardize(np.zeros((0, 2)))


# --- PCA -----------------------------------------------------------------------------------------


def assert_same_axes_up_to_sign(X, k):
    components, mean = principal_components(X, k)
    pca = PCA(n_components=k).fit(X)
    signs = np.sign(np.sum(components * pca.components_, axis=1))
    assert np.all(np.abs(signs) == 1)
    np.testing.assert_allclose(components, signs[:, None] * pca.components_, atol=1e-10)
    np.testing.assert_allclose(mean, pca.mean_, atol=1e-12)
    np.testing.assert_allclose(project(X, components, mean), pca.transform(X) * signs, atol=1e-10)
    # our rule: the largest-magnitude loading of each axis is positive
    rows = np.arange(k)
    assert np.all(components[rows, np.argmax(np.abs(components), axis=1)] > 0)
    np.testing.assert_allclose(components @ components.T, np.eye(k), atol=1e-12)


def test_pca_matches_sklearn_on_iris():
    assert_same_axes_up_to_sign(load_real("iris").X, 2)


@pytest.mark.parametrize(("shape", "k"), [((200, 6), 2), ((30, 3), 3), ((5, 10), 2), ((50, 2), 1)])
def test_pca_matches_sklearn_on_random_data(shape, k):
    rng = np.random.default_rng(sum(shape))
    X = rng.normal(size=shape) @ rng.normal(size=(shape[1], shape[1])) + 3.0
    assert_same_axes_up_to_sign(X, k)


def test_project_is_centred_coordinates_along_the_axes():
    X = np.array([[1.0, 2.0], [3.0, 6.0], [5.0, 10.0]])
    components, mean = principal_components(X, 1)
    np.testing.assert_allclose(mean, [3.0, 6.0])
    np.testing.assert_allclose(components, [[1.0, 2.0]] / np.sqrt(5.0), atol=1e-15)
    np.testing.assert_allclose(
        project(X, components, mean)[:, 0], [-np.sqrt(20.0), 0.0, np.sqrt(20.0)]
    )


@pytest.mark.parametrize(("shape", "k"), [((10, 2), 3), ((2, 5), 3), ((10, 3), 0), ((10, 3), 1.5)])
def test_pca_rejects_k_above_min_n_d(shape, k):
    with pytest.raises(ValueError, match="k must be"):
        principal_components(np.ones(shape), k)
