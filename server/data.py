"""Where a run's data come from, and how the page shows them.

Three sources (`protocol.dataset_source`): the generated 2-D problems, the real data sets
bundled with scikit-learn, and the session's own `custom` set, drawn on the plane or uploaded
as CSV. Each is split and prepared by the engine's one pipeline (`mlp_engine.preparation`,
which the exported script calls too); here are the sources and the ranges the page plots.
"""

from dataclasses import dataclass, fields

import numpy as np

from mlp_engine.datasets import DATASETS, INPUT_RANGE, make_dataset
from mlp_engine.preparation import Prepared, Scaling, prepare
from mlp_engine.problems import problem_kind
from mlp_engine.tabular import Table, load_real, read_csv

from . import protocol
from .protocol import TrainConfig

#: The fewest drawn points that split into a training and a test set.
MIN_DRAWN = 2
#: Margin around tabular data's range in the decision view, as a share of the range.
RANGE_MARGIN = 0.1


class NoCustomData(ValueError):
    """A config asks for dataset "custom" before anything was drawn or uploaded."""


@dataclass(frozen=True)
class CustomData:
    """The session's own data set: a CSV upload or points drawn on the plane."""

    source: str  # "csv" or "drawn"
    name: str
    table: Table

    @property
    def plane(self) -> bool:
        """Drawn points lie on the input plane, so the input features apply to them."""
        return self.source == "drawn"

    def info(self) -> protocol.DataInfo:
        """The `data` message that answers the upload or drawing."""
        table = self.table
        return protocol.DataInfo(
            source=self.source,
            name=self.name,
            n_rows=len(table.y),
            n_inputs=table.X.shape[1],
            columns=list(table.columns),
            target=table.target,
            kind=table.kind,
            classes=list(table.classes),
        )


def csv_data(message: protocol.UploadCsv) -> CustomData:
    """An uploaded CSV as the custom data set; `CsvError` names the row and column at fault."""
    table = read_csv(message.csv, label=message.label, header=message.header, kind=message.kind)
    return CustomData("csv", message.name, table)


def drawn_data(message: protocol.Draw) -> CustomData:
    """Drawn points as the custom data set; a ValueError names the first point at fault."""
    if len(message.x) != len(message.y):
        raise ValueError(f"x has {len(message.x)} points but y has {len(message.y)} labels")
    if len(message.x) < MIN_DRAWN:
        raise ValueError(
            f"{len(message.x)} points drawn: draw at least {MIN_DRAWN}, some to train on "
            "and some to test with"
        )
    low, high = INPUT_RANGE
    n_classes = problem_kind(message.kind).n_classes(message.n_classes)
    for i, (point, label) in enumerate(zip(message.x, message.y, strict=True)):
        if not all(low <= value <= high for value in point):
            raise ValueError(f"point {i} {list(point)} is outside the plane [{low:g}, {high:g}]^2")
        if message.kind == "regression":
            if not np.isfinite(label):
                raise ValueError(f"point {i}: its target {label!r} is not a finite number")
        elif label not in range(n_classes):
            raise ValueError(f"point {i}: its class {label!r} is not one of 0..{n_classes - 1}")
    table = Table(
        X=np.array(message.x, dtype=np.float64).reshape(-1, 2),
        y=np.array(message.y, dtype=np.float64),
        columns=("x1", "x2"),
        target="target" if message.kind == "regression" else "class",
        kind=message.kind,
        classes=tuple(str(c) for c in range(n_classes)),
    )
    return CustomData("drawn", "drawn", table)


@dataclass(frozen=True)
class RunData:
    """A run's samples as the model takes them and as the page draws them."""

    source: str  # "generated", "real" or "custom"
    name: str
    kind: str
    columns: tuple[str, ...]  # the inputs' names, before features
    target: str  # the label or target column's name
    classes: tuple[str, ...]
    plane: bool
    X: np.ndarray  # the whole data set, raw, in its original order (for export)
    y: np.ndarray
    X_train: np.ndarray  # model inputs: features of plane data, standardised tabular data
    y_train: np.ndarray  # class indices (int) or targets (standardised for tabular data)
    X_test: np.ndarray
    y_test: np.ndarray
    shown_train: np.ndarray  # where the page draws each sample (see protocol.Points)
    shown_test: np.ndarray
    view: str  # "plane", "line" or "pca"
    x_range: tuple[float, float]
    y_range: tuple[float, float] | None
    scaling: Scaling | None = None
    explained_variance: tuple[float, float] | None = None

    @property
    def n_inputs(self) -> int:
        return self.X.shape[1]

    @property
    def metric(self) -> str:
        """The score the run reports: its problem kind's, whatever the cost."""
        return problem_kind(self.kind).metric


def _padded(values: np.ndarray) -> tuple[float, float]:
    """The range of tabular data's shown coordinates, with a margin to draw the boundary in."""
    low, high = float(values.min()), float(values.max())
    margin = RANGE_MARGIN * (high - low) or 1.0
    return low - margin, high + margin


def run_data(config: TrainConfig, custom: CustomData | None) -> RunData:
    """The data `config` asks for, split and prepared; a ValueError names what in `config`
    does not fit them (`TrainConfig.check_data`)."""
    source = config.source
    if source == "generated":
        spec = DATASETS[config.dataset]
        X, y = make_dataset(
            config.dataset, config.n_samples, config.noise, config.seed, config.n_classes
        )
        name, kind, plane = config.dataset, spec.kind, True
        columns = ("x1", "x2")[: spec.n_inputs]
        target = "target" if kind == "regression" else "label"
        n_classes = problem_kind(kind).n_classes(config.n_classes)
        classes = tuple(str(c) for c in range(n_classes))
    else:
        if source == "real":
            table, name, plane = load_real(config.dataset), config.dataset, False
        elif custom is None:
            raise NoCustomData("dataset: 'custom' needs data: draw points or upload a CSV first")
        else:
            table, name, plane = custom.table, custom.name, custom.plane
        X, y, kind = table.X, table.y, table.kind
        columns, target, classes = table.columns, table.target, table.classes
    config.check_data(kind, X.shape[1], len(y), plane=plane)
    features = config.features if plane else None
    prepared = prepare(X, y, kind, config.train_fraction, config.seed, features)
    if plane:
        x_range, y_range = INPUT_RANGE, INPUT_RANGE if X.shape[1] == 2 else None
    else:
        shown = np.concatenate([prepared.shown_train, prepared.shown_test])
        x_range = _padded(shown[:, 0])
        y_range = _padded(shown[:, 1]) if shown.shape[1] == 2 else None
    view = "line" if X.shape[1] == 1 else ("plane" if X.shape[1] == 2 else "pca")
    arrays = {part.name: getattr(prepared, part.name) for part in fields(Prepared)}
    return RunData(
        source=source, name=name, kind=kind, columns=columns, target=target, classes=classes,
        plane=plane, X=X, y=y, view=view, x_range=x_range, y_range=y_range, **arrays,
    )  # fmt: skip
