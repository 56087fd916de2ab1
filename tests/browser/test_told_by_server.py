"""What the page is told rather than works out: the menus of problem kinds, the plot's ranges.

The page keeps no table of problem kinds: `/api/options` carries the engine's
(`mlp_engine.problems`), and the menus follow it, also when the server says something else.
The plot shows the ranges the `ready` message gives, which the server computes from the data.
"""

import pytest
from playwright.sync_api import expect

from tests.browser.test_your_data import PLOT, wait_for_run

ENABLED_CHOICES = """select => select.choices
    .filter(([value], i) => value !== null && !select.options[i].disabled)
    .map(([value]) => value)"""


def offered(page, test_id: str) -> list[str]:
    """The values a menu lets the user choose, "auto" left out."""
    return page.get_by_test_id(test_id).evaluate(ENABLED_CHOICES)


def test_regression_data_offer_exactly_the_servers_outputs_and_costs(watched):
    page = watched.open("dataset=circle")
    options = page.request.get(f"{watched.base_url}/api/options").json()
    assert offered(page, "output-activation") == options["costs"]["binary"]["binary_crossentropy"]

    page.get_by_test_id("dataset-plane").click()
    expect(page.get_by_test_id("decision-boundary")).to_have_attribute("data-kind", "regression")
    assert offered(page, "output-activation") == options["costs"]["regression"]["mse"]
    assert offered(page, "cost") == list(options["costs"]["regression"])
    expect(page.get_by_test_id("output-activation").locator("option").first).to_have_text(
        "auto (linear)"
    )


def test_the_menus_follow_what_the_server_sends(watched):
    """A server whose table differs (here regression learns only with linear or tanh outputs,
    by default tanh) is followed as it is: the page derives nothing of its own."""

    def narrowed(route):
        options = route.fetch().json()
        options["costs"]["regression"] = {"mse": ["tanh", "linear"]}
        options["output_defaults"]["regression"] = ["tanh", "mse"]
        route.fulfill(json=options)

    watched.page.route("**/api/options", narrowed)
    page = watched.open("dataset=plane")
    assert offered(page, "output-activation") == ["tanh", "linear"]
    expect(page.get_by_test_id("output-activation").locator("option").first).to_have_text(
        "auto (tanh)"
    )


@pytest.mark.parametrize(("dataset", "view"), [("wine", "pca"), ("xor", "plane")])
def test_the_plot_shows_the_ranges_the_server_sends(watched, dataset, view):
    page = watched.open(f"dataset={dataset}")
    run = wait_for_run(page, f"run.data_name === '{dataset}'")
    assert run["view"] == view
    expect(page.get_by_test_id("decision-boundary")).to_have_attribute("data-view", view)
    shown = page.evaluate(f"[{PLOT}._fullLayout.xaxis.range, {PLOT}._fullLayout.yaxis.range]")
    assert shown == [run["x_range"], run["y_range"]]
    samples = run["train"]["x"] + run["test"]["x"]
    for axis, (low, high) in enumerate(shown):
        assert low < min(p[axis] for p in samples) and max(p[axis] for p in samples) < high


def slider_ends(page, test_id: str) -> tuple[str, str]:
    slider = page.get_by_test_id(test_id)
    return slider.get_attribute("min"), slider.get_attribute("max")


def test_the_sliders_run_over_the_servers_limits(watched):
    page = watched.open()
    limits = page.request.get(f"{watched.base_url}/api/options").json()["limits"]
    for field, test_id in (("train_fraction", "train-fraction"), ("noise", "noise")):
        low, high = limits[field]
        assert slider_ends(page, test_id) == (str(round(100 * low)), str(round(100 * high)))

    def narrowed(route):
        options = route.fetch().json()
        options["limits"].update(train_fraction=[0.2, 0.8], noise=[0.0, 0.3])
        route.fulfill(json=options)

    other = watched.page.context.new_page()
    other.route("**/api/options", narrowed)
    other.goto(watched.base_url)
    other.wait_for_function("() => window.playground?.stats?.framesRendered > 0")
    assert slider_ends(other, "train-fraction") == ("20", "80")
    assert slider_ends(other, "noise") == ("0", "30")
    other.close()


def serving(page, change):
    """Serve the page `/api/options` as `change(options)` leaves them."""

    def changed(route):
        options = route.fetch().json()
        change(options)
        route.fulfill(json=options)

    page.route("**/api/options", changed)


def test_the_features_a_line_cannot_build_are_the_servers(watched):
    """A one-input data set disables exactly the features `uses_x2` names, whatever their
    names look like (here the server says x1*x2 needs no x2)."""
    serving(watched.page, lambda options: options["uses_x2"].remove("x1*x2"))
    page = watched.open("dataset=sine")
    expect(page.get_by_test_id("feature-x2")).to_be_disabled()
    expect(page.get_by_test_id("feature-x2sq")).to_be_disabled()
    expect(page.get_by_test_id("feature-x1x2")).to_be_enabled()


def test_a_field_the_server_does_not_change_live_starts_a_new_run(watched):
    """`live_fields` decides between `set` and a new run: without learning_rate in it, a new
    learning rate is a new run (`configure`), as any other TrainConfig field."""
    serving(watched.page, lambda options: options["live_fields"].remove("learning_rate"))
    page = watched.open()
    first = wait_for_run(page, "true")["run"]
    rates = page.get_by_test_id("learning-rate")
    chosen = rates.evaluate("select => select.selectedIndex")
    rates.select_option(index=0 if chosen else 1)
    wait_for_run(page, f"run.run > {first}")
