"""A compiled epoch loop for small networks, where NumPy's per-call overhead dominates.

A playground network (2 inputs, a few hidden layers of a few neurons, batches of 10) spends
nearly all of a NumPy training step in the ~30 Python-level calls a step takes, not in
arithmetic. This module runs a whole epoch of the same eqs. 12-15 and 30-31 (or momentum or
Adam) as one Numba-compiled loop over the batches. It is an accelerator, not a second model:
`MLP` calls it only when Numba is installed and the network is small, and tests check that an
epoch here equals an epoch of the NumPy code in `mlp.py` for every activation, cost, optimiser
and regularisation. Without Numba, `AVAILABLE` is False and the NumPy code runs.

Layout as in `MLP`: theta = [W^1..W^L (row-major), b^1..b^L]; `widths` = [n_x, n_h..., n_y].
"""

import importlib.util
import threading

import numpy as np

AVAILABLE = importlib.util.find_spec("numba") is not None  # imported only when first needed

ACTIVATION_CODES = {"sigmoid": 0, "tanh": 1, "relu": 2, "leaky_relu": 3, "linear": 4, "softmax": 5}
COST_CODES = {"mse": 0, "binary_crossentropy": 1, "categorical_crossentropy": 2}
OPTIMIZER_CODES = {"sgd": 0, "momentum": 1, "adam": 2}
LEAKY_SLOPE = 0.01


def _phi(code, z, a):
    """Eq. 33, a = phi(z), row by row (softmax needs the whole row)."""
    for i in range(z.shape[0]):
        if code == 5:
            top = z[i].max()
            total = 0.0
            for j in range(z.shape[1]):
                a[i, j] = np.exp(z[i, j] - top)
                total += a[i, j]
            for j in range(z.shape[1]):
                a[i, j] /= total
            continue
        for j in range(z.shape[1]):
            s = z[i, j]
            if code == 0:
                a[i, j] = 1.0 / (1.0 + np.exp(-s)) if s >= 0 else np.exp(s) / (1.0 + np.exp(s))
            elif code == 1:
                a[i, j] = np.tanh(s)
            elif code == 2:
                a[i, j] = s if s > 0 else 0.0
            elif code == 3:
                a[i, j] = s if s > 0 else LEAKY_SLOPE * s
            else:
                a[i, j] = s


def _vjp(code, z, a, g, out):
    """out = g backpropagated through phi: g o phi'(z) (eqs. 12-13), or softmax's J^T g."""
    for i in range(z.shape[0]):
        if code == 5:
            inner = 0.0
            for j in range(z.shape[1]):
                inner += g[i, j] * a[i, j]
            for j in range(z.shape[1]):
                out[i, j] = a[i, j] * (g[i, j] - inner)
            continue
        for j in range(z.shape[1]):
            if code == 0:
                out[i, j] = g[i, j] * a[i, j] * (1.0 - a[i, j])
            elif code == 1:
                out[i, j] = g[i, j] * (1.0 - a[i, j] * a[i, j])
            elif code == 2:
                out[i, j] = g[i, j] if z[i, j] > 0 else 0.0
            elif code == 3:
                out[i, j] = g[i, j] if z[i, j] > 0 else LEAKY_SLOPE * g[i, j]
            else:
                out[i, j] = g[i, j]


def _output_error(cost, output, fused, a, z, Y, rows, grad_a, delta, eps):
    """Eq. 12 for the batch: delta^L, fused (a - y) where the cost allows it."""
    n_y = a.shape[1]
    for i in range(a.shape[0]):
        y_sum = 0.0
        for j in range(n_y):
            y_sum += Y[rows[i], j]
        for j in range(n_y):
            y = Y[rows[i], j]
            p = min(max(a[i, j], eps), 1.0 - eps)
            if fused and cost == 1:
                delta[i, j] = (a[i, j] - y) / n_y
            elif fused:
                delta[i, j] = a[i, j] * y_sum - y
            elif cost == 0:
                grad_a[i, j] = 2.0 * (a[i, j] - y) / n_y
            elif cost == 1:
                grad_a[i, j] = (p - y) / (p * (1.0 - p) * n_y)
            else:
                grad_a[i, j] = -y / p
    if not fused:
        _vjp(output, z, a, grad_a, delta)


def _epoch(
    theta,
    grad,
    widths,
    X,
    Y,
    order,
    m,
    hidden,
    output,
    cost,
    fused,
    optimizer,
    learning_rate,
    l1,
    l2,
    buffer1,
    buffer2,
    t,
    eps,
):
    """One epoch of mini-batch training; returns the optimiser's new step count t."""
    L = widths.size - 1
    n_weights = 0
    for l in range(L):
        n_weights += widths[l] * widths[l + 1]
    Z = [np.empty((m, widths[l + 1]), theta.dtype) for l in range(L)]
    A = [np.empty((m, widths[l]), theta.dtype) for l in range(L + 1)]
    D = [np.empty((m, widths[l + 1]), theta.dtype) for l in range(L)]
    G = [np.empty((m, widths[l]), theta.dtype) for l in range(L + 1)]
    for start in range(0, order.size, m):
        rows = order[start : start + m]
        for i in range(m):
            A[0][i] = X[rows[i]]
        w_at, b_at = 0, n_weights
        for l in range(L):  # forward: eqs. 32-33
            n_x, n_h = widths[l], widths[l + 1]
            W = theta[w_at : w_at + n_h * n_x].reshape((n_h, n_x))
            a, z = A[l], Z[l]
            for i in range(m):
                for j in range(n_h):
                    s = theta[b_at + j]
                    for k in range(n_x):
                        s += a[i, k] * W[j, k]
                    z[i, j] = s
            _phi(output if l == L - 1 else hidden, z, A[l + 1])
            w_at, b_at = w_at + n_h * n_x, b_at + n_h
        _output_error(cost, output, fused, A[L], Z[L - 1], Y, rows, G[L], D[L - 1], eps)
        grad[:] = 0.0
        for l in range(L - 1, -1, -1):
            n_x, n_h = widths[l], widths[l + 1]
            w_at, b_at = w_at - n_h * n_x, b_at - n_h
            W = theta[w_at : w_at + n_h * n_x].reshape((n_h, n_x))
            dW = grad[w_at : w_at + n_h * n_x].reshape((n_h, n_x))
            delta, a, g = D[l], A[l], G[l]
            for i in range(m):
                for j in range(n_h):
                    d = delta[i, j]
                    grad[b_at + j] += d  # eq. 14
                    for k in range(n_x):
                        dW[j, k] += d * a[i, k]  # eq. 15
            if l > 0:  # eq. 13, (W^(l+1))^T delta^(l+1) as a sum of rows of W (contiguous)
                for i in range(m):
                    g[i] = 0.0
                    for j in range(n_h):
                        d = delta[i, j]
                        for k in range(n_x):
                            g[i, k] += d * W[j, k]
                _vjp(hidden, Z[l - 1], a, g, D[l - 1])
        t += 1
        scale = 1.0 / m  # the 1/m of eqs. 30-31
        correction1 = 1.0 - 0.9**t
        correction2 = 1.0 - 0.999**t
        for p in range(theta.size):
            g = grad[p] * scale
            if p < n_weights:
                if l1 != 0.0:
                    g += l1 * np.sign(theta[p])
                g += l2 * theta[p]
            if optimizer == 0:  # eqs. 30-31
                theta[p] -= learning_rate * g
            elif optimizer == 1:
                buffer1[p] = 0.9 * buffer1[p] + g
                theta[p] -= learning_rate * buffer1[p]
            else:
                buffer1[p] = 0.9 * buffer1[p] + 0.1 * g
                buffer2[p] = 0.999 * buffer2[p] + 0.001 * g * g
                theta[p] -= (
                    (learning_rate / correction1)
                    * buffer1[p]
                    / (np.sqrt(buffer2[p] / correction2) + 1e-8)
                )
    return t


_compiled = None
_compile_lock = threading.Lock()


def compiled_epoch():
    """The compiled `_epoch`: Numba compiles it on first use (cached on disk after that)."""
    global _compiled, _phi, _vjp, _output_error
    with _compile_lock:
        if _compiled is None:
            from numba import njit

            # nogil: a server's other threads keep running. reassoc lets LLVM vectorise the dot
            # products (it may reorder a sum, as BLAS does); NaN and inf keep their meaning.
            jit = njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})
            _phi, _vjp, _output_error = jit(_phi), jit(_vjp), jit(_output_error)
            _compiled = jit(_epoch)
    return _compiled


def train_epoch(model, X: np.ndarray, Y: np.ndarray, order: np.ndarray, batch_size: int) -> None:
    """Run one epoch of `model` over the batches `order` (flattened) with the compiled loop."""
    optimizer = model.optimizer
    empty = np.zeros(0, model.dtype)
    buffers = [getattr(optimizer, name) for name in optimizer.buffers]
    if any(b is None for b in buffers):
        buffers = [np.zeros_like(model.theta) for _ in optimizer.buffers]
        for name, buffer in zip(optimizer.buffers, buffers, strict=True):
            setattr(optimizer, name, buffer)
    buffer1, buffer2 = (buffers + [empty, empty])[:2]
    widths = np.array([model.n_x, *model.n_h, model.n_y], dtype=np.int64)
    X, Y = np.ascontiguousarray(X), np.ascontiguousarray(Y)
    optimizer.t = compiled_epoch()(
        model.theta,
        model.grad,
        widths,
        X,
        Y,
        order,
        batch_size,
        ACTIVATION_CODES[model.hidden_activation.name],
        ACTIVATION_CODES[model.output_activation.name],
        COST_CODES[model.cost.name],
        model.fused,
        OPTIMIZER_CODES[optimizer.name],
        model.dtype.type(optimizer.learning_rate),
        model.dtype.type(model.l1),
        model.dtype.type(model.l2),
        buffer1,
        buffer2,
        optimizer.t,
        model.dtype.type(np.finfo(model.dtype).eps),
    )


def warm_up() -> None:
    """Compile (or load from the disk cache) the float64 loop, e.g. when a server starts."""
    if AVAILABLE:
        from .mlp import MLP

        model = MLP(1, [1], 1, seed=0)
        model.train_epoch(np.zeros((2, 1)), np.zeros((2, 1)), batch_size=2)
