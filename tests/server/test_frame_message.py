"""A frame's JSON part is `protocol.Frame` exactly, though `frame_message` builds it as plain
data, and its binary part holds what the engine computes, in the manifest's order."""

import json

import numpy as np
import pytest
from wire import decode_arrays

from server import protocol
from server.frames import frame_text
from server.protocol import TrainConfig
from server.session import FrameJob, build_run, frame_message

CONFIGS = {
    "binary": TrainConfig(dataset="circle", seed=3),
    "multiclass": TrainConfig(dataset="multi_blobs", n_classes=3, hidden_layers=[5, 4], seed=4),
    "regression": TrainConfig(dataset="sine", features=["x1", "sin x1"], hidden_layers=[6]),
}


def frame_of(config: TrainConfig, layer_space=None, probe=2):
    """A frame of a run trained two epochs, and the run's model (float64) at that moment."""
    run = build_run(config, 1, 0)
    for _ in range(2):
        run.model.train_epoch(run.X_train, run.Y_train)
    run.history.append(1, 0.5, 0.6)
    job = FrameJob(
        run=run,
        theta=run.model.theta.copy(),
        epoch=2,
        history=run.history.take_summary(),
        state="running",
        probe=probe,
        epochs_per_second=123.456,
        layer_space=layer_space,
    )
    message, payload = frame_message(job)
    return run, message, payload


@pytest.mark.parametrize("kind", CONFIGS)
def test_the_json_part_is_the_frame_model_and_plain_json(kind):
    _, message, payload = frame_of(CONFIGS[kind])
    assert protocol.Frame.model_validate(message).model_dump(mode="json") == message
    assert json.loads(json.dumps(message, allow_nan=False)) == message
    assert message["n_bytes"] == len(payload)
    assert message["epochs_per_second"] == 123.5


def test_a_layer_space_frame_carries_its_view_and_points():
    view = protocol.LayerSpaceView(layer=1, neurons=(0, 2))
    run, message, payload = frame_of(CONFIGS["multiclass"], layer_space=view)
    assert protocol.Frame.model_validate(message).model_dump(mode="json") == message
    assert message["layer_space"] == {"layer": 1, "neurons": [0, 2]}
    arrays = decode_arrays(message, payload)
    run.model.forward(run.X_train)
    expected = run.model.activations_cache[2][:, [0, 2]]
    np.testing.assert_allclose(arrays[("layer_space_points", 1)], expected, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("kind", ["binary", "multiclass"])
def test_the_binary_part_holds_the_engines_arrays(kind):
    run, message, payload = frame_of(CONFIGS[kind])
    arrays = decode_arrays(message, payload)
    model = run.model
    model.forward(run.X_train)
    whole_set = model.backward(run.Y_train)
    predicted = model.classes_of(model.activations_cache[-1])
    for l, layer in enumerate(model.sequential):
        np.testing.assert_allclose(arrays[("W", l)], layer.W, rtol=1e-6)
        mean_abs = np.abs(whole_set[l].delta).mean(axis=0)
        np.testing.assert_allclose(arrays[("mean_abs_delta", l)], mean_abs, rtol=1e-6)
    # Class indices and counts are exact in float32.
    np.testing.assert_array_equal(arrays[("train_predicted", None)], predicted)
    k = len(run.data.classes)
    confusion = np.zeros((k, k))
    np.add.at(confusion, (run.data.y_train, predicted), 1)
    np.testing.assert_array_equal(arrays[("confusion_train", None)], confusion)


def test_frames_with_the_same_arrays_share_one_manifest_encoded_once():
    """The manifest is most of a frame's JSON and the same in every frame of a run: it is built
    and encoded once (`frames.manifest`), and the frame's text is the frame as JSON all the same."""
    _, first, _ = frame_of(CONFIGS["multiclass"])
    _, second, _ = frame_of(CONFIGS["multiclass"], probe=5)
    assert second["arrays"] is first["arrays"]
    for message in (first, second):
        assert json.loads(frame_text(message)) == message
    assert json.loads(frame_text({"type": "frame", "run": 1})) == {"type": "frame", "run": 1}
