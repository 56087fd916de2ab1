"""Write docs/protocol.md from the pydantic models of `server.protocol`.

`python -m server.protocol_docs > docs/protocol.md`; a test checks that the file is current.
"""

import inspect
import json

from pydantic import BaseModel

from . import protocol

INTRO = """# The `/ws/train` protocol

Generated from `server/protocol.py` by `python -m server.protocol_docs`; do not edit by hand.

One websocket connection is one training session with its own worker thread. Every message is
a JSON text message with a `type`; each `frame` is followed by exactly one binary message
holding its dense arrays (little-endian float32, laid out as its `arrays` say). A client sends
`configure` first; the server answers `ready` and the run's first frame (epoch 0). An `error`
never closes the connection: the session stays as it was and keeps working. Frames go out at
most about 30 times a second and always carry the latest state; the epochs trained between two
frames are all in the second one's `history`, so a loss curve has no gaps.

REST: `GET /api/health`, `GET /api/options` (datasets and their kinds, features, activations,
costs with their valid output activations, optimisers, regularisations, the learning-rate and
regularisation-rate ladders, every limit and the default config). Plotly.js is served at
`/vendor/plotly.min.js` from the installed `plotly` package.
"""

CLIENT_EXAMPLES = [
    {"type": "configure", "config": {"dataset": "xor", "hidden_layers": [4, 2]}},
    {"type": "play"},
    {"type": "pause"},
    {"type": "step", "epochs": 10},
    {"type": "reset"},
    {"type": "set", "learning_rate": 0.1, "speed": None},
    {"type": "probe", "index": 17},
    {"type": "set_weight", "layer": 0, "row": 1, "col": 0, "value": -0.5},
]

SERVER_EXAMPLES = {
    "Ready": {
        "type": "ready",
        "run": 1,
        "config": "{... the full TrainConfig, defaults filled in ...}",
        "kind": "binary",
        "n_inputs": 2,
        "layer_sizes": [2, 4, 2, 1],
        "metric": "accuracy",
        "train": {"x": [[1.2345, -3.0102], "..."], "y": [1, "..."]},
        "test": {"x": [[-0.5, 2.25], "..."], "y": [0, "..."]},
        "grid": {"x_range": [-6, 6], "y_range": [-6, 6], "resolution": 100, "thumbnail": 20},
    },
    "Frame": {
        "type": "frame",
        "run": 1,
        "epoch": 42,
        "state": "running",
        "train_loss": 0.21,
        "test_loss": 0.24,
        "metric": "accuracy",
        "train_metric": 0.93,
        "test_metric": 0.9,
        "epochs_per_second": 1210.5,
        "probe": 0,
        "history": {"epoch": [41, 42], "train_loss": [0.22, 0.21], "test_loss": [0.25, 0.24]},
        "arrays": [
            {"name": "input", "layer": None, "shape": [2], "offset": 0},
            {"name": "W", "layer": 0, "shape": [4, 2], "offset": 2},
            {"name": "...", "layer": 0, "shape": [], "offset": 10},
        ],
        "n_bytes": 49920,
    },
    "Status": {"type": "status", "state": "paused", "epoch": 42, "message": "paused"},
    "Error": {
        "type": "error",
        "code": "invalid_config",
        "message": "config.hidden_layers.1: Input should be less than or equal to 32",
        "details": [
            {
                "loc": ["configure", "config", "hidden_layers", "1"],
                "msg": "Input should be less than or equal to 32",
                "type": "less_than_equal",
            }
        ],
    },
}


def _type_name(schema: dict) -> str:
    if "anyOf" in schema:
        return " or ".join(_type_name(s) for s in schema["anyOf"])
    if "enum" in schema:
        return " \\| ".join(json.dumps(v) for v in schema["enum"])
    if "const" in schema:
        return json.dumps(schema["const"])
    if schema.get("type") == "array":
        return f"list of {_type_name(schema.get('items', {}))}"
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    return schema.get("type", "any")


def _bounds(schema: dict) -> str:
    parts = []
    for s in [schema, *schema.get("anyOf", []), schema.get("items", {})]:
        for key, symbol in (
            ("minimum", ">="),
            ("maximum", "<="),
            ("minItems", "items >="),
            ("maxItems", "items <="),
        ):
            if key in s:
                parts.append(f"{symbol} {s[key]}")
    return ", ".join(parts)


def model_section(model: type[BaseModel], example: dict | None) -> str:
    schema = model.model_json_schema()
    lines = [f"### `{model.__name__}`", "", inspect.cleandoc(model.__doc__ or ""), ""]
    lines += ["| field | type | default | limits | notes |", "|---|---|---|---|---|"]
    for name, field in schema.get("properties", {}).items():
        default = json.dumps(field["default"]) if "default" in field else "required"
        lines.append(
            f"| `{name}` | {_type_name(field)} | {default} | {_bounds(field)} "
            f"| {field.get('description', '')} |"
        )
    if example is not None:
        lines += ["", "```json", json.dumps(example, indent=None), "```"]
    return "\n".join(lines) + "\n"


def render() -> str:
    client = [
        protocol.Configure,
        protocol.Play,
        protocol.Pause,
        protocol.Step,
        protocol.Reset,
        protocol.Set,
        protocol.Probe,
        protocol.SetWeight,
    ]
    server = [protocol.Ready, protocol.Frame, protocol.Status, protocol.Error]
    parts = [INTRO, "## Client to server\n"]
    parts += [model_section(m, e) for m, e in zip(client, CLIENT_EXAMPLES, strict=True)]
    parts += ["## Server to client\n"]
    parts += [model_section(m, SERVER_EXAMPLES[m.__name__]) for m in server]
    parts += ["## Shared models\n"]
    parts += [
        model_section(m, None)
        for m in (
            protocol.TrainConfig,
            protocol.Points,
            protocol.Grid,
            protocol.History,
            protocol.ArraySpec,
        )
    ]
    return "\n".join(parts)


if __name__ == "__main__":
    print(render(), end="")
