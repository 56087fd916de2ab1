"""A model file: `MLP` as JSON (never pickle), and the checks that a file read back fits.

The file holds the constructor's arguments (`config`, with the activations' and the update
rule's hyperparameters), every layer's W and b, the update rule's state and the random
generator's state, so that a loaded model predicts and goes on training exactly as the saved one
would have. Version 1 files (written before the hyperparameters were saved) name the activations
and the rule only; they load with the default hyperparameters, which were then the only ones.

Every malformed file is refused with a ValueError that names the field, and the sizes a file
declares are checked against the arrays it holds before anything is allocated for them.
"""

import inspect
import json
from pathlib import Path

import numpy as np

from . import checks

FORMAT = "mlp_engine.MLP"
FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)


def to_dict(model) -> dict:
    """Everything needed to predict and to keep training: config, weights, optimiser, RNG."""
    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "config": model.config(),
        "layers": [{"W": layer.W.tolist(), "b": layer.b.tolist()} for layer in model.sequential],
        "optimizer_state": model.optimizer.state_dict(),
        "rng_state": model.rng.bit_generator.state,
    }


def from_dict(cls, data) -> "object":
    """A `cls` (MLP) rebuilt from `to_dict`'s output; a ValueError names what does not fit."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError(f"not an {FORMAT} model: missing or wrong 'format' field")
    if data.get("version") not in READABLE_VERSIONS:
        raise ValueError(f"unsupported model version {data.get('version')!r}")
    config, layers = data.get("config"), data.get("layers")
    if not isinstance(config, dict):
        raise ValueError("'config' must be an object of the model's settings")
    accepted = set(inspect.signature(cls).parameters)
    unknown = sorted(set(config) - accepted)
    if unknown:
        raise ValueError(f"config: unknown field {', '.join(map(repr, unknown))}")
    check_layer_sizes(_declared_widths(config, layers), layers)
    model = cls(**config)
    for i, (layer, saved) in enumerate(zip(model.sequential, layers, strict=True)):
        W, b = _finite_array(f"layer {i}: W", saved["W"], model.dtype), saved["b"]
        layer.W, layer.b = W, _finite_array(f"layer {i}: b", b, model.dtype)
    model.optimizer.load_state_dict(data.get("optimizer_state", {}), model.dtype, model.theta.size)
    if "rng_state" in data:
        try:
            model.rng.bit_generator.state = data["rng_state"]
        except (TypeError, KeyError, ValueError, OverflowError) as error:  # negative words
            raise ValueError(f"rng_state: not a random generator's state ({error})") from None
    return model


def _declared_widths(config: dict, layers) -> list[int]:
    """[n_x, n_h..., n_y] as the config declares them, or a ValueError naming the field."""
    depth = config.get("n_hidden_layers", 1)
    by_depth = not isinstance(config.get("n_h"), list)
    if by_depth and isinstance(depth, int) and isinstance(layers, list) and depth >= len(layers):
        raise ValueError(f"n_hidden_layers is {depth}, but the file has {len(layers)} layers")
    hidden = checks.hidden_widths(config.get("n_h"), depth)
    n_x, n_y = (checks.positive_int(name, config.get(name)) for name in ("n_x", "n_y"))
    return [n_x, *hidden, n_y]


def check_layer_sizes(widths: list[int], layers) -> None:
    """Refuse `layers` unless they are one {"W": n_h lists of n_x, "b": n_h} per layer.

    Only list lengths are read, so a file that declares a huge network without holding its
    weights is refused before the network is built.
    """
    if not isinstance(layers, list) or len(layers) != len(widths) - 1:
        raise ValueError(f"expected {len(widths) - 1} layers for sizes {widths}")
    for i, (layer, n_x, n_h) in enumerate(zip(layers, widths[:-1], widths[1:], strict=False)):
        if not isinstance(layer, dict) or "W" not in layer or "b" not in layer:
            raise ValueError(f"layer {i}: W and b are missing")
        W, b = layer["W"], layer["b"]
        if not (
            isinstance(W, list)
            and len(W) == n_h
            and all(isinstance(row, list) and len(row) == n_x for row in W)
        ):
            raise ValueError(f"layer {i}: W should be {n_h} rows of {n_x} numbers")
        if not isinstance(b, list) or len(b) != n_h:
            raise ValueError(f"layer {i}: b should be {n_h} numbers")


def _finite_array(name: str, values: list, dtype) -> np.ndarray:
    try:
        array = np.array(values, dtype)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"{name} must be an array of numbers") from None
    if not np.isfinite(array).all():
        raise ValueError(f"{name} must be finite")
    return array


def save(model, path) -> None:
    """Write the model as JSON (never pickle)."""
    Path(path).write_text(json.dumps(to_dict(model)))


def load(cls, path):
    return from_dict(cls, json.loads(Path(path).read_text()))
