"""The multilayer perceptron of Frazier (2022), "An Undergraduate's Explanation of the Multilayer
Perceptron", in NumPy and vectorised over the mini-batch.

    >>> from mlp_engine import MLP
    >>> model = MLP(n_x=2, n_h=4, n_y=1, cost="binary_crossentropy",
    ...             hidden_activation="tanh", output_activation="sigmoid", seed=0)
"""

from .costs import COSTS, Cost, get_cost
from .layers import INITIALIZERS, DenseLayer, glorot_uniform, he_uniform
from .mlp import MLP, LayerBackprop, TrainingDiverged
from .operations import ACTIVATIONS, Activation, LeakyReLU, Operation, get_activation
from .optimizers import OPTIMIZERS, SGD, Adam, Momentum, Optimizer
from .problems import PROBLEM_KINDS, ProblemKind, problem_kind

__all__ = [
    "ACTIVATIONS",
    "COSTS",
    "INITIALIZERS",
    "MLP",
    "OPTIMIZERS",
    "PROBLEM_KINDS",
    "SGD",
    "Activation",
    "Adam",
    "Cost",
    "DenseLayer",
    "LayerBackprop",
    "LeakyReLU",
    "Momentum",
    "Operation",
    "Optimizer",
    "ProblemKind",
    "TrainingDiverged",
    "get_activation",
    "get_cost",
    "glorot_uniform",
    "he_uniform",
    "problem_kind",
]
