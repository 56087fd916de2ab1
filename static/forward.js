/**
 * The network's forward pass over the input plane, for the pictures drawn from a frame's
 * weights: the decision boundary, the neurons' thumbnails and the layer space's grid lines.
 *
 * TensorFlow Playground's heatmap.ts draws from the network it holds; this page holds no
 * network, only the frame's W and b, so it runs eqs. 32-33 (z^l = W^l a^(l-1) + b^l,
 * a^l = phi(z^l)) over the points itself, as the engine would (tests/browser/
 * test_forward_parity.py compares the two for every activation, output and feature). No
 * training, no gradients: those are the server's. The frame is thus a few kilobytes instead of
 * the 50-130 kB a 100 x 100 grid and the thumbnails cost on the wire.
 *
 * Each layer's activation and its parameters come from `ready.activations` (the engine's own
 * JSON form, e.g. {"name": "leaky_relu", "alpha": 0.01}); the input features from
 * sketches.js's formulas (mlp_engine's FEATURES).
 */

import { frameArray } from "./connection.js";
import { FEATURES } from "./sketches.js";

/**
 * tanh to float32 precision (within 3e-7 of Math.tanh): Eigen's rational approximation
 * (`ptanh_float`), clamped where float32's tanh is +-1. A 6 x 8 network over the 100 x 100 grid
 * takes 490,000 of them a frame, and Math.tanh took a third of the pass.
 */
function tanh(x) {
  if (x > 7.90531110763549805) return 1;
  if (x < -7.90531110763549805) return -1;
  const x2 = x * x;
  let p = -2.76076847742355e-16;
  p = p * x2 + 2.00018790482477e-13;
  p = p * x2 - 8.60467152213735e-11;
  p = p * x2 + 5.12229709037114e-8;
  p = p * x2 + 1.48572235717979e-5;
  p = p * x2 + 6.37261928875436e-4;
  p = p * x2 + 4.89352455891786e-3;
  let q = 1.19825839466702e-6;
  q = q * x2 + 1.18534705686654e-4;
  q = q * x2 + 2.2684346324390e-3;
  q = q * x2 + 4.89352518554385e-3;
  return (p * x) / q;
}

/** phi of each activation, from its JSON form; softmax works on a whole row instead. */
const ACTIVATIONS = {
  // Eq. 20 without overflow, as the engine's exp(-logaddexp(0, -z)).
  sigmoid: () => (z) => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z))),
  tanh: () => tanh,
  relu: () => (z) => (z > 0 ? z : 0),
  leaky_relu: ({ alpha }) => (z) => (z > 0 ? z : alpha * z),
  linear: () => (z) => z,
};

/** a_j = exp(z_j - max z) / sum_k exp(z_k - max z) over one row of `width` values, in place. */
function softmaxRow(values, start, width) {
  let max = -Infinity;
  for (let j = 0; j < width; j++) max = Math.max(max, values[start + j]);
  let sum = 0;
  for (let j = 0; j < width; j++) {
    const e = Math.exp(values[start + j] - max);
    values[start + j] = e;
    sum += e;
  }
  for (let j = 0; j < width; j++) values[start + j] /= sum;
}

/** Eq. 32 for `n` points: z = a W^T + b, (n, n_h). Every array float64, so that the loop
 * reads one kind of typed array (a loop over mixed kinds ran 1.5x slower). */
function weightedInputs(W, b, a, width, n) {
  const nH = b.length;
  const w = Float64Array.from(W);
  const z = new Float64Array(n * nH);
  for (let i = 0, at = 0, row = 0; i < n; i++, row += width) {
    for (let j = 0, wj = 0; j < nH; j++, wj += width, at++) {
      let sum = b[j];
      for (let k = 0; k < width; k++) sum += w[wj + k] * a[row + k];
      z[at] = sum;
    }
  }
  return z;
}

/** Eq. 33 in place: a = phi(z), row by row for softmax. */
function activate(z, activation, nH) {
  if (activation.name === "softmax") {
    for (let start = 0; start < z.length; start += nH) softmaxRow(z, start, nH);
    return;
  }
  const phi = ACTIVATIONS[activation.name](activation);
  if (phi === tanh) {
    // The common hidden activation gets a loop of its own, where the call is inlined: through
    // `phi`, which takes every activation, it is not.
    for (let i = 0; i < z.length; i++) z[i] = tanh(z[i]);
    return;
  }
  for (let i = 0; i < z.length; i++) z[i] = phi(z[i]);
}

/**
 * Eqs. 32-33 for `n` points. `inputs`: (n, n_x) row-major; `layers`: [{W (n_h x n_x, row-major),
 * b, activation: {name, ...its hyperparameters}}]. Returns every layer's a (n, n_h), float64.
 */
function forward(layers, inputs, n) {
  const activations = [];
  let a = Float64Array.from(inputs);
  let width = a.length / n;
  for (const { W, b, activation } of layers) {
    a = weightedInputs(W, b, a, width, n);
    width = b.length;
    activate(a, activation, width);
    activations.push(a);
  }
  return activations;
}

/** `features` (mlp_engine's names) of `n` raw points (n, n_raw) of the plane: (n, features). */
function featureColumns(features, raw, n) {
  const nRaw = raw.length / n;
  const columns = features.map((name) => FEATURES[name]);
  const out = new Float64Array(n * columns.length);
  for (let i = 0; i < n; i++) {
    const x1 = raw[i * nRaw];
    const x2 = nRaw > 1 ? raw[i * nRaw + 1] : 0;
    columns.forEach((feature, f) => {
      out[i * columns.length + f] = feature(x1, x2);
    });
  }
  return out;
}

/** `count` evenly spaced values from low to high, both included (NumPy's linspace). */
const linspace = (low, high, count) =>
  Float64Array.from({ length: count }, (_, i) => (count === 1 ? low : low + ((high - low) * i) / (count - 1)));

/**
 * The points of `ready.grid`, (n, 2) or (resolution, 1) for 1-D data: x1 along columns, x2
 * along rows, as the boundary paints them.
 */
function gridPoints(grid) {
  const xs = linspace(grid.x_range[0], grid.x_range[1], grid.resolution);
  if (grid.y_range === null) return { raw: xs, n: xs.length };
  const ys = linspace(grid.y_range[0], grid.y_range[1], grid.resolution);
  const raw = new Float64Array(2 * xs.length * ys.length);
  ys.forEach((x2, row) =>
    xs.forEach((x1, col) => {
      const at = 2 * (row * xs.length + col);
      raw[at] = x1;
      raw[at + 1] = x2;
    }),
  );
  return { raw, n: xs.length * ys.length };
}

/** The layer-space view draws the images of LINES lines x2 = c and LINES lines x1 = c. */
const LINES = 11;
const LINE_POINTS = 50;

/**
 * The layer space's lines, (n_lines * LINE_POINTS, n_inputs): LINES lines x2 = c (c rising
 * across y_range, each along x_range), then LINES lines x1 = c (c across x_range, each along
 * y_range); for 1-D data one line, the x1 axis.
 */
function linePoints(grid) {
  const along = linspace(grid.x_range[0], grid.x_range[1], LINE_POINTS);
  if (grid.y_range === null) return { raw: along, n: LINE_POINTS, lines: 1 };
  const alongY = linspace(grid.y_range[0], grid.y_range[1], LINE_POINTS);
  const raw = new Float64Array(2 * 2 * LINES * LINE_POINTS);
  let at = 0;
  for (const c of linspace(grid.y_range[0], grid.y_range[1], LINES)) {
    for (const x1 of along) {
      raw[at++] = x1;
      raw[at++] = c;
    }
  }
  for (const c of linspace(grid.x_range[0], grid.x_range[1], LINES)) {
    for (const x2 of alongY) {
      raw[at++] = c;
      raw[at++] = x2;
    }
  }
  return { raw, n: 2 * LINES * LINE_POINTS, lines: 2 * LINES };
}

/** The input features of a run's plane (mlp_engine's names), or null where the network takes
 * the (standardised) columns themselves (tabular data). */
const inputFeatures = (run) => (run.plane ? run.config.features : null);

/** The network's inputs at raw points of a plane: its `features`, or the points themselves. */
function networkInputs(features, { raw, n }) {
  return features ? featureColumns(features, raw, n) : raw;
}

/** The frame's layers as `forward` takes them. */
function frameLayers(frame, run) {
  return run.activations.map((activation, l) => ({
    W: frameArray(frame, "W", l).data,
    b: frameArray(frame, "b", l).data,
    activation,
  }));
}

/** Indices of `count` evenly spread points among `n`: the thumbnails' rows and columns. */
export function spread(n, count) {
  return Array.from({ length: count }, (_, i) => Math.round((i * (n - 1)) / (count - 1)));
}

/**
 * What `computePlanePictures` needs of a run (its `ready`), as plain data a worker can be sent:
 * the grid, the input features (null for tabular data) and n_y.
 */
function pictureSpec(run) {
  return { grid: run.grid, features: inputFeatures(run), nY: run.layer_sizes.at(-1) };
}

// The grid's network inputs are the same every frame of a run: kept for the latest spec.
let gridInputs = { key: null, inputs: null };

function gridNetworkInputs({ grid, features }) {
  const key = JSON.stringify([grid, features]);
  if (gridInputs.key !== key) {
    gridInputs = { key, inputs: networkInputs(features, gridPoints(grid)) };
  }
  return gridInputs.inputs;
}

/**
 * The pictures of a network (`layers` as `forward` takes them) over the plane of `spec`
 * (see pictureSpec), as {shape, data} arrays: `output`, a^L over the grid, (resolution,
 * resolution, n_y) or (resolution, n_y) for 1-D data; `neurons[l]`, hidden layer l's a over the
 * thumbnail grid, (n_h, thumbnail, thumbnail) or (n_h, thumbnail). Pure, so that
 * forward-worker.js runs it off the page's main thread.
 */
export function computePlanePictures(layers, spec) {
  const { resolution: side, thumbnail } = spec.grid;
  const oneD = spec.grid.y_range === null;
  const n = oneD ? side : side * side;
  const activations = forward(layers, gridNetworkInputs(spec), n);
  const picks = spread(side, thumbnail);
  const neurons = activations.slice(0, -1).map((a) => {
    const width = a.length / n;
    const size = oneD ? thumbnail : thumbnail * thumbnail;
    const data = new Float32Array(width * size);
    for (let j = 0; j < width; j++) {
      if (oneD) picks.forEach((at, c) => (data[j * size + c] = a[at * width + j]));
      else
        picks.forEach((row, r) =>
          picks.forEach((col, c) => {
            data[j * size + r * thumbnail + c] = a[(row * side + col) * width + j];
          }),
        );
    }
    return { shape: oneD ? [width, thumbnail] : [width, thumbnail, thumbnail], data };
  });
  const output = { shape: oneD ? [side, spec.nY] : [side, side, spec.nY], data: activations.at(-1) };
  return { output, neurons };
}

const pictures = new WeakMap(); // frame -> its pictures, computed once however many views ask

/**
 * What a frame shows over the plane of `run` (its `ready`): computePlanePictures of the frame's
 * weights, from the worker where preparePlanePictures had it computed, else computed here.
 * Null for data shown on principal components (no plane).
 */
export function planePictures(frame, run) {
  if (!run.grid) return null;
  if (!pictures.has(frame)) {
    pictures.set(frame, computePlanePictures(frameLayers(frame, run), pictureSpec(run)));
  }
  return pictures.get(frame);
}

// The forward pass of a 6 x 8 network over the 100 x 100 grid takes most of a 16 ms frame, so
// a module worker computes the pictures while the main thread paints. `worker` is undefined
// until first asked for, null where none can run (the pictures are then computed when drawn).
let worker;
const sent = new Map(); // request id -> the frame whose pictures the worker computes
let nextRequest = 0;
// Requests in flight at most, as many as the page queues frames (main.js's FRAME_QUEUE): a
// worker slower than the frames come then lets frames be dropped instead of falling ever
// further behind.
const MAX_IN_FLIGHT = 3;

function noWorker() {
  worker?.terminate();
  worker = null;
  sent.clear(); // these frames' pictures are computed when drawn
}

function pictureWorker() {
  if (worker !== undefined) return worker;
  try {
    worker = new Worker(new URL("./forward-worker.js", import.meta.url), { type: "module" });
  } catch {
    worker = null;
    return worker;
  }
  worker.onmessage = ({ data: { id, shown } }) => {
    const frame = sent.get(id);
    sent.delete(id);
    if (frame) pictures.set(frame, shown);
  };
  worker.onerror = noWorker;
  worker.onmessageerror = noWorker;
  return worker;
}

/**
 * Have the worker compute `frame`'s pictures (see planePicturesReady). Asking again for a frame
 * already asked for does nothing; a frame is not asked for while MAX_IN_FLIGHT are in flight,
 * so the caller asks again for the frames it still waits for.
 */
export function preparePlanePictures(frame, run) {
  if (!run.grid || pictures.has(frame) || !pictureWorker()) return;
  if (sent.size >= MAX_IN_FLIGHT || planePicturesComputing(frame)) return;
  // Copies of the weights, whose buffers move to the worker: the frame keeps its own.
  const layers = frameLayers(frame, run).map(({ W, b, activation }) => ({
    W: W.slice(),
    b: b.slice(),
    activation,
  }));
  const id = nextRequest++;
  sent.set(id, frame);
  worker.postMessage(
    { id, layers, spec: pictureSpec(run) },
    layers.flatMap(({ W, b }) => [W.buffer, b.buffer]),
  );
}

/** Whether the worker is computing `frame`'s pictures now. */
export function planePicturesComputing(frame) {
  return [...sent.values()].includes(frame);
}

/** Whether `frame` can be drawn now without computing its pictures on the main thread (or
 * has no worker to wait for). */
export function planePicturesReady(frame, run) {
  return !run.grid || pictures.has(frame) || worker === null;
}

/**
 * The layer space's grid lines as hidden layer `layer` maps them, its neurons [i, j]:
 * {shape: [lines, LINE_POINTS, 2], data}.
 */
export function lineImages(frame, run, layer, [i, j]) {
  const points = linePoints(run.grid);
  const layers = frameLayers(frame, run).slice(0, layer + 1);
  const a = forward(layers, networkInputs(inputFeatures(run), points), points.n).at(-1);
  const width = a.length / points.n;
  const data = new Float32Array(2 * points.n);
  for (let p = 0; p < points.n; p++) {
    data[2 * p] = a[p * width + i];
    data[2 * p + 1] = a[p * width + j];
  }
  return { shape: [points.lines, LINE_POINTS, 2], data };
}
