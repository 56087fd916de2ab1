"""The kinds of problem the playground learns, and what each one trains with.

A binary problem has one output, the probability of class 1; a multi-class problem one output
per class, scored against one-hot targets; a regression problem one output, the target itself.
Each kind names the output activation and cost it gets unless told otherwise, the (cost, output
activation) pairs that can learn it, and the score reported beside the cost.

The pairs are stated here rather than found by building models: a cost's own rule (the
cross-entropies need outputs in (0, 1), `Cost.valid_outputs`) says what the engine can compute,
while a kind also rules out what computes but cannot learn it (see `PROBLEM_KINDS`).
"""

from collections.abc import Mapping
from dataclasses import dataclass

from .operations import ACTIVATIONS, lookup

#: mse measures the distance to any output, so every output activation goes with it.
_EVERY_OUTPUT = tuple(ACTIVATIONS)


@dataclass(frozen=True)
class ProblemKind:
    """One kind of problem: its default output activation and cost, its valid pairs, its score."""

    name: str
    output_activation: str
    cost: str
    metric: str  # the score `MLP.evaluate` reports beside the cost: "accuracy" or "r2"
    outputs: Mapping[str, tuple[str, ...]]  # cost -> the output activations that learn with it

    def __post_init__(self):
        self.check(self.cost, self.output_activation)

    def valid_outputs(self, cost: str) -> tuple[str, ...]:
        """The output activations that learn this kind with `cost`; () if the cost does not."""
        return self.outputs.get(cost, ())

    def check(self, cost: str, output_activation: str) -> None:
        """A ValueError, naming the cost or the output activation, unless the pair learns this
        kind of problem."""
        if cost not in self.outputs:
            raise ValueError(
                f"cost: {cost!r} does not fit a {self.name} problem; "
                f"choose one of {', '.join(self.outputs)}"
            )
        valid = self.outputs[cost]
        if output_activation not in valid:
            raise ValueError(
                f"output_activation: {output_activation!r} does not fit cost {cost!r} "
                f"on a {self.name} problem; choose one of {', '.join(valid)}"
            )

    def n_classes(self, multiclass: int) -> int:
        """The classes of a problem of this kind: 2 if binary, `multiclass` if multi-class, 0
        (targets, not classes) for regression; `kind_of` is its inverse."""
        return {"binary": 2, "multiclass": multiclass, "regression": 0}[self.name]

    def n_outputs(self, n_classes: int) -> int:
        """n_y, the network's outputs: one per class of a multi-class problem, else one."""
        return n_classes if self.name == "multiclass" else 1


PROBLEM_KINDS: dict[str, ProblemKind] = {
    kind.name: kind
    for kind in (
        # One output: softmax over it is the constant 1, and categorical cross-entropy on it
        # ignores the samples labelled 0.
        ProblemKind(
            "binary",
            "sigmoid",
            "binary_crossentropy",
            "accuracy",
            {
                "mse": tuple(name for name in _EVERY_OUTPUT if name != "softmax"),
                "binary_crossentropy": ("sigmoid",),
            },
        ),
        ProblemKind(
            "multiclass",
            "softmax",
            "categorical_crossentropy",
            "accuracy",
            {
                "mse": _EVERY_OUTPUT,
                "binary_crossentropy": ("sigmoid", "softmax"),
                "categorical_crossentropy": ("sigmoid", "softmax"),
            },
        ),
        # Targets leave [0, 1], where the cross-entropies are not defined.
        ProblemKind("regression", "linear", "mse", "r2", {"mse": _EVERY_OUTPUT}),
    )
}
KINDS = tuple(PROBLEM_KINDS)


def problem_kind(name: str) -> ProblemKind:
    """The kind registered under `name`, or a ValueError listing the kinds."""
    return lookup(PROBLEM_KINDS, name, "problem kind")


def kind_of(n_classes: int) -> str:
    """The kind of a problem with `n_classes` classes: 0 (targets) is regression, 2 binary, 3 or
    more multi-class; a single class is no problem to learn."""
    if n_classes == 0:
        return "regression"
    if n_classes == 2:
        return "binary"
    if n_classes >= 3:
        return "multiclass"
    raise ValueError(f"{n_classes} classes: classification needs 2 or more (regression 0)")
