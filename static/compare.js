/**
 * The runs of this session, side by side: their loss curves on one chart and their final
 * numbers in a table; clicking a row brings that run's config back.
 *
 * `RunLog` keeps each run's `ready` (config, data, network) and its own `LossHistory`, which
 * the page fills from the frames, and the latest frame's losses and metrics. A run is
 * recorded once it has trained an epoch past its first frame's (configuring through the menus
 * starts many runs that never train), the last MAX_RUNS of them; the current one updates live.
 *
 * The chart is a Plotly figure, for its hover, zoom and PNG download; since a Plotly redraw
 * costs 15-30 ms here, it is redrawn at most every CHART_INTERVAL_MS while a run trains, each
 * curve decimated to the minimum and maximum per pixel column as the loss chart's are.
 */

import { decimate, LossHistory } from "./charts.js";
import { element } from "./fields.js";
import { elementSize } from "./size.js";

export const MAX_RUNS = 8;
const CHART_INTERVAL_MS = 500;
// Tableau's ten colours without its orange and blue, which the page's classes use.
const RUN_COLORS = ["#59a14f", "#e15759", "#b07aa1", "#76b7b2", "#edc948", "#9c755f", "#ff9da7", "#4e5a65"];
const PLOT_CONFIG = {
  displaylogo: false,
  modeBarButtonsToRemove: ["select2d", "lasso2d", "zoomIn2d", "zoomOut2d"],
  toImageButtonOptions: { filename: "mlp-playground-runs", scale: 2 },
};

const views = new WeakMap();

const runColor = (run) => RUN_COLORS[(run.number - 1) % RUN_COLORS.length];

/** Three significant digits, for a narrow column. */
const compact = (value) => {
  if (value === null || value === undefined) return "–";
  return value !== 0 && Math.abs(value) < 0.01
    ? value.toExponential(1)
    : String(Number(value.toPrecision(3)));
};

export class RunLog {
  constructor() {
    this.runs = []; // recorded runs, oldest first
    this.current = null;
    this.recorded = 0;
    this.version = 0;
  }

  /** A new run begins (`ready`); returns the loss history the page fills for it. */
  start(ready) {
    this.current = {
      number: null,
      ready,
      config: structuredClone(ready.config),
      learningRates: [ready.config.learning_rate],
      history: new LossHistory(),
      firstEpoch: null, // the first frame's: 0, or the epoch an imported model had reached
      last: null,
    };
    this.version += 1;
    return this.current.history;
  }

  /** The current run's latest frame; its first trained epoch records the run. */
  update(frame) {
    const run = this.current;
    if (!run) return;
    // Only the numbers: a frame's arrays are large, and a run's last frame is kept for good.
    const { epoch, metric, train_loss, test_loss, train_metric, test_metric } = frame;
    run.last = { epoch, metric, train_loss, test_loss, train_metric, test_metric };
    run.firstEpoch ??= epoch;
    if (run.number === null && epoch > run.firstEpoch) {
      this.recorded += 1;
      run.number = this.recorded;
      this.runs.push(run);
      if (this.runs.length > MAX_RUNS) this.runs.shift();
    }
    this.version += 1;
  }

  /** A live change (`set`) of the current run's learning or regularization rate: the run
   * trains on with it, and restoring the run brings the latest. */
  changeLive(field, value) {
    const run = this.current;
    if (!run || !(field in run.config) || run.config[field] === value) return;
    run.config[field] = value;
    if (field === "learning_rate") run.learningRates.push(value);
    this.version += 1;
  }
}

const COLUMNS = [
  ["#", "run", "The run's number in this session"],
  ["data", "dataset", "The data set"],
  ["layers", "layers", "Layer sizes: inputs, hidden layers, outputs"],
  ["act.", "activation", "Hidden activation"],
  ["lr", "lr", "Learning rate (an arrow: changed while it trained, to this)"],
  ["epochs", "epochs", "Epochs trained"],
  ["loss", "test-loss", "The test loss after the last epoch"],
  ["acc./R²", "test-metric", "The test accuracy (classification) or R² (regression) after the last epoch"],
];

/** Each column's [text shown, exact value] for a run. */
function rowCells(run) {
  const { ready, last } = run;
  const metric = last.test_metric;
  let metricText = "–";
  if (metric !== null && last.metric === "accuracy")
    metricText = `${(100 * metric).toFixed(metric === 1 ? 0 : 1)}%`;
  else if (metric !== null) metricText = `R² ${compact(metric)}`;
  return {
    run: [String(run.number), run.number],
    dataset: [ready.data_name, ready.config.dataset],
    layers: [ready.layer_sizes.join("-"), ready.layer_sizes.join(",")],
    activation: [ready.config.activation, ready.config.activation],
    lr: [`${run.learningRates.length > 1 ? "→" : ""}${run.config.learning_rate}`, run.config.learning_rate],
    epochs: [last.epoch.toLocaleString("en-US"), last.epoch],
    "test-loss": [compact(last.test_loss), last.test_loss ?? ""],
    "test-metric": [metricText, metric ?? ""],
  };
}

function createView(container) {
  const chart = element("div", { class: "compare-chart", "aria-label": "Loss curves of the runs" });
  const final = element("th", { scope: "colgroup", colspan: "2", class: "group", text: "final test" });
  const groups = element("tr", {}, [element("td", { colspan: String(COLUMNS.length - 2) }), final]);
  const head = element(
    "tr",
    {},
    COLUMNS.map(([text, key, title]) => element("th", { scope: "col", class: `col-${key}`, title, text })),
  );
  const body = element("tbody");
  const columns = element(
    "colgroup",
    {},
    COLUMNS.map(([, key]) => element("col", { class: `col-${key}` })),
  );
  const table = element("table", { class: "compare-table" }, [
    columns,
    element("thead", {}, [groups, head]),
    body,
  ]);
  const empty = element("p", { class: "hint", text: "A run shows here once it has trained an epoch." });
  const hint = element("p", {
    class: "hint",
    text: "Solid: test loss, dashed: training loss. Click a row to restore that run's settings.",
  });
  container.replaceChildren(chart, empty, element("div", { class: "compare-scroll" }, [table]), hint);
  return { chart, body, empty, rows: new Map(), chartKey: null, chartDrawn: 0, timer: null };
}

function buildRow(view, run) {
  const row = element("tr", { "data-testid": `compare-run-${run.number}` });
  row.dataset.run = String(run.number);
  const cells = {};
  for (const [, key] of COLUMNS) {
    cells[key] = element("td", { class: `col-${key}` });
    row.append(cells[key]);
  }
  // The whole row answers a click; the button makes it reachable from the keyboard.
  const button = element("button", {
    type: "button",
    class: "run-button",
    "aria-label": `Restore the settings of run ${run.number}`,
  });
  const swatch = element("span", { class: "run-swatch", style: `background:${runColor(run)}` });
  cells.run.append(swatch, button);
  row.addEventListener("click", () => view.onRestore(run));
  return { row, cells };
}

function showTable(view, log) {
  const shown = new Set(log.runs);
  for (const [run, { row }] of view.rows) {
    if (!shown.has(run)) {
      row.remove();
      view.rows.delete(run);
    }
  }
  log.runs.forEach((run, index) => {
    let entry = view.rows.get(run);
    if (!entry) {
      entry = buildRow(view, run);
      view.rows.set(run, entry);
    }
    // Oldest first; rows already in place stay put, so a focused row keeps its focus.
    if (view.body.children[index] !== entry.row)
      view.body.insertBefore(entry.row, view.body.children[index] ?? null);
    const current = run === log.current;
    entry.row.classList.toggle("current", current);
    entry.cells.run.title = current ? `run ${run.number}, the one training now` : `run ${run.number}`;
    for (const [key, [text, value]] of Object.entries(rowCells(run))) {
      const cell = entry.cells[key];
      const target = key === "run" ? cell.lastChild : cell;
      if (target.textContent !== text) target.textContent = text;
      cell.dataset.value = String(value);
      if (key !== "run") cell.title = text;
    }
    entry.cells.lr.title = `learning rate ${run.learningRates.join(" → ")}`;
  });
  view.empty.hidden = log.runs.length > 0;
}

function traces(log, buckets) {
  const traces = [];
  for (const run of log.runs) {
    const { history } = run;
    const color = runColor(run);
    for (const [name, values, dash, width] of [
      ["test", history.test, "solid", 2],
      ["training", history.train, "dash", 1.2],
    ]) {
      const [x, y] = decimate(history.epochs, values, history.length, buckets);
      traces.push({
        type: "scatter",
        mode: "lines",
        name: `run ${run.number} ${name}`,
        x: Array.from(x),
        y: Array.from(y, (v) => (Number.isFinite(v) ? v : null)),
        line: { color, dash, width },
        hovertemplate: `run ${run.number} ${name}: %{y:.4g} at epoch %{x}<extra></extra>`,
      });
    }
  }
  return traces;
}

function drawChart(view, log, logScale) {
  view.timer = null;
  view.chartDrawn = performance.now();
  const { width, height } = elementSize(view.chart);
  const layout = {
    width,
    height,
    margin: { l: 44, r: 8, t: 6, b: 30 },
    showlegend: false,
    hovermode: "closest",
    font: { size: 10, family: "system-ui, sans-serif" },
    xaxis: { title: { text: "epoch", standoff: 2 }, zeroline: false },
    yaxis: { title: { text: "loss", standoff: 2 }, type: logScale ? "log" : "linear", zeroline: false },
    paper_bgcolor: "#fff",
    plot_bgcolor: "#fff",
  };
  Plotly.react(view.chart, traces(log, Math.max(1, Math.round(width / 2))), layout, PLOT_CONFIG);
  view.chart.dataset.curves = String(2 * log.runs.length);
}

/**
 * Show `log`'s runs in `container`: the chart of their losses (`logScale` for a log axis) and
 * their table; `onRestore(run)` is called with the run whose row was clicked.
 */
export function renderCompare(container, log, { logScale, onRestore }) {
  let view = views.get(container);
  if (!view) {
    view = createView(container);
    views.set(container, view);
  }
  view.onRestore = onRestore;
  showTable(view, log);
  container.dataset.runs = String(log.runs.length);

  const { width, height } = elementSize(view.chart);
  const chartKey = `${log.version}|${logScale}|${width}x${height}`;
  if (chartKey === view.chartKey || width === 0 || height === 0) return;
  // Only the current run's curve grows while it trains: that may wait a little; a new run, a
  // scale or a size must not.
  const shape = `${log.runs.map((run) => run.number).join(",")}|${logScale}|${width}x${height}`;
  const growing = shape === view.chartShape;
  view.chartKey = chartKey;
  view.chartShape = shape;
  const wait = view.chartDrawn + CHART_INTERVAL_MS - performance.now();
  if (growing && wait > 0) {
    view.timer ??= setTimeout(() => drawChart(view, log, logScale), wait);
    return;
  }
  clearTimeout(view.timer);
  drawChart(view, log, logScale);
}
