/**
 * The boundary's principal-component view, for data of more than two inputs: the samples on
 * their first two principal components, coloured by the class (or value) the network predicts
 * for them, wrong predictions drawn as a cross. Their colours change every frame, so they are
 * painted on the canvas; invisible Plotly markers above them hover and take the click.
 */

import { frameArray } from "../connection.js";
import { classColor, css, scaleColor, symmetricDomain, TEST_INK } from "../colors.js";
import { escapeHtml } from "../markup.js";
import { className } from "../sketches.js";
import { formatValue, hideTooltip, showTooltip } from "../tooltip.js";
import { classNames, isClassifier, ramp, samplesAndProbe, swatches, TRAIN_TRACE } from "./parts.js";

const CROSS = 4;
const DOT = 3.5;

/** The targets' range, which the predicted values are coloured over. */
const targetDomain = (run) => symmetricDomain([...run.train.y, ...run.test.y]);

function axisTitles(run) {
  const share = (k) => (run.explained_variance ? ` (${(100 * run.explained_variance[k]).toFixed(1)}% of variance)` : "");
  return [`PC1${share(0)}`, `PC2${share(1)}`];
}

/** Invisible markers over the painted samples, for hover and click. */
function samples(run, split) {
  const { x } = run[split];
  return {
    type: "scatter",
    mode: "markers",
    name: split,
    x: x.map((p) => p[0]),
    y: x.map((p) => p[1]),
    marker: { size: 9, color: "rgba(0,0,0,0)" },
    hoverinfo: "none",
  };
}

/**
 * The samples, in the colour of what the network predicts for them (the frame's
 * train_predicted, test_predicted); a wrong class is a cross. Samples of one colour are drawn
 * as one path: a thousand separate fills cost several milliseconds.
 */
function paintSamples(draw, frame, area, run, showTest) {
  const domain = isClassifier(run) ? null : targetDomain(run);
  for (const split of showTest ? ["train", "test"] : ["train"]) {
    const predicted = frameArray(frame, `${split}_predicted`)?.data;
    const { x, y } = run[split];
    const dots = new Map(); // colour -> sample indices
    const crosses = new Map();
    for (let i = 0; i < x.length; i++) {
      const guess = predicted ? predicted[i] : y[i];
      const wrong = isClassifier(run) && guess !== y[i];
      const color = isClassifier(run) ? css(classColor(guess)) : scaleColor(guess, domain);
      const group = wrong ? crosses : dots;
      if (!group.has(color)) group.set(color, []);
      group.get(color).push(i);
    }
    draw.lineWidth = 1;
    draw.strokeStyle = split === "train" ? "#fff" : TEST_INK;
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
      for (const [stroke, width] of [[TEST_INK, 3.6], [color, 2]]) {
        draw.strokeStyle = stroke;
        draw.lineWidth = width;
        draw.stroke();
      }
    }
  }
}

/** Hovering a sample: its true and predicted class (or target and prediction). */
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

export const pcaView = {
  grid: true,
  probes: true,
  ranges: (run) => ({ x: run.x_range, y: run.y_range }),
  axisTitles,
  samples: (run) => ({ train: samples(run, "train"), test: samples(run, "test") }),
  traces: (figure, frame, context) => samplesAndProbe(figure, frame, context, (point) => point[1]),
  paint(draw, frame, area, figure, context) {
    paintSamples(draw, frame, area, figure.run, context.showTest);
    return isClassifier(figure.run)
      ? "Each sample's predicted class (PCA view)"
      : "Each sample's prediction (PCA view)";
  },
  legend(run) {
    if (!isClassifier(run)) {
      const [low, high] = targetDomain(run).map(formatValue);
      return `prediction ${ramp(low, high, "prediction (standardised)")}`;
    }
    return `${swatches(classNames(run))} <span class="cross">×</span>wrong`;
  },
  legendKey: () => "run",
  pointCount: (figure) => figure.run.train.x.length,
  /** The samples' hover: true and predicted class, in the readout and a tooltip. */
  wire(figure) {
    figure.plot.on("plotly_hover", (event) => showSample(figure, event));
    figure.plot.on("plotly_unhover", () => {
      hideTooltip();
      if (figure.context?.readout) figure.context.readout.textContent = "";
    });
  },
};
