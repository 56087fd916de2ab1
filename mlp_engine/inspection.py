"""The backprop inspector: eqs. 12-15 and 30-31 evaluated for one sample of a mini-batch.

`trace` runs the model's own `forward` and `backward` on a batch and lays out, layer by layer,
every quantity of the paper's four equations for one sample of it, with the batch's gradients
and the update they make. `gradient_check` compares `MLP.gradients` with central finite
differences of `MLP.loss`, the function it claims to differentiate. Both return plain dicts
of the engine's numbers: arrays (copies, never views into the model) and Python floats, NaN or
infinite where the numbers are; the server writes them for the wire (server/inspector.py).
"""

import numpy as np

from .mlp import MLP

FUSED_NOTES = {
    "binary_crossentropy": (
        "sigmoid + binary cross-entropy: sigma'(z) = a(1 - a) cancels the cost's "
        "1/(a(1 - a)), so delta^L = (a^L - y)/n_y"
    ),
    "categorical_crossentropy": (
        "softmax + categorical cross-entropy: the softmax Jacobian applied to -y/a collapses "
        "to delta^L = a^L - y"
    ),
}
#: `gradient_check` passes when every layer's relative error is below this (float64).
GRADIENT_CHECK_THRESHOLD = 1e-5


def _phi_prime(activation, z: np.ndarray) -> tuple[np.ndarray, str]:
    """phi'(z) of one sample: a vector, or softmax's full Jacobian (its derivative's shape)."""
    derivative = activation.derivative(z[None, :])[0]
    return derivative, "jacobian" if derivative.ndim == 2 else "diagonal"


def trace(model: MLP, X, Y, sample: int = 0) -> dict:
    """Eqs. 32-33, 12-15 and 30-31 for row `sample` of the batch (X, Y), layer by layer.

    Layer l here is the paper's l + 1 (0 is the first weight layer). Per layer: `a_prev`,
    `W`, `b`, `z` = W a_prev + b (eq. 32), `a` = phi(z) (eq. 33), `delta` (eqs. 12-13, from
    `backward`), `dW_sample` = delta a_prev^T (eq. 15) and `db_sample` = delta (eq. 14),
    `dW_batch` and `db_batch`, the batch means exactly as `backward` returns them (so with the
    L1/L2 terms when the model has them), and `W_after` = W - eta dW_batch, `b_after` = b - eta
    db_batch (eqs. 30-31). Hidden layers add `backprop` = (W^(l+1))^T delta^(l+1) and
    `phi_prime`, with delta = backprop o phi_prime (eq. 13); the output layer adds `grad_a` =
    nabla_a C_x (eq. 25), `phi_prime` and `y`, with delta^L = grad_a o phi_prime (eq. 12) unless
    `fused`, when delta^L is the closed form `fused_note` states. A softmax layer's `phi_prime`
    is its Jacobian (`phi_prime_kind` "jacobian"), applied as J^T grad instead of a product.
    """
    X = model.check_inputs(X)
    Y = model.check_targets(Y, X.shape[0])
    m = X.shape[0]
    if isinstance(sample, bool) or not isinstance(sample, int | np.integer) or not 0 <= sample < m:
        raise ValueError(f"sample must be a row of the batch, 0..{m - 1}, got {sample!r}")
    loss = model.loss(X, Y)  # the forward pass (eqs. 32-33) that `backward` differentiates
    A, Z = model.cache
    errors = model.backward(Y)
    eta = model.learning_rate
    last = len(model.sequential) - 1
    layers = []
    for l, layer in enumerate(model.sequential):
        delta = errors[l].delta[sample]
        phi_prime, kind = _phi_prime(layer.activation, Z[l][sample])
        entry = {
            "layer": l,
            "activation": layer.activation.name,
            "a_prev": A[l][sample],
            "W": layer.W,
            "b": layer.b,
            "z": Z[l][sample],
            "a": A[l + 1][sample],
            "delta": delta,
            "dW_sample": np.outer(delta, A[l][sample]),  # eq. 15
            "db_sample": delta,  # eq. 14
            "dW_batch": errors[l].dW,
            "db_batch": errors[l].db,
            "W_after": layer.W - eta * errors[l].dW,  # eq. 30
            "b_after": layer.b - eta * errors[l].db,  # eq. 31
            "phi_prime": phi_prime,
            "phi_prime_kind": kind,
            "backprop": None,
            "grad_a": None,
            "y": None,
            "fused": None,
            "fused_note": None,
        }
        if l < last:  # eq. 13's (W^(l+1))^T delta^(l+1), as a row: delta^(l+1) W^(l+1)
            entry["backprop"] = errors[l + 1].delta[sample] @ model.sequential[l + 1].W
        else:
            entry["grad_a"] = model.cost.gradient(A[-1], Y)[sample]  # eq. 25
            entry["y"] = Y[sample]
            entry["fused"] = model.fused
            entry["fused_note"] = FUSED_NOTES[model.cost.name] if model.fused else None
        layers.append(
            {
                name: value.copy() if isinstance(value, np.ndarray) else value
                for name, value in entry.items()
            }
        )
    return {
        "sample": int(sample),
        "batch_size": m,
        "learning_rate": eta,
        "cost": model.cost.name,
        "hidden_activation": model.hidden_activation.name,
        "output_activation": model.output_activation.name,
        "optimizer": model.optimizer.name,
        "loss": loss,
        "note": _note(model),
        "layers": layers,
    }


def _note(model: MLP) -> str | None:
    """What the shown update leaves out: another optimiser's rule, the L1/L2 terms."""
    notes = []
    if model.optimizer.name != "sgd":
        notes.append(
            f"training uses {model.optimizer.name}, whose step differs: W_after and b_after "
            "show eqs. 30-31's plain gradient-descent step"
        )
    if model.l1 or model.l2:
        notes.append(
            "dW_batch includes the regularisation term (l1 sign(W) + l2 W), so it is not the "
            "plain mean of dW_sample"
        )
    return "; ".join(notes) or None


def _relative_error(analytic: np.ndarray, numeric: np.ndarray) -> float:
    """||analytic - numeric|| / max(||analytic|| + ||numeric||, 1e-12)."""
    scale = max(float(np.linalg.norm(analytic) + np.linalg.norm(numeric)), 1e-12)
    return float(np.linalg.norm(analytic - numeric)) / scale


class GradientCheckStopped(Exception):
    """`gradient_check` was asked to stop (its `should_stop` said so) before it finished."""


def _numeric_gradient(
    model: MLP, X: np.ndarray, Y: np.ndarray, eps: float, should_stop
) -> np.ndarray:
    """(C(theta + eps e_i) - C(theta - eps e_i)) / (2 eps) for every parameter i."""
    theta = model.theta
    numeric = np.empty_like(theta)
    for i in range(theta.size):
        if should_stop():
            raise GradientCheckStopped(f"stopped after {i} of {theta.size} parameters")
        saved = theta[i]
        theta[i] = saved + eps
        above = model.loss(X, Y)
        theta[i] = saved - eps
        below = model.loss(X, Y)
        theta[i] = saved
        numeric[i] = (above - below) / (2.0 * eps)
    return numeric


def gradient_check(model: MLP, X, Y, eps: float = 1e-6, should_stop=lambda: False) -> dict:
    """`model.gradients(X, Y)` (eqs. 12-15, batch means) against central finite differences.

    Per layer, the norm-based relative errors of dC/dW and dC/db and the largest absolute
    difference; `passed` when the worst relative error is below `threshold`. A float32 model
    is checked through its float64 copy. The model's parameters are perturbed one at a time
    and left bit-identical afterwards. A sample whose ReLU input lies within about eps of the
    kink can make a correct gradient fail.

    The check evaluates the cost twice per parameter, which takes seconds on a big network:
    `should_stop` is asked before each parameter, and when it answers True the check raises
    `GradientCheckStopped` (the parameters restored), so that a server can cancel it.
    """
    checked = model if model.dtype == np.float64 else model.copy(np.float64)
    X = checked.check_inputs(X)
    Y = checked.check_targets(Y, X.shape[0])
    original = checked.theta.copy()
    try:
        analytic = checked.gradients(X, Y)
        with np.errstate(all="ignore"):
            numeric = _numeric_gradient(checked, X, Y, eps, should_stop)
    finally:
        checked.theta[...] = original
    layers, offset_W, offset_b = [], 0, checked.n_weights
    for l, (dW, db) in enumerate(analytic):
        numeric_W = numeric[offset_W : offset_W + dW.size].reshape(dW.shape)
        numeric_b = numeric[offset_b : offset_b + db.size]
        offset_W, offset_b = offset_W + dW.size, offset_b + db.size
        errors = np.concatenate([(dW - numeric_W).ravel(), db - numeric_b])
        layers.append(
            {
                "layer": l,
                "rel_error_W": _relative_error(dW, numeric_W),
                "rel_error_b": _relative_error(db, numeric_b),
                "max_abs_error": float(np.abs(errors).max()),
            }
        )
    worst = float(np.max([[e["rel_error_W"], e["rel_error_b"]] for e in layers]))  # NaN stays
    return {
        "eps": eps,
        "threshold": GRADIENT_CHECK_THRESHOLD,
        "worst": worst,
        "passed": bool(worst < GRADIENT_CHECK_THRESHOLD),
        "layers": layers,
    }
