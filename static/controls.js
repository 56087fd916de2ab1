/**
 * Every control of the page, built from GET /api/options.
 *
 * `buildControls` creates the menus once; the user's input goes to `actions.change(field,
 * value)` (state field names, as in state.js) or to the other actions (playPause, step, reset,
 * regenerate, toggleFeature, addLayer, removeLayer, resizeLayer, toggleMaxSpeed).
 * `syncControls` shows a state: values, what is disabled, the hidden layers' +/- buttons.
 * Nothing here talks to the server.
 */

import { errorSlot } from "./errors.js";
import { element, numberField, selectField, setSelectValue, showSelectValue, sliderField } from "./fields.js";
import { FEATURE_LABELS, paintDatasetIcon, paintFeature } from "./sketches.js";
import {
  CUSTOM,
  datasetInfo,
  isPlaneData,
  SPEEDS,
  trainCount,
  usesX2,
  validCosts,
  validOutputs,
} from "./state.js";

const SAMPLE_SIZES = [50, 100, 200, 300, 500, 1000, 2000, 5000];
const ICON_SIZE = 44;
const REAL_ICON_SIZE = 30;
const FEATURE_ICON_SIDE = 24;

/** How menu entries read; the values sent stay the protocol's names. */
const DISPLAY_NAMES = {
  relu: "ReLU",
  leaky_relu: "leaky ReLU",
  sgd: "SGD",
  adam: "Adam",
  l1: "L1",
  l2: "L2",
  mse: "MSE",
  binary_crossentropy: "binary CE",
  categorical_crossentropy: "categ. CE",
};
const display = (name) => DISPLAY_NAMES[name] ?? name;
const named = (names) => names.map((name) => [name, display(name)]);
const numbers = (values) => values.map((value) => [value, String(value)]);
const allCosts = (options) => [...new Set(Object.values(options.costs).flatMap(Object.keys))];

/** The top bar's menus: [field, label, width class, choices from the options]. */
const TOP_BAR = [
  ["learning_rate", "Learning rate", "", (o) => numbers(o.learning_rates)],
  ["activation", "Activation", "", (o) => named(o.activations)],
  ["output_activation", "Output", "wide", (o) => [[null, "auto"], ...named(o.activations)]],
  ["cost", "Cost", "wide", (o) => [[null, "auto"], ...named(allCosts(o))]],
  ["optimizer", "Optimizer", "narrow", (o) => named(o.optimizers)],
  ["regularization", "Regularization", "", (o) => named(o.regularizations)],
  ["regularization_rate", "Reg. rate", "narrow", (o) => numbers(o.regularization_rates)],
  ["speed", "Epochs/s", "narrow", () => SPEEDS.map((s) => [s, s === null ? "max" : String(s)])],
];

const percent = {
  toValue: (position) => position / 100,
  fromValue: (value) => Math.round(value * 100),
};

/** feature-<slug> test ids: x1^2 -> x1sq, x1*x2 -> x1x2, sin x1 -> sinx1. */
const featureSlug = (feature) => feature.replace("^2", "sq").replace(/[^a-z0-9]/g, "");

const byId = (id) => document.getElementById(id);

function datasetButton(entry, change, iconSize = ICON_SIZE) {
  const { name, kind, description } = entry;
  const canvas = element("canvas", { width: iconSize, height: iconSize, "aria-hidden": "true" });
  paintDatasetIcon(canvas, entry);
  const label = name === CUSTOM ? "your data" : name.replace("_", " ");
  const button = element(
    "button",
    {
      type: "button",
      class: "dataset",
      role: "radio",
      "data-testid": `dataset-${name}`,
      "aria-label": `${label}: ${description}`,
      title: `${label} (${kind}): ${description}`,
    },
    [canvas, element("span", { text: label })],
  );
  button.dataset.name = name;
  button.canvas = canvas;
  button.addEventListener("click", () => change("dataset", name));
  return button;
}

/** A caption and a radio group of dataset buttons, after `anchor`; returns the group. */
function datasetGroup(anchor, caption, className) {
  const id = `dataset-group-${className}`;
  const group = element("div", {
    class: `dataset-picker ${className}`,
    role: "radiogroup",
    "aria-labelledby": id,
  });
  anchor.after(element("p", { class: "group-caption", id, text: caption }), group);
  return group;
}

/** The custom dataset's entry while there are no custom data yet (the button is disabled). */
const NO_CUSTOM_DATA = {
  name: CUSTOM,
  kind: "none yet",
  description: "no data yet: draw points on the output plane (Draw) or upload a CSV",
};

/**
 * Three groups: the generated 2-D problems, scikit-learn's real data sets, and the user's own
 * (`dataset-custom`, beside the upload controls that userdata.js builds in `your-data-tools`).
 */
function buildDatasetPicker(options, change) {
  const generated = byId("dataset-picker");
  generated.setAttribute("aria-label", "Generated data");
  const real = datasetGroup(generated, "Real data (scikit-learn)", "real");
  const own = datasetGroup(real, "Your data", "own");
  const buttons = [];
  for (const entry of options.datasets) {
    const group = entry.source === "real" ? real : generated;
    const button = datasetButton(entry, change, entry.source === "real" ? REAL_ICON_SIZE : ICON_SIZE);
    group.append(button);
    buttons.push(button);
  }
  const custom = datasetButton(NO_CUSTOM_DATA, change, REAL_ICON_SIZE);
  own.append(custom);
  buttons.push(custom);
  const tools = element("div", { id: "your-data-tools", class: "your-data-tools" });
  const row = element("div", { class: "your-data" });
  own.replaceWith(row);
  row.append(own, tools);
  row.after(errorSlot("dataset"));
  return buttons;
}

function buildDataFields(controls, limits, actions) {
  const data = byId("data-controls");
  const change = actions.change;
  // The sliders run over the server's limits, in steps of the page's choosing.
  const percentSteps = ([low, high], step) => [percent.fromValue(low), percent.fromValue(high), step];
  const ratio = { ...percent, show: (v) => `${Math.round(v * 100)}%` };
  controls.train_fraction = sliderField(
    data,
    "train_fraction",
    "Ratio of training to test data",
    percentSteps(limits.train_fraction, 10),
    ratio,
    change,
  );
  const noise = { ...percent, show: (v) => String(Math.round(v * 100)) };
  controls.noise = sliderField(data, "noise", "Noise", percentSteps(limits.noise, 5), noise, change);

  const row = element("div", { class: "field-row" });
  const [fewest, most] = limits.n_samples;
  const sizes = SAMPLE_SIZES.filter((n) => n >= fewest && n <= most);
  controls.n_samples = selectField(row, "n_samples", "Samples", numbers(sizes), change);
  controls.batch_size = numberField(row, "batch_size", "Batch size", limits.batch_size, change);
  row.querySelector(`label[for="${controls.batch_size.id}"]`)?.setAttribute("data-term", "batch");
  const [minClasses, maxClasses] = limits.n_classes;
  const classes = Array.from({ length: maxClasses - minClasses + 1 }, (_, i) => minClasses + i);
  controls.n_classes = selectField(row, "n_classes", "Classes", numbers(classes), change);

  const seedRow = element("div", { class: "field-row seed-row" });
  controls.seed = numberField(seedRow, "seed", "Seed", limits.seed, change);
  const regenerate = element("button", {
    type: "button",
    class: "text-button",
    "data-testid": "regenerate",
    text: "Regenerate",
    title: "Draw new data with a random seed",
  });
  regenerate.addEventListener("click", actions.regenerate);
  controls.regenerate = regenerate;
  seedRow.append(regenerate);
  data.append(row, seedRow);
}

function buildFeatureToggles(options, actions) {
  const toggles = byId("feature-toggles");
  return options.features.map((feature) => {
    const canvas = element("canvas", { "aria-hidden": "true" });
    const button = element(
      "button",
      {
        type: "button",
        class: "feature",
        "data-testid": `feature-${featureSlug(feature)}`,
        "aria-label": `feature ${FEATURE_LABELS[feature]}`,
        "aria-pressed": "false",
      },
      [canvas, element("span", { html: FEATURE_LABELS[feature] })],
    );
    button.dataset.feature = feature;
    button.canvas = canvas;
    button.addEventListener("click", () => actions.toggleFeature(feature));
    toggles.append(button);
    return button;
  });
}

/** Create every control from `options`, wired to `actions`. */
export function buildControls(options, actions) {
  const change = actions.change;
  const controls = { actions, limits: options.limits, inputRange: options.input_range, featureShape: null };
  const topBar = byId("hyper-controls");
  for (const [field, label, width, choices] of TOP_BAR) {
    controls[field] = selectField(topBar, field, label, choices(options), change, width);
  }
  controls.datasets = buildDatasetPicker(options, change);
  buildDataFields(controls, options.limits, actions);
  controls.features = buildFeatureToggles(options, actions);

  byId("play-pause").addEventListener("click", actions.playPause);
  byId("step").addEventListener("click", actions.step);
  byId("reset").addEventListener("click", actions.reset);
  byId("speed-max").addEventListener("click", actions.toggleMaxSpeed);
  byId("add-layer").addEventListener("click", actions.addLayer);
  byId("remove-layer").addEventListener("click", actions.removeLayer);
  for (const radio of document.querySelectorAll("input[name=direction]")) {
    radio.addEventListener("change", () => change("direction", radio.value));
  }
  for (const [id, field] of [
    ["show-test", "showTest"],
    ["discretize", "discretize"],
    ["log-scale", "logScale"],
    ["log-epochs", "logEpochs"],
  ]) {
    controls[field] = byId(id);
    controls[field].addEventListener("change", () => change(field, controls[field].checked));
  }
  return controls;
}

function layerButton(i, sign, disabled, actions) {
  const adds = sign > 0;
  const button = element("button", {
    type: "button",
    class: "round-button small",
    "data-testid": `layer-${i}-${adds ? "add" : "remove"}-neuron`,
    "aria-label": `${adds ? "Add a neuron to" : "Remove a neuron from"} hidden layer ${i + 1}`,
    html: adds ? "+" : "&minus;",
  });
  button.disabled = disabled;
  button.addEventListener("click", () => actions.resizeLayer(i, sign));
  return button;
}

/** The +/- buttons and width of each hidden layer, one grid cell per column of the graph. */
function renderLayerControls(controls, hidden, inputs) {
  const row = byId("layer-controls");
  row.style.gridTemplateColumns = `repeat(${hidden.length + 2}, 1fr)`;
  const [fewest, most] = controls.limits.neurons;
  const cells = hidden.map((width, i) => {
    const buttons = element("div", { class: "layer-buttons" }, [
      layerButton(i, +1, width >= most, controls.actions),
      layerButton(i, -1, width <= fewest, controls.actions),
    ]);
    const text = `${width} neuron${width === 1 ? "" : "s"}`;
    const size = element("div", { class: "layer-size", "data-testid": `layer-${i}-size`, text });
    return element("div", { class: "layer-cell" }, [buttons, size]);
  });
  row.replaceChildren(
    element("div", { class: "layer-cell edge-cell", text: inputs }),
    ...cells,
    element("div", { class: "layer-cell edge-cell", text: "Output" }),
  );
}

/** Why the generated data's controls do not apply to a dataset, or "" when they do. */
function notGeneratedReason(info, state) {
  if (info.source === "generated") return "";
  if (info.source === "real") return `${state.dataset} has its own ${info.n_samples} samples`;
  return info.plane ? "the drawn points are the data" : "the uploaded file is the data";
}

/** Disable a control (and say why on it and its field) or enable it again. */
function applies(control, reason, usual = "") {
  control.disabled = reason !== "";
  control.title = reason || usual;
  const field = control.closest(".field");
  if (field) field.title = reason;
}

/** The dataset buttons' state: which is chosen, and the custom one's data and icon. */
function syncDatasets(controls, state, options) {
  const custom = options.datasets.find((d) => d.name === CUSTOM) ?? null;
  for (const button of controls.datasets) {
    button.setAttribute("aria-checked", String(button.dataset.name === state.dataset));
    if (button.dataset.name !== CUSTOM || button.entry === custom) continue;
    button.entry = custom;
    button.disabled = !custom;
    const entry = custom ?? NO_CUSTOM_DATA;
    button.title = `your data: ${entry.description}`;
    button.setAttribute("aria-label", button.title);
    paintDatasetIcon(button.canvas, entry);
  }
}

function syncFeatures(controls, state, info, options) {
  const plane = isPlaneData(info);
  const oneD = plane && info.n_inputs === 1;
  const shape = oneD ? "1d" : "2d";
  const notPlane = plane
    ? ""
    : `features map points of the plane; ${state.dataset === CUSTOM ? "the file" : state.dataset} ` +
      `goes in as its ${info.n_inputs} columns`;
  byId("feature-toggles").classList.toggle("not-applicable", !plane);
  for (const button of controls.features) {
    const feature = button.dataset.feature;
    const on = state.features.includes(feature);
    const needsX2 = oneD && usesX2(feature, options);
    button.setAttribute("aria-pressed", String(on));
    button.disabled = !plane || needsX2 || (on && state.features.length === 1);
    button.title =
      notPlane ||
      (needsX2 ? `${feature}: ${state.dataset} has one input, x1` : `feature ${FEATURE_LABELS[feature]}`);
    if (controls.featureShape !== shape)
      paintFeature(button.canvas, feature, FEATURE_ICON_SIDE, controls.inputRange, oneD);
  }
  controls.featureShape = shape;
}

/**
 * What the greyed-out samples and classes menus show for data of their own size (real, drawn,
 * uploaded): their real numbers, from the options' entry and the run's `ready` (`run`, when it
 * is of this data set); blank where there is nothing to show (classes of a regression, or
 * before the run's `ready` names them).
 */
function showDataSize(controls, state, info, run) {
  setSelectValue(controls.n_samples, info.n_samples);
  const ownRun = run?.config.dataset === state.dataset ? run : null;
  showClasses(controls, info.kind === "regression" ? 0 : (info.classes?.length ?? ownRun?.classes.length ?? 0));
}

/** The classes menu shows `classes`, blank for 0 (a regression's targets have no classes). */
function showClasses(controls, classes) {
  if (classes > 0) showSelectValue(controls.n_classes, classes);
  else controls.n_classes.selectedIndex = -1;
}

/** Show `state` in every control; `run`: the last `ready`, for the data's real sizes. */
export function syncControls(controls, state, options, run = null) {
  const info = datasetInfo(state, options);
  for (const [field] of TOP_BAR) setSelectValue(controls[field], state[field]);
  if (info.source === "generated") {
    setSelectValue(controls.n_samples, state.n_samples);
    // Only a multi-class set's classes are chosen; a binary set has its 2, a regression none.
    if (info.kind === "multiclass") setSelectValue(controls.n_classes, state.n_classes);
    else showClasses(controls, info.kind === "binary" ? 2 : 0);
  } else {
    showDataSize(controls, state, info, run);
  }

  const [defaultOutput, defaultCost] = options.output_defaults[info.kind];
  const enableOnly = (select, valid) => {
    select.choices.forEach(([value], i) => {
      select.options[i].disabled = value !== null && !valid.includes(value);
    });
  };
  enableOnly(controls.output_activation, validOutputs(state, options));
  enableOnly(controls.cost, validCosts(state, options));
  controls.output_activation.options[0].textContent = `auto (${display(defaultOutput)})`;
  controls.cost.options[0].textContent = `auto (${display(defaultCost)})`;
  controls.regularization_rate.disabled = state.regularization === "none";
  const fixed = notGeneratedReason(info, state);
  applies(controls.noise, fixed);
  applies(controls.n_samples, fixed);
  applies(controls.n_classes, fixed || (info.kind === "multiclass" ? "" : "multi-class datasets only"));
  controls.regenerate.title = fixed
    ? "A new split into training and test data, and new initial weights (random seed)"
    : "Draw new data with a random seed";
  const nTrain = info.n_samples && trainCount(state.train_fraction, info.n_samples);
  controls.batch_size.title =
    nTrain && state.batch_size > nTrain ? `Trains with ${nTrain}: the data have ${nTrain} training samples` : "";
  for (const field of ["batch_size", "seed"]) {
    if (document.activeElement !== controls[field]) controls[field].value = String(state[field]);
  }
  for (const field of ["train_fraction", "noise"]) {
    controls[field].value = String(controls[field].fromValue(state[field]));
    controls[field].show(state[field]);
  }

  syncDatasets(controls, state, options);
  // Links carry settings and drawings that fit (state.drawn), never an upload: while on your
  // own data that is not in the link the page says so where it is read.
  const notInLink =
    state.dataset === CUSTOM && !state.drawn
      ? ". Not in the page's link: to share it, use Export data or Export model."
      : "";
  byId("dataset-description").textContent = `${info.description} (${info.kind})${notInLink}`;
  syncFeatures(controls, state, info, options);

  for (const field of ["showTest", "discretize", "logScale", "logEpochs"]) {
    controls[field].checked = state[field];
  }
  byId("speed-max").setAttribute("aria-pressed", String(state.speed === null));
  for (const radio of document.querySelectorAll("input[name=direction]")) {
    radio.checked = radio.value === state.direction;
  }

  const hidden = state.hidden_layers;
  byId("layer-count").textContent = String(hidden.length);
  byId("network-heading").lastChild.textContent = hidden.length === 1 ? " hidden layer" : " hidden layers";
  byId("add-layer").disabled = hidden.length >= controls.limits.hidden_layers[1];
  byId("remove-layer").disabled = hidden.length <= controls.limits.hidden_layers[0];
  renderLayerControls(controls, hidden, isPlaneData(info) ? "Features" : "Inputs");
}

/** Whether the session is training: the play button shows pause while it is. */
export function showPlaying(running) {
  const button = byId("play-pause");
  button.classList.toggle("playing", running);
  button.setAttribute("aria-label", running ? "Pause" : "Play");
}
