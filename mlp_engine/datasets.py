"""The 2-D problems of TensorFlow Playground, a few extra ones, and the input features.

The binary and regression generators follow the geometry of TensorFlow Playground's `dataset.ts`
(inputs in roughly [-6, 6]^2, `noise` a fraction in [0, 0.5] as the playground's 0-50 slider over
100). Where TF draws noise only to compute a label (circle, xor, plane, multi_gaussian), the stored
point stays clean and the label comes from the noisy point, so noise shows up as label flips.
TF's labels +1 / -1 become 1 / 0 here. All randomness comes from `numpy.random.default_rng(seed)`
and every dataset is shuffled, so the same seed always gives the same arrays.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from numbers import Integral, Real

import numpy as np

from .operations import lookup
from .problems import KINDS

N_CLASSES_RANGE = (3, 5)
INPUT_RANGE = (-6.0, 6.0)
MAX_SAMPLES = 100_000

_TWO_PI = 2.0 * np.pi


@dataclass(frozen=True)
class DatasetSpec:
    """What the playground needs to know about a dataset; `_generator` draws the raw data."""

    name: str
    kind: str
    n_inputs: int
    description: str
    _generator: Callable[..., tuple[np.ndarray, np.ndarray]] = field(repr=False, compare=False)

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}")


def _class_counts(n: int, k: int) -> list[int]:
    """Split n samples into k class sizes differing by at most one (the first ones get more)."""
    return [n // k + (1 if i < n % k else 0) for i in range(k)]


def _labels(counts: Sequence[int]) -> np.ndarray:
    """Label 0 repeated counts[0] times, then 1 counts[1] times, and so on."""
    return np.repeat(np.arange(len(counts), dtype=np.int64), counts)


def _blob_std(noise: float) -> float:
    """TF's Gaussian spread: variance linear in noise, 0.5 at noise 0 and 4 at noise 0.5."""
    return float(np.sqrt(0.5 + 7.0 * noise))


def _circle(rng, n, noise):
    """TF's classifyCircleData: disc r < 2.5 (label 1) inside a ring 3.5 <= r <= 5 (label 0)."""
    n_in, n_out = _class_counts(n, 2)
    r = np.concatenate([rng.uniform(0.0, 2.5, n_in), rng.uniform(3.5, 5.0, n_out)])
    angle = rng.uniform(0.0, _TWO_PI, n)
    X = np.column_stack([r * np.sin(angle), r * np.cos(angle)])
    noisy = X + rng.uniform(-5.0, 5.0, (n, 2)) * noise
    return X, (np.hypot(noisy[:, 0], noisy[:, 1]) < 2.5).astype(np.int64)


def _xor(rng, n, noise):
    """TF's classifyXORData: uniform in [-5, 5]^2 pushed 0.3 off the axes, label x*y >= 0."""
    X = rng.uniform(-5.0, 5.0, (n, 2))
    X += np.where(X > 0, 0.3, -0.3)
    noisy = X + rng.uniform(-5.0, 5.0, (n, 2)) * noise
    return X, (noisy[:, 0] * noisy[:, 1] >= 0).astype(np.int64)


def _gaussian(rng, n, noise):
    """TF's classifyTwoGaussData: label 1 around (2, 2), label 0 around (-2, -2)."""
    n_pos, n_neg = _class_counts(n, 2)
    centers = np.repeat([[2.0, 2.0], [-2.0, -2.0]], [n_pos, n_neg], axis=0)
    X = centers + rng.normal(0.0, _blob_std(noise), (n, 2))
    return X, 1 - _labels([n_pos, n_neg])


def _spiral_arms(rng, n, noise, k):
    """TF's spiral arm (radius 0 to 5 over 1.75 turns) repeated k times, rotated by 2*pi/k."""
    counts = _class_counts(n, k)
    i = np.concatenate([np.arange(c) / c for c in counts])
    y = _labels(counts)
    r = 5.0 * i
    t = 1.75 * _TWO_PI * i + _TWO_PI * y / k
    X = np.column_stack([r * np.sin(t), r * np.cos(t)])
    return X + rng.uniform(-1.0, 1.0, (n, 2)) * noise, y


def _spiral(rng, n, noise):
    """TF's classifySpiralData: two interleaved arms, the one starting at angle 0 labelled 1."""
    X, y = _spiral_arms(rng, n, noise, 2)
    return X, 1 - y


def _moons(rng, n, noise):
    """Two interleaving half-circles (upper moon label 1), jittered with std 2*noise."""
    n_up, n_down = _class_counts(n, 2)
    t = rng.uniform(0.0, np.pi, n)
    up = np.column_stack([np.cos(t[:n_up]), np.sin(t[:n_up])])
    down = np.column_stack([1.0 - np.cos(t[n_up:]), 0.5 - np.sin(t[n_up:])])
    X = (np.vstack([up, down]) - [0.5, 0.25]) * [10.0 / 3.0, 6.0]
    return X + rng.normal(0.0, 2.0 * noise, (n, 2)), 1 - _labels([n_up, n_down])


def _multi_blobs(rng, n, noise, k):
    """k Gaussian blobs on a circle of radius 4, with TF's noise-dependent spread."""
    y = _labels(_class_counts(n, k))
    angle = np.pi / 2 + _TWO_PI * y / k
    centers = 4.0 * np.column_stack([np.cos(angle), np.sin(angle)])
    return centers + rng.normal(0.0, _blob_std(noise), (n, 2)), y


def _plane(rng, n, noise):
    """TF's regressPlane: uniform in [-6, 6]^2, target (x1 + x2) / 10 of the noisy point."""
    X = rng.uniform(-6.0, 6.0, (n, 2))
    noisy = X + rng.uniform(-6.0, 6.0, (n, 2)) * noise
    return X, noisy.sum(axis=1) / 10.0


_GAUSSIANS = np.array(
    [[-4.0, 2.5, 1.0], [0.0, 2.5, -1.0], [4.0, 2.5, 1.0],
     [-4.0, -2.5, -1.0], [0.0, -2.5, 1.0], [4.0, -2.5, -1.0]]
)  # fmt: skip


def _multi_gaussian(rng, n, noise):
    """TF's regressGaussian: six signed bumps of radius 2, keeping the largest in magnitude."""
    X = rng.uniform(-6.0, 6.0, (n, 2))
    noisy = X + rng.uniform(-6.0, 6.0, (n, 2)) * noise
    d = np.hypot(noisy[:, :1] - _GAUSSIANS[:, 0], noisy[:, 1:] - _GAUSSIANS[:, 1])
    values = _GAUSSIANS[:, 2] * np.clip(1.0 - d / 2.0, 0.0, 1.0)
    best = np.argmax(np.abs(values), axis=1)
    return X, values[np.arange(n), best]


def _sine(rng, n, noise):
    """x uniform in [-6, 6], target (x sin x + 1.5) / 3.3 (about [-1, 1]) + N(0, noise / 2)."""
    x = rng.uniform(-6.0, 6.0, n)
    target = (x * np.sin(x) + 1.5) / 3.3 + rng.normal(0.0, 0.5 * noise, n)
    return x[:, None], target


DATASETS: dict[str, DatasetSpec] = {
    spec.name: spec
    for spec in (
        DatasetSpec("circle", "binary", 2, "A disc inside a ring (TF circle).", _circle),
        DatasetSpec("xor", "binary", 2, "Quadrants labelled by the sign of x1*x2 (TF xor).", _xor),
        DatasetSpec("gaussian", "binary", 2, "Two Gaussian blobs (TF gaussian).", _gaussian),
        DatasetSpec("spiral", "binary", 2, "Two interleaved spiral arms (TF spiral).", _spiral),
        DatasetSpec("moons", "binary", 2, "Two interleaving half-circles.", _moons),
        DatasetSpec(
            "multi_blobs", "multiclass", 2, "3 to 5 Gaussian blobs on a circle.", _multi_blobs
        ),
        DatasetSpec(
            "multi_spiral", "multiclass", 2, "3 to 5 interleaved spiral arms.", _spiral_arms
        ),
        DatasetSpec("plane", "regression", 2, "Target rises with x1 + x2 (TF plane).", _plane),
        DatasetSpec(
            "multi_gaussian",
            "regression",
            2,
            "Six positive and negative bumps (TF multi-Gaussian).",
            _multi_gaussian,
        ),
        DatasetSpec("sine", "regression", 1, "1-D curve y = x sin x, scaled.", _sine),
    )
}


def make_dataset(
    name: str, n_samples: int = 500, noise: float = 0.0, seed=None, n_classes: int = 3
) -> tuple[np.ndarray, np.ndarray]:
    """Draw a shuffled dataset: raw inputs X (N, n_inputs) float64 and labels/targets y (N,).

    Binary labels are int64 0/1, multi-class labels int64 0..n_classes-1 (n_classes is only
    used by multi-class datasets), regression targets float64.
    """
    spec = lookup(DATASETS, name, "dataset")
    if not isinstance(n_samples, Integral) or isinstance(n_samples, bool):
        raise ValueError(f"n_samples must be an integer, got {n_samples!r}")
    if not 2 <= n_samples <= MAX_SAMPLES:
        raise ValueError(f"n_samples must be between 2 and {MAX_SAMPLES}, got {n_samples}")
    if not isinstance(noise, Real) or not np.isfinite(noise) or not 0.0 <= noise <= 1.0:
        raise ValueError(f"noise must be a finite number in [0, 1], got {noise!r}")
    n, noise = int(n_samples), float(noise)
    rng = np.random.default_rng(seed)
    if spec.kind == "multiclass":
        low, high = N_CLASSES_RANGE
        if not isinstance(n_classes, Integral) or not low <= n_classes <= high:
            raise ValueError(f"n_classes must be an integer in {low}..{high}, got {n_classes!r}")
        if n < n_classes:
            raise ValueError(f"n_samples ({n}) must be at least n_classes ({n_classes})")
        X, y = spec._generator(rng, n, noise, int(n_classes))
    else:
        X, y = spec._generator(rng, n, noise)
    order = rng.permutation(n)
    y_dtype = np.float64 if spec.kind == "regression" else np.int64
    return np.asarray(X, dtype=np.float64)[order], np.asarray(y, dtype=y_dtype)[order]


def train_size(train_fraction: float, n: int) -> int:
    """round(train_fraction * n): Python's round, which takes a half to the even neighbour."""
    return round(train_fraction * n)


def train_test_split(X, y, train_fraction: float = 0.5, seed=None):
    """Shuffle with default_rng(seed) and return (X_train, y_train, X_test, y_test).

    n_train = train_size(train_fraction, N), kept to at least 1, and to at most N - 1 when
    train_fraction < 1 so that the test set is never empty.
    """
    X, y = np.asarray(X), np.asarray(y)
    if len(X) != len(y):
        raise ValueError(f"X and y have different lengths ({len(X)} and {len(y)})")
    if (
        not isinstance(train_fraction, Real)
        or not np.isfinite(train_fraction)
        or not 0.0 < train_fraction <= 1.0
    ):
        raise ValueError(f"train_fraction must be in (0, 1], got {train_fraction!r}")
    n = len(X)
    if n < (1 if train_fraction == 1.0 else 2):
        raise ValueError(f"too few samples ({n}) to split with train_fraction {train_fraction}")
    n_train = min(max(train_size(train_fraction, n), 1), n if train_fraction == 1.0 else n - 1)
    order = np.random.default_rng(seed).permutation(n)
    train, test = order[:n_train], order[n_train:]
    return X[train], y[train], X[test], y[test]


FEATURES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "x1": lambda X: X[:, 0],
    "x2": lambda X: X[:, 1],
    "x1^2": lambda X: X[:, 0] ** 2,
    "x2^2": lambda X: X[:, 1] ** 2,
    "x1*x2": lambda X: X[:, 0] * X[:, 1],
    "sin x1": lambda X: np.sin(X[:, 0]),
    "sin x2": lambda X: np.sin(X[:, 1]),
}
#: The features of the second input, which 1-D data have not.
USES_X2 = frozenset({"x2", "x2^2", "x1*x2", "sin x2"})


def feature_map(X, features: Sequence[str]) -> np.ndarray:
    """Columns FEATURES[f](X) for each name f, in the order given: (N, len(features)) float64."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] not in (1, 2):
        raise ValueError(f"X must have shape (N, 1) or (N, 2), got {X.shape}")
    if isinstance(features, str) or not isinstance(features, Sequence) or not features:
        raise ValueError(f"features must be a non-empty sequence of names, got {features!r}")
    for name in features:
        lookup(FEATURES, name, "feature")
        if name in USES_X2 and X.shape[1] == 1:
            raise ValueError(f"feature {name!r} uses x2 but the dataset has a single input x1")
    if len(set(features)) != len(features):
        raise ValueError(f"duplicate features in {list(features)}")
    return np.column_stack([FEATURES[name](X) for name in features])
