"""Names written as markup show as the characters they are (issue 11, point 8).

Column, class and file names come from whoever wrote the CSV or the model file. Plotly reads a
subset of HTML in every text it draws (<a href> makes a link that can navigate the page,
<span style> styles, <br> breaks the line, &entities; decode) and a hovertemplate reads
`%{...}`; the page's own HTML reads all of HTML. Each test brings such names in as a user
would, an uploaded CSV or an imported model file, and reads what the page drew: no link, no
chosen style, every name's text exactly as written, and a click on the axis title that goes
nowhere.
"""

import csv
import io
import json
import re

import numpy as np
from playwright.sync_api import Page, expect

from tests.browser.test_model_files import download, step
from tests.browser.test_your_data import PLOT, plane_pixel, upload, wait_for_run

PHISHING_URL = "https://evil.example/login"
LINK = f'<a href="{PHISHING_URL}" target="_top">Session expired - log in</a>'
BIG = '<span style="font-size:40px">big</span> %{x}'
LABEL = "<b>bold</b>"
THIRD = "<i>third</i> &amp; %{y}"
CLASSES = ["&lt;", "line<br>break", "<em>%{customdata}</em>"]
FILE_NAME = '<img src=x onerror="alert(1)">.csv'

BOUNDARY = "[data-testid=decision-boundary]"
HOVER_NUMBER = r"[-−]?\d+\.\d\d"


def table_csv(columns: list[str], classes: list[str], rows: int = 60) -> str:
    """`rows` samples: numeric inputs named `columns`, then the class column LABEL, three
    classes apart on the plane."""
    rng = np.random.default_rng(0)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*columns, LABEL])
    for i in range(rows):
        k = i % len(classes)
        values = rng.normal(2.0 * k, 0.5, size=len(columns))
        writer.writerow([*(f"{v:.3f}" for v in values), classes[k]])
    return out.getvalue()


def route_phishing(page: Page) -> list[str]:
    """Requests the page makes to the phishing host (answered here, never by a network)."""
    visits: list[str] = []

    def answer(route):
        visits.append(route.request.url)
        route.fulfill(status=200, content_type="text/html", body="<p>phished</p>")

    page.route("https://evil.example/**", answer)
    return visits


def boundary_markup(page: Page) -> dict:
    """What the decision boundary's SVG holds that markup in a name could have made."""
    return page.evaluate(
        f"""() => {{
            const view = document.querySelector('{BOUNDARY}');
            const links = [...view.querySelectorAll('a')].map(
                (a) => a.getAttribute('href') ?? a.getAttribute('xlink:href'));
            const styled = [...view.querySelectorAll('[style]')]
                .map((e) => e.getAttribute('style')).filter((s) => /40px/.test(s));
            const text = (selector) => view.querySelector(selector)?.textContent ?? null;
            return {{links, styled, x: text('.xtitle'), y: text('.ytitle')}};
        }}"""
    )


def assert_no_markup(page: Page, x_title: str, y_title: str) -> None:
    drawn = boundary_markup(page)
    assert drawn["links"] == []
    assert drawn["styled"] == []
    assert (drawn["x"], drawn["y"]) == (x_title, y_title)


def assert_title_click_stays(page: Page, visits: list[str]) -> None:
    """A click on the x axis's title (where the link was) leaves the page where it is."""
    before = page.url
    box = page.locator(f"{BOUNDARY} .xtitle").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_timeout(1_000)  # a navigation would have begun by now
    assert visits == []
    assert page.url == before


def hover_text(page: Page, x: float, y: float) -> str:
    """The Plotly hover label's text with the pointer on plane point (x, y)."""
    page.mouse.move(*plane_pixel(page, x, y))
    label = page.locator(f"{BOUNDARY} .hoverlayer .hovertext")
    expect(label).to_have_count(1)
    return label.text_content()


def test_a_csv_of_markup_names_shows_them_as_text_on_the_plane(watched):
    page = watched.open("hidden=3")
    visits = route_phishing(page)
    upload(page, FILE_NAME, table_csv([LINK, BIG], CLASSES))
    run = wait_for_run(page, "run.source === 'custom' && run.view === 'plane'")
    assert run["columns"] == [LINK, BIG]
    assert sorted(run["classes"]) == sorted(CLASSES)
    assert run["data_name"] == FILE_NAME
    # The new run's plot: its first frame is drawn once the worker's pictures are back.
    page.wait_for_function(
        f"(title) => {PLOT}?.querySelector('.xtitle')?.textContent === title", arg=LINK
    )

    assert_no_markup(page, LINK, BIG)
    expect(page.get_by_test_id("boundary-legend")).to_have_text(
        re.compile("".join(f".*{re.escape(name)}" for name in run["classes"]))
    )
    inputs = page.locator("[data-testid=network-graph] .input-label")
    assert inputs.all_text_contents() == [LINK, BIG]

    # A training sample's hover: the columns and its class as written, `%{x}` included.
    text = hover_text(page, *run["train"]["x"][0])
    pattern = (
        rf"train #(?P<index>\d+){re.escape(LINK)} {HOVER_NUMBER}, "
        rf"{re.escape(BIG)} {HOVER_NUMBER}(?P<name>.*)"
    )
    shown = re.fullmatch(pattern, text)
    assert shown, text
    assert shown["name"] == run["classes"][run["train"]["y"][int(shown["index"])]]
    assert boundary_markup(page)["links"] == []
    watched.screenshot("hostile-names-plane")
    page.mouse.move(0, 0)
    assert_title_click_stays(page, visits)

    step(page, 1)
    page.get_by_test_id("tab-confusion").click()
    headers = page.locator("[data-testid=confusion-matrix] th[scope=col] span:not([class])")
    expect(headers).to_have_text(run["classes"])
    page.get_by_test_id("tab-compare").click()
    dataset = page.get_by_test_id("compare-run-1").locator("td.col-dataset")
    expect(dataset).to_have_text(FILE_NAME)
    assert page.locator("[data-testid=compare-runs] a").count() == 0


def test_a_csv_of_markup_names_on_principal_components_shows_them_as_text(watched):
    page = watched.open("hidden=3")
    visits = route_phishing(page)
    upload(page, FILE_NAME, table_csv([LINK, BIG, THIRD], CLASSES))
    run = wait_for_run(page, "run.source === 'custom' && run.view === 'pca'")
    assert run["columns"] == [LINK, BIG, THIRD]
    # The plane's plot has titles too: wait for the principal components' own.
    page.wait_for_function(f"() => {PLOT}?.querySelector('.xtitle')?.textContent.startsWith('PC1')")

    drawn = boundary_markup(page)
    assert (drawn["links"], drawn["styled"]) == ([], [])
    assert drawn["x"].startswith("PC1") and drawn["y"].startswith("PC2")
    inputs = page.locator("[data-testid=network-graph] .input-label")
    assert inputs.all_text_contents() == [LINK, BIG, THIRD]
    legend = page.get_by_test_id("boundary-legend")
    for name in run["classes"]:
        expect(legend).to_contain_text(name)

    # A sample's tooltip names its true and predicted class as written.
    page.mouse.move(*plane_pixel(page, *run["train"]["x"][0]))
    tooltip = page.locator("#tooltip")
    expect(tooltip).to_be_visible()
    truth = run["classes"][run["train"]["y"][0]]
    assert f"true {truth}, predicted " in tooltip.text_content()
    assert tooltip.locator("a, b, i, em, img, br").count() == 0
    assert visits == []


def hostile_model_file(path, folder) -> str:
    """The model file at `path`, its custom data renamed: columns LINK and BIG, the label
    LABEL, classes CLASSES and the file FILE_NAME, as anyone can edit a JSON file."""
    model = json.loads(path.read_text())
    data = model["playground"]["data"]
    rows = list(csv.reader(io.StringIO(data["custom"]["csv"])))
    renamed = dict(zip(sorted({row[-1] for row in rows[1:]}), CLASSES, strict=True))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([LINK, BIG, LABEL])
    writer.writerows([*row[:-1], renamed[row[-1]]] for row in rows[1:])
    data["custom"].update(csv=out.getvalue(), name=FILE_NAME)
    data.update(name=FILE_NAME, columns=[LINK, BIG], classes=[renamed[c] for c in data["classes"]])
    hostile = folder / "hostile-model.json"
    hostile.write_text(json.dumps(model))
    return hostile


def test_an_imported_model_file_of_markup_names_shows_them_as_text(watched, tmp_path):
    page = watched.open("hidden=3")
    upload(page, "plain.csv", table_csv(["a", "b"], ["p", "q", "r"]))
    wait_for_run(page, "run.data_name === 'plain.csv' && run.view === 'plane'")
    step(page, 1)
    _, path = download(page, "export-model", tmp_path)

    page.goto("about:blank")
    page = watched.open("dataset=circle")
    visits = route_phishing(page)
    page.get_by_test_id("import-model").set_input_files(hostile_model_file(path, tmp_path))
    run = wait_for_run(page, f"run.data_name === {json.dumps(FILE_NAME)}")
    expect(page.get_by_test_id("error-model")).to_be_hidden()
    assert run["columns"] == [LINK, BIG]
    assert sorted(run["classes"]) == sorted(CLASSES)
    page.wait_for_function(
        f"() => {PLOT}?.querySelector('.xtitle')"
        "?.getAttribute('data-unformatted')?.includes('evil')"
    )

    assert_no_markup(page, LINK, BIG)
    inputs = page.locator("[data-testid=network-graph] .input-label")
    assert inputs.all_text_contents() == [LINK, BIG]
    text = hover_text(page, *run["train"]["x"][0])
    assert f"{LINK} " in text and f", {BIG} " in text
    assert boundary_markup(page)["links"] == []
    page.mouse.move(0, 0)
    assert_title_click_stays(page, visits)
    expect(page.locator("#dataset-description")).to_contain_text(f"{FILE_NAME}: 60 rows")
