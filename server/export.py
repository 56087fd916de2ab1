"""A run as files: the model as JSON, a Python script that trains it again, the data as CSV;
and a model JSON back into a run.

The model file is `MLP.to_dict`'s JSON, which `mlp_engine.MLP.load` reads, with the
playground's own record under "playground": the run's config, epoch and data description (and
the custom data set itself, as CSV), so that importing it restores the run.
"""

import json
import re

import numpy as np

from mlp_engine import MLP
from mlp_engine.tabular import read_csv, to_csv

from . import protocol
from .data import CustomData, drawn_data
from .protocol import TrainConfig

PLAYGROUND_FORMAT = "mlp-playground.run"


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-") or "data"


def _stem(run) -> str:
    return f"mlp-run{run.number}-{_slug(run.data.name)}-epoch{run.epoch}"


def _file(what: str, filename: str, media_type: str, content: str) -> dict:
    return protocol.ExportFile(
        what=what, filename=filename, media_type=media_type, content=content
    ).model_dump(mode="json")


def data_csv(run) -> str:
    """The run's whole data set, raw (before features and standardisation), as CSV."""
    data = run.data
    return to_csv(data.X, data.y, data.columns, data.target, data.classes)


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


def custom_from_record(saved) -> CustomData:
    """The custom data set of a model file (`custom_record`); a ValueError if it is broken."""
    if not isinstance(saved, dict) or saved.get("source") not in ("drawn", "csv"):
        raise ValueError("the file's run trained on custom data, but the data are missing")
    if saved["source"] == "drawn":
        fields = {key: saved.get(key) for key in ("x", "y", "kind", "n_classes")}
        return drawn_data(protocol.Draw.model_validate({"type": "draw", **fields}, strict=False))
    if not isinstance(saved.get("csv"), str):
        raise ValueError("the file's custom data have no CSV text")
    label, kind = saved.get("label", -1), saved.get("kind")
    table = read_csv(saved["csv"], label=label, header=True, kind=kind)
    return CustomData("csv", str(saved.get("name", "data.csv")), table)


def export_file(run, what: str) -> dict:
    """The `export` message for `what` ("model", "script" or "data")."""
    stem = _stem(run)
    if what == "model":
        return _file(what, f"{stem}.json", "application/json", json.dumps(model_dict(run)))
    if what == "script":
        return _file(what, f"{stem}.py", "text/x-python", script(run))
    return _file(what, f"{_slug(run.data.name)}.csv", "text/csv", data_csv(run))


def imported_run(model_json: dict, current, custom: CustomData | None):
    """What an `import_model` message asks for: (config, model, custom data set, epoch).

    A file the playground exported brings its config and custom data; a bare model (e.g.
    `MLP.save` in a notebook) goes on the current run's data, with the architecture, activations,
    cost and optimiser of the model. A ValueError says what does not fit.
    """
    model = MLP.from_dict(model_json)
    record = model_json.get("playground")
    if record is not None:
        if not isinstance(record, dict) or record.get("format") != PLAYGROUND_FORMAT:
            raise ValueError(f"'playground' is not a {PLAYGROUND_FORMAT} record")
        try:
            config = TrainConfig.model_validate(record.get("config"))
        except ValueError as error:
            raise ValueError(f"the file's config does not validate: {error}") from None
        if config.source == "custom":
            custom = custom_from_record((record.get("data") or {}).get("custom"))
        epoch = record.get("epoch", 0)
        if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch < 0:
            raise ValueError(f"the file's epoch must be an integer >= 0, got {epoch!r}")
        return config, model, custom, epoch
    if current is None:
        raise ValueError("a model without the playground's record needs a run to take its data")
    rate = model.l1 or model.l2
    config = current.config.model_copy(
        update={
            "hidden_layers": list(model.n_h),
            "activation": model.hidden_activation.name,
            "output_activation": model.output_activation.name,
            "cost": model.cost.name,
            "learning_rate": model.learning_rate,
            "optimizer": model.optimizer.name,
            "regularization": "l1" if model.l1 else ("l2" if model.l2 else "none"),
            "regularization_rate": rate,
        }
    )
    try:
        config = TrainConfig.model_validate(config.model_dump())
    except ValueError as error:
        raise ValueError(f"the model does not fit the current data: {error}") from None
    return config, model, current.custom, 0


def check_fits(model: MLP, run) -> None:
    """A ValueError unless `model` has the shape of `run`'s freshly built model."""
    expected = [run.model.n_x, *run.model.n_h, run.model.n_y]
    got = [model.n_x, *model.n_h, model.n_y]
    if got != expected:
        inputs = run.config.features if run.data.plane else run.data.columns
        raise ValueError(
            f"the model's layer sizes {got} do not fit this data and config, which need "
            f"{expected} (inputs: {', '.join(inputs)})"
        )


# -- the script --------------------------------------------------------------------------------
def _replay_lines(changes: list[tuple]) -> list[str]:
    """The run's live changes (`Run.changes`) and a function that makes them again."""
    if not changes:
        return []
    return [
        "# Changes made in the playground while the run trained, as (after epoch, what, where,",
        "# value): replayed between the same epochs, so the loss curve stays the same.",
        "CHANGES = [",
        *(f"    {change!r}," for change in changes),
        "]",
        "",
        "",
        "def replay(model, what, where, value):",
        '    if what in ("learning_rate", "l1", "l2"):',
        "        setattr(model, what, value)",
        '    else:  # "W" or "b" of layer where[0], at where[1:]',
        "        getattr(model.sequential[where[0]], what)[where[1:]] = value",
        "",
        "",
    ]


def _literal(value) -> str:
    return repr(value.tolist() if isinstance(value, np.ndarray) else value)


def _data_lines(run) -> list[str]:
    config, data = run.config, run.data
    if data.source == "generated":
        return [
            "from mlp_engine.datasets import feature_map, make_dataset, train_test_split",
            "",
            f"X, y = make_dataset({config.dataset!r}, {config.n_samples}, {config.noise!r}, "
            f"{config.seed}, {config.n_classes})",
        ]
    if data.source == "real":
        head = [f"table = load_real({config.dataset!r})"]
        imports = "load_real"
    elif data.plane:
        labels = data.y if data.kind == "regression" else data.y.astype(int)
        return [
            "from mlp_engine.datasets import feature_map, train_test_split",
            "",
            "# The points drawn in the playground",
            f"X = np.array({_literal(data.X)})",
            f"y = np.array({_literal(labels)})",
        ]
    else:
        saved = custom_record(run.custom)
        head = [
            f"DATA = {saved['csv']!r}",
            f"table = read_csv(DATA, label={saved['label']!r}, header=True, "
            f"kind={saved['kind']!r})",
        ]
        imports = "read_csv"
    lines = [
        "from mlp_engine.datasets import train_test_split",
        f"from mlp_engine.tabular import {imports}, standardize",
        "",
        *head,
        "X, y = table.X, table.y",
    ]
    if data.kind != "regression":
        lines.append("y = y.astype(np.int64)  # class indices")
    return lines


def script(run) -> str:
    """A Python script that rebuilds the run's data and model with `mlp_engine` and trains it
    for as many epochs as the run has, printing the loss curve the playground showed."""
    config, data, model = run.initial_config, run.data, run.model
    rate = config.regularization_rate
    lines = [
        f'"""Playground run {run.number}: {data.name} ({data.kind}), layers '
        f"{'-'.join(str(n) for n in [model.n_x, *model.n_h, model.n_y])}, "
        f"{run.epoch} epochs, rebuilt with mlp_engine.",
        "",
        "Run it with the mlp-playground package installed (or from its checkout). It trains the",
        "same network on the same data with the same seed and prints each epoch's training loss",
        "(the mean mini-batch cost of the epoch) and test loss: the playground's loss curve.",
        *(
            [
                "",
                f"The run began from a model file at epoch {run.imported_at}; this script trains",
                "from fresh weights, so its curve is the original run's only if that run began",
                "from fresh weights with this config too.",
            ]
            if run.imported_at
            else []
        ),
        '"""',
        "",
        "import numpy as np",
        "",
        "from mlp_engine import MLP",
        *_data_lines(run),
        "",
        f"raw_train, y_train, raw_test, y_test = train_test_split(X, y, "
        f"{config.train_fraction!r}, {config.seed})",
    ]
    if data.plane:
        lines += [
            f"FEATURES = {list(config.features)!r}",
            "X_train, X_test = feature_map(raw_train, FEATURES), feature_map(raw_test, FEATURES)",
        ]
    else:
        lines += [
            "# Inputs standardised with the training samples' mean and standard deviation",
            "X_train, mean, scale = standardize(raw_train)",
            "X_test = (raw_test - mean) / scale",
        ]
        if data.kind == "regression":
            lines += [
                "targets, target_mean, target_scale = standardize(y_train[:, None])",
                "y_train, y_test = targets[:, 0], (y_test - target_mean[0]) / target_scale[0]",
            ]
    lines += [
        "",
        "model = MLP(",
        f"    n_x={model.n_x},",
        f"    n_h={list(model.n_h)!r},",
        f"    n_y={model.n_y},",
        f"    learning_rate={config.learning_rate!r},",
        f"    cost={config.cost!r},",
        f"    hidden_activation={config.activation!r},",
        f"    output_activation={config.output_activation!r},",
        f"    optimizer={config.optimizer!r},",
        f"    l1={rate if config.regularization == 'l1' else 0.0!r},",
        f"    l2={rate if config.regularization == 'l2' else 0.0!r},",
        f"    seed={[config.seed, run.resets]!r},",
        ")",
        "Y_train = model.check_targets(y_train, len(y_train))",
        "Y_test = model.check_targets(y_test, len(y_test))",
        "",
        f"EPOCHS = {run.epoch}",
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
        f"    train_loss = model.train_epoch(X_train, Y_train, {config.batch_size}, epoch)",
        "    test_loss = model.loss(X_test, Y_test)",
        '    print(f"{epoch},{train_loss!r},{test_loss!r}")',
        'print("test:", model.evaluate(X_test, Y_test))',
        "",
    ]
    return "\n".join(lines)
