"""The engine's backprop inspector and gradient check as the wire carries them.

`trace` and `gradient_check` are `mlp_engine.inspection`'s, called with the same arguments,
with every number made strict JSON (`json_ready`): arrays as nested lists of Python floats, and
None for a value that is not finite (a diverged run's overflow), which JSON cannot spell.
"""

import numpy as np

from mlp_engine import inspection


def json_ready(array) -> "list | float | None":
    """`array` as nested lists of Python floats, every NaN or infinity replaced by None."""
    array = np.asarray(array, dtype=np.float64)
    if np.isfinite(array).all():
        return array.tolist()
    values = array.astype(object)
    values[~np.isfinite(array)] = None
    return values.tolist()


def _numbers_ready(entry: dict) -> dict:
    """An entry with its arrays and floats `json_ready`; names, flags and counts as they are."""
    return {
        name: json_ready(value) if isinstance(value, np.ndarray | float) else value
        for name, value in entry.items()
    }


def trace(model, X, Y, sample: int = 0) -> dict:
    """`mlp_engine.inspection.trace`, strict JSON."""
    shown = inspection.trace(model, X, Y, sample)
    return {**_numbers_ready(shown), "layers": [_numbers_ready(e) for e in shown["layers"]]}


def gradient_check(model, X, Y, **options) -> dict:
    """`mlp_engine.inspection.gradient_check`, strict JSON."""
    report = inspection.gradient_check(model, X, Y, **options)
    return {**_numbers_ready(report), "layers": [_numbers_ready(e) for e in report["layers"]]}
