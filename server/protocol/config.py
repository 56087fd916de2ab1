"""`TrainConfig`: what a run trains (the data, the network and the optimiser), as `configure`
sends it and `ready`, `run_state` and the model files show it."""

from typing import Annotated

from pydantic import Field, model_validator

from mlp_engine.datasets import DATASETS, USES_X2, train_size
from mlp_engine.problems import PROBLEM_KINDS
from mlp_engine.tabular import REAL_DATASETS

from .fields import (
    LIMITS,
    ActivationName,
    CostName,
    DatasetName,
    FeatureName,
    OptimizerName,
    Regularization,
    Strict,
    bounds,
    dataset_source,
)


class TrainConfig(Strict):
    """What to train: the data, the network and the optimiser. Changing it starts a new run."""

    dataset: DatasetName = "circle"
    n_samples: int = bounds("n_samples", default=500)
    noise: float = bounds("noise", default=0.0)
    train_fraction: float = bounds("train_fraction", default=0.5)
    seed: int = bounds("seed", default=0)
    n_classes: int = bounds("n_classes", default=3, description="multi-class datasets only")
    features: list[FeatureName] = Field(default=["x1", "x2"], min_length=1, max_length=7)
    hidden_layers: list[Annotated[int, bounds("neurons")]] = Field(
        default=[4, 2], max_length=LIMITS["hidden_layers"][1]
    )
    activation: ActivationName = "tanh"
    output_activation: ActivationName | None = Field(None, description="null: by problem kind")
    cost: CostName | None = Field(None, description="null: by problem kind")
    learning_rate: float = bounds("learning_rate", default=0.03)
    batch_size: int = bounds("batch_size", default=10)
    optimizer: OptimizerName = "sgd"
    regularization: Regularization = "none"
    regularization_rate: float = bounds("regularization_rate", default=0.0)
    grid_resolution: int = bounds("grid_resolution", default=100)

    @property
    def source(self) -> str:
        return dataset_source(self.dataset)

    @property
    def spec(self):
        """The data set's `DatasetSpec` (generated) or `RealDatasetSpec` (real); None for custom
        data, known only once drawn or uploaded."""
        return DATASETS.get(self.dataset) or REAL_DATASETS.get(self.dataset)

    @property
    def kind(self) -> str | None:
        """The kind of problem, known from the name for generated and real data sets; a custom
        data set's is its own (`Ready.kind`)."""
        return self.spec.kind if self.spec else None

    def outputs(self, kind: str) -> tuple[str, str]:
        """(output activation, cost) of a run on a `kind` problem: the config's own, or those
        the kind gets by default (`mlp_engine.problems`)."""
        default = PROBLEM_KINDS[kind]
        return (self.output_activation or default.output_activation, self.cost or default.cost)

    def completed(self, kind: str) -> "TrainConfig":
        """A copy of this config with the output activation and cost a run on a `kind` problem
        uses filled in: what the run's record, its `ready` and its files show."""
        output, cost = self.outputs(kind)
        return self.model_copy(update={"output_activation": output, "cost": cost}, deep=True)

    @model_validator(mode="after")
    def _consistent(self) -> "TrainConfig":
        if len(set(self.features)) != len(self.features):
            raise ValueError("features: each feature may appear only once")
        spec, plane = self.spec, self.source == "generated"
        if spec is not None:  # custom data are checked when the run is built (`data.run_data`)
            n_samples = self.n_samples if plane else spec.n_samples
            self.check_data(spec.kind, spec.n_inputs, n_samples, plane=plane)
        return self

    def check_data(self, kind: str, n_inputs: int, n_samples: int, plane: bool) -> None:
        """Check the config against its data; a ValueError names the field that does not fit.

        `plane`: the data are points of the input plane, which the features map; other data
        (real and uploaded) go in as their own columns and `features` does not apply.
        """
        if plane and n_inputs == 1:
            two_d = [f for f in self.features if f in USES_X2]
            if two_d:
                raise ValueError(
                    f"features: {', '.join(two_d)} use x2, but {self.dataset!r} has only x1"
                )
        output, cost = self.outputs(kind)
        PROBLEM_KINDS[kind].check(cost, output)
        n_train = train_size(self.train_fraction, n_samples)
        if n_train < 1 or n_train >= n_samples:
            raise ValueError(
                f"train_fraction: {self.train_fraction:g} of {n_samples} samples leaves no "
                "training or no test samples"
            )
        if self.batch_size > n_train:
            raise ValueError(
                f"batch_size: {self.batch_size} is more than the {n_train} training samples"
            )
