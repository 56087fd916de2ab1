/**
 * The playground's whole configuration in one object, and its URL-hash form.
 *
 * The object holds the run's TrainConfig fields (named as in server/protocol.py), the
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

/** TrainConfig fields whose change needs a new run (`configure`). */
export const CONFIG_FIELDS = [
  "dataset",
  "n_samples",
  "noise",
  "train_fraction",
  "seed",
  "n_classes",
  "features",
  "hidden_layers",
  "activation",
  "output_activation",
  "cost",
  "learning_rate",
  "batch_size",
  "optimizer",
  "regularization",
  "regularization_rate",
];

/** Fields the server changes live (`set`), without a reset. */
export const LIVE_FIELDS = ["learning_rate", "regularization_rate", "speed"];

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
};

/** The state a fresh page starts from: the server's defaults, output and cost by kind. */
function defaultState(options) {
  return {
    ...structuredClone(options.defaults),
    output_activation: null,
    cost: null,
    speed: DEFAULT_SPEED,
    showTest: false,
    discretize: false,
    logScale: false,
    logEpochs: false,
    logDeltas: false,
    direction: "forward",
    lesson: "", // the lesson followed (lessons.js), "" for none
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
 * n_inputs, n_samples, description, plane (drawn points: the features apply), classes}.
 */
export function setCustomDataset(options, entry) {
  options.datasets = [...options.datasets.filter((d) => d.name !== CUSTOM), entry];
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

/** How many of `n` samples the server trains on with `trainFraction` (the rest are the test). */
export const trainCount = (trainFraction, n) => roundHalfEven(trainFraction * n);

/** Make `state` fit its dataset: 1-D plane data have no x2, so no feature built on it. */
export function fitDataset(state, options) {
  const info = datasetInfo(state, options);
  if (info.n_inputs !== 1 || !isPlaneData(info)) return;
  state.features = state.features.filter((f) => !f.includes("x2"));
  if (state.features.length === 0) state.features = ["x1"];
}

/** The URL hash (without '#') that restores `state`. */
export function toHash(state) {
  return Object.entries(HASH_FORMAT)
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
  const config = Object.fromEntries(CONFIG_FIELDS.map((field) => [field, structuredClone(state[field])]));
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
