"""The score a run reports is its problem kind's (mlp_engine/problems.py), whatever the cost:
a binary problem trained with sigmoid + mse is scored by accuracy, with its predicted classes
and confusion matrices, as with binary cross-entropy. References: scikit-learn's
accuracy_score and confusion_matrix on the engine's own predictions of a rebuilt run.
"""

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, confusion_matrix
from test_protocol import configure
from wire import receive_message

from mlp_engine.problems import problem_kind
from server.protocol import TrainConfig
from server.session import build_run

BINARY_MSE = TrainConfig(
    dataset="circle", n_samples=80, cost="mse", output_activation="sigmoid", hidden_layers=[3]
)


def next_frame(ws) -> tuple[dict, dict]:
    """The next frame (statuses on the way are passed over) and its arrays, decoded."""
    while (message := receive_message(ws))["type"] != "frame":
        pass
    return message, message["decoded"]


def test_a_binary_run_trained_with_mse_reports_accuracy_and_its_confusion(client):
    with client.websocket_connect("/ws/train") as ws:
        ready, _, _ = configure(ws, BINARY_MSE)
        ws.send_json({"type": "step", "epochs": 3})
        frame, arrays = next_frame(ws)
        while frame["epoch"] < 3:
            frame, arrays = next_frame(ws)
    assert ready["kind"] == "binary" and ready["config"]["cost"] == "mse"
    assert ready["metric"] == frame["metric"] == problem_kind("binary").metric == "accuracy"
    run = build_run(BINARY_MSE, 1, 0)
    for _ in range(3):
        run.model.train_epoch(run.X_train, run.Y_train, BINARY_MSE.batch_size)
    for split in ("train", "test"):
        X, labels = getattr(run, f"X_{split}"), getattr(run.data, f"y_{split}")
        predicted = run.model.predict_classes(X)
        assert (f"{split}_predicted", None) not in arrays  # the page's own, on the plane
        np.testing.assert_array_equal(
            arrays[f"confusion_{split}", None], confusion_matrix(labels, predicted, labels=[0, 1])
        )
        assert frame[f"{split}_metric"] == pytest.approx(accuracy_score(labels, predicted))
