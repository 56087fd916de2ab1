"""Update rules, kept apart from the gradient code: given nabla_theta C, change theta in place.

`theta` is every parameter of the model in one flat vector (the MLP keeps its W^l and b^l as
views into it) and `grad` its gradient, so one rule is a handful of whole-vector operations
whatever the depth of the network. A rule's constants (mu, beta1, ...) are its constructor's
arguments; the learning rate is a plain attribute, set by the model, and may be changed
between steps.
"""

import numpy as np

from . import kernels
from .operations import build, finite


class Optimizer:
    name: str
    #: Names of the per-parameter buffers the rule keeps between steps.
    buffers: tuple[str, ...] = ()
    #: This class's code in `kernels`, the compiled epoch (None: it has no compiled form).
    kernel_code: int | None = None

    def __init__(self):
        self.learning_rate = 0.01
        self.t = 0
        for buffer in self.buffers:
            setattr(self, buffer, None)

    def hyperparameters(self) -> dict:
        """The constructor's arguments, e.g. {"mu": 0.9} for Momentum."""
        return {}

    def fresh(self) -> "Optimizer":
        """The same rule with the same constants and learning rate, before any step."""
        twin = type(self)(**self.hyperparameters())
        twin.learning_rate = self.learning_rate
        return twin

    def __repr__(self) -> str:
        arguments = ", ".join(f"{k}={v!r}" for k, v in self.hyperparameters().items())
        return f"{type(self).__name__}({arguments})"

    # -- the rule -----------------------------------------------------------------------------
    def update(self, theta: np.ndarray, grad: np.ndarray) -> None:
        """One step: count it, create the buffers at the first one, then apply the rule."""
        self.begin_step(theta)
        self.apply(theta, grad)

    def begin_step(self, theta: np.ndarray) -> None:
        """Count a step and create the buffers at the first one, before `apply` or `fold`."""
        self.t += 1
        self._create_buffers(theta)

    def _create_buffers(self, theta: np.ndarray) -> None:
        if self.buffers and getattr(self, self.buffers[0]) is None:
            for buffer in self.buffers:
                setattr(self, buffer, np.zeros_like(theta))

    def apply(self, theta: np.ndarray, grad: np.ndarray, part: slice = slice(None)) -> None:
        """The rule's step on `theta` with gradient `grad`: the parameters theta[part] of the
        model's vector (all of them by default), whose share of the buffers it uses."""
        raise NotImplementedError

    # -- the step folded into eq. 15's product -------------------------------------------------
    def folds(self) -> bool:
        """Whether `fold` can take a layer's step: only a class that defines it (a subclass may
        change `apply`)."""
        return "fold" in type(self).__dict__

    def fold(self, part: slice, W: np.ndarray, delta: np.ndarray, a: np.ndarray, l2: float) -> None:
        """The rule's step on the weights W = theta[part] of one layer, with dC/dW = delta^T a
        + l2 W (eq. 15 summed over the batch, delta carrying the 1/m of eqs. 30-31), taken
        inside that product: one GEMM writes the step without a dW array or a pass over it.

        It rounds as a GEMM does, not as `apply`'s `theta - eta * grad`, so that the model
        uses it only where the compiled epoch is not used, for networks too large for it.
        """
        raise NotImplementedError

    # -- the compiled epoch -------------------------------------------------------------------
    def compiled(self) -> tuple[int, tuple[float, ...]] | None:
        """(kernel code, constants) of this rule in the compiled epoch, or None.

        Only the class that declares a kernel_code has one: a subclass may change the rule.
        """
        code = type(self).__dict__.get("kernel_code")
        return None if code is None else (code, tuple(self.hyperparameters().values()))

    def lend_state(self, theta: np.ndarray) -> tuple[int, tuple[np.ndarray, ...]]:
        """The step count and the buffers (created if no step was taken yet), for a compiled
        epoch to advance in place; it hands the new step count back to `steps_taken`."""
        self._create_buffers(theta)
        return self.t, tuple(getattr(self, buffer) for buffer in self.buffers)

    def steps_taken(self, t: int) -> None:
        self.t = int(t)

    # -- state ----------------------------------------------------------------------------------
    def state_dict(self) -> dict:
        """The step count and buffers as JSON-ready lists."""
        state = {"t": self.t}
        for buffer in self.buffers:
            array = getattr(self, buffer)
            state[buffer] = None if array is None else array.tolist()
        return state

    def load_state_dict(self, state: dict, dtype, size: int) -> None:
        """Restore what `state_dict` returned for `size` parameters, or raise a ValueError."""
        if not isinstance(state, dict):
            raise ValueError("optimizer_state must be an object")
        t = state.get("t", 0)
        if isinstance(t, bool) or not isinstance(t, int) or t < 0:
            raise ValueError(f"optimizer_state: t must be an integer >= 0, got {t!r}")
        arrays = {}
        for buffer in self.buffers:
            array = state.get(buffer)
            if array is not None:
                if not isinstance(array, list) or len(array) != size:
                    raise ValueError(f"optimizer_state: {buffer} must be a list of {size} numbers")
                try:
                    array = np.array(array, dtype)
                except (TypeError, ValueError):
                    raise ValueError(f"optimizer_state: {buffer} must be numbers") from None
                if array.shape != (size,) or not np.isfinite(array).all():
                    raise ValueError(
                        f"optimizer_state: {buffer} must hold {size} finite numbers, "
                        f"got shape {array.shape}"
                    )
            arrays[buffer] = array
        self.t = t
        for buffer, array in arrays.items():
            setattr(self, buffer, array)

    def state_arrays(self) -> tuple:
        """A copy of the step count and buffers, to undo steps with `restore_arrays`."""
        copies = [getattr(self, b) for b in self.buffers]
        return self.t, [None if a is None else a.copy() for a in copies]

    def restore_arrays(self, saved: tuple) -> None:
        self.t, arrays = saved
        for buffer, array in zip(self.buffers, arrays, strict=True):
            setattr(self, buffer, array)


class SGD(Optimizer):
    """Eqs. 30-31: theta <- theta - eta * nabla_theta C, the gradient being the batch mean."""

    name = "sgd"
    kernel_code = kernels.SGD

    def apply(self, theta, grad, part=slice(None)):
        if theta.size >= kernels.LARGE_PASS:
            kernels.sgd_step(theta, grad, self.learning_rate)  # one pass
        else:
            theta -= self.learning_rate * grad

    def fold(self, part, W, delta, a, l2):
        """W <- (1 - eta l2) W - eta delta^T a: eqs. 30-31 with the L2 term, one GEMM."""
        eta = self.learning_rate
        kernels.gemm(-eta, delta, a, 1.0 - eta * l2, W, transpose_a=True)


class Momentum(Optimizer):
    """Heavy ball, PyTorch's convention: v <- mu v + g; theta <- theta - eta v."""

    name = "momentum"
    buffers = ("velocity",)
    kernel_code = kernels.MOMENTUM

    def __init__(self, mu: float = 0.9):
        self.mu = finite("mu", mu, 0.0, 1.0)
        super().__init__()

    def hyperparameters(self):
        return {"mu": self.mu}

    def apply(self, theta, grad, part=slice(None)):
        velocity = self.velocity[part]
        velocity *= self.mu
        velocity += grad
        theta -= self.learning_rate * velocity

    def fold(self, part, W, delta, a, l2):
        """v <- mu v + delta^T a (one GEMM), v += l2 W, then W -= eta v."""
        velocity = self.velocity[part].reshape(W.shape)
        kernels.gemm(1.0, delta, a, self.mu, velocity, transpose_a=True)
        if l2:
            velocity += l2 * W
        W -= self.learning_rate * velocity


class Adam(Optimizer):
    """Kingma and Ba (2015), bias-corrected, with their defaults for beta1, beta2 and eps."""

    name = "adam"
    buffers = ("m", "v")
    kernel_code = kernels.ADAM

    def __init__(self, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8):
        self.beta1 = finite("beta1", beta1, 0.0, 1.0)
        self.beta2 = finite("beta2", beta2, 0.0, 1.0)
        self.eps = finite("eps", eps, np.finfo(np.float64).tiny)
        super().__init__()

    def hyperparameters(self):
        return {"beta1": self.beta1, "beta2": self.beta2, "eps": self.eps}

    def apply(self, theta, grad, part=slice(None)):
        m, v = self.m[part], self.v[part]
        m *= self.beta1
        m += (1.0 - self.beta1) * grad
        v *= self.beta2
        v += (1.0 - self.beta2) * grad * grad
        correction1 = 1.0 - self.beta1**self.t
        correction2 = 1.0 - self.beta2**self.t
        theta -= (self.learning_rate / correction1) * m / (np.sqrt(v / correction2) + self.eps)


OPTIMIZERS: dict[str, type[Optimizer]] = {cls.name: cls for cls in (SGD, Momentum, Adam)}


def get_optimizer(rule: "str | dict | Optimizer", learning_rate: float) -> Optimizer:
    """A new rule, before any step: by name, from its JSON form ({"name": "momentum", "mu": 0.5},
    see `operations.build`), or as a fresh copy of an Optimizer (a model never shares the state
    of another's)."""
    if isinstance(rule, Optimizer):
        optimizer = rule.fresh()
    else:
        optimizer = build(OPTIMIZERS, rule, "optimizer")
    optimizer.learning_rate = learning_rate
    return optimizer
