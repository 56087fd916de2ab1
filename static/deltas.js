/**
 * The probe sample's delta^l (eqs. 12-13) for every layer, as small bar charts under the
 * network's columns. All layers share one scale, so gradients that shrink on their way back
 * through the network look small here too; each chart names its own largest |delta|.
 *
 * On a linear scale a vanishing gradient (6 sigmoid layers: each layer's delta a quarter of the
 * next's or less) leaves the first layers flat lines. The log toggle draws each bar's length as
 * log |delta| over the six decades below the largest, so each layer's loss of magnitude is a
 * visible step down. Labels are compact (formatCompact) and wrap, so any depth fits.
 */

import { frameArray, layerSizes } from "./connection.js";
import { BLUE, css, ORANGE } from "./colors.js";
import { explain } from "./glossary.js";
import { formatCompact, formatValue } from "./tooltip.js";
import { elementSize } from "./size.js";

const HEIGHT = 44;
const LOG_DECADES = 6;
const charts = new WeakMap();

function build(element, sizes, onLogScale) {
  element.replaceChildren();
  element.style.gridTemplateColumns = `repeat(${sizes.length}, minmax(0, 1fr))`;
  const caption = document.createElement("div");
  caption.className = "delta-caption";
  const title = document.createElement("span");
  const delta = Object.assign(document.createElement("span"), { textContent: "δ" });
  delta.dataset.term = "delta";
  const probe = Object.assign(document.createElement("span"), { textContent: "probe" });
  probe.dataset.term = "probe";
  const probeIndex = document.createElement("span");
  title.append(delta, " of ", probe, probeIndex);
  const scale = document.createElement("span");
  scale.className = "hint";
  const toggle = document.createElement("label");
  toggle.className = "delta-log";
  toggle.title = "Bar lengths as log |δ| over six decades: a vanishing gradient shows as steps down";
  const box = Object.assign(document.createElement("input"), { type: "checkbox" });
  box.dataset.testid = "delta-log";
  box.addEventListener("change", () => onLogScale(box.checked));
  toggle.append(box, " log");
  caption.append(title, scale, toggle);
  explain(delta);
  explain(probe);
  element.append(caption);
  const cells = sizes.slice(1).map((_, l) => {
    const cell = document.createElement("figure");
    cell.className = "delta-cell";
    const canvas = document.createElement("canvas");
    canvas.dataset.testid = `delta-chart-${l}`;
    canvas.setAttribute("aria-label", `delta of layer ${l + 1}`);
    const label = document.createElement("figcaption");
    cell.append(canvas, label);
    element.append(cell);
    return { canvas, label };
  });
  return { cells, caption: { probeIndex, scale, box } };
}

/** A bar's signed length in (-1, 1): linear in value / scale, or its log over LOG_DECADES. */
function barLength(value, scale, logScale) {
  if (!logScale) return value / scale;
  const magnitude = Math.abs(value);
  if (magnitude === 0) return 0;
  const decades = Math.log10(magnitude / scale) + LOG_DECADES;
  return Math.sign(value) * Math.max(0, Math.min(1, decades / LOG_DECADES));
}

function drawBars(canvas, values, scale, logScale) {
  const ratio = window.devicePixelRatio || 1;
  const { width } = elementSize(canvas);
  if (canvas.width !== Math.round(width * ratio)) canvas.width = Math.round(width * ratio);
  if (canvas.height !== Math.round(HEIGHT * ratio)) canvas.height = Math.round(HEIGHT * ratio);
  const context = canvas.getContext("2d");
  context.setTransform(ratio, 0, 0, ratio, 0, 0);
  context.clearRect(0, 0, width, HEIGHT);
  const middle = HEIGHT / 2;
  context.fillStyle = "#ccc";
  context.fillRect(0, middle, width, 1);
  const slot = width / values.length;
  const bar = Math.max(1, Math.min(14, slot * 0.7));
  values.forEach((value, j) => {
    const length = barLength(value, scale, logScale) * (middle - 2);
    context.fillStyle = css(value >= 0 ? BLUE : ORANGE);
    const x = j * slot + (slot - bar) / 2;
    context.fillRect(x, length >= 0 ? middle - length : middle, bar, Math.abs(length));
  });
}

/**
 * Draw the probe's delta vectors of `frame` into `element`; `logScale` for log bars,
 * `onLogScale(on)` when the user toggles it.
 */
export function renderDeltas(element, frame, { logScale = false, onLogScale = () => {} } = {}) {
  const sizes = layerSizes(frame);
  const key = `${sizes}|${elementSize(element).width}`;
  let chart = charts.get(element);
  if (!chart || chart.key !== key) {
    chart = { ...build(element, sizes, onLogScale), key };
    charts.set(element, chart);
  }
  const deltas = chart.cells.map((_, l) => frameArray(frame, "delta", l).data);
  let scale = 1e-12;
  for (const values of deltas) for (const v of values) scale = Math.max(scale, Math.abs(v));
  const { probeIndex, scale: scaleText, box } = chart.caption;
  probeIndex.textContent = ` #${frame.probe}`;
  scaleText.textContent = logScale
    ? `${formatCompact(scale / 10 ** LOG_DECADES, 2)} to ${formatCompact(scale, 2)}`
    : `scale ±${formatCompact(scale, 3)}`;
  box.checked = logScale;
  chart.cells.forEach(({ canvas, label }, l) => {
    drawBars(canvas, deltas[l], scale, logScale);
    let largest = 0;
    for (const v of deltas[l]) largest = Math.max(largest, Math.abs(v));
    label.innerHTML = `&delta;<sup>${l + 1}</sup> max ${formatCompact(largest, 2)}`;
    label.title = `largest |δ${l + 1}| of the probe: ${formatValue(largest)}`;
  });
}
