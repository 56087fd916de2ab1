/**
 * The output view: what the network computes over the input plane, with the data on top.
 *
 * Binary classification and 2-D regression: the frame's `output` as a heatmap. Multi-class:
 * each point of the plane in its most probable class's colour, faded as that probability falls
 * to chance. 1-D regression: the fitted curve under the data. While a node of the graph is
 * hovered, its own map (or curve) replaces the output.
 *
 * Two layers: the background is painted on a canvas under the plot area every frame (about a
 * millisecond), while a Plotly figure on top holds the axes and the data points, with their
 * hover and the click that picks the probe sample. Plotly redraws only when the points,
 * the probe or the size change: redrawing a 100 x 100 Plotly heatmap costs tens of
 * milliseconds a frame, which training at 30 frames a second cannot afford.
 */

import { frameArray, layerSizes } from "./connection.js";
import {
  activationDomain,
  BLUE,
  CLASS_COLORS,
  COLORSCALE,
  css,
  paintClasses,
  paintMap,
  paintProbability,
  symmetricDomain,
} from "./colors.js";
import { FEATURE_LABELS, featureGrid, featureLine } from "./sketches.js";
import { formatValue } from "./tooltip.js";
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

function pointsTrace(run, split, name, outline) {
  const { x, y } = run[split];
  const oneD = run.n_inputs === 1;
  const marker = {
    size: x.length > 1500 ? 4 : 6,
    line: { color: outline, width: 1 },
  };
  if (oneD) marker.color = split === "train" ? css(BLUE) : "#fff";
  else if (run.kind === "regression")
    Object.assign(marker, { color: y, colorscale: COLORSCALE, cmin: -1, cmax: 1 });
  else marker.color = y.map((label) => css(CLASS_COLORS[label]));
  const target = run.kind === "regression" ? "target %{customdata:.3f}" : "class %{customdata}";
  return {
    type: "scatter",
    mode: "markers",
    name,
    x: x.map((p) => p[0]),
    y: oneD ? y : x.map((p) => p[1]),
    customdata: y,
    marker,
    hovertemplate: `${name} #%{pointNumber}<br>x₁ %{x:.2f}${oneD ? "" : ", x₂ %{y:.2f}"}<br>${target}<extra></extra>`,
  };
}

/** The y range of the plot: the plane's, or the targets' (padded) for 1-D data. */
function yRange(run) {
  if (run.n_inputs === 2) return run.grid.y_range;
  const targets = [...run.train.y, ...run.test.y];
  return [Math.min(...targets) - 0.3, Math.max(...targets) + 0.3];
}

function layout(run, width, height) {
  const oneD = run.n_inputs === 1;
  const axis = (range, title) => ({
    range,
    fixedrange: true,
    zeroline: false,
    showgrid: oneD,
    gridcolor: "rgba(0,0,0,0.08)",
    showline: true,
    mirror: true,
    linecolor: "#c9cfd3",
    ticks: "outside",
    ticklen: 3,
    title: { text: title, standoff: 2 },
    tickfont: { size: 9 },
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
    xaxis: axis(run.grid.x_range, "x₁"),
    yaxis: axis(yRange(run), oneD ? "y" : "x₂"),
    plot_bgcolor: "rgba(0,0,0,0)",
    paper_bgcolor: "rgba(0,0,0,0)",
  };
}

function probeTrace(frame, run) {
  const index = Math.min(frame.probe, run.train.x.length - 1);
  const point = run.train.x[index];
  return {
    type: "scatter",
    mode: "markers",
    x: [point[0]],
    y: [run.n_inputs === 1 ? run.train.y[index] : point[1]],
    hoverinfo: "skip",
    marker: { symbol: "circle-open", size: 15, color: "#111", line: { width: 2.5 } },
  };
}

/** The plot area in the element's pixels, and data <-> pixel conversions for it. */
function plotArea(element, run) {
  const size = elementSize(element);
  const width = size.width - MARGIN.l - MARGIN.r;
  const height = size.height - MARGIN.t - MARGIN.b;
  const [x0, x1] = run.grid.x_range;
  const [y0, y1] = yRange(run);
  return {
    width,
    height,
    px: (x) => ((x - x0) / (x1 - x0)) * width,
    py: (y) => ((y1 - y) / (y1 - y0)) * height,
    dataX: (px) => x0 + (px / width) * (x1 - x0),
    dataY: (py) => y1 - (py / height) * (y1 - y0),
  };
}

/** The DOM for one run: the background canvas and the Plotly layer above it. */
function build(element, run) {
  element.replaceChildren();
  const canvas = document.createElement("canvas");
  canvas.className = "boundary-canvas";
  Object.assign(canvas.style, { left: `${MARGIN.l}px`, top: `${MARGIN.t}px` });
  const plot = document.createElement("div");
  plot.className = "boundary-plot";
  element.append(canvas, plot);
  const figure = {
    run,
    canvas,
    plot,
    image: document.createElement("canvas"),
    plotKey: null,
    frame: null,
    context: null,
    train: pointsTrace(run, "train", "train", "#fff"),
    test: pointsTrace(run, "test", "test", "#222"),
  };
  element.onmousemove = (event) => showValueAt(element, event);
  element.onmouseleave = () => {
    if (figure.context?.readout) figure.context.readout.textContent = "";
  };
  return figure;
}

/** One output unit's values over the grid (the whole array for a single output). */
function outputColumn(frame, j) {
  const { data, shape } = frameArray(frame, "output");
  const nY = shape[shape.length - 1];
  if (nY === 1) return data;
  return Float32Array.from({ length: data.length / nY }, (_, i) => data[i * nY + j]);
}

/** What a hovered graph node shows: {values, side, domain, title}, or null for the output. */
function nodePicture(frame, run, hover) {
  const sizes = layerSizes(frame);
  const { column, index } = hover;
  const oneD = run.n_inputs === 1;
  if (column >= sizes.length || index >= sizes[column]) return null;
  if (column === 0) {
    const feature = run.config.features[index];
    const side = oneD ? run.grid.resolution : FEATURE_MAP_SIDE;
    const values = oneD
      ? featureLine(feature, side, run.grid.x_range)
      : featureGrid(feature, side, run.grid.x_range);
    return {
      values,
      side,
      domain: symmetricDomain(values),
      title: `Input ${FEATURE_LABELS[feature]} over the plane`,
    };
  }
  if (column === sizes.length - 1) {
    if (sizes.at(-1) === 1) return null;
    const values = outputColumn(frame, index);
    return {
      values,
      side: run.grid.resolution,
      domain: [0, 1],
      classColor: CLASS_COLORS[index % CLASS_COLORS.length],
      title: `Output ${index}: the probability of class ${index}`,
    };
  }
  const { data, shape } = frameArray(frame, "neurons", column - 1);
  const size = shape.slice(1).reduce((a, b) => a * b, 1);
  const values = data.subarray(index * size, (index + 1) * size);
  return {
    values,
    side: run.grid.thumbnail,
    domain: activationDomain(run.config.activation, [values]),
    title: `Neuron ${index + 1} of hidden layer ${column}: its activation a over the plane`,
  };
}

function defaultTitle(run) {
  if (run.n_inputs === 1) return "The network's prediction (line) over the data";
  if (run.kind === "regression") return "The network's prediction over the plane";
  if (run.kind === "multiclass") return "Most probable class, paler where the network is unsure";
  return "The network's output, P(class 1), over the plane";
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

/** Paint this frame's background; returns the caption. */
function paintBackground(element, figure, frame, context) {
  const { run, canvas, image } = figure;
  const area = plotArea(element, run);
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
  const hovered = context.hover ? nodePicture(frame, run, context.hover) : null;
  const resolution = run.grid.resolution;

  if (run.n_inputs === 1) {
    if (hovered) {
      drawCurve(draw, hovered.values, area, run, { color: "#555", width: 2, dash: [6, 4] });
      return hovered.title;
    }
    drawCurve(draw, outputColumn(frame, 0), area, run, { color: "#222", width: 2.5 });
    return defaultTitle(run);
  }
  if (hovered) {
    if (hovered.classColor)
      paintProbability(image, hovered.values, hovered.side, hovered.classColor, context.discretize);
    else paintMap(image, hovered.values, hovered.side, hovered.domain, context.discretize);
    drawPicture(draw, image, hovered.side, area, run, !context.discretize);
    return hovered.title;
  }
  const output = frameArray(frame, "output").data;
  if (run.kind === "multiclass") {
    paintClasses(image, output, resolution, layerSizes(frame).at(-1), context.discretize);
  } else {
    paintMap(image, output, resolution, run.kind === "regression" ? [-1, 1] : [0, 1], context.discretize);
  }
  drawPicture(draw, image, resolution, area, run, !context.discretize);
  return defaultTitle(run);
}

/** The output under the pointer, written into the readout line. */
function showValueAt(element, event) {
  const figure = figures.get(element);
  const readout = figure?.context?.readout;
  if (!figure?.frame || !readout) return;
  const { run, frame } = figure;
  const bounds = element.getBoundingClientRect();
  const area = plotArea(element, run);
  const px = event.clientX - bounds.left - MARGIN.l;
  const py = event.clientY - bounds.top - MARGIN.t;
  if (px < 0 || py < 0 || px > area.width || py > area.height) {
    readout.textContent = "";
    return;
  }
  const x = area.dataX(px);
  const n = run.grid.resolution;
  const [x0, x1] = run.grid.x_range;
  const cell = (v, [low, high]) =>
    Math.max(0, Math.min(n - 1, Math.round(((v - low) / (high - low)) * (n - 1))));
  const { data, shape } = frameArray(frame, "output");
  const nY = shape[shape.length - 1];
  const where =
    run.n_inputs === 1 ? cell(x, [x0, x1]) : cell(area.dataY(py), run.grid.y_range) * n + cell(x, [x0, x1]);
  const values = Array.from(data.subarray(where * nY, (where + 1) * nY));
  const position =
    run.n_inputs === 1 ? `x₁ ${x.toFixed(2)}` : `x₁ ${x.toFixed(2)}, x₂ ${area.dataY(py).toFixed(2)}`;
  let value;
  if (run.kind === "multiclass") {
    const best = values.indexOf(Math.max(...values));
    value = `class ${best} (P = ${values.map(formatValue).join(", ")})`;
  } else {
    value = `${run.kind === "regression" ? "prediction" : "P(class 1)"} ${formatValue(values[0])}`;
  }
  readout.textContent = `${position}: ${value}`;
}

const gradient = `linear-gradient(to right, ${COLORSCALE.map(([, color]) => color).join(", ")})`;

/** What the colours mean for this run's kind of problem. */
function legendHtml(run) {
  if (run.n_inputs === 1) {
    return `<span class="dot" style="background:${css(BLUE)}"></span>training data <span class="dot hollow"></span>test data
      <span class="line"></span>prediction`;
  }
  if (run.kind === "multiclass") {
    const classes = run.layer_sizes.at(-1);
    return Array.from(
      { length: classes },
      (_, k) => `<span class="swatch-box" style="background:${css(CLASS_COLORS[k])}"></span>class ${k}`,
    ).join(" ");
  }
  const [low, high, name] =
    run.kind === "regression"
      ? ["−1", "+1", "prediction and target"]
      : ["0 (class 0)", "1 (class 1)", "P(class 1)"];
  return `<span>${low}</span><span class="ramp" style="background:${gradient}" title="${name}"></span><span>${high}</span>`;
}

/**
 * Draw `frame` into `element`. `context`: run (ready message), showTest, discretize, hover
 * (a graph node {column, index} or null), onProbe(index), and the elements for its caption:
 * title, readout (the value under the pointer) and legend.
 */
export function renderBoundary(element, frame, context) {
  const { run } = context;
  let figure = figures.get(element);
  if (!figure || figure.run !== run) {
    figure = build(element, run);
    figures.set(element, figure);
    if (context.legend) context.legend.innerHTML = legendHtml(run);
  }
  figure.frame = frame;
  figure.context = context;
  const title = paintBackground(element, figure, frame, context);

  const { width, height } = elementSize(element);
  const plotKey = `${context.showTest}|${frame.probe}|${width}x${height}`;
  if (figure.plotKey !== plotKey) {
    const first = figure.plotKey === null;
    figure.plotKey = plotKey;
    const test = { ...figure.test, visible: context.showTest };
    Plotly.react(
      figure.plot,
      [figure.train, test, probeTrace(frame, run)],
      layout(run, width, height),
      PLOT_CONFIG,
    );
    if (first) {
      figure.plot.on("plotly_click", (event) => {
        const point = event.points.find((p) => p.curveNumber === TRAIN_TRACE);
        if (point) figure.context.onProbe(point.pointNumber);
      });
    }
  }
  element.dataset.kind = run.kind;
  element.dataset.points = String(run.train.x.length);
  element.dataset.epoch = String(frame.epoch);
  if (context.title && context.title.textContent !== title) context.title.textContent = title;
}
