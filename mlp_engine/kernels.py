"""A compiled epoch loop: the whole epoch of eqs. 12-15 and 30-31 (or momentum or Adam) as one
Numba-compiled loop over the batches, with no Python between its steps.

A playground network (2 inputs, a few hidden layers of a few neurons, batches of 10) spends
nearly all of a NumPy training step in the ~30 Python-level calls a step takes, not in
arithmetic: the loop does its products itself. A layer of more than a few hundred weights
(64-64-10 on the digits, say) has its products done by BLAS from inside the loop (SciPy's, the
same GEMM the NumPy path calls), and a large one (512-384-384-10, batch 256) also takes its SGD
or momentum step inside eq. 15's GEMM (W <- (1 - eta l2) W - eta delta^T a / m), as the NumPy
path's `Optimizer.fold` does: what is left beside the products is one pass for z + b and phi,
one for phi' and eq. 14's sums, the gather of the batch and the biases' step.

It is a leaf: it takes arrays and an `Epoch`, a description of the epoch that the model builds
from its own objects (each activation, cost and update rule says, through its `compiled()`,
which code below computes it and with which constants). It knows nothing of `MLP`. An object
without a compiled form (a user's own `Activation`, say) trains on the NumPy path instead, and
the tests check that an epoch here equals a NumPy epoch for every hyperparameter.

The NumPy path of large networks (Adam, L1, or an object without a compiled form) runs three
of its element-wise passes here, each fused into one pass (see "Element-wise passes of large
networks" below), and its products go to one BLAS, SciPy's, through `product` and `gemm` (see
"Matrix products").

Layout as in `MLP`: theta = [W^1..W^L (row-major), b^1..b^L]; `widths` = [n_x, n_h..., n_y].
"""

import threading
from types import SimpleNamespace
from typing import NamedTuple

import numpy as np

# Activation codes (phi of eq. 33); the parameter that goes with each is alpha, for leaky_relu.
SIGMOID, TANH, RELU, LEAKY_RELU, LINEAR, SOFTMAX = range(6)
# Cost codes (C_x of eq. 7).
MSE, BINARY_CROSSENTROPY, CATEGORICAL_CROSSENTROPY = range(3)
# Update rule codes, with their constants: sgd (), momentum (mu,), adam (beta1, beta2, eps).
SGD, MOMENTUM, ADAM = range(3)

#: Weights (n_x n_h) from which a layer's products go to BLAS (through SciPy's, which Numba
#: calls; scikit-learn brings SciPy): below it the loops here are quicker than a BLAS call.
BLAS_MIN_WEIGHTS = 512
#: Multiply-adds of a layer's batch product (m n_x n_h) from which its weights take their step
#: inside eq. 15's GEMM (see `_epoch`); under it the loop's own step pass is as quick.
FOLD_MIN_WORK = 1 << 18


class Epoch(NamedTuple):
    """What one compiled epoch computes, read from the model's own objects."""

    hidden: tuple[int, float]  # (activation code, alpha) of the hidden layers
    output: tuple[int, float]  # (activation code, alpha) of the output layer
    cost: int
    fused: bool  # delta^L in closed form (sigmoid + binary, softmax + categorical cross-entropy)
    rule: tuple[int, tuple[float, ...]]  # (rule code, its constants)
    learning_rate: float
    l1: float
    l2: float


def folds(epoch: Epoch) -> bool:
    """Whether the epoch's rule can take a large layer's step inside eq. 15's GEMM (`_epoch`)."""
    return epoch.rule[0] != ADAM and epoch.l1 == 0.0


def _phi(code, alpha, z, a, b):
    """Eq. 33, a = phi(z), row by row (softmax needs the whole row), after z <- z + b when the
    bias b is given (not empty): eq. 32's sum and eq. 33 in one pass over z. ReLU's z + b is
    not written back: its phi' needs only the sign, which a > 0 gives (`_vjp`)."""
    for i in range(z.shape[0]):
        if code == RELU and b.size > 0:
            for j in range(z.shape[1]):
                s = z[i, j] + b[j]
                a[i, j] = s if s > 0 else 0.0
            continue
        if b.size > 0:
            for j in range(z.shape[1]):
                z[i, j] += b[j]
        if code == SOFTMAX:
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
            if code == SIGMOID:
                a[i, j] = 1.0 / (1.0 + np.exp(-s)) if s >= 0 else np.exp(s) / (1.0 + np.exp(s))
            elif code == TANH:
                a[i, j] = np.tanh(s)
            elif code == RELU:
                a[i, j] = s if s > 0 else 0.0
            elif code == LEAKY_RELU:
                a[i, j] = s if s > 0 else alpha * s
            else:
                a[i, j] = s


def _vjp(code, alpha, z, a, g, out, sums):
    """out = g backpropagated through phi: g o phi'(z) (eqs. 12-13), or softmax's J^T g; and
    eq. 14's column sums of out added into `sums`, when it is not empty, row by row while the
    row is in cache (the order in which NumPy's np.add.reduce(out, axis=0) adds them)."""
    for i in range(z.shape[0]):
        if code == SOFTMAX:
            inner = 0.0
            for j in range(z.shape[1]):
                inner += g[i, j] * a[i, j]
            for j in range(z.shape[1]):
                out[i, j] = a[i, j] * (g[i, j] - inner)
        else:
            for j in range(z.shape[1]):
                if code == SIGMOID:
                    out[i, j] = g[i, j] * a[i, j] * (1.0 - a[i, j])
                elif code == TANH:
                    out[i, j] = g[i, j] * (1.0 - a[i, j] * a[i, j])
                elif code == RELU:  # z > 0 exactly where a = max(z, 0) > 0 (NaN: neither)
                    out[i, j] = g[i, j] if a[i, j] > 0 else 0.0
                elif code == LEAKY_RELU:
                    out[i, j] = g[i, j] if z[i, j] > 0 else alpha * g[i, j]
                else:
                    out[i, j] = g[i, j]
        if sums.size > 0:
            for j in range(z.shape[1]):
                sums[j] += out[i, j]


def _output_error(cost, output, alpha, fused, a, z, Y, rows, grad_a, delta, clip):
    """Eq. 12 for the batch: delta^L, fused (a - y) where the cost allows it."""
    n_y = a.shape[1]
    for i in range(a.shape[0]):
        y_sum = 0.0
        for j in range(n_y):
            y_sum += Y[rows[i], j]
        for j in range(n_y):
            y = Y[rows[i], j]
            p = min(max(a[i, j], clip), 1.0 - clip)
            if fused and cost == BINARY_CROSSENTROPY:
                delta[i, j] = (a[i, j] - y) / n_y
            elif fused:
                delta[i, j] = a[i, j] * y_sum - y
            elif cost == MSE:
                grad_a[i, j] = 2.0 * (a[i, j] - y) / n_y
            elif cost == BINARY_CROSSENTROPY:
                grad_a[i, j] = (p - y) / (p * (1.0 - p) * n_y)
            else:
                grad_a[i, j] = -y / p
    if not fused:
        _vjp(output, alpha, z, a, grad_a, delta, grad_a[0, :0])


def _blas_gemm(alpha, A, transpose_a, B, transpose_b, beta, C):
    """C <- alpha op(A) op(B) + beta C by the BLAS `gemm` SciPy brings, for compiled code (row-
    major arrays, op(X) = X^T where asked): the GEMM that `gemm` below calls from Python, so
    that both paths round alike. Its compiled form is registered by `_compile`."""
    raise NotImplementedError("compiled code only")


def _register_blas_gemm() -> None:
    """Give `_blas_gemm` its compiled form: Numba's own binding of SciPy's BLAS GEMM, the one
    its np.dot uses (numba.np.linalg._BLAS: a private class, read at compile time only; the
    symbol it names is resolved when a compiled function loads, so the disk cache works)."""
    from numba import types
    from numba.extending import overload
    from numba.np.linalg import _BLAS, ensure_blas

    @overload(_blas_gemm)
    def _compiled_gemm(alpha, A, transpose_a, B, transpose_b, beta, C):
        ensure_blas()
        xxgemm = _BLAS().numba_xxgemm(C.dtype)
        kind = ord("s" if C.dtype == types.float32 else "d")
        keep, transpose = ord("N"), ord("T")

        def gemm_impl(alpha, A, transpose_a, B, transpose_b, beta, C):
            # BLAS is column-major: C^T = op(B)^T op(A)^T, where X^T is how it sees X.
            rows, columns = C.shape
            inner = A.shape[0] if transpose_a else A.shape[1]
            scalars = np.empty(2, C.dtype)
            scalars[0], scalars[1] = alpha, beta
            xxgemm(
                kind,
                transpose if transpose_b else keep,
                transpose if transpose_a else keep,
                columns,
                rows,
                inner,
                scalars[0:1].ctypes,
                B.ctypes,
                B.shape[1],
                A.ctypes,
                A.shape[1],
                scalars[1:2].ctypes,
                C.ctypes,
                columns,
            )

        return gemm_impl


def _step(theta, grad, lo, hi, n_weights, rule, c1, c2, c3, corrections, rates, scale, buffers):
    """The rule's step (eqs. 30-31, momentum or Adam) on theta[lo:hi], from the batch's summed
    gradient grad[lo:hi] (times `scale`, the 1/m), with the L1/L2 terms on weights."""
    correction1, correction2 = corrections
    learning_rate, l1, l2 = rates
    buffer1, buffer2 = buffers
    for p in range(lo, hi):
        g = grad[p] * scale
        if p < n_weights:
            if l1 != 0.0:
                g += l1 * np.sign(theta[p])
            g += l2 * theta[p]
        if rule == SGD:  # eqs. 30-31
            theta[p] -= learning_rate * g
        elif rule == MOMENTUM:  # v <- mu v + g; theta <- theta - eta v
            buffer1[p] = c1 * buffer1[p] + g
            theta[p] -= learning_rate * buffer1[p]
        else:  # Adam: c1, c2, c3 = beta1, beta2, eps
            buffer1[p] = c1 * buffer1[p] + (1.0 - c1) * g
            buffer2[p] = c2 * buffer2[p] + (1.0 - c2) * g * g
            theta[p] -= (
                (learning_rate / correction1)
                * buffer1[p]
                / (np.sqrt(buffer2[p] / correction2) + c3)
            )


def _epoch_holding_lock(
    theta, grad, widths, X, Y, order, m, forms, update, rates, buffers, t, scratch, limits
):
    """`_epoch`, compiled to keep the interpreter lock while it runs (see `train_epoch`)."""
    return _epoch(
        theta, grad, widths, X, Y, order, m, forms, update, rates, buffers, t, scratch, limits
    )


def _epoch(theta, grad, widths, X, Y, order, m, forms, update, rates, buffers, t, scratch, limits):
    """One epoch of mini-batch training; returns the rule's new step count t, or -1 as soon as
    a batch's inputs hold a NaN or an infinity (checked as they are gathered: the caller need
    not make a pass over X for it).

    forms = (hidden, hidden_alpha, output, output_alpha, cost, fused, clip): the activations'
    and the cost's codes; update = (rule, c1, c2, c3), the rule's code and constants, (mu, -, -) for
    momentum, (beta1, beta2, eps) for Adam; rates = (learning_rate, l1, l2); buffers = the
    rule's (buffer1, buffer2); scratch = room for the batch's z, delta, a and backpropagated
    sums (`scratch_size`); limits = (blas_min_weights, fold_min). A layer of at least
    `fold_min` multiply-adds a batch (m n_x n_h) takes its weights' SGD or momentum step inside
    eq. 15's GEMM, as `Optimizer.fold` does on the NumPy path: no dW array, no pass over it
    (not with L1, whose sign(W) term is not linear in the gradient).
    """
    hidden, hidden_alpha, output, output_alpha, cost, fused, clip = forms
    rule, c1, c2, c3 = update
    learning_rate, l1, l2 = rates
    buffer1, buffer2 = buffers
    blas_min_weights, fold_min = limits
    L = widths.size - 1
    n_weights = 0
    for l in range(L):
        n_weights += widths[l] * widths[l + 1]
    # Which layers fold their weights' step, and the parts of theta the step pass serves.
    folded = np.zeros(L, np.bool_)
    stepped = np.empty((L + 1, 2), np.int64)
    n_stepped, w_at = 0, 0
    for l in range(L):
        size = widths[l] * widths[l + 1]
        folded[l] = rule != ADAM and l1 == 0.0 and m * size >= fold_min
        if not folded[l]:
            stepped[n_stepped] = w_at, w_at + size
            n_stepped += 1
        w_at += size
    stepped[n_stepped] = n_weights, theta.size
    stepped = stepped[: n_stepped + 1]
    # z^l, delta^l (m, n_h); a^l and (W^(l+1))^T delta^(l+1) (m, n_x): views into the kept
    # scratch, so that no epoch pays page faults for fresh megabytes.
    starts = np.zeros(L + 2, np.int64)  # layer l's part of the scratch: 4 m widths[l] elements
    for l in range(L + 1):
        starts[l + 1] = starts[l] + 4 * m * widths[l]

    def part(l, k):  # the k-th (m, widths[l]) array of layer l's part
        at = starts[l] + k * m * widths[l]
        return scratch[at : at + m * widths[l]].reshape((m, widths[l]))

    A = [part(l, 0) for l in range(L + 1)]
    G = [part(l, 1) for l in range(L + 1)]
    Z = [part(l + 1, 2) for l in range(L)]
    D = [part(l + 1, 3) for l in range(L)]
    scale = 1.0 / m  # the 1/m of eqs. 30-31
    for start in range(0, order.size, m):
        rows = order[start : start + m]
        poison = 0.0  # + x * 0 for each input x gathered: NaN once one is NaN or infinite
        for i in range(m):
            row, gathered = X[rows[i]], A[0][i]
            for k in range(row.size):
                gathered[k] = row[k]
                poison += row[k] * 0.0
        if poison != 0.0:  # the caller's inputs were not checked: stop before using them
            return -1
        w_at, b_at = 0, n_weights
        for l in range(L):  # forward: eqs. 32-33
            n_x, n_h = widths[l], widths[l + 1]
            W = theta[w_at : w_at + n_h * n_x].reshape((n_h, n_x))
            a, z = A[l], Z[l]
            bias = theta[b_at : b_at + n_h]
            if n_x * n_h >= blas_min_weights:
                _blas_gemm(1.0, a, False, W, True, 0.0, z)  # z = a W^T; + b with phi
            else:
                for i in range(m):
                    for j in range(n_h):
                        s = bias[j]
                        for k in range(n_x):
                            s += a[i, k] * W[j, k]
                        z[i, j] = s
                bias = bias[:0]  # added already
            last = l == L - 1
            code, alpha = (output, output_alpha) if last else (hidden, hidden_alpha)
            _phi(code, alpha, z, A[l + 1], bias)
            w_at, b_at = w_at + n_h * n_x, b_at + n_h
        _output_error(
            cost, output, output_alpha, fused, A[L], Z[L - 1], Y, rows, G[L], D[L - 1], clip
        )
        for lo, hi in stepped:  # the gradient's parts that the step reads (not a folded dW)
            grad[lo:hi] = 0.0
        t += 1
        for i in range(m):
            for j in range(widths[L]):
                grad[b_at - widths[L] + j] += D[L - 1][i, j]  # eq. 14 of the output layer
        for l in range(L - 1, -1, -1):
            n_x, n_h = widths[l], widths[l + 1]
            w_at, b_at = w_at - n_h * n_x, b_at - n_h
            W = theta[w_at : w_at + n_h * n_x].reshape((n_h, n_x))
            dW = grad[w_at : w_at + n_h * n_x].reshape((n_h, n_x))
            delta, a, g = D[l], A[l], G[l]
            blas = n_x * n_h >= blas_min_weights
            if l > 0 and blas:  # eq. 13, (W^(l+1))^T delta^(l+1), before W takes its step
                _blas_gemm(1.0, delta, False, W, False, 0.0, g)
            elif l > 0:  # the same, as a sum of rows of W (contiguous)
                for i in range(m):
                    g[i] = 0.0
                    for j in range(n_h):
                        d = delta[i, j]
                        for k in range(n_x):
                            g[i, k] += d * W[j, k]
            if folded[l] and rule == SGD:  # W <- (1 - eta l2) W - eta delta^T a / m
                _blas_gemm(
                    -learning_rate * scale, delta, True, a, False, 1.0 - learning_rate * l2, W
                )
            elif folded[l]:  # v <- mu v + delta^T a / m, v += l2 W, W -= eta v
                V = buffer1[w_at : w_at + n_h * n_x].reshape((n_h, n_x))
                _blas_gemm(scale, delta, True, a, False, c1, V)
                for p in range(w_at, w_at + n_h * n_x):
                    if l2 != 0.0:
                        buffer1[p] += l2 * theta[p]
                    theta[p] -= learning_rate * buffer1[p]
            elif blas:
                _blas_gemm(1.0, delta, True, a, False, 0.0, dW)  # eq. 15, summed over the batch
            else:
                for i in range(m):
                    for j in range(n_h):
                        d = delta[i, j]
                        for k in range(n_x):
                            dW[j, k] += d * a[i, k]  # eq. 15
            if l > 0:  # eq. 13's o phi'(z), and eq. 14 of the layer below in the same pass
                _vjp(hidden, hidden_alpha, Z[l - 1], a, g, D[l - 1], grad[b_at - n_x : b_at])
        correction1 = 1.0 - c1**t
        correction2 = 1.0 - c2**t
        corrections = (correction1, correction2)
        for lo, hi in stepped:
            _step(
                theta, grad, lo, hi, n_weights, rule, c1, c2, c3, corrections, rates, scale, buffers
            )
    return t


# -- element-wise passes of large networks ------------------------------------------------------
# NumPy makes one pass over memory per operation (z + b, then max(z, 0); z > 0, then the
# product): in a large network the bias add, phi, phi' and the update cost a quarter of the
# epoch that way. Each pass here does its work in one. They compute exactly what the NumPy path
# computes, element by element and in the same order (no fused multiply-add, no reordering), so
# that a result does not depend on the array's size. They run on the calling thread: compiled
# with parallel=True, libgomp's spinning workers and OpenBLAS's fought over the cores and the
# next product ran up to 17x slower (docs/performance.md).

#: Activations whose passes here equal their NumPy form bit for bit (see `Activation`).
EXACT_PASSES = (RELU, LEAKY_RELU)
#: Elements from which the passes below are used: under it a compiled call saves too little.
LARGE_PASS = 1 << 15


def _bias_phi(code, alpha, z, b, a):
    """Eqs. 32-33 after the product z = a W^T: z <- z + b, a = phi(z), as NumPy's
    np.maximum(z, 0) for ReLU (alpha = 0; NaN propagates) or np.where(z > 0, z, alpha z)."""
    for i in range(z.shape[0]):
        for j in range(z.shape[1]):
            s = z[i, j] + b[j]
            z[i, j] = s
            low = alpha * s if code == LEAKY_RELU else alpha
            a[i, j] = s if s > 0 or s != s else low


def _vjp_in_place(code, alpha, z, g, sums):
    """Eq. 13's Hadamard product, g <- g o phi'(z), as NumPy's g * (z > 0) for ReLU (alpha = 0)
    or np.where(z > 0, g, alpha g) for leaky ReLU; with `sums` of g's width, eq. 14's column
    sums of the result too, added row after row as NumPy's np.add.reduce(g, axis=0) adds them."""
    with_sums = sums.size > 0
    if with_sums:
        sums[:] = 0.0
    for i in range(z.shape[0]):
        for j in range(z.shape[1]):
            value = g[i, j] if z[i, j] > 0 else alpha * g[i, j]
            g[i, j] = value
            if with_sums:
                sums[j] += value


def _sgd_step(theta, grad, eta):
    """Eqs. 30-31, theta <- theta - (eta grad), rounding eta grad first as NumPy's
    `theta -= eta * grad` does."""
    for p in range(theta.size):
        theta[p] = theta[p] - eta * grad[p]


_compiled = None
_holding = None
_passes = None
_compile_lock = threading.Lock()


def _compile() -> None:
    """Compile the epoch loop and the passes (cached on disk after the first time).

    Numba is imported here, not at the top, so that importing the engine stays quick for code
    that never trains (it is a declared dependency, always installed).
    """
    global _compiled, _holding, _passes, _phi, _vjp, _output_error, _step, _epoch
    from numba import njit

    _register_blas_gemm()
    # nogil: a server's other threads keep running. reassoc lets LLVM vectorise the dot
    # products (it may reorder a sum, as BLAS does); NaN and inf keep their meaning.
    jit = njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})
    _phi, _vjp, _output_error, _step = jit(_phi), jit(_vjp), jit(_output_error), jit(_step)
    _compiled = _epoch = jit(_epoch)
    # A function of its own, so that the disk cache keeps it apart (it keys by function).
    _holding = njit(cache=True, nogil=False)(_epoch_holding_lock)
    # The passes: no fastmath, so that they round as NumPy does.
    exact = njit(cache=True, nogil=True)
    _passes = SimpleNamespace(
        bias_phi=exact(_bias_phi), vjp_in_place=exact(_vjp_in_place), sgd_step=exact(_sgd_step)
    )


def compiled_epoch(release_lock: bool = True):
    """The compiled `_epoch` (Numba compiles it on first use): one that lets the process's
    other threads run Python while it computes, or, with `release_lock=False`, one that keeps
    the interpreter lock."""
    with _compile_lock:
        if _compiled is None:
            _compile()
    return _compiled if release_lock else _holding


def passes() -> SimpleNamespace:
    """The compiled passes of large networks: bias_phi, vjp_in_place, sgd_step."""
    with _compile_lock:
        if _passes is None:
            _compile()
    return _passes


def bias_phi(code: int, alpha: float, z: np.ndarray, b: np.ndarray, a: np.ndarray) -> None:
    """z <- z + b and a = phi(z) in place, for an activation of `EXACT_PASSES`."""
    passes().bias_phi(code, z.dtype.type(alpha), z, b, a)


def vjp_in_place(
    code: int, alpha: float, z: np.ndarray, g: np.ndarray, sums: np.ndarray | None = None
) -> None:
    """g <- g o phi'(z) in place, for an activation of `EXACT_PASSES`, and the column sums of
    the result into `sums` if it is given."""
    sums = np.zeros(0, g.dtype) if sums is None else sums
    passes().vjp_in_place(code, g.dtype.type(alpha), z, g, sums)


def sgd_step(theta: np.ndarray, grad: np.ndarray, learning_rate: float) -> None:
    """theta <- theta - learning_rate * grad in place (eta cast to theta's dtype, as NumPy casts
    a Python float)."""
    passes().sgd_step(theta, grad, theta.dtype.type(learning_rate))


# -- matrix products ---------------------------------------------------------------------------
# NumPy's and SciPy's wheels each bring their own OpenBLAS, each with its own threads, which spin
# for a while after a product. A product on one library's threads right after one on the
# other's waits for the spinning threads to be descheduled: on two cores, alternating the two
# made three products 9x slower (docs/performance.md). Every product that OpenBLAS would run
# on its threads therefore goes to one of them, SciPy's: the only one whose GEMM takes the
# beta of C <- alpha A B + beta C, which folds an update rule into eq. 15 (`gemm`). Its wrapper
# holds the GIL while the product runs (np.matmul releases it): other threads wait one product.

#: Multiply-adds (m n k) from which OpenBLAS runs a product on its threads (its
#: GEMM_MULTITHREAD_THRESHOLD, 4, times 65,536); smaller ones stay with NumPy, on this thread.
THREADED_PRODUCT = 4 * 65536

_gemm_routines = None


def gemm(
    alpha: float,
    A: np.ndarray,
    B: np.ndarray,
    beta: float,
    C: np.ndarray,
    transpose_a: bool = False,
    transpose_b: bool = False,
) -> np.ndarray:
    """C <- alpha op(A) op(B) + beta C in place (op(X) = X^T where asked), by SciPy's BLAS.

    C must be a C-contiguous array of float32 or float64 (a copy would be written instead);
    A and B are read in C's dtype.
    """
    global _gemm_routines
    if not C.flags.c_contiguous or C.dtype not in (np.float32, np.float64):
        raise ValueError("gemm writes into a C-contiguous float32 or float64 array")
    if _gemm_routines is None:
        from scipy.linalg import blas

        _gemm_routines = {np.dtype(np.float32): blas.sgemm, np.dtype(np.float64): blas.dgemm}
    # BLAS is column-major: C^T = op(B)^T op(A)^T, where X^T is the column-major view of X.
    _gemm_routines[C.dtype](
        alpha, B.T, A.T, beta, C.T, trans_a=transpose_b, trans_b=transpose_a, overwrite_c=1
    )
    return C


def product(
    A: np.ndarray,
    B: np.ndarray,
    out: np.ndarray | None = None,
    transpose_a: bool = False,
    transpose_b: bool = False,
) -> np.ndarray:
    """op(A) op(B), written into `out` if given: by SciPy's BLAS when OpenBLAS would run it on
    its threads (see above), else by NumPy's np.matmul on this thread."""
    left, right = (A.T if transpose_a else A), (B.T if transpose_b else B)
    (n, k), width = left.shape, right.shape[1]
    if n * k * width < THREADED_PRODUCT or (out is not None and not out.flags.c_contiguous):
        return np.matmul(left, right, out=out)
    if out is None:
        out = np.empty((n, width), np.result_type(A, B))
    return gemm(1.0, A, B, 0.0, out, transpose_a, transpose_b)


def scratch_size(widths: list[int], batch_size: int) -> int:
    """Elements `train_epoch` works in for batches of `batch_size`: four (batch_size, width)
    arrays for each width of `widths`, a^l, (W^(l+1))^T delta^(l+1), z^l and delta^l (the
    input's z and delta unused)."""
    return 4 * batch_size * sum(widths)


def train_epoch(
    theta: np.ndarray,
    grad: np.ndarray,
    widths: list[int],
    X: np.ndarray,
    Y: np.ndarray,
    order: np.ndarray,
    batch_size: int,
    epoch: Epoch,
    buffers: tuple[np.ndarray, ...],
    t: int,
    scratch: np.ndarray,
    release_lock: bool = True,
) -> int | None:
    """Run one epoch over the batches `order` (flattened), updating `theta` and the rule's
    `buffers` in place, working in `scratch` (`scratch_size(widths, batch_size)` elements of
    theta's dtype, kept by the caller from epoch to epoch); returns the rule's step count, or
    None if a row of X that a batch gathered holds a NaN or an infinity: the epoch stopped
    there, with theta and the buffers part-way (the caller restores them).

    Every constant is cast to theta's dtype, as NumPy casts a Python float that meets a float32
    array, so that a float32 epoch here rounds as the NumPy epoch does.

    The epoch lets the process's other threads run Python meanwhile; with `release_lock=False`
    it keeps the interpreter lock. Releasing it costs a handover to a waiting thread and back
    at every epoch: where a process has about one core for several threads that all want the
    lock (a server's worker with many sessions), a small network's short epoch does more
    training per CPU-second keeping it (docs/deploy.md, "Fourth session").
    """
    real = theta.dtype.type
    code, constants = epoch.rule
    c1, c2, c3 = (*constants, 0.0, 0.0, 0.0)[:3]
    empty = np.zeros(0, theta.dtype)
    buffer1, buffer2 = (*buffers, empty, empty)[:2]
    (hidden, hidden_alpha), (output, output_alpha) = epoch.hidden, epoch.output
    forms = (hidden, real(hidden_alpha), output, real(output_alpha), epoch.cost, epoch.fused)
    t = compiled_epoch(release_lock)(
        theta,
        grad,
        np.array(widths, dtype=np.int64),
        np.ascontiguousarray(X),
        np.ascontiguousarray(Y),
        order,
        batch_size,
        (*forms, real(np.finfo(theta.dtype).eps)),
        (code, real(c1), real(c2), real(c3)),
        (real(epoch.learning_rate), real(epoch.l1), real(epoch.l2)),
        (buffer1, buffer2),
        t,
        scratch,
        (BLAS_MIN_WEIGHTS, FOLD_MIN_WORK),
    )
    return None if t < 0 else t


def warm_up() -> None:
    """Compile (or load from the disk cache) the float64 loop, both the one that releases the
    interpreter lock and the one that keeps it, e.g. when a server starts."""
    theta = np.zeros(2)
    epoch = Epoch((RELU, 0.0), (LINEAR, 0.0), MSE, False, (SGD, ()), 0.01, 0.0, 0.0)
    for release_lock in (True, False):
        train_epoch(
            theta,
            np.zeros(2),
            [1, 1],
            np.zeros((2, 1)),
            np.zeros((2, 1)),
            np.arange(2),
            2,
            epoch,
            (),
            0,
            np.empty(scratch_size([1, 1], 2)),
            release_lock,
        )
