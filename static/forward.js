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

/** a_j = exp(z_j - max z) / sum_k exp(z_k - max z) for every point, over the `columns`, in
 * place. */
function softmaxColumns(columns, n) {
  for (let i = 0; i < n; i++) {
    let max = -Infinity;
    for (const z of columns) max = Math.max(max, z[i]);
    let sum = 0;
    for (const z of columns) {
      const e = Math.exp(z[i] - max);
      z[i] = e;
      sum += e;
    }
    for (const z of columns) z[i] /= sum;
  }
}

/**
 * Eq. 32 for `n` points, one neuron at a time: z_j = sum_k W_jk a_k + b_j, where a_k is the
 * column of input k over the points (Float64Array(n)). Columns, not rows: the inner loop then
 * runs over the 10,000 points of the grid instead of a layer's few inputs, four inputs at a
 * time: the 6 x 8 network's pictures took 8.9 ms in Chromium against 11.3 row by row
 * (benchmarks/bench_pictures.py, docs/performance.md).
 */
function weightedInputs(W, b, columns, n) {
  const width = columns.length;
  const z = [];
  for (let j = 0; j < b.length; j++) {
    const zj = new Float64Array(n).fill(b[j]);
    const row = j * width;
    let k = 0;
    for (; k + 4 <= width; k += 4) {
      const [w0, w1, w2, w3] = [W[row + k], W[row + k + 1], W[row + k + 2], W[row + k + 3]];
      const [a0, a1, a2, a3] = [columns[k], columns[k + 1], columns[k + 2], columns[k + 3]];
      for (let i = 0; i < n; i++) zj[i] += w0 * a0[i] + w1 * a1[i] + w2 * a2[i] + w3 * a3[i];
    }
    for (; k < width; k++) {
      const wk = W[row + k];
      const ak = columns[k];
      for (let i = 0; i < n; i++) zj[i] += wk * ak[i];
    }
    z.push(zj);
  }
  return z;
}

/** Eq. 33 in place: a = phi(z), over the points' rows for softmax. */
function activate(columns, activation, n) {
  if (activation.name === "softmax") {
    softmaxColumns(columns, n);
    return;
  }
  const phi = ACTIVATIONS[activation.name](activation);
  for (const z of columns) {
    if (phi === tanh) {
      // The common hidden activation gets a loop of its own, where the call is inlined:
      // through `phi`, which takes every activation, it is not.
      for (let i = 0; i < n; i++) z[i] = tanh(z[i]);
    } else {
      for (let i = 0; i < n; i++) z[i] = phi(z[i]);
    }
  }
}

/**
 * Eqs. 32-33 for `n` points. `inputs`: the columns of the network's inputs over the points
 * (n_x Float64Arrays of n); `layers`: [{W (n_h x n_x, row-major), b, activation: {name, ...its
 * hyperparameters}}]. Returns every layer's a, as its n_h columns over the points.
 */
function forward(layers, inputs, n) {
  const activations = [];
  let a = inputs;
  for (const { W, b, activation } of layers) {
    a = weightedInputs(W, b, a, n);
    activate(a, activation, n);
    activations.push(a);
  }
  return activations;
}

/** `features` (mlp_engine's names) of `n` raw points (n, n_raw) of the plane, as columns. */
function featureColumns(features, raw, n) {
  const nRaw = raw.length / n;
  return features.map((name) => {
    const feature = FEATURES[name];
    const column = new Float64Array(n);
    for (let i = 0; i < n; i++) column[i] = feature(raw[i * nRaw], nRaw > 1 ? raw[i * nRaw + 1] : 0);
    return column;
  });
}

/** The columns of (n, width) row-major `values`. */
function columnsOf(values, n) {
  const width = values.length / n;
  return Array.from({ length: width }, (_, k) =>
    Float64Array.from({ length: n }, (_, i) => values[i * width + k]),
  );
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

/** The network's inputs at raw points of a plane, as columns: its `features`, or the
 * points' own coordinates. */
function networkInputs(features, { raw, n }) {
  return features ? featureColumns(features, raw, n) : columnsOf(raw, n);
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
  const neurons = activations.slice(0, -1).map((columns) => {
    const width = columns.length;
    const size = oneD ? thumbnail : thumbnail * thumbnail;
    const data = new Float32Array(width * size);
    columns.forEach((a, j) => {
      if (oneD) picks.forEach((at, c) => (data[j * size + c] = a[at]));
      else
        picks.forEach((row, r) =>
          picks.forEach((col, c) => {
            data[j * size + r * thumbnail + c] = a[row * side + col];
          }),
        );
    });
    return { shape: oneD ? [width, thumbnail] : [width, thumbnail, thumbnail], data };
  });
  const last = activations.at(-1);
  const values = last.length === 1 ? last[0] : new Float64Array(n * last.length);
  if (last.length > 1) {
    last.forEach((a, j) => a.forEach((value, i) => (values[i * last.length + j] = value)));
  }
  const output = { shape: oneD ? [side, spec.nY] : [side, side, spec.nY], data: values };
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
  const data = new Float32Array(2 * points.n);
  for (let p = 0; p < points.n; p++) {
    data[2 * p] = a[i][p];
    data[2 * p + 1] = a[j][p];
  }
  return { shape: [points.lines, LINE_POINTS, 2], data };
}
