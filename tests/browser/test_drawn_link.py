"""Drawn points travel in the link (issue 15), and the CSV preview splits as the server does.

A drawing the server took is in the URL hash (`drawn=1.<deflate-raw, base64url>`) when it
fits the page's budget: opening the copied link in a fresh page sends the same points with
`draw`, then `configure` with dataset "custom" and the link's settings, and the run holds the
same samples and config as the page the link was copied from. A drawing over the budget is
left out and the link opens with the notice that the data are not in it; a link without any
drawing (as before) opens as it did.
"""

import json

from playwright.sync_api import expect

from tests.browser.test_playground import sent_messages
from tests.browser.test_your_data import (
    SAMPLES,
    click_plane,
    draw_points,
    drawn,
    last_run,
    wait_for_run,
)

LINK_SETTINGS = "hidden=3,2&lr=0.1&activation=relu&seed=7&ratio=0.6&speed=100"


def drawn_hash(page) -> str:
    """The page's link once it carries the drawing the server holds (the hash, without '#')."""
    page.wait_for_function(
        "() => new URLSearchParams(location.hash.slice(1)).get('drawn')?.startsWith('1.')"
    )
    return page.evaluate("location.hash.slice(1)")


def reopen(watched, hash_: str):
    """The link opened afresh: a new document, with nothing of the page before it."""
    watched.page.goto("about:blank")
    return watched.open(hash_)


def test_a_link_brings_back_the_drawn_points_and_the_run(watched):
    page = watched.open(LINK_SETTINGS)
    page.get_by_test_id("draw-mode").click()
    before = draw_points(page)
    link = drawn_hash(page)
    params = dict(p.split("=", 1) for p in link.split("&"))
    assert params["dataset"] == "custom"

    sent = sent_messages(page)
    page = reopen(watched, link)
    after = wait_for_run(page, f"run.source === 'custom' && {SAMPLES} === 10")
    assert drawn(after) == drawn(before)
    assert after["config"] == before["config"]
    assert after["config"]["hidden_layers"] == [3, 2] and after["config"]["seed"] == 7
    # The points first, then one configure on them: no run of another data set in between.
    messages = [json.loads(m) for m in sent if m.startswith("{")]
    kinds = [m["type"] for m in messages if m["type"] in ("draw", "configure")]
    assert kinds[:2] == ["draw", "configure"]
    assert all(m["config"]["dataset"] == "custom" for m in messages if m["type"] == "configure")
    assert page.get_by_test_id("dataset-custom").get_attribute("aria-checked") == "true"
    expect(page.get_by_test_id("link-notice")).to_be_hidden()
    # The restored page's own link carries the same drawing.
    assert drawn_hash(page) == link
    expect(page.locator("#dataset-description")).not_to_contain_text("Not in the page's link")
    watched.screenshot("drawn-link-restored")


def test_an_edited_generated_set_travels_point_for_point(watched):
    page = watched.open("dataset=circle&samples=500&speed=100")
    page.get_by_test_id("draw-mode").click()
    expect(page.get_by_test_id("draw-count")).to_have_text("500 points")
    page.get_by_test_id("draw-class-1").click()
    click_plane(page, 5.0, 5.0)
    before = wait_for_run(page, f"run.source === 'custom' && {SAMPLES} === 501")
    link = drawn_hash(page)
    assert len(link.split("drawn=")[1]) <= 8000
    page = reopen(watched, link)
    after = wait_for_run(page, f"run.source === 'custom' && {SAMPLES} === 501")
    assert drawn(after) == drawn(before)
    assert after["config"] == before["config"]


def test_a_drawing_too_large_for_a_link_leaves_the_notice(watched):
    page = watched.open("dataset=circle&samples=3000&speed=100")
    page.get_by_test_id("draw-mode").click()
    expect(page.get_by_test_id("draw-count")).to_have_text("3,000 points")
    click_plane(page, 5.0, 5.0)
    wait_for_run(page, f"run.source === 'custom' && {SAMPLES} === 3001")
    # The page says so where the points are drawn, once it has tried to fit them in the link.
    expect(page.get_by_test_id("draw-count")).to_have_attribute(
        "title", "Too many points for a link: a copied link opens without them"
    )
    expect(page.locator("#dataset-description")).to_contain_text("Not in the page's link")
    watched.screenshot("drawn-link-too-large")
    link = page.evaluate("location.hash.slice(1)")
    assert "dataset=custom" in link and "drawn=" not in link
    page = reopen(watched, link)
    notice = page.get_by_test_id("link-notice")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("links do not carry")
    assert last_run(page)["config"]["dataset"] == "circle"
    watched.screenshot("drawn-link-too-large-opened")


def test_a_link_whose_points_the_server_refuses_opens_the_default_data(watched):
    # A hand-edited link: points outside the plane. The server says why; the page goes on.
    page = watched.open("speed=100")
    page.evaluate(
        """async () => {
            const state = await import('/state.js');
            const x = [[9, 9], [1, 1], [2, 2], [-1, -1]];
            window.badLink = await state.drawingToLink(
                {x, y: [0, 1, 0, 1], kind: 'binary', n_classes: 2});
        }"""
    )
    bad = page.evaluate("window.badLink")
    page = reopen(watched, f"dataset=custom&drawn={bad}&hidden=2")
    expect(page.get_by_test_id("error-draw")).to_contain_text("outside the plane")
    expect(page.get_by_test_id("link-notice")).to_be_visible()
    run = wait_for_run(page, "run.config.dataset === 'circle'")
    assert run["config"]["hidden_layers"] == [2]


def test_the_csv_preview_finds_the_delimiter_outside_quotes(watched, tmp_path):
    page = watched.open("speed=100")
    csv = tmp_path / "quoted.csv"
    rows = ['"w;kg;raw","h;m",y'] + [f"{i},{i % 7},{i % 2}" for i in range(30)]
    csv.write_text("\n".join(rows) + "\n")
    page.get_by_test_id("upload-csv").set_input_files(csv)
    label = page.get_by_test_id("upload-label")
    expect(label).to_be_visible()  # once the server has read the columns
    options = label.evaluate("s => [...s.options].map(o => o.text)")
    assert options == ["w;kg;raw", "h;m", "y"]
    assert label.input_value() == "2"
    run = wait_for_run(page, "run.source === 'custom'")
    assert run["columns"] == ["w;kg;raw", "h;m"]


def test_a_drawn_link_pasted_into_an_open_page_trains_on_its_points(watched):
    page = watched.open("dataset=xor&speed=100")
    link = page.evaluate(
        """() => import('/state.js').then((state) => state.drawingToLink({
            x: [[-2, -2], [-1.5, -2.25], [2, 2], [1.5, 2.125], [0.001, -5.999], [5, 0]],
            y: [0, 0, 1, 1, 2, 2], kind: 'multiclass', n_classes: 3}))"""
    )
    first = last_run(page)["run"]
    page.evaluate("link => { location.hash = `dataset=custom&drawn=${link}&hidden=5` }", link)
    run = wait_for_run(page, f"run.source === 'custom' && {SAMPLES} === 6")
    assert drawn(run) == sorted(
        [(-2, -2, 0), (-1.5, -2.25, 0), (2, 2, 1), (1.5, 2.125, 1), (0.001, -5.999, 2), (5, 0, 2)]
    )
    assert (run["kind"], run["config"]["hidden_layers"]) == ("multiclass", [5])
    # One new run, on the points: the page waited for the server's answer to configure.
    assert run["run"] == first + 1
