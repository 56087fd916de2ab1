/**
 * The network graph: one column of nodes per layer, the weights as edges between them.
 *
 * `renderNetwork(element, frame, context)` draws what the frame says. Each node shows its own
 * output over the input plane (the hidden and output nodes' from the frame's W and b through
 * forward.js, the input features' from their formulas), its border the probe sample's a
 * (forward) or delta (backward), and a small square its bias b (or dC/db). Edges take the
 * sign of w (or dC/dw) for colour and its size for width. The DOM is built once per network
 * shape and only recoloured afterwards. The backprop inspector lights up the nodes and edges
 * its stage touches (`context.highlight`); everything else fades.
 */

import { frameArray, layerSizes } from "./connection.js";
import { planePictures, spread } from "./forward.js";
import {
  activationDomain,
  classColor,
  css,
  NEUTRAL,
  paintCurve,
  paintMap,
  paintProbability,
  scaleColor,
  symmetricDomain,
} from "./colors.js";
import { featureGrid, featureLine, inputNodes, paintFeature } from "./sketches.js";
import { formatValue, hideTooltip, showTooltip } from "./tooltip.js";
import { elementSize } from "./size.js";

const SVG = "http://www.w3.org/2000/svg";
const PADDING = 10;
const MAX_NODE = 40;
const MIN_NODE = 9;
/** TF Playground's edge widths: |w| from 0 to 5 maps onto 1 to 10 pixels. */
const MAX_EDGE_WEIGHT = 5;

const graphs = new WeakMap();

const sub = (n) => `<sub>${n}</sub>`;
const sup = (n) => `<sup>${n}</sup>`;

/** Inputs beyond this many (tabular data: up to 64) get smaller nodes than the other layers. */
const MANY_INPUTS = 12;
const MIN_INPUT_NODE = 4;

/**
 * Where every node sits: columns of equal width, nodes stacked around the middle. `nodes[c]`
 * is column c's node side: one size for all, but many inputs shrink to fit their column.
 */
function layout(sizes, width, height) {
  const columnWidth = width / sizes.length;
  const manyInputs = sizes[0] > MANY_INPUTS;
  const tallest = Math.max(...(manyInputs ? sizes.slice(1) : sizes));
  const usable = height - 2 * PADDING;
  const fit = (count, least) =>
    Math.max(least, Math.min(MAX_NODE, Math.floor(usable / count / 1.3), columnWidth * 0.4));
  const node = fit(tallest, MIN_NODE);
  const nodes = sizes.map((count, c) => (c === 0 && manyInputs ? Math.min(node, fit(count, MIN_INPUT_NODE)) : node));
  const positions = sizes.map((count, column) => {
    const spacing = Math.min(nodes[column] * 1.6, usable / count);
    const top = PADDING + (usable - count * spacing) / 2 + spacing / 2;
    return Array.from({ length: count }, (_, j) => ({
      x: (column + 0.5) * columnWidth,
      y: top + j * spacing,
    }));
  });
  return { nodes, positions };
}

function edgePath(from, to, fromHalf, toHalf) {
  const x0 = from.x + fromHalf;
  const x1 = to.x - toHalf;
  const xm = (x0 + x1) / 2;
  return `M${x0},${from.y} C${xm},${from.y} ${xm},${to.y} ${x1},${to.y}`;
}

let measure = null;

/**
 * The largest font size (px, fractional) at which the longest word of every label (`htmls`)
 * is at most `width` px wide in the page's font: a narrow column (a projector's 1024 px)
 * shrinks names such as "sepal length (cm)" rather than breaking their words ("sepa / l /
 * le...").
 */
function wordFittingFont(htmls, width) {
  measure ??= document.createElement("canvas").getContext("2d");
  measure.font = `100px ${getComputedStyle(document.body).fontFamily}`;
  const words = htmls.flatMap((html) =>
    new DOMParser().parseFromString(html, "text/html").body.textContent.split(/\s+/),
  );
  const widest = Math.max(0, ...words.map((word) => measure.measureText(word).width));
  return widest > 0 ? (100 * width) / widest : Infinity;
}

function svgElement(name, attributes) {
  const element = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, value);
  return element;
}

/** The DOM for one network shape: edges (visible and wide invisible hit paths), nodes. */
function build(element, sizes, run, context) {
  const { width, height } = elementSize(element);
  const { nodes: sides, positions } = layout(sizes, width, height);
  element.replaceChildren();
  element.dataset.columns = String(sizes.length);
  const svg = svgElement("svg", { width, height, class: "edges" });
  const visible = svgElement("g", { class: "edge-lines" });
  const hits = svgElement("g", { class: "edge-hits" });
  svg.append(visible, hits);
  element.append(svg);

  const edges = [];
  for (let l = 0; l < sizes.length - 1; l++) {
    const layer = [];
    for (let j = 0; j < sizes[l + 1]; j++) {
      for (let k = 0; k < sizes[l]; k++) {
        const d = edgePath(positions[l][k], positions[l + 1][j], sides[l] / 2, sides[l + 1] / 2);
        const line = svgElement("path", { d, class: "edge" });
        const hit = svgElement("path", { d, class: "edge-hit" });
        hit.addEventListener("mouseenter", (event) => showEdgeTip(element, l, j, k, event));
        hit.addEventListener("mousemove", (event) => showEdgeTip(element, l, j, k, event));
        hit.addEventListener("mouseleave", hideTooltip);
        hit.addEventListener("click", (event) => openWeightEditor(element, l, j, k, event, context));
        visible.append(line);
        hits.append(hit);
        layer.push(line);
      }
    }
    edges.push(layer);
  }

  const inputs = inputNodes(run);
  const { grid } = run;
  const oneD = run.n_inputs === 1;
  const side = grid?.thumbnail;
  const inputDomains = inputs.map(({ feature }) => {
    if (!feature) return [-2, 2]; // standardised columns
    return symmetricDomain(
      oneD ? featureLine(feature, side, grid.x_range) : featureGrid(feature, side, grid.x_range, grid.y_range),
    );
  });
  // Many inputs: label every few only, as the rows allow (hovering a node names it).
  const inputSpacing = positions[0].length > 1 ? positions[0][1].y - positions[0][0].y : MAX_NODE;
  const labelEvery = Math.ceil(9 / inputSpacing);
  const labelMaxWidth = Math.max(30, width / sizes.length / 2 - sides[0] / 2 - 12);
  const labelRows = inputSpacing * labelEvery;
  const linesAt = (font) => Math.max(1, Math.floor(labelRows / (font * 1.15)) - 1);
  const rowFont = Math.min(12, Math.max(8, labelRows - 1));
  // Names that wrap (a few inputs, tall rows): one size for the column, at which every word fits.
  const labelFont =
    linesAt(rowFont) > 1
      ? Math.max(8, Math.min(rowFont, wordFittingFont(inputs.map(({ html }) => html), labelMaxWidth)))
      : rowFont;
  const lines = linesAt(labelFont);
  const nodes = positions.map((column, c) =>
    column.map(({ x, y }, j) => {
      const half = sides[c] / 2;
      const box = document.createElement("div");
      box.className = c === 0 ? "node input-node" : c === sizes.length - 1 ? "node output-node" : "node";
      box.dataset.column = String(c);
      box.dataset.index = String(j);
      Object.assign(box.style, {
        left: `${x - half}px`,
        top: `${y - half}px`,
        width: `${sides[c]}px`,
        height: `${sides[c]}px`,
      });
      const canvas = document.createElement("canvas");
      box.append(canvas);
      let bias = null;
      if (c === 0) {
        const { feature, html } = inputs[j];
        if (feature) paintFeature(canvas, feature, side, grid.x_range, oneD, grid.y_range);
        if (j % labelEvery === 0) {
          const label = document.createElement("span");
          label.className = "input-label";
          label.innerHTML = html;
          Object.assign(label.style, {
            fontSize: `${labelFont}px`,
            width: "max-content",
            maxWidth: `${labelMaxWidth}px`,
          });
          if (lines > 1) label.style.webkitLineClamp = String(Math.min(3, lines));
          else label.classList.add("one-line");
          box.append(label);
        }
        if (sides[0] < MIN_NODE) box.classList.add("small");
      } else {
        bias = document.createElement("span");
        bias.className = "bias";
        bias.addEventListener("mouseenter", (event) => {
          event.stopPropagation();
          showBiasTip(element, c - 1, j, event);
        });
        bias.addEventListener("mouseleave", (event) => {
          event.stopPropagation();
          showNodeTip(element, c, j, event);
        });
        bias.addEventListener("click", (event) => openWeightEditor(element, c - 1, j, null, event, context));
        box.append(bias);
      }
      box.addEventListener("mouseenter", (event) => {
        showNodeTip(element, c, j, event);
        context.onHoverNode({ column: c, index: j });
      });
      box.addEventListener("mouseleave", () => {
        hideTooltip();
        context.onHoverNode(null);
      });
      element.append(box);
      return { box, canvas, bias };
    }),
  );

  return {
    key: null,
    sizes,
    edges,
    nodes,
    inputDomains,
    sides,
    inputs,
    oneD,
    maps: Boolean(grid), // principal components: no plane, so no maps
    side,
    frame: null,
    highlight: null,
  };
}

/**
 * Light up the nodes ("column:index") and edges ("layer:row:col", the weight W^l[row, col])
 * in `highlight`, fading the rest; null shows the whole graph as usual.
 */
function applyHighlight(element, graph, highlight) {
  element.classList.toggle("highlighting", highlight !== null);
  graph.nodes.forEach((column, c) =>
    column.forEach(({ box }, j) => box.classList.toggle("lit", highlight?.nodes.has(`${c}:${j}`) ?? false)),
  );
  graph.edges.forEach((lines, l) => {
    const nIn = graph.sizes[l];
    lines.forEach((line, i) => {
      const key = `${l}:${Math.floor(i / nIn)}:${i % nIn}`;
      line.classList.toggle("lit", highlight?.edges.has(key) ?? false);
    });
  });
}

/** Every element of a frame's per-layer array, over all layers, for a shared scale. */
function allLayers(frame, name, nLayers) {
  const values = [];
  for (let l = 0; l < nLayers; l++) values.push(...frameArray(frame, name, l).data);
  return values;
}

/** One output neuron's values on the thumbnail grid, sampled from the full-resolution output. */
function outputThumbnail(frame, run, j) {
  const { data, shape } = planePictures(frame, run).output;
  const side = run.grid.thumbnail;
  const picks = spread(run.grid.resolution, side);
  const nY = shape[shape.length - 1];
  if (run.n_inputs === 1) return Float32Array.from(picks, (i) => data[i * nY + j]);
  const n = run.grid.resolution;
  const values = new Float32Array(side * side);
  picks.forEach((row, r) =>
    picks.forEach((col, c) => {
      values[r * side + c] = data[(row * n + col) * nY + j];
    }),
  );
  return values;
}

/** The thumbnail values of node j in column c > 0. */
function nodeMap(frame, run, c, j, nColumns) {
  if (c === nColumns - 1) return outputThumbnail(frame, run, j);
  const { data, shape } = planePictures(frame, run).neurons[c - 1];
  const size = shape.slice(1).reduce((a, b) => a * b, 1);
  return data.subarray(j * size, (j + 1) * size);
}

/** Set an attribute only when its value changes: most edges barely change between frames. */
function setIfChanged(element, name, value) {
  if (element.getAttribute(name) !== value) element.setAttribute(name, value);
}

const edgeWidth = (magnitude, node) =>
  Math.max(0.5, Math.min(1 + (9 * magnitude) / MAX_EDGE_WEIGHT, 10) * Math.min(1, node / 30));

/**
 * Draw `frame` into `element`. `context`: run (the ready message), direction ("forward" or
 * "backward"), onHoverNode({column, index} or null), onEditWeight(layer, row, col, value) with
 * col null for a bias, weightRange ([low, high] a typed weight may take), highlight ({nodes,
 * edges} Sets of keys to light up, or null; see applyHighlight).
 */
export function renderNetwork(element, frame, context) {
  const { run, direction } = context;
  const sizes = layerSizes(frame);
  const { width, height } = elementSize(element);
  const key = `${run.run}|${sizes}|${Math.round(width)}x${Math.round(height)}`;
  let graph = graphs.get(element);
  if (!graph || graph.key !== key) {
    graph = build(element, sizes, run, context);
    graph.key = key;
    graphs.set(element, graph);
  }
  graph.frame = frame;
  const highlight = context.highlight ?? null;
  if (graph.highlight !== highlight) {
    graph.highlight = highlight;
    applyHighlight(element, graph, highlight);
  }
  const nLayers = sizes.length - 1;
  const backward = direction === "backward";
  element.dataset.direction = direction;

  const edgeName = backward ? "dW" : "W";
  // Edges between small nodes (many inputs) are thinner, so that the graph stays readable.
  const edgeNode = graph.sides.slice(1).map((side, l) => Math.min(side, graph.sides[l]));
  const gradientScale = backward ? symmetricDomain(allLayers(frame, "dW", nLayers))[1] : 1;
  for (let l = 0; l < nLayers; l++) {
    const { data } = frameArray(frame, edgeName, l);
    const lines = graph.edges[l];
    for (let i = 0; i < lines.length; i++) {
      const value = data[i] / gradientScale;
      const magnitude = backward ? Math.abs(value) * MAX_EDGE_WEIGHT * 0.6 : Math.abs(value);
      setIfChanged(lines[i], "stroke", scaleColor(value, [-1, 1]));
      setIfChanged(lines[i], "stroke-width", edgeWidth(magnitude, edgeNode[l]).toFixed(1));
    }
  }

  const input = frameArray(frame, "input").data;
  graph.nodes[0].forEach(({ box, canvas }, j) => {
    box.style.borderColor = backward ? css(NEUTRAL) : scaleColor(input[j], graph.inputDomains[j]);
    if (!graph.inputs[j].feature) paintFace(canvas, scaleColor(input[j], graph.inputDomains[j]));
  });
  const deltaDomain = symmetricDomain(allLayers(frame, "delta", nLayers));
  const biasDomain = backward ? symmetricDomain(allLayers(frame, "db", nLayers)) : [-1, 1];
  for (let c = 1; c < sizes.length; c++) {
    const l = c - 1;
    const isOutput = c === sizes.length - 1;
    const activation = isOutput ? run.config.output_activation : run.config.activation;
    const a = frameArray(frame, "a", l).data;
    const nodeValues = backward ? frameArray(frame, "delta", l).data : a;
    let nodeDomain = activationDomain(activation, [a]);
    if (isOutput && run.kind === "regression") nodeDomain = [-1, 1]; // the targets' scale
    if (backward) nodeDomain = deltaDomain;
    const biases = frameArray(frame, backward ? "db" : "b", l).data;
    const classOutputs = isOutput && run.kind === "multiclass";
    if (!graph.maps) {
      graph.nodes[c].forEach(({ box, canvas, bias }, j) => {
        box.style.borderColor = scaleColor(nodeValues[j], nodeDomain);
        bias.style.background = scaleColor(biases[j], biasDomain);
        const face = classOutputs ? css(classColor(j), Math.max(0, Math.min(1, a[j]))) : scaleColor(a[j], activationDomain(activation, [a]));
        paintFace(canvas, face);
      });
      continue;
    }
    const maps = graph.nodes[c].map((_, j) => nodeMap(frame, run, c, j, sizes.length));
    const mapDomain = activationDomain(activation, maps);
    graph.nodes[c].forEach(({ box, canvas, bias }, j) => {
      box.style.borderColor = scaleColor(nodeValues[j], nodeDomain);
      bias.style.background = scaleColor(biases[j], biasDomain);
      if (graph.oneD) paintCurve(canvas, maps[j], mapDomain);
      else if (classOutputs) paintProbability(canvas, maps[j], graph.side, classColor(j));
      else paintMap(canvas, maps[j], graph.side, mapDomain);
    });
  }
}

/**
 * A node's face without a map over the plane (data on principal components): one colour,
 * the probe's activation (a class's probability for a multi-class output).
 */
function paintFace(canvas, color) {
  if (canvas.width !== 1) Object.assign(canvas, { width: 1, height: 1 });
  const context = canvas.getContext("2d");
  context.clearRect(0, 0, 1, 1);
  context.fillStyle = color;
  context.fillRect(0, 0, 1, 1);
}

function nodeName(graph, c, j) {
  if (c === 0) return `input ${graph.inputs[j].html}`;
  if (c === graph.sizes.length - 1) {
    return graph.sizes[c] === 1 ? `the output neuron (l = ${c})` : `output ${j}, for class ${j} (l = ${c})`;
  }
  return `neuron ${j + 1} of hidden layer ${c} (l = ${c})`;
}

function showNodeTip(element, c, j, event) {
  const graph = graphs.get(element);
  if (!graph?.frame) return;
  const { frame } = graph;
  let html;
  if (c === 0) {
    const a0 = frameArray(frame, "input").data[j];
    html = `<b>${nodeName(graph, c, j)}</b><br>a${sup(0)}${sub(j + 1)} = ${formatValue(a0)} (probe)`;
  } else {
    const l = c - 1;
    const at = (name) => formatValue(frameArray(frame, name, l).data[j]);
    html =
      `<b>${nodeName(graph, c, j)}</b><br>` +
      `z = ${at("z")}, a = ${at("a")}<br>&delta; = ${at("delta")} (probe)<br>` +
      `mean |&delta;| over the training set = ${at("mean_abs_delta")}<br>` +
      `b = ${at("b")}, &part;C/&part;b = ${at("db")}<br><i>its output over the plane is shown large on the right</i>`;
  }
  showTooltip(html, event.clientX, event.clientY);
}

function showBiasTip(element, l, j, event) {
  const graph = graphs.get(element);
  if (!graph?.frame) return;
  const b = frameArray(graph.frame, "b", l).data[j];
  const db = frameArray(graph.frame, "db", l).data[j];
  showTooltip(
    `<b>bias b${sup(l + 1)}${sub(j + 1)}</b> = ${formatValue(b)}<br>&part;C/&part;b = ${formatValue(db)}` +
      "<br><i>click to set this bias</i>",
    event.clientX,
    event.clientY,
  );
}

function showEdgeTip(element, l, j, k, event) {
  const graph = graphs.get(element);
  if (!graph?.frame) return;
  const nIn = graph.sizes[l];
  const w = frameArray(graph.frame, "W", l).data[j * nIn + k];
  const dw = frameArray(graph.frame, "dW", l).data[j * nIn + k];
  const html =
    `<b>w${sup(l + 1)}${sub(`${j + 1},${k + 1}`)}</b> = ${formatValue(w)}<br>` +
    `&part;C/&part;w = ${formatValue(dw)}<br>from ${nodeName(graph, l, k)}<br>to ${nodeName(graph, l + 1, j)}<br>` +
    "<i>click to set this weight</i>";
  showTooltip(html, event.clientX, event.clientY);
}

/**
 * An inline box to type a new weight w^(l+1)_jk (a bias b^(l+1)_j when k is null); Enter sends
 * it with `context.onEditWeight(l, j, k, value)`, Escape or leaving the box cancels.
 */
function openWeightEditor(element, l, j, k, event, context) {
  const graph = graphs.get(element);
  if (!graph?.frame) return;
  hideTooltip();
  element.querySelector(".weight-editor")?.remove();
  const isBias = k === null;
  const current = isBias
    ? frameArray(graph.frame, "b", l).data[j]
    : frameArray(graph.frame, "W", l).data[j * graph.sizes[l] + k];
  const name = isBias ? `b${sup(l + 1)}${sub(j + 1)}` : `w${sup(l + 1)}${sub(`${j + 1},${k + 1}`)}`;
  const [low, high] = context.weightRange;
  const bounds = element.getBoundingClientRect();
  const editor = document.createElement("form");
  editor.className = "weight-editor";
  editor.style.left = `${event.clientX - bounds.left}px`;
  editor.style.top = `${event.clientY - bounds.top}px`;
  editor.innerHTML = `<label>${name} = <input type="number" step="any" min="${low}" max="${high}"
    data-testid="weight-input" aria-label="New ${isBias ? "bias" : "weight"}"></label>`;
  const field = editor.querySelector("input");
  field.value = current.toPrecision(4);
  let open = true;
  const close = () => {
    if (!open) return;
    open = false;
    editor.remove();
  };
  editor.addEventListener("submit", (submitted) => {
    submitted.preventDefault();
    const value = Number(field.value);
    if (field.value.trim() !== "" && Number.isFinite(value)) context.onEditWeight(l, j, k, value);
    close();
  });
  field.addEventListener("keydown", (key) => {
    if (key.key === "Escape") close();
  });
  field.addEventListener("blur", close);
  element.append(editor);
  field.focus();
  field.select();
}

export const NETWORK_LEGEND = {
  forward:
    `Edges: weights w, <span class="word-blue">blue</span> positive, orange negative, ` +
    "width |w|. Node borders: the probe's activation a; small squares: biases b.",
  backward:
    `Edges: &part;C/&part;w over the training set (<span class="word-blue">blue</span> positive: ` +
    "descent lowers w). Node borders: the probe's &delta;; small squares: &part;C/&part;b.",
};
