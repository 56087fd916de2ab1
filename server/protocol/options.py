"""What the page builds its menus and forms from (`GET /api/options`): the choices of every
field, TF Playground's rate ladders, the limits, the default config and the wire models' field
lists, all read from the models and the engine's registries."""

from typing import get_args

from mlp_engine.datasets import DATASETS, FEATURES, INPUT_RANGE, USES_X2
from mlp_engine.operations import ACTIVATIONS
from mlp_engine.optimizers import OPTIMIZERS
from mlp_engine.problems import PROBLEM_KINDS
from mlp_engine.tabular import CSV_LIMITS, REAL_DATASETS, TABULAR_KINDS

from .config import TrainConfig
from .fields import LIMITS, Regularization, dataset_source
from .messages import Set

# TensorFlow Playground's menus, kept so that its users find their way around.
LEARNING_RATES = [0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0]
REGULARIZATION_RATES = [0.0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0]


def options() -> dict:
    """What the front end builds its menus from (`GET /api/options`)."""
    return {
        "datasets": [
            {
                "name": s.name,
                "kind": s.kind,
                "n_inputs": s.n_inputs,
                "description": s.description,
                "source": dataset_source(s.name),
                "n_samples": getattr(s, "n_samples", None),
            }
            for s in (*DATASETS.values(), *REAL_DATASETS.values())
        ],
        "upload_limits": {
            "max_rows": CSV_LIMITS.max_rows,
            "max_columns": CSV_LIMITS.max_columns,
            "max_bytes": CSV_LIMITS.max_bytes,
        },
        "tabular_kinds": list(TABULAR_KINDS),
        "input_range": list(INPUT_RANGE),
        "features": list(FEATURES),
        "activations": list(ACTIVATIONS),
        "costs": {
            kind.name: {cost: list(outputs) for cost, outputs in kind.outputs.items()}
            for kind in PROBLEM_KINDS.values()
        },
        "output_defaults": {
            kind.name: [kind.output_activation, kind.cost] for kind in PROBLEM_KINDS.values()
        },
        "optimizers": list(OPTIMIZERS),
        "regularizations": list(get_args(Regularization)),
        "learning_rates": LEARNING_RATES,
        "regularization_rates": REGULARIZATION_RATES,
        "limits": {name: list(bounds) for name, bounds in LIMITS.items()},
        "defaults": TrainConfig().model_dump(),
        # The page's forms follow the wire models: which fields a run's `configure` carries,
        # which ones `set` changes live, and which features a one-input data set cannot build.
        "config_fields": list(TrainConfig.model_fields),
        "live_fields": [name for name in Set.model_fields if name != "type"],
        "uses_x2": [name for name in FEATURES if name in USES_X2],
    }
