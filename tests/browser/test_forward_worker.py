"""The pictures drawn from a frame's weights are computed in a module worker.

The forward pass over the 100 x 100 grid (static/forward.js's computePlanePictures) runs in
static/forward-worker.js, so the page's main thread only paints; a page without workers
computes the same pictures itself. Either way each drawn frame shows its own pictures: the
boundary's background and the neurons' thumbnails are the same pixels, at a run's first frame
and after steps, whichever thread computed them.
"""

from conftest import VIEWPORT
from playwright.sync_api import expect

#: Every canvas painted from planePictures: the boundary's background, the graph's neurons.
PICTURES = """() => [...document.querySelectorAll(
    "#decision-boundary canvas.boundary-canvas, #network canvas")].map((c) => c.toDataURL())"""
STEPS = 3


def worker_scripts(page) -> list[str]:
    return [worker.url.rsplit("/", 1)[-1] for worker in page.workers]


def pictures_after_steps(page) -> list[list[str]]:
    """The pictures at the first frame, then after each of STEPS steps (paused, so that every
    frame is the step's own)."""
    shown = []
    for epoch in range(STEPS + 1):
        if epoch:
            page.get_by_test_id("step").click()
        page.wait_for_function(f"() => window.playground.stats.epoch === {epoch}")
        expect(page.get_by_test_id("epoch-count")).to_have_attribute("data-value", str(epoch))
        # Drawn once the worker answered: wait until nothing is queued and the last drawn frame
        # is this epoch's.
        page.wait_for_function(
            "(epoch) => window.playground.stats.framesRendered > 0"
            " && window.playground.stats.drawnEpoch === epoch",
            arg=epoch,
        )
        shown.append(page.evaluate(PICTURES))
    return shown


def test_the_worker_computes_the_pictures_the_page_would(watched, browser):
    page = watched.open("hidden=8,8,8")
    assert worker_scripts(page) == ["forward-worker.js"]
    with_worker = pictures_after_steps(page)

    context = browser.new_context(viewport=VIEWPORT)
    try:
        # A browser without module workers: the page computes the pictures on its own thread.
        context.add_init_script("delete window.Worker;")
        bare = context.new_page()
        errors = []
        bare.on("pageerror", lambda error: errors.append(str(error)))
        bare.goto(f"{watched.base_url}/#hidden=8,8,8")
        bare.wait_for_function("() => window.playground?.stats?.framesRendered > 0")
        assert worker_scripts(bare) == []
        without_worker = pictures_after_steps(bare)
        assert errors == []
    finally:
        context.close()

    assert len(with_worker[0]) == 1 + 2 + 3 * 8 + 1  # boundary, x1 x2, three layers, output
    for epoch, (drawn, expected) in enumerate(zip(with_worker, without_worker, strict=True)):
        assert drawn == expected, f"epoch {epoch}"
    assert len({tuple(drawn) for drawn in with_worker}) == STEPS + 1  # every step drew anew
