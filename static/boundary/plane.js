/**
 * The boundary's plane view: binary classification and 2-D regression show the output as a
 * heatmap, multi-class each point of the plane in its most probable class's colour, faded as
 * that probability falls to chance; a hovered node's map replaces the output while hovered.
 */

import { layerSizes } from "../connection.js";
import { planePictures } from "../forward.js";
import { paintClasses, paintMap, paintProbability, TEST_INK } from "../colors.js";
import { className } from "../sketches.js";
import {
  hoveredPicture,
  inputTitles,
  labelMarker,
  outputLegend,
  readoutAt,
  samplesAndProbe,
  samplesTrace,
} from "./parts.js";

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

/** The output over the plane, or the node map `hovered` (null for the output). */
export function paintPlane(draw, frame, area, figure, context, hovered) {
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

function title(run) {
  if (run.kind === "regression") return "The network's prediction over the plane";
  if (run.kind === "multiclass") return "Most probable class, paler where the network is unsure";
  return `The network's output, P(${className(run, 1)}), over the plane`;
}

const axisTitles = (run) => inputTitles(run, false);

function samples(run, split, outline) {
  const { x, y } = run[split];
  const color = (marker) => labelMarker(run.kind, y, marker);
  return samplesTrace(run, split, { line: false, y: x.map((p) => p[1]), outline, color });
}

export const planeView = {
  grid: false,
  probes: true,
  ranges: (run) => ({ x: run.x_range, y: run.y_range }),
  axisTitles,
  samples: (run) => ({ train: samples(run, "train", "#fff"), test: samples(run, "test", TEST_INK) }),
  traces: (figure, frame, context) => samplesAndProbe(figure, frame, context, (point) => point[1]),
  paint(draw, frame, area, figure, context) {
    const hovered = hoveredPicture(frame, figure.run, context);
    paintPlane(draw, frame, area, figure, context, hovered);
    return hovered?.title ?? title(figure.run);
  },
  legend: outputLegend,
  legendKey: () => "run",
  valueAt: (figure, at) => readoutAt(figure, at, false),
  pointCount: (figure) => figure.run.train.x.length,
};
