"""What a model accepts: its settings (sizes, rates, seed, dtype) and its data (X, Y, batch size).

Each check returns the value in the form the model keeps, or raises a ValueError that names the
setting or the array, so that a wrong call, a wrong message from the page or a wrong model file
says what to fix.
"""

import numpy as np


def positive_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def hidden_widths(n_h, n_hidden_layers) -> list[int]:
    """The paper's `n_h` neurons in each of `n_hidden_layers` layers, or a list of widths."""
    if isinstance(n_h, list | tuple):
        return [positive_int("every hidden width", width) for width in n_h]
    if isinstance(n_hidden_layers, bool) or not isinstance(n_hidden_layers, int | np.integer):
        raise ValueError(f"n_hidden_layers must be an integer, got {n_hidden_layers!r}")
    if n_hidden_layers < 0:
        raise ValueError(f"n_hidden_layers must be >= 0, got {n_hidden_layers}")
    return [positive_int("n_h", n_h)] * int(n_hidden_layers)


def non_negative(name: str, value) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    if not np.isfinite(number) or number < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return number


def positive(name: str, value) -> float:
    number = non_negative(name, value)
    if number == 0:
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return number


def float_dtype(dtype) -> np.dtype:
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        dtype = None
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"dtype must be float32 or float64, got {dtype!r}")
    return dtype


def json_seed(seed):
    """The seed as None, an int or a list of ints, so that a model file can hold it."""

    def natural(s):
        return isinstance(s, int | np.integer) and not isinstance(s, bool) and s >= 0

    if seed is None:
        return None
    if natural(seed):
        return int(seed)
    if isinstance(seed, list | tuple) and seed and all(natural(s) for s in seed):
        return [int(s) for s in seed]
    raise ValueError(f"seed must be None, an integer >= 0 or a list of them, got {seed!r}")


def all_finite(array: np.ndarray) -> bool:
    """No NaN and no infinity in `array`. A finite sum says so in one pass without a temporary
    (NaN and inf reach the sum); only a sum that overflows needs the element-wise check."""
    return bool(np.isfinite(array.sum()) or np.isfinite(array).all())


NOT_FINITE_INPUTS = "X contains NaN or infinite values"


def inputs(X, n_x: int, dtype: np.dtype, finite: bool = True) -> np.ndarray:
    """X as an (m, n_x) array of the model's dtype, or a ValueError naming the problem (not
    testing for NaN and infinity with `finite=False`: a caller that does it on the way)."""
    X = np.asarray(X, dtype=dtype)
    if X.ndim == 1 and X.shape[0] == n_x:
        X = X[None, :]
    if X.ndim != 2 or X.shape[1] != n_x or X.shape[0] == 0:
        raise ValueError(f"X must have shape (m, {n_x}) with m >= 1, got {X.shape}")
    if finite and not all_finite(X):
        raise ValueError(NOT_FINITE_INPUTS)
    return X


def targets(Y, m: int, n_y: int, dtype: np.dtype, probabilities: str | None) -> np.ndarray:
    """Y as (m, n_y) targets; integer class labels of shape (m,) are one-hot encoded.

    `probabilities` names the cost (a cross-entropy) whose targets must lie in [0, 1], if any.
    """
    Y = np.asarray(Y)
    if Y.ndim == 1 and n_y > 1:
        if not np.issubdtype(Y.dtype, np.integer):
            raise ValueError(
                f"1-D targets must be integer class labels for {n_y} outputs, "
                f"got dtype {Y.dtype}; or pass Y of shape (m, {n_y})"
            )
        if Y.size and (Y.min() < 0 or Y.max() >= n_y):
            raise ValueError(f"class labels must lie in 0..{n_y - 1}, got {Y.min()}..{Y.max()}")
        Y = np.eye(n_y, dtype=dtype)[Y]
    elif Y.ndim == 1:
        Y = Y[:, None]
    Y = Y.astype(dtype, copy=False)
    if Y.shape != (m, n_y):
        raise ValueError(f"Y must have shape ({m}, {n_y}) to match X, got {Y.shape}")
    if not all_finite(Y):
        raise ValueError("Y contains NaN or infinite values")
    if probabilities and (Y.min() < 0 or Y.max() > 1):
        raise ValueError(
            f"{probabilities} targets must lie in [0, 1] (class labels 0/1 or one-hot)"
        )
    return Y


def batch_size(value, n_samples: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ValueError(f"batch_size must be an integer, got {value!r}")
    if not 1 <= value <= n_samples:
        raise ValueError(f"batch_size must be between 1 and N = {n_samples}, got {value}")
    return int(value)


def split_point(name: str, value, n_samples: int) -> int:
    """`name`: the number of rows of a first set stacked before a second, both non-empty."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if not 1 <= value < n_samples:
        raise ValueError(
            f"{name} must leave rows in both sets: between 1 and {n_samples - 1}, got {value}"
        )
    return int(value)
