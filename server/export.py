"""A run as files: the model as JSON, a Python script that trains it again, the data as CSV;
and a model JSON back into a run.

The model file is `MLP.to_dict`'s JSON, which `mlp_engine.MLP.load` reads, with the
playground's own record under "playground": the run's config, epoch and data description (and
the custom data set itself, as CSV), so that importing it restores the run. An imported file is
checked against the server's limits first (`model_file`).

The files carry what users named (a file name, column names, class labels), and a teacher may
run a student's script: the script's source never holds such a string except as a Python
literal written by `repr`, and the data CSV a person downloads is written for spreadsheets
(`to_csv(spreadsheet_safe=True)`), with no cell that a spreadsheet would run as a formula.
"""

import json
import re

from mlp_engine import MLP
from mlp_engine.tabular import to_csv

from . import protocol
from .data import CustomData, csv_data, drawn_data
from .model_file import PLAYGROUND_FORMAT, check_model_file
from .protocol import TrainConfig
from .run import RATE_CHANGES, Run, build_run, model_arguments, regularization_of


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-") or "data"


def _stem(run) -> str:
    return f"mlp-run{run.number}-{_slug(run.data.name)}-epoch{run.epoch}"


def _file(what: str, filename: str, media_type: str, content: str) -> protocol.ExportFile:
    return protocol.ExportFile(what=what, filename=filename, media_type=media_type, content=content)


def data_csv(run) -> str:
    """The run's whole data set, raw (before features and standardisation), as CSV for a
    spreadsheet: a name or label that would start a formula begins with a single quote."""
    data = run.data
    return to_csv(data.X, data.y, data.columns, data.target, data.classes, spreadsheet_safe=True)


def model_dict(run) -> dict:
    """`MLP.to_dict` of the run's model, with the playground's record of the run."""
    data = run.data
    record = {
        "format": PLAYGROUND_FORMAT,
        "config": run.config.model_dump(mode="json"),
        "epoch": run.epoch,
        "data": {
            "source": data.source,
            "name": data.name,
            "kind": data.kind,
            "columns": list(data.columns),
            "classes": list(data.classes),
            "scaling": data.scaling.to_dict() if data.scaling else None,
        },
    }
    if run.custom is not None:
        record["data"]["custom"] = custom_record(run.custom)
    return {**run.model.to_dict(), "playground": record}


def custom_record(custom: CustomData) -> dict:
    """The custom data set as the model file keeps it: drawn points as they were sent, an
    upload as CSV (`to_csv`, which `read_csv` reads back equal)."""
    table = custom.table
    if custom.plane:
        return {
            "source": "drawn",
            "x": table.X.tolist(),
            "y": table.y.tolist(),
            "kind": table.kind,
            "n_classes": max(table.n_classes, 2),
        }
    return {
        "source": "csv",
        "name": custom.name,
        "csv": to_csv(table.X, table.y, table.columns, table.target, table.classes),
        "label": table.target,
        "kind": "regression" if table.kind == "regression" else "classification",
    }


def export_file(run, what: str) -> protocol.ExportFile:
    """The `export` message for `what` ("model", "script" or "data")."""
    stem = _stem(run)
    if what == "model":
        return _file(what, f"{stem}.json", "application/json", json.dumps(model_dict(run)))
    if what == "script":
        return _file(what, f"{stem}.py", "text/x-python", script(run))
    return _file(what, f"{_slug(run.data.name)}.csv", "text/csv", data_csv(run))


def imported_run(
    model_json: dict, current, custom: CustomData | None, max_parameters: int | None = None
):
    """What an `import_model` message asks for: (config, model, custom data set, epoch).

    A file the playground exported brings its config and custom data; a bare model (e.g.
    `MLP.save` in a notebook) goes on the current run's data, with the architecture, activations,
    cost and optimiser of the model. A ValueError says what does not fit; nothing is built
    before the file is known to be within the server's limits (`check_model_file`).
    """
    record = check_model_file(model_json, max_parameters).playground
    model = MLP.from_dict(model_json)
    if record is not None:
        if record.config.source == "custom":
            custom = _custom_data(record.data.custom)
        return record.config, model, custom, record.epoch
    if current is None:
        raise ValueError("a model without the playground's record needs a run to take its data")
    regularization, rate = regularization_of(model)
    config = current.config.model_copy(
        update={
            "hidden_layers": list(model.n_h),
            "activation": model.hidden_activation.name,
            "output_activation": model.output_activation.name,
            "cost": model.cost.name,
            "learning_rate": model.learning_rate,
            "optimizer": model.optimizer.name,
            "regularization": regularization,
            "regularization_rate": rate,
        }
    )
    try:
        config = TrainConfig.model_validate(config.model_dump())
    except ValueError as error:
        raise ValueError(f"the model does not fit the current data: {error}") from None
    return config, model, current.custom, 0


def run_from_model_file(
    model_json: dict,
    current: Run | None,
    custom: CustomData | None,
    number: int,
    max_parameters: int | None = None,
) -> tuple[Run, CustomData | None]:
    """Run `number` from a model file (`import_model`): built from the file's config (or the
    current run's, for a bare model) and going on from the model's weights, optimiser state and
    random generator at the file's epoch; with the custom data set the file brings (else
    `custom`, the session's). A ValueError says what does not fit, and nothing changes."""
    config, model, custom, epoch = imported_run(model_json, current, custom, max_parameters)
    run = build_run(config, number, 0, custom, max_parameters)
    check_fits(model, run)
    run.model.continue_from(model)
    run.epoch = run.imported_at = epoch
    return run, custom


def _custom_data(saved) -> CustomData:
    """The custom data set of a model file's record (`custom_record`, checked by
    `model_file.RunData`), read as the upload or drawing it was."""
    if saved is None:
        raise ValueError(
            "the model file's playground.data.custom: the run trained on custom data (its "
            "config's dataset), but the file holds none"
        )
    try:
        return csv_data(saved) if saved.source == "csv" else drawn_data(saved)
    except ValueError as error:
        raise ValueError(f"the model file's playground.data.custom: {error}") from None


def check_fits(model: MLP, run) -> None:
    """A ValueError unless `model` has the shape and update rule of `run`'s freshly built model
    (the run takes the model's weights and the rule's state)."""
    expected = [run.model.n_x, *run.model.n_h, run.model.n_y]
    got = [model.n_x, *model.n_h, model.n_y]
    if got != expected:
        inputs = run.config.features if run.data.plane else run.data.columns
        raise ValueError(
            f"the model's layer sizes {got} do not fit this data and config, which need "
            f"{expected} (inputs: {', '.join(inputs)})"
        )
    if model.optimizer.name != run.model.optimizer.name:
        raise ValueError(
            f"the model's optimizer {model.optimizer.name!r} is not its run's config's "
            f"{run.model.optimizer.name!r}"
        )
    for part in ("hidden_activation", "output_activation", "optimizer"):
        theirs, ours = getattr(model, part), getattr(run.model, part)
        if theirs.hyperparameters() != ours.hyperparameters():
            raise ValueError(
                f"the model's {part} is {theirs!r}; the playground trains with {ours!r} and "
                "would not go on as the model did"
            )


# -- the script --------------------------------------------------------------------------------
# Every value enters the script's source as `_literal(value)`, a Python literal, never as text
# of its own: a user's name could otherwise close a string or the docstring and run code on the
# machine of whoever runs the script. The docstring and comments hold prose and integers only.
def _literal(value) -> str:
    """`value` as the Python literal that evaluates to it (arrays as nested lists)."""
    return repr(value.tolist() if hasattr(value, "tolist") else value)


def _replay_lines(changes: list[tuple]) -> list[str]:
    """The run's live changes (`Run.changes`) and a function that makes them again."""
    if not changes:
        return []
    return [
        "# Changes made in the playground while the run trained, as (after epoch, what, where,",
        "# value): replayed between the same epochs, so the loss curve stays the same.",
        "CHANGES = [",
        *(f"    {_literal(change)}," for change in changes),
        "]",
        "",
        "",
        "def replay(model, what, where, value):",
        f"    if what in {_literal(RATE_CHANGES)}:",
        "        setattr(model, what, value)",
        '    else:  # "W" or "b" of layer where[0], at where[1:]',
        "        getattr(model.sequential[where[0]], what)[where[1:]] = value",
        "",
        "",
    ]


def _data_lines(run) -> tuple[str | None, list[str]]:
    """The import (if any) and the lines that rebuild the run's whole data set, raw, as X, y."""
    config, data = run.config, run.data
    if data.source == "generated":
        arguments = (config.dataset, config.n_samples, config.noise, config.seed, config.n_classes)
        return "from mlp_engine.datasets import make_dataset", [
            f"X, y = make_dataset({', '.join(map(_literal, arguments))})",
        ]
    if data.plane:
        return None, [
            "# The points drawn in the playground",
            f"X = {_literal(data.X)}",
            f"y = {_literal(data.y)}",
        ]
    if data.source == "real":
        return "from mlp_engine.tabular import load_real", [
            f"table = load_real({_literal(config.dataset)})",
            "X, y = table.X, table.y",
        ]
    saved = custom_record(run.custom)
    return "from mlp_engine.tabular import read_csv", [
        f"DATA = {_literal(saved['csv'])}",
        f"table = read_csv(DATA, label={_literal(saved['label'])}, header=True, "
        f"kind={_literal(saved['kind'])})",
        "X, y = table.X, table.y",
    ]


def _docstring(run, model) -> list[str]:
    """Prose and integers (`:d` refuses anything else); the data set's name is `DATA_NAME`."""
    widths = "-".join(f"{n:d}" for n in [model.n_x, *model.n_h, model.n_y])
    lines = [
        f'"""Playground run {run.number:d}: layers {widths}, {run.epoch:d} epochs, rebuilt with '
        "mlp_engine.",
        "",
        "Run it with the mlp-playground package installed (or from its checkout). It trains the",
        "same network on the same data with the same seed and prints each epoch's training loss",
        "(the mean mini-batch cost of the epoch) and test loss: the playground's loss curve.",
    ]
    if run.imported_at:
        lines += [
            "",
            f"The run began from a model file at epoch {run.imported_at:d}; this script trains",
            "from fresh weights, so its curve is the original run's only if that run began",
            "from fresh weights with this config too.",
        ]
    return [*lines, '"""']


def _classes_with_constants(model) -> list[str]:
    """The engine classes the script constructs (those of `_part`'s constructor calls)."""
    parts = (model.hidden_activation, model.output_activation, model.optimizer)
    return sorted({type(part).__name__ for part in parts if part.hyperparameters()})


def _part(thing) -> str:
    """An activation or update rule as the script passes it to `MLP`: its name, or its
    constructor call when it has hyperparameters (`Momentum(mu=0.9)`)."""
    constants = thing.hyperparameters()
    if not constants:
        return _literal(thing.name)
    arguments = ", ".join(f"{key}={_literal(value)}" for key, value in constants.items())
    return f"{type(thing).__name__}({arguments})"


def script(run) -> str:
    """A Python script that rebuilds the run's data and model with `mlp_engine` and trains it
    for as many epochs as the run has, printing the loss curve the playground showed."""
    config, data, model = run.initial_config, run.data, run.model
    # The arguments the playground built the run's model with (`server.run`), as literals.
    arguments = {
        name: _literal(value) for name, value in model_arguments(config, data, run.resets).items()
    }
    data_import, data_lines = _data_lines(run)
    imports = [
        f"from mlp_engine import {', '.join(['MLP', *_classes_with_constants(model)])}",
        *([data_import] if data_import else []),
        "from mlp_engine.preparation import prepare",
    ]
    features = list(config.features) if data.plane else None
    lines = [
        *_docstring(run, model),
        "",
        *sorted(imports),
        "",
        *data_lines,
        "",
        "# The data set the run trained on, and its kind of problem",
        f"DATA_NAME = {_literal(data.name)}",
        f"PROBLEM = {_literal(data.kind)}",
        "",
        "# Split, then the input features (plane data) or standardisation (tabular data): the",
        "# playground's own pipeline",
        f"prepared = prepare(X, y, PROBLEM, {_literal(config.train_fraction)}, "
        f"{_literal(config.seed)}, features={_literal(features)})",
        "X_train, y_train = prepared.X_train, prepared.y_train",
        "X_test, y_test = prepared.X_test, prepared.y_test",
        "",
        "model = MLP(",
        *(
            f"    {name}={arguments[name]},"
            for name in ("n_x", "n_h", "n_y", "learning_rate", "cost")
        ),
        f"    hidden_activation={_part(model.hidden_activation)},",
        f"    output_activation={_part(model.output_activation)},",
        f"    optimizer={_part(model.optimizer)},",
        *(f"    {name}={arguments[name]}," for name in ("l1", "l2", "seed", "metric")),
        ")",
        "Y_train = model.check_targets(y_train, len(y_train))",
        "Y_test = model.check_targets(y_test, len(y_test))",
        "",
        f"EPOCHS = {_literal(run.epoch)}",
        f"BATCH_SIZE = {_literal(config.batch_size)}",
        *_replay_lines(run.changes),
        'print("epoch,train_loss,test_loss")',
        "for epoch in range(1, EPOCHS + 1):",
        *(
            [
                "    for after, what, where, value in CHANGES:",
                "        if after == epoch - 1:",
                "            replay(model, what, where, value)",
            ]
            if run.changes
            else []
        ),
        "    train_loss = model.train_epoch(X_train, Y_train, BATCH_SIZE, epoch)",
        "    test_loss = model.loss(X_test, Y_test)",
        '    print(f"{epoch},{train_loss!r},{test_loss!r}")',
        'print("test:", model.evaluate(X_test, Y_test))',
        "",
    ]
    return "\n".join(lines)
