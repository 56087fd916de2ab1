/**
 * The boundary in draw mode (userdata.js's `boundaryContext`): the points the user draws on
 * the plane, over the network's output where that is over the same plane; a click adds a
 * point (shift-click removes one).
 */

import { labelMarker, ramp, swatches } from "./parts.js";
import { paintPlane } from "./plane.js";

/** The user's points, coloured by their class (or target). */
function drawnTrace(draw) {
  return {
    type: "scatter",
    mode: "markers",
    x: draw.points.map((p) => p[0]),
    y: draw.points.map((p) => p[1]),
    marker: labelMarker(draw.kind, draw.labels, { size: 7, line: { color: "#fff", width: 1 } }),
    hoverinfo: "skip",
  };
}

export const drawView = {
  grid: false,
  probes: false,
  drawing: true,
  ranges: (run, draw) => ({ x: draw.range, y: draw.range }),
  /** Each point drawn makes a new run; the figure stays as long as the plane does. */
  figureKey: (draw) => draw.range.join(),
  axisTitles: () => ["x₁", "x₂"],
  samples: () => ({}),
  traces: (figure, frame, context) => [drawnTrace(context.draw)],
  paint(draw, frame, area, figure, context) {
    // The network's output only where it is over the same plane as the drawing.
    if (context.draw.background) paintPlane(draw, frame, area, figure, context, null);
    return context.draw.title;
  },
  legend(run, draw) {
    if (draw.kind === "regression") return ramp("−1", "+1", "target");
    return swatches(Array.from({ length: draw.nClasses }, (_, k) => `class ${k}`));
  },
  legendKey: (draw) => `${draw.kind}|${draw.nClasses}`,
  valueAt(figure, at) {
    const [xName, yName] = drawView.axisTitles();
    return `${xName} ${at.x.toFixed(2)}, ${yName} ${at.y.toFixed(2)}: ${figure.context.draw.clickHint}`;
  },
  pointCount: (figure, context) => context.draw.points.length,
  /** A click on the plane adds a point there (with shift, removes the nearest). */
  click(figure, at, event) {
    figure.context.draw.onPlane(at.x, at.y, event.shiftKey);
  },
};
