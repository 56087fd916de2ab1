/**
 * The output view: what the network computes over the input plane, with the data on top.
 *
 * By the run's `view`: "plane", binary classification and 2-D regression show the frame's
 * `output` as a heatmap, multi-class each point of the plane in its most probable class's
 * colour, faded as that probability falls to chance; "line", the fitted curve (one per class
 * for classification) under the data; "pca" (more than two inputs), the samples on their
 * first two principal components, coloured by the class (or value) the network predicts for
 * them, wrong predictions drawn as a cross. While a node of the graph is hovered, its own map
 * (or curve) replaces the output. In draw mode (`context.draw`) the view shows the points the
 * user draws on the plane, and a click adds one.
 *
 * Two layers: the background is painted on a canvas under the plot area every frame (about a
 * millisecond), while a Plotly figure on top holds the axes and the data points, with their
 * hover and the click that picks the probe sample. Plotly redraws only when the points,
 * the probe or the size change: redrawing a 100 x 100 Plotly heatmap costs tens of
 * milliseconds a frame, which training at 30 frames a second cannot afford. So the principal
 * component view paints its points on the canvas too (their colours change every frame) and
 * keeps invisible Plotly markers for hover and click.
 */

import { frameArray, layerSizes } from "./connection.js";
import { planePictures } from "./forward.js";
import {
  activationDomain,
  BLUE,
  classColor,
  COLORSCALE,
  css,
  paintClasses,
  paintMap,
  paintProbability,
  scaleColor,
  symmetricDomain,
} from "./colors.js";
import { escapeHtml, plotlyText } from "./markup.js";
import {
  className,
  featureGrid,
  featureLine,
  FEATURE_LABELS,
  inputNodes,
  planeInputs,
} from "./sketches.js";
import { formatValue, hideTooltip, showTooltip } from "./tooltip.js";
import { elementSize } from "./size.js";

const MARGIN = { l: 34, r: 8, t: 6, b: 30 };
const FEATURE_MAP_SIDE = 60;
const PLOT_CONFIG = {
  displayModeBar: false,
  scrollZoom: false,
  doubleClick: false,
  staticPlot: false,
};
const TRAIN_TRACE = 0;

const figures = new WeakMap();

const isClassifier = (run) => run.kind !== "regression";

/** What the figure shows: the run's view, or "draw" while the user draws points. */
const figureView = (run, draw) => (draw ? "draw" : run.view);

/** Where the line view puts a sample vertically: its target, or its class as a probability. */
function lineY(run, label) {
  if (run.kind === "regression") return label;
  return run.kind === "binary" ? label : -0.1;
}

/**
 * The plot's x and y ranges: the server's (`ready`), but for the line view's vertical axis,
 * which shows targets or probabilities; `draw`: draw mode's context, whose plane is
 * `draw.range`.
 */
function ranges(run, view, draw) {
  if (view === "draw") return { x: draw.range, y: draw.range };
  if (view !== "line") return { x: run.x_range, y: run.y_range };
  if (run.kind !== "regression") return { x: run.x_range, y: [-0.2, 1.15] };
  const targets = [...run.train.y, ...run.test.y];
  return { x: run.x_range, y: [Math.min(...targets) - 0.3, Math.max(...targets) + 0.3] };
}

/** The axes' titles: the inputs' names, or the principal components and their share. */
function axisTitles(run, view) {
  if (view === "pca") {
    const share = (k) => (run.explained_variance ? ` (${(100 * run.explained_variance[k]).toFixed(1)}% of variance)` : "");
    return [`PC1${share(0)}`, `PC2${share(1)}`];
  }
  const tabular = view !== "draw" && !planeInputs(run);
  const x = tabular ? run.columns[0] : "x₁";
  if (view === "line") return [x, run.kind === "regression" ? "y" : "P(class)"];
  return [x, tabular ? run.columns[1] : "x₂"];
}

function labelText(run, label) {
  return isClassifier(run) ? className(run, label) : `target ${formatValue(label)}`;
}

function pointsTrace(run, view, split, name, outline) {
  const { x, y } = run[split];
  const marker = { size: x.length > 1500 ? 4 : 6, line: { color: outline, width: 1 } };
  const trace = { type: "scatter", mode: "markers", name, x: x.map((p) => p[0]), marker };
  if (view === "pca") {
    // Painted on the canvas in the predicted class's colour; these invisible markers hover.
    return {
      ...trace,
      y: x.map((p) => p[1]),
      marker: { size: 9, color: "rgba(0,0,0,0)" },
      hoverinfo: "none",
    };
  }
  if (view === "line") {
    if (isClassifier(run)) marker.color = y.map((label) => css(classColor(label)));
    else marker.color = split === "train" ? css(BLUE) : "#fff";
    trace.y = y.map((label) => lineY(run, label));
  } else {
    if (run.kind === "regression") Object.assign(marker, { color: y, colorscale: COLORSCALE, cmin: -1, cmax: 1 });
    else marker.color = y.map((label) => css(classColor(label)));
    trace.y = x.map((p) => p[1]);
  }
  // The names (columns, classes) come in as meta and customdata, never as part of the
  // template, whose `%{...}` and tags are Plotly's to read.
  const where =
    view === "line" ? "%{meta[0]} %{x:.2f}" : "%{meta[0]} %{x:.2f}, %{meta[1]} %{y:.2f}";
  return {
    ...trace,
    meta: axisTitles(run, view).map(plotlyText),
    customdata: y.map((label) => plotlyText(labelText(run, label))),
    hovertemplate: `${name} #%{pointNumber}<br>${where}<br>%{customdata}<extra></extra>`,
  };
}

/** The user's points in draw mode, coloured by their class (or target). */
function drawnTrace(draw) {
  const marker = { size: 7, line: { color: "#fff", width: 1 } };
  if (draw.kind === "regression") Object.assign(marker, { color: draw.labels, colorscale: COLORSCALE, cmin: -1, cmax: 1 });
  else marker.color = draw.labels.map((label) => css(classColor(label)));
  return {
    type: "scatter",
    mode: "markers",
    x: draw.points.map((p) => p[0]),
    y: draw.points.map((p) => p[1]),
    marker,
    hoverinfo: "skip",
  };
}

function layout(figure, width, height) {
  const { run, view } = figure;
  const { x, y } = figure.ranges;
  const [xTitle, yTitle] = axisTitles(run, view);
  const axis = (range, title) => ({
    range,
    fixedrange: true,
    zeroline: false,
    showgrid: view === "line" || view === "pca",
    gridcolor: "rgba(0,0,0,0.08)",
    showline: true,
    mirror: true,
    linecolor: "#c9cfd3",
    ticks: "outside",
    ticklen: 3,
    title: { text: plotlyText(title), standoff: 2 },
    tickfont: { size: 9 },
    automargin: false,
  });
  return {
    width,
    height,
    margin: MARGIN,
    autosize: false,
    font: { size: 10, family: "inherit" },
    showlegend: false,
    hovermode: "closest",
    dragmode: false,
    xaxis: axis(x, xTitle),
    yaxis: axis(y, yTitle),
    plot_bgcolor: "rgba(0,0,0,0)",
    paper_bgcolor: "rgba(0,0,0,0)",
  };
}

function probeTrace(frame, run, view) {
  const index = Math.min(frame.probe, run.train.x.length - 1);
  const point = run.train.x[index];
  return {
    type: "scatter",
    mode: "markers",
    x: [point[0]],
    y: [view === "line" ? lineY(run, run.train.y[index]) : point[1]],
    hoverinfo: "skip",
    marker: { symbol: "circle-open", size: 15, color: "#111", line: { width: 2.5 } },
  };
}

/** The plot area in the element's pixels, and data <-> pixel conversions for it. */
function plotArea(element, figure) {
  const size = elementSize(element);
  const width = size.width - MARGIN.l - MARGIN.r;
  const height = size.height - MARGIN.t - MARGIN.b;
  const [x0, x1] = figure.ranges.x;
  const [y0, y1] = figure.ranges.y;
  return {
    width,
    height,
    px: (x) => ((x - x0) / (x1 - x0)) * width,
    py: (y) => ((y1 - y) / (y1 - y0)) * height,
    dataX: (px) => x0 + (px / width) * (x1 - x0),
    dataY: (py) => y1 - (py / height) * (y1 - y0),
  };
}

/** The pointer's place in the plot area's pixels, or null outside it. */
function pointerAt(element, figure, event) {
  const bounds = element.getBoundingClientRect();
  const area = plotArea(element, figure);
  const px = event.clientX - bounds.left - MARGIN.l;
  const py = event.clientY - bounds.top - MARGIN.t;
  if (px < 0 || py < 0 || px > area.width || py > area.height) return null;
  return { area, x: area.dataX(px), y: area.dataY(py) };
}

/** The DOM for one run and view: the background canvas and the Plotly layer above it. */
function build(element, run, view, draw) {
  element.replaceChildren();
  const canvas = document.createElement("canvas");
  canvas.className = "boundary-canvas";
  Object.assign(canvas.style, { left: `${MARGIN.l}px`, top: `${MARGIN.t}px` });
  const plot = document.createElement("div");
  plot.className = "boundary-plot";
  element.append(canvas, plot);
  const figure = {
    run,
    view,
    ranges: ranges(run, view, draw),
    canvas,
    plot,
    image: document.createElement("canvas"),
    plotKey: null,
    frame: null,
    context: null,
    train: pointsTrace(run, view, "train", "train", "#fff"),
    test: pointsTrace(run, view, "test", "test", "#222"),
  };
  if (isClassifier(run)) figure.labelNames = run.classes.map((_, k) => className(run, k));
  else figure.targetDomain = symmetricDomain([...run.train.y, ...run.test.y]);
  element.onmousemove = (event) => showValueAt(element, event);
  element.onmouseleave = () => {
    if (figure.context?.readout) figure.context.readout.textContent = "";
  };
  element.onclick = (event) => {
    const draw = figure.context?.draw;
    const at = draw && pointerAt(element, figure, event);
    if (at) draw.onPlane(at.x, at.y, event.shiftKey);
  };
  element.classList.toggle("drawing", view === "draw");
  return figure;
}

/** One output unit's values over the grid (the whole array for a single output). */
function outputColumn(frame, run, j) {
  const { data, shape } = planePictures(frame, run).output;
  const nY = shape[shape.length - 1];
  if (nY === 1) return data;
  return Float32Array.from({ length: data.length / nY }, (_, i) => data[i * nY + j]);
}

/** What a hovered graph node shows: {values, side, domain, title}, or null for the output. */
function nodePicture(frame, run, hover) {
  if (!run.grid) return null; // principal components: no plane to map
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

function defaultTitle(run, view) {
  if (view === "pca") {
    return isClassifier(run)
      ? "Each sample's predicted class (PCA view)"
      : "Each sample's prediction (PCA view)";
  }
  if (view === "line") return "The network's prediction (line) over the data";
  if (run.kind === "regression") return "The network's prediction over the plane";
  if (run.kind === "multiclass") return "Most probable class, paler where the network is unsure";
  return `The network's output, P(${className(run, 1)}), over the plane`;
}

/** The background's opacity over white, light enough for the data points to stand out. */
const BACKGROUND_ALPHA = 0.65;

/** Stretch the side x side picture in `image` over the plane's extent, cell centres on the grid. */
function drawPicture(context, image, side, area, run, smooth) {
  const [x0, x1] = run.grid.x_range;
  const [y0, y1] = run.grid.y_range;
  const halfX = (x1 - x0) / (side - 1) / 2;
  const halfY = (y1 - y0) / (side - 1) / 2;
  context.imageSmoothingEnabled = smooth;
  context.globalAlpha = BACKGROUND_ALPHA;
  const left = area.px(x0 - halfX);
  const top = area.py(y1 + halfY);
  context.drawImage(image, left, top, area.px(x1 + halfX) - left, area.py(y0 - halfY) - top);
  context.globalAlpha = 1;
}

function drawCurve(context, values, area, run, style) {
  const [x0, x1] = run.grid.x_range;
  context.strokeStyle = style.color;
  context.lineWidth = style.width;
  context.setLineDash(style.dash ?? []);
  context.beginPath();
  values.forEach((v, i) => {
    const x = area.px(x0 + ((x1 - x0) * i) / (values.length - 1));
    if (i === 0) context.moveTo(x, area.py(v));
    else context.lineTo(x, area.py(v));
  });
  context.stroke();
  context.setLineDash([]);
}

/** The line view: the prediction curve, or each class's probability in its colour. */
function paintLine(draw, frame, area, run, hovered) {
  if (hovered) {
    drawCurve(draw, hovered.values, area, run, { color: "#555", width: 2, dash: [6, 4] });
    return;
  }
  if (run.kind !== "multiclass") {
    drawCurve(draw, outputColumn(frame, run, 0), area, run, { color: "#222", width: 2.5 });
    return;
  }
  for (let k = 0; k < layerSizes(frame).at(-1); k++) {
    drawCurve(draw, outputColumn(frame, run, k), area, run, { color: css(classColor(k)), width: 2 });
  }
}

const CROSS = 4;
const DOT = 3.5;

/**
 * The principal-component view's samples, in the colour of what the network predicts for
 * them (the frame's train_predicted, test_predicted); a wrong class is a cross. Samples of
 * one colour are drawn as one path: a thousand separate fills cost several milliseconds.
 */
function paintSamples(draw, frame, area, figure, showTest) {
  const { run } = figure;
  for (const split of showTest ? ["train", "test"] : ["train"]) {
    const predicted = frameArray(frame, `${split}_predicted`)?.data;
    const { x, y } = run[split];
    const dots = new Map(); // colour -> sample indices
    const crosses = new Map();
    for (let i = 0; i < x.length; i++) {
      const guess = predicted ? predicted[i] : y[i];
      const wrong = isClassifier(run) && guess !== y[i];
      const color = isClassifier(run) ? css(classColor(guess)) : scaleColor(guess, figure.targetDomain);
      const group = wrong ? crosses : dots;
      if (!group.has(color)) group.set(color, []);
      group.get(color).push(i);
    }
    draw.lineWidth = 1;
    draw.strokeStyle = split === "train" ? "#fff" : "#222";
    for (const [color, indices] of dots) {
      draw.beginPath();
      for (const i of indices) {
        const px = area.px(x[i][0]);
        const py = area.py(x[i][1]);
        draw.moveTo(px + DOT, py);
        draw.arc(px, py, DOT, 0, 2 * Math.PI);
      }
      draw.fillStyle = color;
      draw.fill();
      draw.stroke();
    }
    draw.lineCap = "round";
    for (const [color, indices] of crosses) {
      draw.beginPath();
      for (const i of indices) {
        const px = area.px(x[i][0]);
        const py = area.py(x[i][1]);
        draw.moveTo(px - CROSS, py - CROSS);
        draw.lineTo(px + CROSS, py + CROSS);
        draw.moveTo(px + CROSS, py - CROSS);
        draw.lineTo(px - CROSS, py + CROSS);
      }
      for (const [stroke, width] of [["#222", 3.6], [color, 2]]) {
        draw.strokeStyle = stroke;
        draw.lineWidth = width;
        draw.stroke();
      }
    }
  }
}

/** The output over the plane (or a hovered node's map), for the plane and draw views. */
function paintPlane(draw, frame, area, figure, context, hovered) {
  const { run, image } = figure;
  if (hovered) {
    if (hovered.classColor)
      paintProbability(image, hovered.values, hovered.side, hovered.classColor, context.discretize);
    else paintMap(image, hovered.values, hovered.side, hovered.domain, context.discretize);
    drawPicture(draw, image, hovered.side, area, run, !context.discretize);
    return;
  }
  const resolution = run.grid.resolution;
  const output = planePictures(frame, run).output.data;
  if (run.kind === "multiclass") {
    paintClasses(image, output, resolution, layerSizes(frame).at(-1), context.discretize);
  } else {
    paintMap(image, output, resolution, run.kind === "regression" ? [-1, 1] : [0, 1], context.discretize);
  }
  drawPicture(draw, image, resolution, area, run, !context.discretize);
}

/** Paint this frame's background; returns the caption. */
function paintBackground(element, figure, frame, context) {
  const { run, canvas, view } = figure;
  const area = plotArea(element, figure);
  const ratio = window.devicePixelRatio || 1;
  const width = Math.round(area.width * ratio);
  const height = Math.round(area.height * ratio);
  if (canvas.width !== width || canvas.height !== height) {
    Object.assign(canvas, { width, height });
    Object.assign(canvas.style, { width: `${area.width}px`, height: `${area.height}px` });
  }
  const draw = canvas.getContext("2d");
  draw.setTransform(ratio, 0, 0, ratio, 0, 0);
  draw.clearRect(0, 0, area.width, area.height);
  if (view === "pca") {
    paintSamples(draw, frame, area, figure, context.showTest);
    return defaultTitle(run, view);
  }
  if (view === "draw") {
    // The network's output only where it is over the same plane as the drawing.
    if (context.draw.background) paintPlane(draw, frame, area, figure, context, null);
    return context.draw.title;
  }
  const hovered = context.hover ? nodePicture(frame, run, context.hover) : null;
  if (view === "line") paintLine(draw, frame, area, run, hovered);
  else paintPlane(draw, frame, area, figure, context, hovered);
  return hovered?.title ?? defaultTitle(run, view);
}

/** The output under the pointer, written into the readout line. */
function showValueAt(element, event) {
  const figure = figures.get(element);
  const readout = figure?.context?.readout;
  if (!figure?.frame || !readout || figure.view === "pca") return;
  const { run, frame, view } = figure;
  const at = pointerAt(element, figure, event);
  if (!at) {
    readout.textContent = "";
    return;
  }
  const [xName, yName] = axisTitles(run, view);
  const position = view === "line" ? `${xName} ${at.x.toFixed(2)}` : `${xName} ${at.x.toFixed(2)}, ${yName} ${at.y.toFixed(2)}`;
  if (view === "draw") {
    readout.textContent = `${position}: ${figure.context.draw.clickHint}`;
    return;
  }
  const n = run.grid.resolution;
  const cell = (v, [low, high]) =>
    Math.max(0, Math.min(n - 1, Math.round(((v - low) / (high - low)) * (n - 1))));
  const { data, shape } = planePictures(frame, run).output;
  const nY = shape[shape.length - 1];
  const column = cell(at.x, run.grid.x_range);
  const where = view === "line" ? column : cell(at.y, run.grid.y_range) * n + column;
  const values = Array.from(data.subarray(where * nY, (where + 1) * nY));
  let value;
  if (run.kind === "multiclass") {
    const best = values.indexOf(Math.max(...values));
    value = `${className(run, best)} (P = ${values.map(formatValue).join(", ")})`;
  } else {
    value = `${run.kind === "regression" ? "prediction" : `P(${className(run, 1)})`} ${formatValue(values[0])}`;
  }
  readout.textContent = `${position}: ${value}`;
}

/** Hovering a sample of the principal-component view: its true and predicted class. */
function showSample(figure, event) {
  const point = event.points?.[0];
  if (!point || point.curveNumber > 1 || !figure.frame) return;
  const split = point.curveNumber === TRAIN_TRACE ? "train" : "test";
  const { run } = figure;
  const i = point.pointNumber;
  const truth = run[split].y[i];
  const guess = frameArray(figure.frame, `${split}_predicted`)?.data[i];
  let text;
  if (isClassifier(run)) {
    const verdict = guess === truth ? "right" : "wrong";
    text = `true ${className(run, truth)}, predicted ${guess === undefined ? "–" : className(run, guess)} (${verdict})`;
  } else {
    text = `target ${formatValue(truth)}, prediction ${guess === undefined ? "–" : formatValue(guess)} (standardised)`;
  }
  const line = `${split} #${i}: ${text}`;
  if (figure.context?.readout) figure.context.readout.textContent = line;
  showTooltip(escapeHtml(line), event.event.clientX, event.event.clientY);
}

const gradient = `linear-gradient(to right, ${COLORSCALE.map(([, color]) => color).join(", ")})`;

/** Class swatches; many classes named by number go by their numbers alone. */
function swatches(names) {
  const short = names.length > 5 && names.every((name) => /^class \d+$/.test(name));
  const items = names.map(
    (name, k) =>
      `<span class="swatch-box" style="background:${css(classColor(k))}"></span>${escapeHtml(short ? String(k) : name)}`,
  );
  return items.join(" ");
}

const ramp = (low, high, name) =>
  `<span>${low}</span><span class="ramp" style="background:${gradient}" title="${name}"></span><span>${high}</span>`;

/** What the colours mean for this run's kind of problem (or for the drawn points). */
function legendHtml(run, view, draw) {
  if (view === "draw") {
    if (draw.kind === "regression") return ramp("−1", "+1", "target");
    return swatches(Array.from({ length: draw.nClasses }, (_, k) => `class ${k}`));
  }
  const names = run.classes.map((_, k) => className(run, k));
  if (view === "pca") {
    if (!isClassifier(run)) {
      const [low, high] = symmetricDomain([...run.train.y, ...run.test.y]).map(formatValue);
      return `prediction ${ramp(low, high, "prediction (standardised)")}`;
    }
    return `${swatches(names)} <span class="cross">×</span>wrong`;
  }
  if (view === "line" && run.kind === "regression") {
    return `<span class="dot" style="background:${css(BLUE)}"></span>training data <span class="dot hollow"></span>test data
      <span class="line"></span>prediction`;
  }
  if (run.kind === "multiclass") return swatches(names);
  if (run.kind === "regression") return ramp("−1", "+1", "prediction and target");
  return ramp(`0 (${escapeHtml(names[0])})`, `1 (${escapeHtml(names[1])})`, `P(${escapeHtml(names[1])})`);
}

/**
 * Draw `frame` into `element`. `context`: run (ready message), showTest, discretize, hover
 * (a graph node {column, index} or null), onProbe(index), draw (draw mode's points
 * {points, labels, kind, nClasses, range (the plane's [low, high]), version, background,
 * title, clickHint, onPlane(x1, x2, remove)}, or null), and the elements for its caption: title, readout (the value under the
 * pointer) and legend.
 */
export function renderBoundary(element, frame, context) {
  const { run, draw } = context;
  const view = figureView(run, draw);
  let figure = figures.get(element);
  if (!figure || figure.run !== run || figure.view !== view) {
    figure = build(element, run, view, draw);
    figures.set(element, figure);
    figure.legendKey = null;
  }
  figure.frame = frame;
  figure.context = context;
  const title = paintBackground(element, figure, frame, context);

  const legendKey = view === "draw" ? `${draw.kind}|${draw.nClasses}` : "run";
  if (context.legend && figure.legendKey !== legendKey) {
    figure.legendKey = legendKey;
    context.legend.innerHTML = legendHtml(run, view, draw);
  }

  const { width, height } = elementSize(element);
  const plotKey = `${context.showTest}|${frame.probe}|${width}x${height}|${draw?.version}`;
  if (figure.plotKey !== plotKey) {
    const first = figure.plotKey === null;
    figure.plotKey = plotKey;
    const traces =
      view === "draw"
        ? [drawnTrace(draw)]
        : [figure.train, { ...figure.test, visible: context.showTest }, probeTrace(frame, run, view)];
    Plotly.react(figure.plot, traces, layout(figure, width, height), PLOT_CONFIG);
    if (first) {
      figure.plot.on("plotly_click", (event) => {
        if (figure.context.draw) return;
        const point = event.points.find((p) => p.curveNumber === TRAIN_TRACE);
        if (point) figure.context.onProbe(point.pointNumber);
      });
      if (view === "pca") {
        figure.plot.on("plotly_hover", (event) => showSample(figure, event));
        figure.plot.on("plotly_unhover", () => {
          hideTooltip();
          if (figure.context?.readout) figure.context.readout.textContent = "";
        });
      }
    }
  }
  element.dataset.kind = run.kind;
  element.dataset.view = view;
  element.dataset.points = String(view === "draw" ? draw.points.length : run.train.x.length);
  element.dataset.epoch = String(frame.epoch);
  if (context.title && context.title.textContent !== title) context.title.textContent = title;
}

/**
 * A picture of the view as shown: the background canvas with the Plotly figure (axes, data
 * points, probe; its own background is transparent) drawn over it. Resolves to {canvas, run,
 * epoch}, or null before the first frame.
 */
export async function boundaryPicture(element) {
  const figure = figures.get(element);
  if (!figure?.frame) return null;
  const { width, height } = elementSize(element);
  const ratio = window.devicePixelRatio || 1;
  // The page's font, which the exported SVG cannot inherit.
  const font = { ...figure.plot.layout.font, family: getComputedStyle(element).fontFamily };
  const url = await Plotly.toImage(
    { data: figure.plot.data, layout: { ...figure.plot.layout, font } },
    { format: "png", width, height, scale: ratio },
  );
  const overlay = new Image();
  overlay.src = url;
  await overlay.decode();
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(width * ratio);
  canvas.height = Math.round(height * ratio);
  const draw = canvas.getContext("2d");
  draw.drawImage(figure.canvas, Math.round(MARGIN.l * ratio), Math.round(MARGIN.t * ratio));
  draw.drawImage(overlay, 0, 0, canvas.width, canvas.height);
  return { canvas, run: figure.run.run, epoch: figure.frame.epoch };
}
