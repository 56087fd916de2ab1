/**
 * The layer-space view, as in ConvNetJS's 2-D classification demo: the input plane as one
 * hidden layer sees it. Two of the layer's neurons span the axes; each training point sits at
 * its activations (a_i, a_j) in its class's colour, and the plane's grid lines are drawn where
 * the network maps them, so one watches the layers bend and fold the plane until the classes
 * come apart.
 *
 * Once the page has sent `layer_space`, each frame names the view in `layer_space` and carries
 * `layer_space_points` (n_train, 2) for that hidden layer; the grid lines' images (11 lines
 * x2 = c, then 11 lines x1 = c; one line, the x1 axis, for 1-D data) come from the frame's
 * weights through forward.js, as the decision boundary does.
 */

import { frameArray } from "./connection.js";
import { lineImages } from "./forward.js";
import { AXIS_LINE, classColor, css, scaleColor } from "./colors.js";
import { elementSize } from "./size.js";

const MARGIN = { l: 38, r: 8, t: 8, b: 32 };
const MAX_SIDE = 330;
const POINT_RADIUS = 3;
const PAD = 0.06;
/** Bounded activations keep their own range, so the picture does not jump while training. */
const ACTIVATION_RANGE = { tanh: [-1, 1], sigmoid: [0, 1], softmax: [0, 1] };

const views = new WeakMap();

const hiddenWidths = (run) => run.layer_sizes.slice(1, -1);

/** The first two neurons of the first hidden layer that has two; null if none has. */
export function defaultSelection(run) {
  const layer = hiddenWidths(run).findIndex((width) => width >= 2);
  return layer < 0 ? null : { layer, neurons: [0, 1] };
}

/** `selection` if it still fits the run's network, else the default one. */
export function fitSelection(selection, run) {
  const width = selection ? hiddenWidths(run)[selection.layer] : undefined;
  if (width === undefined || !selection.neurons.every((i) => i < width)) return defaultSelection(run);
  return selection;
}

/** A select labelled `text`; `options` are [value, text, disabled] triples. */
function labelledSelect(text, testId, options, value) {
  const label = document.createElement("label");
  label.className = "field";
  const span = document.createElement("span");
  span.textContent = text;
  const select = document.createElement("select");
  select.dataset.testid = testId;
  for (const [optionValue, optionText, disabled] of options) {
    const option = new Option(optionText, String(optionValue));
    option.disabled = Boolean(disabled);
    select.add(option);
  }
  select.value = String(value);
  label.append(span, select);
  return { label, select };
}

const neuronOptions = (width) => Array.from({ length: width }, (_, i) => [i, `neuron ${i + 1}`]);

/** The selects and the canvas for one run's network. */
function build(element, run, selection, context) {
  const hidden = hiddenWidths(run);
  const controls = element.querySelector(".layer-space-controls");
  const plot = element.querySelector(".layer-space-plot");
  controls.replaceChildren();
  plot.replaceChildren();
  const canvas = document.createElement("canvas");
  canvas.setAttribute("role", "img");
  plot.append(canvas);
  const view = { run, canvas, plot, selects: null };
  if (!selection) return view;

  const layer = labelledSelect(
    "Hidden layer",
    "layer-space-layer",
    hidden.map((width, l) => [l, `layer ${l + 1} · ${width}`, width < 2]),
    selection.layer,
  );
  const width = hidden[selection.layer];
  const x = labelledSelect("x axis", "layer-space-x", neuronOptions(width), selection.neurons[0]);
  const y = labelledSelect("y axis", "layer-space-y", neuronOptions(width), selection.neurons[1]);
  layer.select.addEventListener("change", () =>
    context.onSelect({ layer: Number(layer.select.value), neurons: [0, 1] }),
  );
  /** The two axes need two different neurons: choosing the other axis's neuron swaps them. */
  const pick = (axis) => {
    const neurons = [Number(x.select.value), Number(y.select.value)];
    if (neurons[0] === neurons[1]) neurons[1 - axis] = selection.neurons[axis];
    context.onSelect({ layer: selection.layer, neurons });
  };
  x.select.addEventListener("change", () => pick(0));
  y.select.addEventListener("change", () => pick(1));
  controls.append(layer.label, x.label, y.label);
  view.selects = { layer: layer.select, x: x.select, y: y.select };
  return view;
}

/** About four round tick values spanning [low, high]. */
function ticks(low, high) {
  const step0 = (high - low) / 4;
  const power = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 5, 10].map((f) => f * power).find((s) => s >= step0) ?? step0;
  const values = [];
  for (let v = Math.ceil(low / step) * step; v <= high + 1e-9 * step; v += step) values.push(v);
  return values.map((v) => (Math.abs(v) < step * 1e-9 ? 0 : v));
}

/** The axes' [low, high]: the activation's own range if bounded, else the values' extent. */
function extent(values, activation) {
  let [low, high] = ACTIVATION_RANGE[activation] ?? [Infinity, -Infinity];
  if (!ACTIVATION_RANGE[activation]) {
    for (const v of values) {
      if (!Number.isFinite(v)) continue;
      low = Math.min(low, v);
      high = Math.max(high, v);
    }
    if (!(high > low)) [low, high] = Number.isFinite(low) ? [low - 1, low + 1] : [-1, 1];
  }
  const pad = (high - low) * PAD;
  return [low - pad, high + pad];
}

function drawMessage(context, width, height, text) {
  context.fillStyle = "#6b7378";
  context.font = "12px system-ui, sans-serif";
  context.textAlign = "center";
  context.fillText(text, width / 2, height / 2);
}

function drawAxes(draw, area, xRange, yRange, labels) {
  draw.strokeStyle = AXIS_LINE;
  draw.lineWidth = 1;
  draw.strokeRect(MARGIN.l + 0.5, MARGIN.t + 0.5, area.width, area.height);
  draw.fillStyle = "#6b7378";
  draw.font = "9px system-ui, sans-serif";
  draw.textAlign = "center";
  draw.textBaseline = "top";
  for (const v of ticks(...xRange)) {
    const x = MARGIN.l + area.px(v);
    draw.fillRect(x, MARGIN.t + area.height, 1, 3);
    draw.fillText(String(+v.toPrecision(3)), x, MARGIN.t + area.height + 4);
  }
  draw.textAlign = "right";
  draw.textBaseline = "middle";
  for (const v of ticks(...yRange)) {
    const y = MARGIN.t + area.py(v);
    draw.fillRect(MARGIN.l - 3, y, 3, 1);
    draw.fillText(String(+v.toPrecision(3)), MARGIN.l - 5, y);
  }
  draw.font = "10px system-ui, sans-serif";
  draw.fillStyle = "#2b2f33";
  draw.textAlign = "center";
  draw.textBaseline = "bottom";
  draw.fillText(labels.x, MARGIN.l + area.width / 2, MARGIN.t + area.height + 30);
  draw.save();
  draw.translate(10, MARGIN.t + area.height / 2);
  draw.rotate(-Math.PI / 2);
  draw.textBaseline = "middle";
  draw.fillText(labels.y, 0, 0);
  draw.restore();
}

function pointColor(run, label) {
  if (run.kind === "regression") return scaleColor(label, [-1, 1]);
  return css(classColor(label));
}

/**
 * Draw the frame's layer-space arrays into `element` (which holds `.layer-space-controls` and
 * `.layer-space-plot`). `context`: run, selection ({layer, neurons: [i, j]} or null), probe
 * (index of the probe sample), onSelect(selection).
 */
export function renderLayerSpace(element, frame, context) {
  const { run, selection } = context;
  let view = views.get(element);
  const key = `${run.run}|${selection?.layer}|${selection?.neurons}`;
  if (!view || view.key !== key) {
    view = build(element, run, selection, context);
    view.key = key;
    views.set(element, view);
  }
  const { width } = elementSize(view.plot);
  const side = Math.max(120, Math.min(width, MAX_SIDE));
  const ratio = window.devicePixelRatio || 1;
  const { canvas } = view;
  if (canvas.width !== Math.round(side * ratio)) {
    canvas.width = Math.round(side * ratio);
    canvas.height = Math.round(side * ratio);
    Object.assign(canvas.style, { width: `${side}px`, height: `${side}px` });
  }
  const draw = canvas.getContext("2d");
  draw.setTransform(ratio, 0, 0, ratio, 0, 0);
  draw.clearRect(0, 0, side, side);

  element.dataset.layer = selection ? String(selection.layer) : "";
  element.dataset.neurons = selection ? selection.neurons.join(",") : "";
  if (!selection) {
    element.dataset.points = "0";
    drawMessage(draw, side, side, "Needs a hidden layer of at least two neurons.");
    return;
  }
  const shown = frame.layer_space;
  const current =
    shown?.layer === selection.layer && shown.neurons.every((i, k) => i === selection.neurons[k]);
  const points = current && frameArray(frame, "layer_space_points", shown.layer);
  const grid = current && lineImages(frame, run, shown.layer, shown.neurons);
  if (!points || !grid) {
    element.dataset.points = "0";
    drawMessage(draw, side, side, "Waiting for the server…");
    return;
  }

  const activation = run.config.activation;
  const xs = [];
  const ys = [];
  for (const source of [points.data, grid.data]) {
    for (let i = 0; i < source.length; i += 2) {
      xs.push(source[i]);
      ys.push(source[i + 1]);
    }
  }
  const xRange = extent(xs, activation);
  const yRange = extent(ys, activation);
  const area = {
    width: side - MARGIN.l - MARGIN.r,
    height: side - MARGIN.t - MARGIN.b,
  };
  area.px = (v) => ((v - xRange[0]) / (xRange[1] - xRange[0])) * area.width;
  area.py = (v) => ((yRange[1] - v) / (yRange[1] - yRange[0])) * area.height;
  const [i, j] = selection.neurons;
  const n = selection.layer + 1;
  drawAxes(draw, area, xRange, yRange, {
    x: `a${superscript(n)} of neuron ${i + 1}`,
    y: `a${superscript(n)} of neuron ${j + 1}`,
  });

  draw.save();
  draw.beginPath();
  draw.rect(MARGIN.l, MARGIN.t, area.width, area.height);
  draw.clip();
  draw.translate(MARGIN.l, MARGIN.t);
  const [nLines, nAlong] = grid.shape;
  const middle = (nLines / 2 - 1) / 2;
  for (let line = 0; line < nLines; line++) {
    const centre = line % (nLines / 2) === middle;
    draw.strokeStyle = centre ? "rgba(24,61,78,0.55)" : "rgba(24,61,78,0.2)";
    draw.lineWidth = centre ? 1.4 : 1;
    draw.beginPath();
    for (let p = 0; p < nAlong; p++) {
      const at = 2 * (line * nAlong + p);
      const x = area.px(grid.data[at]);
      const y = area.py(grid.data[at + 1]);
      if (p === 0) draw.moveTo(x, y);
      else draw.lineTo(x, y);
    }
    draw.stroke();
  }
  const labels = run.train.y;
  const nPoints = points.shape[0];
  draw.lineWidth = 1;
  draw.strokeStyle = "#fff";
  for (let p = 0; p < nPoints; p++) {
    draw.fillStyle = pointColor(run, labels[p]);
    draw.beginPath();
    draw.arc(area.px(points.data[2 * p]), area.py(points.data[2 * p + 1]), POINT_RADIUS, 0, 2 * Math.PI);
    draw.fill();
    draw.stroke();
  }
  if (context.probe < nPoints) {
    draw.strokeStyle = "#111";
    draw.lineWidth = 2.5;
    draw.beginPath();
    const p = context.probe;
    draw.arc(area.px(points.data[2 * p]), area.py(points.data[2 * p + 1]), 7, 0, 2 * Math.PI);
    draw.stroke();
  }
  draw.restore();
  element.dataset.points = String(nPoints);
  element.dataset.lines = String(nLines);
  canvas.setAttribute(
    "aria-label",
    `The training points and the input plane's grid lines in the space of neurons ${i + 1} ` +
      `and ${j + 1} of hidden layer ${n}`,
  );
}

const SUPERSCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹";
const superscript = (n) => String(n).replace(/\d/g, (d) => SUPERSCRIPTS[d]);
