/**
 * The playground's whole configuration in one object, and its URL-hash form.
 *
 * The object holds the run's TrainConfig fields (`options.config_fields`, the wire model's), the
 * session's speed and the display toggles. `toHash` writes every field, so a copied link
 * restores the page exactly; `fromHash` starts from the defaults and keeps only the values it
 * can read, listing the keys it had to ignore.
 */

import { LESSONS } from "./lessons.js";

/** Epochs per second on offer; null asks the server to train as fast as it can. */
export const SPEEDS = [1, 5, 10, 20, 30, 60, 100, 500, null];

/**
 * A fresh page's pace: about one epoch per frame the server sends, as TF Playground trains one
 * step per animation frame, so a class sees the boundary form over tens of seconds. "max" is
 * one click away (the player's fast-forward button); a link keeps its own speed.
 */
export const DEFAULT_SPEED = 20;

/** Whether `field` is a TrainConfig field (`options.config_fields`): changing it needs a new run. */
export const isConfigField = (field, options) => options.config_fields.includes(field);

/** Whether the server changes `field` live (`set`, `options.live_fields`), without a reset. */
export const isLiveField = (field, options) => options.live_fields.includes(field);

/** Whether `feature` is built on x2, which a one-input data set lacks (`options.uses_x2`). */
export const usesX2 = (feature, options) => options.uses_x2.includes(feature);

const number = { read: (text) => (text.trim() === "" ? NaN : Number(text)), write: String };
const integer = { read: (text) => (/^-?\d+$/.test(text) ? Number(text) : NaN), write: String };
const word = { read: (text) => text, write: encodeURIComponent };
const nullableWord = {
  read: (text) => (text === "auto" ? null : text),
  write: (value) => (value === null ? "auto" : encodeURIComponent(value)),
};
const list = (item) => ({
  read: (text) => (text === "" ? [] : text.split(",").map(item.read)),
  write: (values) => values.map(item.write).join(","),
});
const flag = {
  read: (text) => (text === "true" ? true : text === "false" ? false : undefined),
  write: String,
};
/** A drawing's link form (`drawingToLink`), checked for its shape only: decoding is async. */
const drawnLink = {
  read: (text) => (isDrawnLink(text) ? text : undefined),
  write: (value) => value,
};
const speed = {
  read: (text) => (text === "max" ? null : Number(text)),
  write: (value) => (value === null ? "max" : String(value)),
};

/** state field -> [hash key, codec]; `write` gives URL-ready text; the hash keeps this order. */
const HASH_FORMAT = {
  dataset: ["dataset", word],
  n_samples: ["samples", integer],
  noise: ["noise", number],
  train_fraction: ["ratio", number],
  seed: ["seed", integer],
  resets: ["resets", integer], // the Resets a run began from: its weights' seed [seed, resets]
  n_classes: ["classes", integer],
  features: ["features", list(word)],
  hidden_layers: ["hidden", list(integer)],
  activation: ["activation", word],
  output_activation: ["output", nullableWord],
  cost: ["cost", nullableWord],
  learning_rate: ["lr", number],
  batch_size: ["batch", integer],
  optimizer: ["optimizer", word],
  regularization: ["reg", word],
  regularization_rate: ["regRate", number],
  speed: ["speed", speed],
  showTest: ["showTest", flag],
  discretize: ["discretize", flag],
  logScale: ["logLoss", flag],
  logEpochs: ["logEpochs", flag],
  logDeltas: ["logDelta", flag],
  direction: ["view", word],
  lesson: ["lesson", word],
  drawn: ["drawn", drawnLink],
};

/** The state a fresh page starts from: the server's defaults, output and cost by kind. */
function defaultState(options) {
  return {
    ...structuredClone(options.defaults),
    output_activation: null,
    cost: null,
    resets: 0,
    speed: DEFAULT_SPEED,
    showTest: false,
    discretize: false,
    logScale: false,
    logEpochs: false,
    logDeltas: false,
    direction: "forward",
    lesson: "", // the lesson followed (lessons.js), "" for none
    // No `drawn`: the link form of the drawing the server holds (drawingToLink) is the data's,
    // set by userdata.js, and a hash without one (a lesson's) leaves it as it is.
  };
}

/** Whether `value` is acceptable for `field` as far as the menus and limits tell. */
function valid(field, value, options) {
  const limits = options.limits;
  const within = (v, [low, high]) => Number.isFinite(v) && v >= low && v <= high;
  switch (field) {
    case "dataset":
      return options.datasets.some((d) => d.name === value);
    case "features":
      return (
        value.length > 0 &&
        value.every((f) => options.features.includes(f)) &&
        new Set(value).size === value.length
      );
    case "hidden_layers":
      return value.length <= limits.hidden_layers[1] && value.every((n) => within(n, limits.neurons));
    case "activation":
      return options.activations.includes(value);
    case "output_activation":
      return value === null || options.activations.includes(value);
    case "cost":
      return value === null || Object.values(options.costs).some((costs) => value in costs);
    case "optimizer":
      return options.optimizers.includes(value);
    case "regularization":
      return options.regularizations.includes(value);
    case "speed":
      return value === null || within(value, limits.speed);
    case "direction":
      return value === "forward" || value === "backward";
    case "lesson":
      return value === "" || LESSONS.some((lesson) => lesson.id === value);
    case "drawn":
      return typeof value === "string";
    case "showTest":
    case "discretize":
    case "logScale":
    case "logEpochs":
    case "logDeltas":
      return typeof value === "boolean";
    default:
      return field in limits && within(value, limits[field]);
  }
}

/** The name of the session's own data set, drawn or uploaded (see userdata.js). */
export const CUSTOM = "custom";

/**
 * Make `entry` the options' `custom` dataset (it is not served: the page adds it once the
 * server has answered a `draw` or `upload_csv`): {name: "custom", source: "custom", kind,
 * n_inputs, n_samples, description, plane (drawn points: the features apply), classes};
 * null removes it.
 */
export function setCustomDataset(options, entry) {
  const others = options.datasets.filter((d) => d.name !== CUSTOM);
  options.datasets = entry ? [...others, entry] : others;
}

/** Whether the dataset's samples are points of the input plane, which the features map. */
export const isPlaneData = (info) => info.source === "generated" || info.plane === true;

/** Python's round(): halves go to the even neighbour, as the server counts training samples. */
function roundHalfEven(value) {
  const floor = Math.floor(value);
  const rest = value - floor;
  if (rest !== 0.5) return Math.round(value);
  return floor % 2 === 0 ? floor : floor + 1;
}

/**
 * How many of `n` samples the server trains on with `trainFraction` (the rest are the test):
 * mlp_engine.datasets.train_size, written again because the page needs it for a config it has
 * not sent yet (to cap the batch of a data set of fixed size, to count the points a drawing
 * still needs); a run's own count is in its `ready` (its training points).
 */
export const trainCount = (trainFraction, n) => roundHalfEven(trainFraction * n);

/** Make `state` fit its dataset: 1-D plane data have no x2, so no feature built on it. */
export function fitDataset(state, options) {
  const info = datasetInfo(state, options);
  if (info.n_inputs !== 1 || !isPlaneData(info)) return;
  state.features = state.features.filter((f) => !usesX2(f, options));
  if (state.features.length === 0) state.features = ["x1"];
}

/** The URL hash (without '#') that restores `state`. The drawing goes with the custom data
 * set only, and only when it fits the link's budget. */
export function toHash(state) {
  return Object.entries(HASH_FORMAT)
    .filter(([field]) => field !== "drawn" || (state.dataset === CUSTOM && Boolean(state.drawn)))
    .filter(([field]) => field !== "resets" || state.resets > 0)
    .map(([field, [key, codec]]) => `${key}=${codec.write(state[field])}`)
    .join("&");
}

/** The state a hash describes, on top of the defaults; `ignored` names the unreadable keys. */
export function fromHash(hash, options) {
  const state = defaultState(options);
  const ignored = [];
  const params = new URLSearchParams(hash.replace(/^#/, ""));
  for (const [field, [key, codec]] of Object.entries(HASH_FORMAT)) {
    if (!params.has(key)) continue;
    const value = codec.read(params.get(key));
    if (value !== undefined && valid(field, value, options)) {
      state[field] = value;
    } else {
      ignored.push(key);
    }
  }
  fitDataset(state, options);
  return { state, ignored };
}

/**
 * The TrainConfig to send with `configure`. A data set of fixed size (real, drawn, uploaded)
 * caps the batch at its training samples: a few drawn points still train, and the batch size
 * chosen comes back as the drawing grows.
 */
export function trainConfig(state, options) {
  const config = Object.fromEntries(
    options.config_fields.map((field) => [field, structuredClone(state[field])]),
  );
  const { n_samples: n } = datasetInfo(state, options);
  if (n) config.batch_size = Math.max(1, Math.min(config.batch_size, trainCount(config.train_fraction, n)));
  return config;
}

/** The dataset's entry of /api/options. */
export function datasetInfo(state, options) {
  return options.datasets.find((d) => d.name === state.dataset);
}

/** The output activation and cost the run uses: the state's, or the problem kind's defaults. */
export function effectiveOutput(state, options) {
  const [output, cost] = options.output_defaults[datasetInfo(state, options).kind];
  return { output: state.output_activation ?? output, cost: state.cost ?? cost };
}

/** The costs that fit the dataset's kind of problem (options.costs is kind -> cost -> outputs). */
export function validCosts(state, options) {
  return Object.keys(options.costs[datasetInfo(state, options).kind]);
}

/** The output activations that can learn the dataset's kind with the cost the run uses. */
export function validOutputs(state, options) {
  const { cost } = effectiveOutput(state, options);
  return options.costs[datasetInfo(state, options).kind][cost] ?? [];
}

// -- drawn points in a link ------------------------------------------------------------------

/**
 * Characters of the hash a drawing may take. Browsers take far longer URLs (Chromium 2 MB),
 * but a link is pasted into mail, chats and course pages, whose previews and length limits
 * start to bite around 8 KB; 8,000 characters hold about 1,500 scattered points of two
 * classes, more than a hand draws, and a generated set of 500 edited in draw mode. A larger drawing is not
 * put in the link, which then opens with the notice that the data are not in it.
 */
export const DRAWN_LINK_BUDGET = 8000;
/** The link form's version, before a dot: a later form gets a new one, and "1." stays read. */
const DRAWN_LINK_VERSION = "1";
const DRAWN_LINK_PATTERN = /^1\.[A-Za-z0-9_-]+$/;
/** Drawn coordinates and targets are kept in thousandths (finer than a click: a pixel of the
 * plot is about 0.05), so a link carries them as integers and brings back the same values. */
const DRAWN_SCALE = 1000;
const DRAWN_KINDS = ["binary", "multiclass", "regression"];

/** Whether `text` has the shape of a drawing's link form (only decoding tells the rest). */
const isDrawnLink = (text) =>
  typeof text === "string" && DRAWN_LINK_PATTERN.test(text) && text.length <= DRAWN_LINK_BUDGET;

/** A coordinate or target as drawings keep it: in thousandths. */
export const roundDrawn = (value) => Math.round(value * DRAWN_SCALE) / DRAWN_SCALE;

/** `bytes` through a (de)compression stream. */
async function pipeBytes(bytes, transform) {
  const stream = new Blob([bytes]).stream().pipeThrough(transform);
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function toBase64Url(bytes) {
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(text) {
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/**
 * A `draw` message's points in link form, or null if they do not fit DRAWN_LINK_BUDGET (or
 * a value does not fit the form). The form: "1." and the base64url of the deflate-raw of
 * kind (u8: binary, multiclass, regression), n_classes (u8), then the points column by
 * column, little-endian: x1 and x2 in thousandths (int16), the labels (u8 classes, or int32
 * thousandths of a target). Columns compress better than points.
 */
export async function drawingToLink({ x, y, kind, n_classes: nClasses }) {
  const n = x.length;
  const regression = kind === "regression";
  const bytes = new Uint8Array(2 + n * 4 + n * (regression ? 4 : 1));
  const view = new DataView(bytes.buffer);
  view.setUint8(0, DRAWN_KINDS.indexOf(kind));
  view.setUint8(1, nClasses);
  const scaled = (value, limit) => {
    const integer = Math.round(value * DRAWN_SCALE);
    return Math.abs(integer) <= limit ? integer : NaN;
  };
  let offset = 2;
  for (const column of [0, 1]) {
    for (const point of x) {
      const value = scaled(point[column], 0x7fff);
      if (Number.isNaN(value)) return null;
      view.setInt16(offset, value, true);
      offset += 2;
    }
  }
  for (const label of y) {
    if (regression) {
      const value = scaled(label, 0x7fffffff);
      if (Number.isNaN(value)) return null;
      view.setInt32(offset, value, true);
      offset += 4;
    } else {
      view.setUint8(offset, label);
      offset += 1;
    }
  }
  const packed = await pipeBytes(bytes, new CompressionStream("deflate-raw"));
  const link = `${DRAWN_LINK_VERSION}.${toBase64Url(packed)}`;
  return link.length <= DRAWN_LINK_BUDGET ? link : null;
}

/** The `draw` message a link form holds (`drawingToLink`), or null if it holds none. The
 * server checks the points as it checks any drawing (plane range, classes, count). */
export async function drawingFromLink(link) {
  if (!isDrawnLink(link)) return null;
  let bytes;
  try {
    const packed = fromBase64Url(link.slice(DRAWN_LINK_VERSION.length + 1));
    bytes = await pipeBytes(packed, new DecompressionStream("deflate-raw"));
  } catch {
    return null;
  }
  if (bytes.length < 2) return null;
  const view = new DataView(bytes.buffer);
  const kind = DRAWN_KINDS[view.getUint8(0)];
  const regression = kind === "regression";
  const perPoint = 4 + (regression ? 4 : 1);
  const n = (bytes.length - 2) / perPoint;
  if (!kind || !Number.isInteger(n)) return null;
  const int16 = (i) => view.getInt16(2 + 2 * i, true) / DRAWN_SCALE;
  const labelAt = 2 + 4 * n;
  const x = Array.from({ length: n }, (_, i) => [int16(i), int16(n + i)]);
  const y = Array.from({ length: n }, (_, i) =>
    regression ? view.getInt32(labelAt + 4 * i, true) / DRAWN_SCALE : view.getUint8(labelAt + i),
  );
  return { type: "draw", x, y, kind, n_classes: view.getUint8(1) };
}
