/**
 * The boundary's line view, for one input: the fitted curve (one per class for
 * classification) under the data; a hovered node's curve replaces it while hovered.
 */

import { layerSizes } from "../connection.js";
import { BLUE, classColor, css, TEST_INK } from "../colors.js";
import {
  hoveredPicture,
  inputTitles,
  isClassifier,
  outputColumn,
  outputLegend,
  readoutAt,
  samplesAndProbe,
  samplesTrace,
} from "./parts.js";

/** Where the line view puts a sample vertically: its target, or its class as a probability. */
function lineY(run, label) {
  if (run.kind === "regression") return label;
  return run.kind === "binary" ? label : -0.1;
}

/** The horizontal axis is the input's; the vertical one shows targets or probabilities. */
function ranges(run) {
  if (run.kind !== "regression") return { x: run.x_range, y: [-0.2, 1.15] };
  const targets = [...run.train.y, ...run.test.y];
  return { x: run.x_range, y: [Math.min(...targets) - 0.3, Math.max(...targets) + 0.3] };
}

const axisTitles = (run) => inputTitles(run, true);

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

/** The prediction curve, or each class's probability in its colour, or the hovered node's. */
function paintLine(draw, frame, area, run, hovered) {
  if (hovered) {
    drawCurve(draw, hovered.values, area, run, { color: "#555", width: 2, dash: [6, 4] });
    return;
  }
  if (run.kind !== "multiclass") {
    drawCurve(draw, outputColumn(frame, run, 0), area, run, { color: TEST_INK, width: 2.5 });
    return;
  }
  for (let k = 0; k < layerSizes(frame).at(-1); k++) {
    drawCurve(draw, outputColumn(frame, run, k), area, run, { color: css(classColor(k)), width: 2 });
  }
}

function samples(run, split, outline) {
  const { y } = run[split];
  const color = (marker) => {
    if (isClassifier(run)) marker.color = y.map((label) => css(classColor(label)));
    else marker.color = split === "train" ? css(BLUE) : "#fff";
    return marker;
  };
  const heights = y.map((label) => lineY(run, label));
  return samplesTrace(run, split, { line: true, y: heights, outline, color });
}

export const lineView = {
  grid: true,
  probes: true,
  ranges,
  axisTitles,
  samples: (run) => ({ train: samples(run, "train", "#fff"), test: samples(run, "test", TEST_INK) }),
  traces: (figure, frame, context) =>
    samplesAndProbe(figure, frame, context, (point, label) => lineY(figure.run, label)),
  paint(draw, frame, area, figure, context) {
    const hovered = hoveredPicture(frame, figure.run, context);
    paintLine(draw, frame, area, figure.run, hovered);
    return hovered?.title ?? "The network's prediction (line) over the data";
  },
  legend(run) {
    if (run.kind !== "regression") return outputLegend(run);
    return `<span class="dot" style="background:${css(BLUE)}"></span>training data <span class="dot hollow"></span>test data
      <span class="line"></span>prediction`;
  },
  legendKey: () => "run",
  valueAt: (figure, at) => readoutAt(figure, at, true),
  pointCount: (figure) => figure.run.train.x.length,
};
