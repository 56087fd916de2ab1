/**
 * The probe sample's delta^l (eqs. 12-13) for every layer, as small bar charts under the
 * network's columns. All layers share one scale, so gradients that shrink on their way back
 * through the network look small here too; each chart names its own largest |delta|.
 */

import { frameArray, layerSizes } from "./connection.js";
import { BLUE, css, ORANGE } from "./colors.js";
import { formatValue } from "./tooltip.js";
import { elementSize } from "./size.js";

const HEIGHT = 44;
const charts = new WeakMap();

function build(element, sizes) {
  element.replaceChildren();
  element.style.gridTemplateColumns = `repeat(${sizes.length}, 1fr)`;
  const caption = document.createElement("div");
  caption.className = "delta-caption";
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
  return { cells, caption };
}

function drawBars(canvas, values, scale) {
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
    const length = (value / scale) * (middle - 2);
    context.fillStyle = css(value >= 0 ? BLUE : ORANGE);
    const x = j * slot + (slot - bar) / 2;
    context.fillRect(x, length >= 0 ? middle - length : middle, bar, Math.abs(length));
  });
}

/** Draw the probe's delta vectors of `frame` into `element`. */
export function renderDeltas(element, frame) {
  const sizes = layerSizes(frame);
  const key = `${sizes}|${elementSize(element).width}`;
  let chart = charts.get(element);
  if (!chart || chart.key !== key) {
    chart = { ...build(element, sizes), key };
    charts.set(element, chart);
  }
  const deltas = chart.cells.map((_, l) => frameArray(frame, "delta", l).data);
  let scale = 1e-12;
  for (const values of deltas) for (const v of values) scale = Math.max(scale, Math.abs(v));
  chart.caption.innerHTML = `&delta; of probe #${frame.probe}<br><span class="hint">scale ±${formatValue(scale)}</span>`;
  chart.cells.forEach(({ canvas, label }, l) => {
    drawBars(canvas, deltas[l], scale);
    let largest = 0;
    for (const v of deltas[l]) largest = Math.max(largest, Math.abs(v));
    label.innerHTML = `&delta;<sup>${l + 1}</sup> max ${formatValue(largest)}`;
  });
}
