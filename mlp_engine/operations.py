"""The paper's `Operation` (section 4.1) and its activation functions.

Every operation is vectorised: `z` is a batch of weighted inputs of shape (m, n_h), one row per
sample, as in eq. 34.
"""

from abc import ABC, abstractmethod

import numpy as np


def _float_type(z: np.ndarray) -> np.dtype:
    """z's own dtype if it is a float type, else float64."""
    return np.result_type(z.dtype, np.float32)


class Operation(ABC):
    """Abstract base of activations and costs (section 4.1): a `__call__` and its `derivative`."""

    name: str

    @abstractmethod
    def __call__(self, *args): ...

    @abstractmethod
    def derivative(self, *args): ...

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Activation(Operation):
    """phi(z) applied element-wise (eq. 33) and its derivative dphi/dz (eqs. 12-13)."""

    @abstractmethod
    def __call__(self, z: np.ndarray) -> np.ndarray: ...

    @abstractmethod
    def derivative(self, z: np.ndarray) -> np.ndarray: ...

    def vjp(self, z: np.ndarray, a: np.ndarray, grad: np.ndarray) -> np.ndarray:
        """Backpropagate `grad` = dC/da through phi: the Hadamard product of eqs. 12-13.

        `a` = phi(z) is passed so that activations whose derivative is a function of their
        output (sigmoid, tanh, softmax) need not evaluate phi again.
        """
        return grad * self.derivative(z)


class Sigmoid(Activation):
    """Eq. 20, evaluated without overflow for any z; eq. 21 for its derivative."""

    name = "sigmoid"

    def __call__(self, z):
        """1 / (1 + e^-z) = exp(-ln(1 + e^-z)), with ln(1 + e^-z) as NumPy's stable logaddexp."""
        return np.exp(-np.logaddexp(0.0, -z))

    def derivative(self, z):
        a = self(z)
        return a * (1.0 - a)

    def vjp(self, z, a, grad):
        return grad * a * (1.0 - a)


class Tanh(Activation):
    name = "tanh"

    def __call__(self, z):
        return np.tanh(z)

    def derivative(self, z):
        return 1.0 - np.tanh(z) ** 2

    def vjp(self, z, a, grad):
        return grad * (1.0 - a * a)


class ReLU(Activation):
    name = "relu"

    def __call__(self, z):
        return np.maximum(z, 0.0)

    def derivative(self, z):
        """1.0 where z > 0, else 0.0 (the subgradient 0 is taken at z = 0), as floats."""
        return (z > 0).astype(_float_type(z))

    def vjp(self, z, a, grad):
        return grad * (z > 0)  # a mask multiply: several times faster than np.where


class LeakyReLU(Activation):
    name = "leaky_relu"

    def __init__(self, alpha: float = 0.01):
        self.alpha = alpha

    def __call__(self, z):
        return np.where(z > 0, z, self.alpha * z)

    def derivative(self, z):
        return np.where(z > 0, 1.0, self.alpha).astype(_float_type(z))

    def vjp(self, z, a, grad):
        return np.where(z > 0, grad, self.alpha * grad)


class Linear(Activation):
    """phi(z) = z, the identity (the input layer's activation in the paper, a^0 = x)."""

    name = "linear"

    def __call__(self, z):
        return z

    def derivative(self, z):
        return np.ones_like(z)

    def vjp(self, z, a, grad):
        return grad


class Softmax(Activation):
    """a_j = exp(z_j) / sum_k exp(z_k), row by row.

    Its Jacobian da_j/dz_k = a_j (1[j = k] - a_k) is not diagonal, so the Hadamard form of
    eqs. 12-13 does not hold: `vjp` computes the exact Jacobian-vector product instead.
    """

    name = "softmax"

    def __call__(self, z):
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def derivative(self, z):
        """The full Jacobian, shape (m, n, n): diag(a) - a a^T for every sample."""
        a = self(z)
        return a[:, :, None] * np.eye(z.shape[1], dtype=z.dtype) - a[:, :, None] * a[:, None, :]

    def vjp(self, z, a, grad):
        """(da/dz)^T grad = a o (grad - <grad, a>), per sample."""
        return a * (grad - (grad * a).sum(axis=1, keepdims=True))


def log_softmax(z: np.ndarray) -> np.ndarray:
    """ln softmax(z), row by row, computed without overflow or log(0)."""
    shifted = z - z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


ACTIVATIONS: dict[str, type[Activation]] = {
    cls.name: cls for cls in (Sigmoid, Tanh, ReLU, LeakyReLU, Linear, Softmax)
}


def lookup(registry: dict, name, what: str):
    """registry[name], or a ValueError that lists the valid names."""
    if name not in registry:
        raise ValueError(f"unknown {what} {name!r}; valid names: {', '.join(sorted(registry))}")
    return registry[name]


def get_activation(name: "str | Activation") -> Activation:
    """The activation registered under `name` (an Activation instance passes through)."""
    if isinstance(name, Activation):
        return name
    return lookup(ACTIVATIONS, name, "activation")()
