"""Update rules, kept apart from the gradient code: given nabla_theta C, change theta in place.

`theta` is every parameter of the model in one flat vector (the MLP keeps its W^l and b^l as
views into it) and `grad` its gradient, so one rule is a handful of whole-vector operations
whatever the depth of the network. The learning rate is a plain attribute and may be changed
between steps.
"""

import numpy as np

from .operations import lookup


class Optimizer:
    name: str
    #: Names of the per-parameter buffers the rule keeps between steps.
    buffers: tuple[str, ...] = ()

    def __init__(self, learning_rate: float):
        self.learning_rate = learning_rate
        self.t = 0
        for buffer in self.buffers:
            setattr(self, buffer, None)

    def update(self, theta: np.ndarray, grad: np.ndarray) -> None:
        """One step: count it, create the buffers at the first one, then apply the rule."""
        self.t += 1
        if self.buffers and getattr(self, self.buffers[0]) is None:
            for buffer in self.buffers:
                setattr(self, buffer, np.zeros_like(theta))
        self.apply(theta, grad)

    def apply(self, theta: np.ndarray, grad: np.ndarray) -> None:
        raise NotImplementedError

    def state_dict(self) -> dict:
        """The step count and buffers as JSON-ready lists."""
        state = {"t": self.t}
        for buffer in self.buffers:
            array = getattr(self, buffer)
            state[buffer] = None if array is None else array.tolist()
        return state

    def load_state_dict(self, state: dict, dtype, size: int) -> None:
        """Restore what `state_dict` returned for `size` parameters, or raise a ValueError."""
        t = state.get("t", 0)
        if isinstance(t, bool) or not isinstance(t, int) or t < 0:
            raise ValueError(f"optimizer_state: t must be an integer >= 0, got {t!r}")
        arrays = {}
        for buffer in self.buffers:
            array = state.get(buffer)
            if array is not None:
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

    def apply(self, theta, grad):
        theta -= self.learning_rate * grad


class Momentum(Optimizer):
    """Heavy ball, PyTorch's convention: v <- mu v + g; theta <- theta - eta v (mu = 0.9)."""

    name = "momentum"
    buffers = ("velocity",)
    mu = 0.9

    def apply(self, theta, grad):
        self.velocity *= self.mu
        self.velocity += grad
        theta -= self.learning_rate * self.velocity


class Adam(Optimizer):
    """Kingma and Ba (2015), bias-corrected: beta1 = 0.9, beta2 = 0.999, eps = 1e-8."""

    name = "adam"
    buffers = ("m", "v")
    beta1, beta2, eps = 0.9, 0.999, 1e-8

    def apply(self, theta, grad):
        self.m *= self.beta1
        self.m += (1.0 - self.beta1) * grad
        self.v *= self.beta2
        self.v += (1.0 - self.beta2) * grad * grad
        correction1 = 1.0 - self.beta1**self.t
        correction2 = 1.0 - self.beta2**self.t
        theta -= (
            (self.learning_rate / correction1) * self.m / (np.sqrt(self.v / correction2) + self.eps)
        )


OPTIMIZERS: dict[str, type[Optimizer]] = {cls.name: cls for cls in (SGD, Momentum, Adam)}


def get_optimizer(name: str, learning_rate: float) -> Optimizer:
    return lookup(OPTIMIZERS, name, "optimizer")(learning_rate)
