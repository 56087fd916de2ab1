"""Write docs/protocol.md from the protocol's models: `CLIENT_MESSAGES`, `SERVER_MESSAGES` and
the `PARTS` they are made of, each with its docstring, its fields and an example.

`python -m server.protocol.docs > docs/protocol.md`; a test checks that the file is current.
"""

import inspect
import json

from pydantic import BaseModel

from .messages import CLIENT_MESSAGES, message_type
from .replies import PARTS, SERVER_MESSAGES

INTRO = """# The `/ws/train` protocol

Generated from `server/protocol/` by `python -m server.protocol.docs`; do not edit by hand.

One websocket connection is one training session. Every message is a JSON text message with
a `type`, but for frames: a `frame` is one binary message holding its JSON part and its dense
arrays, in that order: 4 bytes, a little-endian uint32 h; h bytes of JSON text (the `frame`
below: ASCII, padded with spaces to a multiple of 4); then the arrays, little-endian float32
laid out as its `arrays` say (`n_bytes` bytes). A client sends
`configure` first; the server answers `ready` and the run's first frame (epoch 0). An `error`
never closes the connection: the session stays as it was and keeps working. Frames go out at
most about 30 times a second and always carry the latest state; the epochs trained between two
frames are summed up in the second one's `history` (the last, the lowest and the highest
losses), so a loss curve has no gaps and hides no spike. The page draws the decision boundary
and the neurons' maps itself, from the frame's weights over the `ready` message's `grid`: a
frame is a few kilobytes.

REST: `GET /api/health`, `GET /api/options` (datasets and their kinds, features, activations,
costs with their valid output activations, optimisers, regularisations, the learning-rate and
regularisation-rate ladders, every limit and the default config, and the server's caps under
`server_limits`). `GET /api/health` answers
`{"status": "ok", "version": ..., "pid": ..., "sessions": ...}`: the pid of the worker process
that answered and the sessions it runs (a closed tab's until its worker has stopped). Plotly.js
is served at `/vendor/plotly.min.js` from the installed `plotly` package.

## Limits and security

The caps are in `server_limits` of `/api/options` and set with `mlp-playground`'s flags or
`MLP_PLAYGROUND_*` variables (server/settings.py). A message larger than `max_message_bytes`
(`max_upload_bytes` for the messages that carry a file: `upload_csv`, `draw`, `import_model`,
`resume`)
gets `error` `message_too_large`; more than `messages_per_second` messages (bursts of
`message_burst`), more than `message_bytes_per_second` bytes (bursts of `max_upload_bytes`: one
largest upload at once), or more than 32 commands waiting for the session's worker get `error`
`rate_limited` naming the limit and are dropped unparsed (one error per run of dropped
messages); the connection stays open in these cases. A client whose unread replies pass
`max_outbox_bytes` (or 1,000 replies) is closed with code 1008. When `max_sessions` sessions are
running, the next connection is closed with code 1013; a session counts (also in
`/api/health`'s `sessions`) until its worker has stopped, which a disconnect makes happen at
once: queued commands are dropped, training and a gradient check stop, a command under way
finishes. A session without a client message for `idle_seconds` while not training is closed
with code 1000. All of a run's work (training, building the run, `inspect`, `gradcheck`,
`export`, `upload_csv`, `draw`) is charged to its `compute_seconds`: once spent, training
pauses with a `status` that says why and those commands get `error` `rate_limited`; `reset`,
`configure` or `import_model` start a run with a new budget.

A browser connection (one with an `Origin` header) is refused, closed with code 1008, unless
its origin is the server's own (its host and port are the request's `Host`, when that Host is
one the server serves: docs/deploy.md, "Host names and origins"; a request for any other Host
is answered 400),
`http://localhost:PORT` or `http://127.0.0.1:PORT` for the server's port, or one given with
`--allowed-origin` (`*`: any). Connections without `Origin` are let in: cross-site websocket
hijacking needs a victim's browser, and browsers always send `Origin`. No client input reaches
a file path or `eval`: messages are validated against the models below, and model files are
JSON, never pickle.

## Runs that survive the server

A session lives in one server process; the page keeps its run. A client that sends
`keep_state` (the page does, first, on every connection) gets a `run_state` at least every 2
seconds while a run trains (every 1.5 s), and at once when a run begins, pauses, ends or
changes (a new rate, an edited weight, a new probe): the run's model file, its custom data (in
a run's first state only), the changes made while it trained and where it stood. The page holds
the latest in memory and in the tab's `sessionStorage`. When its connection opens again, on the
same server restarted, on another backend behind a load balancer, or after a reload of the
tab, it sends `resume` with that state and its loss history instead of a `configure`; the run
carries on with its number, at the kept epoch, with the same weights, optimiser state and batch
order (the random generator's state travels too), training if it was. A `resume` is checked as
strictly as `import_model` (its model is a model file, read by the same code) and against the
run's own record; it can do nothing an import or a configure could not. An `error`
`bad_resume` names what does not fit and changes nothing; the page says so in words and offers
the kept run as a model file.

On SIGTERM (a deploy, a restart) the server sends every page `restarting` and its run's final
`run_state`, waits until they are written (3 s at most), then closes the connections with code
1012; the page shows "server restarting, your run is kept" and resumes once a server answers.
"""

# One example of each of `CLIENT_MESSAGES`, found by its type.
CLIENT_EXAMPLES = [
    {"type": "configure", "config": {"dataset": "xor", "hidden_layers": [4, 2]}},
    {"type": "play"},
    {"type": "pause"},
    {"type": "step", "epochs": 10},
    {"type": "reset"},
    {"type": "set", "learning_rate": 0.1, "speed": None},
    {"type": "probe", "index": 17},
    {"type": "set_weight", "layer": 0, "row": 1, "col": 0, "value": -0.5},
    {"type": "inspect"},
    {"type": "gradcheck"},
    {"type": "layer_space", "layer": 0, "neurons": [0, 2]},
    {"type": "upload_csv", "name": "mine.csv", "csv": "a,b,label\n0.5,1.2,yes\n...", "label": -1},
    {"type": "draw", "x": [[1.5, -2.0], [-3.0, 0.5]], "y": [0, 1], "kind": "binary"},
    {"type": "export", "what": "model"},
    {"type": "import_model", "model": {"format": "mlp_engine.MLP", "version": 1, "...": "..."}},
    {"type": "keep_state"},
    {
        "type": "resume",
        "state": {
            "run": 2,
            "epoch": 1200,
            "state": "running",
            "...": "... the rest of the last run_state, without type and history_rows ...",
            "history": {"epoch": [0, 1, "..."], "train_loss": [0.69, "..."], "test_loss": ["..."]},
        },
    },
]

# A 2-3-1 network on `circle` with batch_size 4, probe 17, rounded to 4 digits.
INSPECTION_EXAMPLE = {
    "type": "inspection",
    "run": 1,
    "epoch": 0,
    "probe": 17,
    "batch": [17, 18, 19, 20],
    "sample": 0,
    "batch_size": 4,
    "learning_rate": 0.03,
    "cost": "binary_crossentropy",
    "hidden_activation": "tanh",
    "output_activation": "sigmoid",
    "optimizer": "sgd",
    "loss": 0.7855,
    "note": None,
    "layers": [
        {
            "layer": 0,
            "activation": "tanh",
            "a_prev": [1.559, -1.788],
            "W": [[0.3001, -0.5044], [-1.006, -1.059], [0.6863, 0.9043]],
            "b": [0.0, 0.0, 0.0],
            "z": [1.37, 0.3259, -0.5468],
            "a": [0.8786, 0.3149, -0.4981],
            "delta": [-0.02457, -0.2089, -0.03315],
            "dW_sample": [[-0.03832, 0.04394], [-0.3258, 0.3736], [-0.05169, 0.05927]],
            "db_sample": [-0.02457, -0.2089, -0.03315],
            "dW_batch": [[-0.01756, -0.04882], [-0.04, 0.03474], [-0.005366, 0.003896]],
            "db_batch": [-0.05581, -0.1976, -0.03589],
            "W_after": [[0.3006, -0.5029], [-1.004, -1.06], [0.6865, 0.9042]],
            "b_after": [0.001674, 0.005928, 0.001077],
            "phi_prime": [0.228, 0.9009, 0.7519],
            "phi_prime_kind": "diagonal",
            "backprop": [-0.1078, -0.2319, -0.04409],
            "grad_a": None,
            "y": None,
            "fused": None,
            "fused_note": None,
        },
        {
            "layer": 1,
            "activation": "sigmoid",
            "a_prev": [0.8786, 0.3149, -0.4981],
            "W": [[0.2612, 0.5621, 0.1069]],
            "b": [0.0],
            "z": [0.3533],
            "a": [0.5874],
            "delta": [-0.4126],
            "dW_sample": [[-0.3625, -0.1299, 0.2055]],
            "db_sample": [-0.4126],
            "dW_batch": [[0.1219, 0.1711, -0.1593]],
            "db_batch": [-0.2028],
            "W_after": [[0.2575, 0.557, 0.1116]],
            "b_after": [0.006085],
            "phi_prime": [0.2424],
            "phi_prime_kind": "diagonal",
            "backprop": None,
            "grad_a": [-1.702],
            "y": [1.0],
            "fused": True,
            "fused_note": "sigmoid + binary cross-entropy: sigma'(z) = a(1 - a) cancels the "
            "cost's 1/(a(1 - a)), so delta^L = (a^L - y)/n_y",
        },
    ],
}

SERVER_EXAMPLES = {
    "DataInfo": {
        "type": "data",
        "source": "csv",
        "name": "mine.csv",
        "n_rows": 120,
        "n_inputs": 2,
        "columns": ["a", "b"],
        "target": "label",
        "kind": "binary",
        "classes": ["no", "yes"],
    },
    "ExportFile": {
        "type": "export",
        "what": "script",
        "filename": "mlp-run1-circle-epoch120.py",
        "media_type": "text/x-python",
        "content": '"""Playground run 1: layers 2-4-2-1, 120 epochs, rebuilt with mlp_engine.'
        '\n..."""\n...',
    },
    "Ready": {
        "type": "ready",
        "run": 1,
        "config": "{... the full TrainConfig, defaults filled in ...}",
        "kind": "binary",
        "source": "generated",
        "data_name": "circle",
        "n_inputs": 2,
        "columns": ["x1", "x2"],
        "classes": ["0", "1"],
        "plane": True,
        "layer_sizes": [2, 4, 2, 1],
        "activations": [{"name": "tanh"}, {"name": "tanh"}, {"name": "sigmoid"}],
        "metric": "accuracy",
        "view": "plane",
        "explained_variance": None,
        "x_range": [-6, 6],
        "y_range": [-6, 6],
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
        "layer_space": {"layer": 0, "neurons": [0, 2]},
        "history": {
            "epoch": [28, 35, 42],
            "train_loss": [0.23, 0.26, 0.21],
            "test_loss": [0.27, 0.25, 0.24],
        },
        "arrays": [
            {"name": "input", "layer": None, "shape": [2], "offset": 0},
            {"name": "W", "layer": 0, "shape": [4, 2], "offset": 2},
            {"name": "...", "layer": 0, "shape": [], "offset": 10},
            {"name": "layer_space_points", "layer": 0, "shape": [250, 2], "offset": 574},
        ],
        "n_bytes": 4296,
    },
    "Inspection": INSPECTION_EXAMPLE,
    "GradcheckReport": {
        "type": "gradcheck",
        "run": 1,
        "epoch": 0,
        "batch": [17, 18, 19, 20],
        "eps": 1e-06,
        "threshold": 1e-05,
        "worst": 8.017e-10,
        "passed": True,
        "layers": [
            {
                "layer": 0,
                "rel_error_W": 8.017e-10,
                "rel_error_b": 1.469e-10,
                "max_abs_error": 8.198e-11,
            },
            {
                "layer": 1,
                "rel_error_W": 1.217e-10,
                "rel_error_b": 8.94e-13,
                "max_abs_error": 4.475e-11,
            },
        ],
    },
    "RunState": {
        "type": "run_state",
        "run": 2,
        "epoch": 1200,
        "state": "running",
        "speed": 20,
        "probe": 0,
        "resets": 0,
        "initial_config": "{... the full TrainConfig as the run began ...}",
        "imported_at": None,
        "changes": [[800, "learning_rate", None, 0.01], [950, "W", [1, 0, 2], 0.5]],
        "model": {
            "format": "mlp_engine.MLP",
            "version": 2,
            "config": "{... MLP.config() ...}",
            "layers": [{"W": [[0.12, -0.4], "..."], "b": [0.01, "..."]}, "..."],
            "optimizer_state": {"t": 60000, "m": ["..."], "v": ["..."]},
            "rng_state": {
                "bit_generator": "PCG64",
                "state": {
                    "state": "212010371540946359214187441470331391426",
                    "inc": "87136372517582989555478159403783844777",
                },
                "has_uint32": 0,
                "uinteger": 0,
            },
            "playground": {"format": "mlp-playground.run", "config": "{...}", "epoch": 1200},
        },
        "custom": None,
        "history_rows": 65536,
    },
    "Restarting": {
        "type": "restarting",
        "message": "server restarting, your run is kept: it resumes once the server is back",
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
    examples = {example["type"]: example for example in CLIENT_EXAMPLES}
    parts = [INTRO, "## Client to server\n"]
    parts += [model_section(m, examples[message_type(m)]) for m in CLIENT_MESSAGES]
    parts += ["## Server to client\n"]
    parts += [model_section(m, SERVER_EXAMPLES[m.__name__]) for m in SERVER_MESSAGES]
    parts += ["## Shared models\n"]
    parts += [model_section(m, None) for m in PARTS]
    return "\n".join(parts)


if __name__ == "__main__":
    print(render(), end="")
