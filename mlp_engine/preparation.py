"""A data set's way into the network: the train/test split, then the input features (plane
data) or standardisation (tabular data), and where each sample is shown on the plane.

`prepare` is the one pipeline: the playground's server trains on what it returns, and the
Python script it exports (server/export.py) calls it to rebuild the same arrays, so that the
script's loss curve is the run's. Plane data (generated or drawn on the input plane) go in
through the input features, as in TensorFlow Playground. Tabular data (real or uploaded) go in
as their own columns, standardised with the training samples' mean and standard deviation
(regression targets too); with more than two inputs they are shown on their first two
principal components.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Integral

import numpy as np

from .datasets import feature_map, train_test_split
from .problems import problem_kind


def standardize(X) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(X_std, mean, scale) with X_std = (X - mean) / scale, scale the population std (ddof 0).

    A constant column gets scale 1. As in scikit-learn's StandardScaler (`_is_constant_feature`,
    after Chan, Golub and LeVeque), a column counts as constant when
    var <= n eps var + (n mean eps)^2, which also catches the rounding residue of a column of
    equal non-zero values.
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or len(X) == 0:
        raise ValueError(f"X must have shape (n, d) with n >= 1, got {X.shape}")
    n, eps = len(X), np.finfo(np.float64).eps
    mean, var = X.mean(axis=0), X.var(axis=0)
    constant = var <= n * eps * var + (n * mean * eps) ** 2
    scale = np.where(constant, 1.0, np.sqrt(var))
    return (X - mean) / scale, mean, scale


def principal_components(X, k: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """The first k principal axes (k, d) of X and its column mean (d,), by SVD of X - mean.

    Each axis's sign makes its largest-magnitude loading positive (scikit-learn's svd_flip on
    the rows of V^T), so the axes are deterministic.
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"X must have shape (n, d), got {X.shape}")
    if not isinstance(k, Integral) or isinstance(k, bool) or not 1 <= k <= min(X.shape):
        raise ValueError(f"k must be an integer in 1..min(n, d) = {min(X.shape)}, got {k!r}")
    mean = X.mean(axis=0)
    _, _, Vt = np.linalg.svd(X - mean, full_matrices=False)
    components = Vt[:k]
    largest = components[np.arange(k), np.argmax(np.abs(components), axis=1)]
    return components * np.sign(largest)[:, None], mean


def project(X, components, mean) -> np.ndarray:
    """Coordinates of X along the principal axes: (X - mean) @ components^T, shape (n, k)."""
    return (np.asarray(X, dtype=np.float64) - mean) @ np.asarray(components).T


@dataclass(frozen=True)
class Scaling:
    """Tabular data's standardisation, from the training samples: x_std = (x - mean) / scale."""

    input_mean: np.ndarray
    input_scale: np.ndarray
    target_mean: float | None  # regression only
    target_scale: float | None

    def to_dict(self) -> dict:
        return {
            "input_mean": self.input_mean.tolist(),
            "input_scale": self.input_scale.tolist(),
            "target_mean": self.target_mean,
            "target_scale": self.target_scale,
        }


@dataclass(frozen=True, eq=False)
class Prepared:
    """A data set split and prepared: what the model trains and is tested on, and where the
    samples lie on the plane that shows them (`shown_train`, `shown_test`)."""

    X_train: np.ndarray  # model inputs: features of plane data, standardised tabular data
    y_train: np.ndarray  # class indices (int) or targets (standardised for tabular data)
    X_test: np.ndarray
    y_test: np.ndarray
    shown_train: np.ndarray  # plane data's own inputs; else the standardised inputs, or their
    shown_test: np.ndarray  # first two principal components when there are more than two
    scaling: Scaling | None = None  # tabular data only
    explained_variance: tuple[float, float] | None = None  # the components' shares


def prepare(
    X,
    y,
    kind: str,
    train_fraction: float,
    seed,
    features: Sequence[str] | None = None,
) -> Prepared:
    """The data set (X, y) of a `kind` problem (problems.py), split (`train_test_split` with
    `train_fraction` and `seed`) and prepared for the network.

    `features`: the input features that plane data go in through (`feature_map`); None for
    tabular data, which go in standardised with the training samples' mean and standard
    deviation, as do regression targets. Class labels become the integers that
    `MLP.check_targets` one-hot encodes.
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y) if problem_kind(kind).name == "regression" else np.asarray(y, np.int64)
    raw_train, y_train, raw_test, y_test = train_test_split(X, y, train_fraction, seed)
    if features is not None:
        X_train, X_test = feature_map(raw_train, features), feature_map(raw_test, features)
        return Prepared(X_train, y_train, X_test, y_test, raw_train, raw_test)
    X_train, mean, scale = standardize(raw_train)
    X_test = (raw_test - mean) / scale
    target_mean = target_scale = None
    if kind == "regression":
        targets, target_means, target_scales = standardize(y_train[:, None])
        target_mean, target_scale = float(target_means[0]), float(target_scales[0])
        y_train, y_test = targets[:, 0], (y_test - target_mean) / target_scale
    shown_train, shown_test, explained = _on_the_plane(X_train, X_test)
    scaling = Scaling(mean, scale, target_mean, target_scale)
    return Prepared(X_train, y_train, X_test, y_test, shown_train, shown_test, scaling, explained)


def _on_the_plane(X_train: np.ndarray, X_test: np.ndarray) -> tuple:
    """Where standardised samples are shown: the inputs themselves for one or two, else their
    first two principal components (fitted on the training samples), with the share of the
    variance each explains."""
    if X_train.shape[1] <= 2:
        return X_train, X_test, None
    components, centre = principal_components(X_train, 2)
    shown_train = project(X_train, components, centre)
    shown_test = project(X_test, components, centre)
    variance = np.var(X_train - centre, axis=0).sum()
    explained = tuple(float(v) for v in np.var(shown_train, axis=0) / variance)
    return shown_train, shown_test, explained
