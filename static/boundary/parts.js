/**
 * What the boundary's views (plane.js, line.js, pca.js, draw.js) share: the data points'
 * traces and the probe's, the output over the grid, a hovered node's map, and the legends'
 * swatches and ramps.
 */

import { layerSizes } from "../connection.js";
import { planePictures } from "../forward.js";
import { activationDomain, classColor, COLORSCALE, css, symmetricDomain } from "../colors.js";
import { escapeHtml, plotlyText } from "../markup.js";
import { className, featureGrid, featureLine, FEATURE_LABELS, inputNodes, planeInputs } from "../sketches.js";
import { formatValue } from "../tooltip.js";

const FEATURE_MAP_SIDE = 60;

export const isClassifier = (run) => run.kind !== "regression";

/** The axes' titles over the plane or the `line`: the inputs' names (the data's columns for
 * tabular data, else x₁ and x₂), the line's vertical axis a target or a probability. */
export function inputTitles(run, line) {
  const tabular = !planeInputs(run);
  const x = tabular ? run.columns[0] : "x₁";
  if (line) return [x, run.kind === "regression" ? "y" : "P(class)"];
  return [x, tabular ? run.columns[1] : "x₂"];
}

function labelText(run, label) {
  return isClassifier(run) ? className(run, label) : `target ${formatValue(label)}`;
}

/** A marker coloured by labels: each class its colour, or targets on the orange-blue scale. */
export function labelMarker(kind, labels, marker) {
  if (kind === "regression") return Object.assign(marker, { color: labels, colorscale: COLORSCALE, cmin: -1, cmax: 1 });
  return Object.assign(marker, { color: labels.map((label) => css(classColor(label))) });
}

/**
 * The samples of `split` as a hoverable scatter trace over the plane or the `line`, at heights
 * `y` (one per sample), their markers outlined in `outline` and coloured by `color(marker)`.
 */
export function samplesTrace(run, split, { line, y, outline, color }) {
  const { x, y: labels } = run[split];
  const marker = color({ size: x.length > 1500 ? 4 : 6, line: { color: outline, width: 1 } });
  // The names (columns, classes) come in as meta and customdata, never as part of the
  // template, whose `%{...}` and tags are Plotly's to read.
  const where = line ? "%{meta[0]} %{x:.2f}" : "%{meta[0]} %{x:.2f}, %{meta[1]} %{y:.2f}";
  return {
    type: "scatter",
    mode: "markers",
    name: split,
    x: x.map((p) => p[0]),
    y,
    marker,
    meta: inputTitles(run, line).map(plotlyText),
    customdata: labels.map((label) => plotlyText(labelText(run, label))),
    hovertemplate: `${split} #%{pointNumber}<br>${where}<br>%{customdata}<extra></extra>`,
  };
}

/** The ring around the probe sample, at its height `y`. */
function probeTrace(frame, run, y) {
  const index = Math.min(frame.probe, run.train.x.length - 1);
  const point = run.train.x[index];
  return {
    type: "scatter",
    mode: "markers",
    x: [point[0]],
    y: [y(point, run.train.y[index])],
    hoverinfo: "skip",
    marker: { symbol: "circle-open", size: 15, color: "#111", line: { width: 2.5 } },
  };
}

/** The training points' trace: the first of `samplesAndProbe`'s. */
export const TRAIN_TRACE = 0;

/** The training and test points (the test ones shown with `showTest`) and the probe's ring. */
export function samplesAndProbe(figure, frame, context, probeY) {
  return [
    figure.train,
    { ...figure.test, visible: context.showTest },
    probeTrace(frame, figure.run, probeY),
  ];
}

/** One output unit's values over the grid (the whole array for a single output). */
export function outputColumn(frame, run, j) {
  const { data, shape } = planePictures(frame, run).output;
  const nY = shape[shape.length - 1];
  if (nY === 1) return data;
  return Float32Array.from({ length: data.length / nY }, (_, i) => data[i * nY + j]);
}

/** The grid's cell of coordinate `v` over `range`, on a grid of `n` cells a side. */
function gridCell(v, [low, high], n) {
  return Math.max(0, Math.min(n - 1, Math.round(((v - low) / (high - low)) * (n - 1))));
}

/**
 * The readout at the pointer `at` ({x, y}, the data's coordinates): where it is and the output
 * there (the class and its probabilities, or the value); on the `line`, by x alone.
 */
export function readoutAt(figure, at, line) {
  const { run, frame } = figure;
  const [xName, yName] = inputTitles(run, line);
  const n = run.grid.resolution;
  const column = gridCell(at.x, run.grid.x_range, n);
  const position = line
    ? `${xName} ${at.x.toFixed(2)}`
    : `${xName} ${at.x.toFixed(2)}, ${yName} ${at.y.toFixed(2)}`;
  const where = line ? column : gridCell(at.y, run.grid.y_range, n) * n + column;
  return `${position}: ${outputText(frame, run, where)}`;
}

function outputText(frame, run, where) {
  const { data, shape } = planePictures(frame, run).output;
  const nY = shape[shape.length - 1];
  const values = Array.from(data.subarray(where * nY, (where + 1) * nY));
  if (run.kind === "multiclass") {
    const best = values.indexOf(Math.max(...values));
    return `${className(run, best)} (P = ${values.map(formatValue).join(", ")})`;
  }
  return `${run.kind === "regression" ? "prediction" : `P(${className(run, 1)})`} ${formatValue(values[0])}`;
}

/** What a hovered graph node shows: {values, side, domain, title}, or null for the output. */
function nodePicture(frame, run, hover) {
  const sizes = layerSizes(frame);
  const { column, index } = hover;
  const oneD = run.n_inputs === 1;
  if (column >= sizes.length || index >= sizes[column]) return null;
  if (column === 0) {
    const input = inputNodes(run)[index];
    if (!input?.feature) return null;
    const side = oneD ? run.grid.resolution : FEATURE_MAP_SIDE;
    const values = oneD
      ? featureLine(input.feature, side, run.grid.x_range)
      : featureGrid(input.feature, side, run.grid.x_range, run.grid.y_range);
    const name = planeInputs(run) ? FEATURE_LABELS[input.feature] : input.name;
    return {
      values,
      side,
      domain: symmetricDomain(values),
      title: `Input ${name} over the ${oneD ? "line" : "plane"}`,
    };
  }
  if (column === sizes.length - 1) {
    if (sizes.at(-1) === 1) return null;
    const values = outputColumn(frame, run, index);
    return {
      values,
      side: run.grid.resolution,
      domain: [0, 1],
      classColor: classColor(index),
      title: `Output ${index}: the probability of ${className(run, index)}`,
    };
  }
  const { data, shape } = planePictures(frame, run).neurons[column - 1];
  const size = shape.slice(1).reduce((a, b) => a * b, 1);
  const values = data.subarray(index * size, (index + 1) * size);
  return {
    values,
    side: run.grid.thumbnail,
    domain: activationDomain(run.config.activation, [values]),
    title: `Neuron ${index + 1} of hidden layer ${column}: its activation a over the plane`,
  };
}

/** The hovered node's picture, or null when no node is hovered or it has none. */
export const hoveredPicture = (frame, run, context) =>
  context.hover ? nodePicture(frame, run, context.hover) : null;

// -- legends ------------------------------------------------------------------------------------

const gradient = `linear-gradient(to right, ${COLORSCALE.map(([, color]) => color).join(", ")})`;

/** Class swatches; many classes named by number go by their numbers alone. */
export function swatches(names) {
  const short = names.length > 5 && names.every((name) => /^class \d+$/.test(name));
  const items = names.map(
    (name, k) =>
      `<span class="swatch-box" style="background:${css(classColor(k))}"></span>${escapeHtml(short ? String(k) : name)}`,
  );
  return items.join(" ");
}

export const ramp = (low, high, name) =>
  `<span>${low}</span><span class="ramp" style="background:${gradient}" title="${name}"></span><span>${high}</span>`;

export const classNames = (run) => run.classes.map((_, k) => className(run, k));

/** What the output's colours mean for the run's kind of problem. */
export function outputLegend(run) {
  const names = classNames(run);
  if (run.kind === "multiclass") return swatches(names);
  if (run.kind === "regression") return ramp("−1", "+1", "prediction and target");
  return ramp(`0 (${escapeHtml(names[0])})`, `1 (${escapeHtml(names[1])})`, `P(${escapeHtml(names[1])})`);
}
