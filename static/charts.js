/**
 * The loss curves and the readouts above them.
 *
 * `LossHistory` keeps every epoch's training and test loss of the current run (each frame's
 * `history` is appended, so the curve has no gaps). Drawing a 100k-epoch run point by point
 * would be slow and no clearer, so the chart draws the minimum and maximum of each pixel
 * column's epochs, which keeps every spike visible. The chart is a canvas (TF Playground's is
 * a bare d3 line): a Plotly redraw per frame costs 15-30 ms here, the canvas well under one.
 * Hovering it reads out the epoch and both losses; its PNG button saves the canvas.
 *
 * At full speed a run's first few hundred epochs, where the loss falls, are a sliver at the
 * left of a 10,000-epoch axis: the "log epochs" toggle spaces the epoch axis by log(1 + epoch)
 * so the fall and the long tail share the chart. Numbers are written compact (formatCompact):
 * a loss that overflowed is "1.74e+272", never 16 digits that push the layout apart.
 */

import { AXIS_LINE, TEST_INK, TRAIN_INK } from "./colors.js";
import { formatCompact, formatValue } from "./tooltip.js";
import { elementSize } from "./size.js";

const MAX_DRAWN = 2000;
const TRAIN_COLOR = TRAIN_INK;
const TEST_COLOR = TEST_INK;

// One counter for every history, so that a version never repeats when the page swaps one
// run's history for the next (views redraw when the version they drew changes).
let versions = 0;

/** Growable columns of epoch, training loss and test loss (NaN where unknown). */
export class LossHistory {
  constructor() {
    this.clear();
  }

  clear() {
    this.length = 0;
    this.epochs = new Float64Array(1024);
    this.train = new Float64Array(1024);
    this.test = new Float64Array(1024);
    this.version = ++versions;
  }

  push(epoch, trainLoss, testLoss) {
    if (this.length === this.epochs.length) {
      for (const name of ["epochs", "train", "test"]) {
        const grown = new Float64Array(2 * this.length);
        grown.set(this[name]);
        this[name] = grown;
      }
    }
    this.epochs[this.length] = epoch;
    this.train[this.length] = trainLoss ?? NaN;
    this.test[this.length] = testLoss ?? NaN;
    this.length += 1;
    this.version = ++versions;
  }

  /** Add a frame's losses: its `history`, after the run's starting point (epoch 0, or the
   * epoch an imported model had reached), which no history holds. */
  append(frame) {
    const { epoch, train_loss: train, test_loss: test } = frame.history;
    if (this.length === 0 && !epoch.includes(frame.epoch)) {
      this.push(frame.epoch, frame.train_loss, frame.test_loss);
    }
    for (let i = 0; i < epoch.length; i++) this.push(epoch[i], train[i], test[i]);
  }
}

/**
 * At most `buckets` x 2 points of (x, y): each bucket's minimum and maximum, in x order.
 * Buckets split [x[0], x[length - 1]] evenly, or evenly in `position(x)` (ascending, e.g. a
 * log axis's) when it is given, so each bucket is one pixel column of the chart.
 */
export function decimate(x, y, length, buckets, position = (v) => v) {
  if (length <= 2 * buckets) return [x.slice(0, length), y.slice(0, length)];
  const outX = new Float64Array(2 * buckets);
  const outY = new Float64Array(2 * buckets);
  const first = position(x[0]);
  const span = position(x[length - 1]) - first || 1;
  const bucketOf = (i) => Math.min(buckets - 1, Math.floor(((position(x[i]) - first) / span) * buckets));
  let n = 0;
  let start = 0;
  while (start < length) {
    const bucket = bucketOf(start);
    let end = start + 1;
    while (end < length && bucketOf(end) === bucket) end += 1;
    let low = start;
    let high = start;
    for (let i = start; i < end; i++) {
      if (y[i] < y[low]) low = i;
      if (y[i] > y[high]) high = i;
    }
    for (const i of low === high ? [low] : low < high ? [low, high] : [high, low]) {
      outX[n] = x[i];
      outY[n] = y[i];
      n += 1;
    }
    start = end;
  }
  return [outX.subarray(0, n), outY.subarray(0, n)];
}

const MARGIN = { r: 10, t: 8, b: 18 };
const charts = new WeakMap();

/** Round tick positions covering [low, high]: steps of 1, 2 or 5 times a power of ten. */
function niceTicks(low, high, count) {
  const raw = (high - low) / count || 1;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw);
  const ticks = [];
  for (let t = Math.ceil(low / step) * step; t <= high + step * 1e-9; t += step) ticks.push(t);
  return ticks;
}

/** The y axis: [low, high] and its ticks, over the finite (and, on a log scale, positive) losses. */
function yAxis(series, logScale) {
  let low = Infinity;
  let high = -Infinity;
  for (const values of series) {
    for (const v of values) {
      if (!Number.isFinite(v) || (logScale && v <= 0)) continue;
      low = Math.min(low, v);
      high = Math.max(high, v);
    }
  }
  if (!Number.isFinite(low)) [low, high] = logScale ? [0.01, 1] : [0, 1];
  if (logScale) {
    const from = Math.floor(Math.log10(low));
    const to = Math.max(Math.ceil(Math.log10(high)), from + 1);
    const every = Math.ceil((to - from) / 4);
    const ticks = [];
    for (let e = from; e <= to; e += every) ticks.push(10 ** e);
    return { low: 10 ** from, high: 10 ** to, ticks, position: Math.log10 };
  }
  const top = Math.min(high * 1.05, Number.MAX_VALUE) || 1;
  return { low: 0, high: top, ticks: niceTicks(0, top, 3), position: (v) => v };
}

/**
 * The epoch axis up to `last`: where an epoch sits (0..1) and back, and its ticks. On a log
 * axis the position is log(1 + epoch), ticks at 0 and the powers of ten.
 */
function epochAxis(last, logEpochs) {
  if (!logEpochs) {
    return { at: (epoch) => epoch / last, epochAt: (f) => f * last, ticks: niceTicks(0, last, 4) };
  }
  const span = Math.log10(1 + last);
  const ticks = [0];
  for (let t = 1; t <= last; t *= 10) ticks.push(t);
  return {
    at: (epoch) => Math.log10(1 + epoch) / span,
    epochAt: (f) => 10 ** (f * span) - 1,
    ticks,
  };
}

function createChart(element) {
  const canvas = document.createElement("canvas");
  element.replaceChildren(canvas);
  const chart = { canvas, key: null, hoverX: null, history: null, logScale: false, logEpochs: false };
  chart.left = 40;
  canvas.addEventListener("mousemove", (event) => {
    chart.hoverX = event.clientX - canvas.getBoundingClientRect().left - chart.left;
    draw(element, chart);
  });
  canvas.addEventListener("mouseleave", () => {
    chart.hoverX = null;
    draw(element, chart);
  });
  return chart;
}

/** Index of the last epoch <= `epoch` (epochs ascending). */
function lastAtOrBefore(epochs, length, epoch) {
  let low = 0;
  let high = length - 1;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (epochs[middle] <= epoch) low = middle;
    else high = middle - 1;
  }
  return low;
}

function draw(element, chart) {
  const { canvas, history, logScale } = chart;
  const ratio = window.devicePixelRatio || 1;
  const { width, height } = elementSize(element);
  if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
    Object.assign(canvas, { width: Math.round(width * ratio), height: Math.round(height * ratio) });
    Object.assign(canvas.style, { width: `${width}px`, height: `${height}px` });
  }
  const context = canvas.getContext("2d");
  context.setTransform(ratio, 0, 0, ratio, 0, 0);
  context.clearRect(0, 0, width, height);
  const n = history.length;
  const lastEpoch = Math.max(n ? history.epochs[n - 1] : 0, 1);
  const x = epochAxis(lastEpoch, chart.logEpochs);
  // Decimate to the plot's pixel columns first (the y labels' width is known after).
  const columns = Math.max(1, Math.min(MAX_DRAWN / 2, Math.round(width - 50 - MARGIN.r)));
  const train = decimate(history.epochs, history.train, n, columns, x.at);
  const test = decimate(history.epochs, history.test, n, columns, x.at);
  const y = yAxis([train[1], test[1]], logScale);

  context.font = "10px system-ui, sans-serif";
  const labels = y.ticks.map((tick) => formatCompact(tick, 2));
  // The y labels decide the left margin, so "1e-5" or "2e+231" is never cut.
  const left = Math.ceil(Math.max(24, ...labels.map((label) => context.measureText(label).width)) + 8);
  chart.left = left;
  const plotWidth = width - left - MARGIN.r;
  const plotHeight = height - MARGIN.t - MARGIN.b;
  const px = (epoch) => left + x.at(epoch) * plotWidth;
  const py = (v) =>
    MARGIN.t +
    (1 - (y.position(v) - y.position(y.low)) / (y.position(y.high) - y.position(y.low))) * plotHeight;

  context.fillStyle = "#7b8388";
  context.strokeStyle = "#eceff1";
  context.lineWidth = 1;
  context.textAlign = "right";
  context.textBaseline = "middle";
  y.ticks.forEach((tick, i) => {
    const at = Math.round(py(tick)) + 0.5;
    context.beginPath();
    context.moveTo(left, at);
    context.lineTo(left + plotWidth, at);
    context.stroke();
    context.fillText(labels[i], left - 4, at);
  });
  context.textAlign = "center";
  context.textBaseline = "top";
  let lastRight = -Infinity;
  for (const tick of x.ticks) {
    const label = tick.toLocaleString("en-US");
    const half = context.measureText(label).width / 2;
    const at = Math.min(px(tick), width - half - 1); // the last label stays inside the canvas
    if (at - half < lastRight + 4) continue; // log ticks crowd at the left: no overlaps
    context.fillText(label, at, MARGIN.t + plotHeight + 4);
    lastRight = at + half;
  }
  context.strokeStyle = AXIS_LINE;
  context.strokeRect(left + 0.5, MARGIN.t + 0.5, plotWidth, plotHeight);

  context.save();
  context.beginPath();
  context.rect(left, MARGIN.t, plotWidth, plotHeight);
  context.clip();
  for (const [[xs, ys], color, lineWidth] of [
    [train, TRAIN_COLOR, 1.5],
    [test, TEST_COLOR, 2],
  ]) {
    context.strokeStyle = color;
    context.lineWidth = lineWidth;
    context.beginPath();
    let drawing = false;
    for (let i = 0; i < xs.length; i++) {
      const usable = Number.isFinite(ys[i]) && !(logScale && ys[i] <= 0);
      if (!usable) {
        drawing = false;
        continue;
      }
      if (drawing) context.lineTo(px(xs[i]), py(ys[i]));
      else context.moveTo(px(xs[i]), py(ys[i]));
      drawing = true;
    }
    context.stroke();
    if (xs.length === 1 && Number.isFinite(ys[0])) {
      context.fillStyle = color;
      context.fillRect(px(xs[0]) - 1, py(ys[0]) - 1, 3, 3);
    }
  }
  context.restore();

  if (chart.hoverX !== null && n > 0 && chart.hoverX >= 0 && chart.hoverX <= plotWidth) {
    const i = lastAtOrBefore(history.epochs, n, x.epochAt(chart.hoverX / plotWidth));
    const at = px(history.epochs[i]);
    context.strokeStyle = "rgba(0,0,0,0.35)";
    context.lineWidth = 1;
    context.beginPath();
    context.moveTo(at, MARGIN.t);
    context.lineTo(at, MARGIN.t + plotHeight);
    context.stroke();
    const label = `epoch ${history.epochs[i]}: test ${formatValue(history.test[i])}, training ${formatValue(history.train[i])}`;
    context.font = "11px system-ui, sans-serif";
    const labelWidth = context.measureText(label).width + 8;
    const labelLeft = Math.min(Math.max(left, at - labelWidth / 2), left + plotWidth - labelWidth);
    context.fillStyle = "rgba(255,255,255,0.92)";
    context.fillRect(labelLeft, MARGIN.t + 1, labelWidth, 15);
    context.fillStyle = "#222";
    context.textAlign = "left";
    context.fillText(label, labelLeft + 4, MARGIN.t + 3);
  }
  element.dataset.yLabels = labels.join(" ");
}

/** Draw the loss curves of `history` into `element` (only when something changed). */
export function renderLossChart(element, history, { logScale, logEpochs }) {
  let chart = charts.get(element);
  if (!chart) {
    chart = createChart(element);
    charts.set(element, chart);
  }
  chart.history = history;
  chart.logScale = logScale;
  chart.logEpochs = logEpochs;
  const { width, height } = elementSize(element);
  const key = `${history.version}|${logScale}|${logEpochs}|${width}x${height}`;
  if (chart.key === key) return;
  chart.key = key;
  draw(element, chart);
  element.dataset.points = String(history.length);
}

function setReadout(id, value, text) {
  const element = document.getElementById(id);
  element.dataset.value = value === null || value === undefined ? "" : String(value);
  element.textContent = text;
}

/** Epoch, losses and metric of `frame` into the readouts (`metric`: "accuracy" or "r2"). */
export function renderReadouts(frame) {
  setReadout("epoch-count", frame.epoch, frame.epoch.toLocaleString("en-US", { minimumIntegerDigits: 6 }));
  // The rate of training now: none while paused, stepping or stopped by a divergence.
  const rate = frame.state === "running" ? frame.epochs_per_second : 0;
  setReadout("epochs-per-second", rate, Math.round(rate).toLocaleString("en-US"));
  const loss = (value) => {
    if (value === null) return "–";
    return value === 0 || (value >= 0.001 && value < 1000) ? value.toFixed(3) : formatCompact(value);
  };
  setReadout("train-loss", frame.train_loss, loss(frame.train_loss));
  setReadout("test-loss", frame.test_loss, loss(frame.test_loss));
  const isAccuracy = frame.metric === "accuracy";
  const metric = (value) => {
    if (value === null) return "–";
    if (isAccuracy) return `${(100 * value).toFixed(1)}%`;
    return Math.abs(value) < 1000 ? value.toFixed(3) : formatCompact(value);
  };
  document.getElementById("metric-name").textContent = isAccuracy ? "Accuracy" : "R²";
  setReadout("train-metric", frame.train_metric, metric(frame.train_metric));
  setReadout("test-metric", frame.test_metric, metric(frame.test_metric));
}
