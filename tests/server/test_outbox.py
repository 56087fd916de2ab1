"""A session's replies are typed messages until the outbox serialises them, once
(`protocol.wire_text`): what goes out is the model's JSON, ASCII, so that its length is its size
in bytes (the outbox's byte cap counts it), and a number that is not finite is null, which
JSON, unlike Python's json module, has no other way to say."""

import asyncio
import json
import math
import threading

from server import protocol
from server.session import Outbox


async def sent(*messages) -> list[str]:
    outbox = Outbox(asyncio.get_running_loop())
    for message in messages:
        outbox.put(message)
    return await outbox.take()


def test_a_message_goes_out_as_its_models_json_in_ascii():
    status = protocol.Status(state="paused", epoch=3, message="naïve ✓ — paused")
    (text,) = asyncio.run(sent(status))
    assert text.isascii() and len(text.encode("utf-8")) == len(text)
    assert json.loads(text) == status.model_dump(mode="json")
    assert protocol.Status.model_validate_json(text) == status


def test_a_number_that_is_not_finite_goes_out_as_null():
    report = protocol.GradcheckReport(
        run=1,
        epoch=0,
        batch=[0],
        eps=1e-6,
        threshold=1e-5,
        worst=math.inf,
        passed=False,
        layers=[
            protocol.GradcheckLayer(
                layer=0, rel_error_W=math.nan, rel_error_b=0.5, max_abs_error=-math.inf
            )
        ],
    )
    (text,) = asyncio.run(sent(report))
    parsed = json.loads(text, parse_constant=lambda name: f"not JSON: {name}")
    assert parsed["worst"] is None
    assert parsed["layers"][0] == {
        "layer": 0,
        "rel_error_W": None,
        "rel_error_b": 0.5,
        "max_abs_error": None,
    }


def test_messages_go_out_in_the_order_they_were_put():
    messages = [protocol.Status(state="idle", epoch=0, message=str(i)) for i in range(5)]
    texts = asyncio.run(sent(*messages, protocol.Error(code="internal", message="x")))
    assert [json.loads(text).get("message") for text in texts] == ["0", "1", "2", "3", "4", "x"]


class RecordingLoop:
    """A loop stand-in that keeps the callbacks it is asked to call: from another thread (the
    loop's wake-ups) and later (its own timers)."""

    def __init__(self):
        self.calls, self.timers = [], []

    def call_soon_threadsafe(self, callback):
        self.calls.append(callback)

    def call_later(self, delay, callback):
        self.timers.append((delay, callback))


def test_frames_put_before_the_loop_wakes_share_one_wake_up():
    loop = RecordingLoop()
    outboxes = [Outbox(loop) for _ in range(3)]
    for outbox in outboxes:
        outbox.put_frame({"type": "frame"}, b"")
    outboxes[0].put(protocol.Status(state="running", epoch=1, message="m"))
    assert len(loop.calls) == 1  # four messages for three outboxes: one wake-up
    loop.calls.pop()()  # the loop wakes: every outbox put to is told
    assert all(outbox._ready.is_set() for outbox in outboxes)


def test_while_messages_keep_coming_the_loop_looks_for_them_without_being_woken():
    loop = RecordingLoop()
    outboxes = [Outbox(loop) for _ in range(2)]
    outboxes[0].put_frame({"type": "frame"}, b"")
    loop.calls.pop()()  # woken once; it will look again soon
    ((delay, look),) = loop.timers
    assert 0 < delay <= 0.01 and outboxes[0]._ready.is_set()
    outboxes[0]._ready.clear()
    for _ in range(3):  # a crowded worker: a frame between every two looks
        loop.timers.clear()
        outboxes[1].put_frame({"type": "frame"}, b"")
        assert loop.calls == []  # no wake-up: the next look finds it
        look()
        assert outboxes[1]._ready.is_set() and len(loop.timers) == 1
        outboxes[1]._ready.clear()
    loop.timers.pop()[1]()  # a look that finds nothing ends the looking
    assert loop.timers == [] and not any(outbox._ready.is_set() for outbox in outboxes)
    outboxes[0].put(protocol.Status(state="paused", epoch=2, message="m"))
    assert len(loop.calls) == 1  # so the next message wakes the loop again
    loop.calls.pop()()
    assert outboxes[0]._ready.is_set()


def test_outboxes_filled_from_threads_are_all_taken_on_the_loop():
    async def scenario():
        loop = asyncio.get_running_loop()
        outboxes = [Outbox(loop) for _ in range(8)]

        def fill(outbox, number):
            for epoch in range(50):
                outbox.put(protocol.Status(state="running", epoch=epoch, message=str(number)))

        threads = [
            threading.Thread(target=fill, args=(outbox, i)) for i, outbox in enumerate(outboxes)
        ]
        for thread in threads:
            thread.start()
        taken = [[] for _ in outboxes]

        async def drain(i):
            while len(taken[i]) < 50:
                taken[i] += [json.loads(text)["epoch"] for text in await outboxes[i].take()]

        await asyncio.wait_for(asyncio.gather(*(drain(i) for i in range(8))), 30)
        for thread in threads:
            thread.join()
        return taken

    assert asyncio.run(scenario()) == [list(range(50))] * 8
