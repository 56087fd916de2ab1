"""The wire's vocabulary: the names a field may take, the limits a bounded field is checked
against, and the strict base of what a client sends.

The names come from the engine's registries (data sets, features, activations, costs, update
rules, problem kinds), so that a new activation in `mlp_engine` is a valid name here at once.
"""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from mlp_engine.costs import COSTS
from mlp_engine.datasets import DATASETS, FEATURES, N_CLASSES_RANGE
from mlp_engine.operations import ACTIVATIONS
from mlp_engine.optimizers import OPTIMIZERS
from mlp_engine.problems import KINDS
from mlp_engine.tabular import REAL_DATASETS

LIMITS = {
    "n_samples": (10, 5000),
    "noise": (0.0, 0.5),
    "train_fraction": (0.1, 0.9),
    "seed": (0, 2**31 - 1),
    "resets": (0, 1_000_000),
    "hidden_layers": (0, 8),
    "neurons": (1, 32),
    "learning_rate": (1e-6, 10.0),
    "batch_size": (1, 5000),
    "regularization_rate": (0.0, 10.0),
    "n_classes": N_CLASSES_RANGE,
    "speed": (0.1, 100_000.0),
    "step_epochs": (1, 10_000),
    "grid_resolution": (10, 200),
    "weight": (-100.0, 100.0),
}

#: The data set a user drew or uploaded in this session (`draw`, `upload_csv`).
CUSTOM = "custom"
DatasetName = Literal[(*DATASETS, *REAL_DATASETS, CUSTOM)]
FeatureName = Literal[tuple(FEATURES)]
ActivationName = Literal[tuple(ACTIVATIONS)]
CostName = Literal[tuple(COSTS)]
OptimizerName = Literal[tuple(OPTIMIZERS)]
#: "l1" and "l2" name the engine's penalties (`server.run.penalties`).
Regularization = Literal["none", "l1", "l2"]
State = Literal["idle", "running", "paused", "diverged"]
Kind = Literal[KINDS]


def dataset_source(name: str) -> str:
    """Where a data set comes from: "generated" (the 2-D problems of TF Playground and a few
    more), "real" (bundled with scikit-learn) or "custom" (drawn or uploaded by the user)."""
    if name in DATASETS:
        return "generated"
    return "real" if name in REAL_DATASETS else "custom"


def bounds(name: str, **extra):
    """A field checked against `LIMITS[name]`."""
    low, high = LIMITS[name]
    return Field(ge=low, le=high, **extra)


class Strict(BaseModel):
    """Unknown fields and loose types (true for 1, "7" for 7) are refused, not guessed at: in
    what a client sends, and in the files and kept runs it brings (`model_file`, `run_state`)."""

    model_config = ConfigDict(extra="forbid", strict=True)
