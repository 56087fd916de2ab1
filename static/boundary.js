/**
 * The output view: what the network computes over its inputs, with the data on top. Which
 * picture depends on the run's `view` (or draw mode), each a module of boundary/ behind one
 * interface: plane.js (the output over the input plane), line.js (the fitted curve of one
 * input), pca.js (the samples on principal components) and draw.js (the user's points while
 * drawing). This module is the frame they share: the canvas, the Plotly figure, the pointer,
 * the caption and the picture export.
 *
 * Two layers: the background is painted on a canvas under the plot area every frame (about a
 * millisecond), while a Plotly figure on top holds the axes and the data points, with their
 * hover and the click that picks the probe sample. Plotly redraws only when the points,
 * the probe or the size change: redrawing a 100 x 100 Plotly heatmap costs tens of
 * milliseconds a frame, which training at 30 frames a second cannot afford.
 *
 * A view: {grid (the axes draw grid lines), probes (a click on a training point makes it the
 * probe), drawing (a click adds a point: `click(figure, at, event)`), ranges(run, draw)
 * ({x, y}: the plot's extent), axisTitles(run), samples(run) ({train, test}: the data's
 * traces, built once a figure), traces(figure, frame, context) (the Plotly traces),
 * paint(canvas context, frame, area, figure, context) (the background; returns the caption),
 * legend(run, draw) and legendKey(draw) (when it changes), valueAt(figure, at) (the readout
 * under the pointer, if the view has one), pointCount(figure, context), wire(figure) (its own
 * Plotly events, if any), figureKey(draw) (optional: what the figure is built for, when that
 * is not the run; a figure is built again only when it changes)}.
 *
 * Building a figure replaces the element's children, and a click whose press and release
 * straddle that is lost; so draw mode, where every point makes a new run, keeps its figure
 * for as long as the plane's extent stays the same.
 */

import { AXIS_LINE } from "./colors.js";
import { plotlyText } from "./markup.js";
import { elementSize } from "./size.js";
import { drawView } from "./boundary/draw.js";
import { lineView } from "./boundary/line.js";
import { TRAIN_TRACE } from "./boundary/parts.js";
import { pcaView } from "./boundary/pca.js";
import { planeView } from "./boundary/plane.js";

const MARGIN = { l: 34, r: 8, t: 6, b: 30 };
const PLOT_CONFIG = {
  displayModeBar: false,
  scrollZoom: false,
  doubleClick: false,
  staticPlot: false,
};
/** The views by name: a run's `view`, or "draw" while the user draws points. */
const VIEWS = { plane: planeView, line: lineView, pca: pcaView, draw: drawView };

const figures = new WeakMap();

/** What the figure shows: the run's view, or "draw" while the user draws points. */
const figureView = (run, draw) => (draw ? "draw" : run.view);

function layout(figure, width, height) {
  const { run, view } = figure;
  const { x, y } = figure.ranges;
  const [xTitle, yTitle] = view.axisTitles(run);
  const axis = (range, title) => ({
    range,
    fixedrange: true,
    zeroline: false,
    showgrid: view.grid,
    gridcolor: "rgba(0,0,0,0.08)",
    showline: true,
    mirror: true,
    linecolor: AXIS_LINE,
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
    ranges: view.ranges(run, draw),
    canvas,
    plot,
    image: document.createElement("canvas"),
    plotKey: null,
    frame: null,
    context: null,
    ...view.samples(run),
  };
  element.onmousemove = (event) => showValueAt(element, event);
  element.onmouseleave = () => {
    if (figure.context?.readout) figure.context.readout.textContent = "";
  };
  element.onclick = (event) => {
    const at = view.click && pointerAt(element, figure, event);
    if (at) view.click(figure, at, event);
  };
  element.classList.toggle("drawing", Boolean(view.drawing));
  return figure;
}

/** Paint this frame's background; returns the caption. */
function paintBackground(element, figure, frame, context) {
  const { canvas } = figure;
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
  return figure.view.paint(draw, frame, area, figure, context);
}

/** The output under the pointer, written into the readout line. */
function showValueAt(element, event) {
  const figure = figures.get(element);
  const readout = figure?.context?.readout;
  if (!figure?.frame || !readout || !figure.view.valueAt) return;
  const at = pointerAt(element, figure, event);
  readout.textContent = at ? figure.view.valueAt(figure, at) : "";
}

/**
 * Draw `frame` into `element`. `context`: run (ready message), showTest, discretize, hover
 * (a graph node {column, index} or null), onProbe(index), draw (draw mode's points
 * {points, labels, kind, nClasses, range (the plane's [low, high]), version, background,
 * title, clickHint, onPlane(x1, x2, remove)}, or null), and the elements for its caption:
 * title, readout (the value under the pointer) and legend.
 */
export function renderBoundary(element, frame, context) {
  const { run, draw } = context;
  const viewName = figureView(run, draw);
  const view = VIEWS[viewName];
  let figure = figures.get(element);
  const key = view.figureKey ? view.figureKey(draw) : run;
  if (!figure || figure.key !== key || figure.view !== view) {
    figure = build(element, run, view, draw);
    figure.key = key;
    figures.set(element, figure);
    figure.legendKey = null;
  }
  figure.run = run;
  figure.frame = frame;
  figure.context = context;
  const title = paintBackground(element, figure, frame, context);

  const legendKey = view.legendKey(draw);
  if (context.legend && figure.legendKey !== legendKey) {
    figure.legendKey = legendKey;
    context.legend.innerHTML = view.legend(run, draw);
  }

  const { width, height } = elementSize(element);
  const plotKey = `${context.showTest}|${frame.probe}|${width}x${height}|${draw?.version}`;
  if (figure.plotKey !== plotKey) {
    const first = figure.plotKey === null;
    figure.plotKey = plotKey;
    Plotly.react(figure.plot, view.traces(figure, frame, context), layout(figure, width, height), PLOT_CONFIG);
    if (first) {
      if (view.probes) {
        figure.plot.on("plotly_click", (event) => {
          const point = event.points.find((p) => p.curveNumber === TRAIN_TRACE);
          if (point) figure.context.onProbe(point.pointNumber);
        });
      }
      view.wire?.(figure);
    }
  }
  element.dataset.kind = run.kind;
  element.dataset.view = viewName;
  element.dataset.points = String(view.pointCount(figure, context));
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
