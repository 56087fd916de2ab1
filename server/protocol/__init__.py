"""The playground's wire protocol: every message of `/ws/train` as a pydantic model.

These models are the single source of truth: the server validates what it receives with them,
builds what it sends from them, and docs/protocol.md is generated from them
(`python -m server.protocol.docs`). One concept a module:

- `fields`: the names a field may take, the `LIMITS`, the strict base of client models;
- `config`: `TrainConfig`, what a run trains;
- `messages`: what a client sends, `CLIENT_MESSAGES` and the union that parses them;
- `parse`: a client's text to a message, or the `error` that answers it;
- `replies` (and `inspector`, the backprop inspector's): what the server sends,
  `SERVER_MESSAGES`, and `wire_text`, the one place a message is serialised;
- `options`: what `GET /api/options` tells the page;
- `docs`: docs/protocol.md, written from the models.

`from server import protocol` then `protocol.TrainConfig`, `protocol.Ready`... reads every
model and helper from here.
"""

from .config import TrainConfig
from .fields import (
    CUSTOM,
    LIMITS,
    ActivationName,
    CostName,
    DatasetName,
    FeatureName,
    Kind,
    OptimizerName,
    Regularization,
    State,
    Strict,
    dataset_source,
)
from .inspector import GradcheckLayer, GradcheckReport, Inspection, LayerTrace
from .messages import (
    CLIENT_MESSAGES,
    CLIENT_TYPES,
    UPLOAD_MESSAGES,
    UPLOAD_TYPES,
    ClientMessage,
    Configure,
    Draw,
    Export,
    Gradcheck,
    ImportModel,
    Inspect,
    KeepState,
    LayerSpace,
    Pause,
    Play,
    Probe,
    Reset,
    Resume,
    Set,
    SetWeight,
    Step,
    UploadCsv,
    client_message,
    message_type,
)
from .options import LEARNING_RATES, REGULARIZATION_RATES, options
from .parse import parse_client_message
from .replies import (
    PARTS,
    SERVER_MESSAGES,
    ArraySpec,
    DataInfo,
    Error,
    ExportFile,
    Frame,
    Grid,
    History,
    LayerSpaceView,
    Points,
    Ready,
    Restarting,
    RunState,
    ServerMessage,
    Status,
    wire_text,
)

__all__ = [
    "CLIENT_MESSAGES",
    "CLIENT_TYPES",
    "CUSTOM",
    "LEARNING_RATES",
    "LIMITS",
    "PARTS",
    "REGULARIZATION_RATES",
    "SERVER_MESSAGES",
    "UPLOAD_MESSAGES",
    "UPLOAD_TYPES",
    "ActivationName",
    "ArraySpec",
    "ClientMessage",
    "Configure",
    "CostName",
    "DataInfo",
    "DatasetName",
    "Draw",
    "Error",
    "Export",
    "ExportFile",
    "FeatureName",
    "Frame",
    "Gradcheck",
    "GradcheckLayer",
    "GradcheckReport",
    "Grid",
    "History",
    "ImportModel",
    "Inspect",
    "Inspection",
    "KeepState",
    "Kind",
    "LayerSpace",
    "LayerSpaceView",
    "LayerTrace",
    "OptimizerName",
    "Pause",
    "Play",
    "Points",
    "Probe",
    "Ready",
    "Regularization",
    "Reset",
    "Restarting",
    "Resume",
    "RunState",
    "ServerMessage",
    "Set",
    "SetWeight",
    "State",
    "Status",
    "Step",
    "Strict",
    "TrainConfig",
    "UploadCsv",
    "client_message",
    "dataset_source",
    "message_type",
    "options",
    "parse_client_message",
    "wire_text",
]
