"""A frame's JSON part is `protocol.Frame` exactly, though `frame_message` builds it as plain
data, and its binary part holds what the engine computes, in the manifest's order."""

import json
import struct

import numpy as np
import pytest
from wire import decode_arrays, read_message

from server import protocol
from server.frames import frame_bytes, frame_text
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


def expected(run, probe=2) -> tuple[dict, dict]:
    """What a frame of `run` must show, computed afresh on a copy of its model: the arrays
    (float64) and the scores of both sets."""
    model = run.model.copy()
    model.l1, model.l2 = run.model.l1, run.model.l2
    scores = {split: model.evaluate(getattr(run, f"X_{split}"), getattr(run, f"Y_{split}"))
              for split in ("test", "train")}  # fmt: skip
    predicted = model.classes_of(model.activations_cache[-1])  # the training set's
    whole_set = model.backward(run.Y_train)
    arrays = {("input", None): run.X_train[probe], ("train_predicted", None): predicted}
    for l, layer in enumerate(model.sequential):
        delta = whole_set[l].delta
        arrays |= {
            ("W", l): layer.W, ("b", l): layer.b, ("dW", l): whole_set[l].dW,
            ("db", l): whole_set[l].db, ("mean_abs_delta", l): np.abs(delta).mean(axis=0),
            ("z", l): model.weighted_inputs_cache[l][probe],
            ("a", l): model.activations_cache[l + 1][probe], ("delta", l): delta[probe],
        }  # fmt: skip
    k = len(run.data.classes)
    confusion = np.zeros((k, k))
    np.add.at(confusion, (run.data.y_train, predicted), 1)
    arrays["confusion_train", None] = confusion
    return arrays, scores


def assert_frame_shows(run, message, payload, probe=2):
    """The frame's arrays and scores are those of the run's model now (float32 on the wire)."""
    arrays = decode_arrays(message, payload)
    wanted, scores = expected(run, probe)
    if run.grid is not None:  # the page computes each sample's prediction on the plane
        assert ("train_predicted", None) not in arrays and ("test_predicted", None) not in arrays
        del wanted["train_predicted", None]
    for key, value in wanted.items():
        np.testing.assert_allclose(arrays[key], value, rtol=2e-6, atol=1e-7, err_msg=str(key))
    for split in ("train", "test"):
        assert message[f"{split}_loss"] == pytest.approx(scores[split]["loss"], rel=1e-12)
        assert message[f"{split}_metric"] == pytest.approx(scores[split]["accuracy"], rel=1e-12)


@pytest.mark.parametrize("kind", ["binary", "multiclass"])
def test_the_binary_part_holds_the_engines_arrays(kind):
    run, message, payload = frame_of(CONFIGS[kind])
    assert_frame_shows(run, message, payload)


def test_data_on_principal_components_gets_each_samples_prediction():
    run, message, payload = frame_of(TrainConfig(dataset="iris", hidden_layers=[5], seed=2))
    assert run.grid is None
    assert_frame_shows(run, message, payload)
    test_predicted = decode_arrays(message, payload)["test_predicted", None]
    np.testing.assert_array_equal(test_predicted, run.model.predict_classes(run.X_test))


def job_of(run, probe=2) -> FrameJob:
    return FrameJob(run, run.epoch, run.history.take_summary(), "running", probe, 1.0)


def test_a_frame_after_an_epoch_reads_the_epochs_passes_and_shows_the_run_as_it_is():
    """`Run.train_epoch`'s passes over the two sets (for the history's losses) serve the frame
    that follows, unless something changed since: a weight, a rate, another forward pass."""
    config = CONFIGS["multiclass"].model_copy(update={"regularization": "l2"})
    run = build_run(config, 1, 0)
    for _ in range(3):
        train_loss, test_loss = run.train_epoch()
    assert (train_loss, test_loss) == run.passes()  # no new pass: the epoch's
    message, payload = frame_message(job_of(run))
    assert (message["train_loss"], message["test_loss"]) == (train_loss, test_loss)
    assert_frame_shows(run, message, payload)
    run.model.loss(run.X_train[:3], run.Y_train[:3])  # an inspector's pass over a batch
    assert_frame_shows(run, *frame_message(job_of(run, probe=4)), probe=4)
    run.train_epoch()
    run.set_weight(1, 0, 2, -1.5)
    assert_frame_shows(run, *frame_message(job_of(run)))
    run.train_epoch()
    run.set_rates(None, 0.3)  # l2: the losses include the new penalty
    assert run.model.l2 == 0.3
    assert_frame_shows(run, *frame_message(job_of(run)))


def test_frames_with_the_same_arrays_share_one_manifest_encoded_once():
    """The manifest is most of a frame's JSON and the same in every frame of a run: it is built
    and encoded once (`frames.manifest`), and the frame's text is the frame as JSON all the same."""
    _, first, _ = frame_of(CONFIGS["multiclass"])
    _, second, _ = frame_of(CONFIGS["multiclass"], probe=5)
    assert second["arrays"] is first["arrays"]
    for message in (first, second):
        assert json.loads(frame_text(message)) == message
    assert json.loads(frame_text({"type": "frame", "run": 1})) == {"type": "frame", "run": 1}


@pytest.mark.parametrize("kind", CONFIGS)
@pytest.mark.parametrize("probe", [0, 9, 10, 100])
def test_a_frame_goes_out_as_one_message_its_json_then_its_arrays_in_place(kind, probe):
    """docs/protocol.md's layout: a uint32 of the JSON part's length, a multiple of 4 whatever
    the text's own length (the probes change it), the JSON part, then the arrays, which a
    client reads in place as float32 (a Float32Array over the message needs the alignment)."""
    run, message, payload = frame_of(CONFIGS[kind], probe=probe)
    data = frame_bytes(message, payload)
    text = frame_text(message)
    (length,) = struct.unpack_from("<I", data)
    assert length % 4 == 0 and len(text) <= length < len(text) + 4
    assert data[4 : 4 + length].decode("ascii").rstrip(" ") == text
    assert data[4 + length :] == payload
    received = read_message(data)
    assert received.pop("decoded").keys() == decode_arrays(message, payload).keys()
    assert received == json.loads(text)
    values = np.frombuffer(data, dtype="<f4", offset=4 + length)  # in place: no copy
    np.testing.assert_array_equal(values, np.frombuffer(payload, dtype="<f4"))
