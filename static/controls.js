/**
 * Every control of the page, built from GET /api/options.
 *
 * `buildControls` creates the menus once; the user's input goes to `actions.change(field,
 * value)` (state field names, as in state.js) or to the other actions (playPause, step, reset,
 * regenerate, toggleFeature, addLayer, removeLayer, resizeLayer). `syncControls` shows a state:
 * values, what is disabled, the hidden layers' +/- buttons. Nothing here talks to the server.
 */

import { errorSlot } from "./errors.js";
import { element, numberField, selectField, setSelectValue, sliderField } from "./fields.js";
import { FEATURE_LABELS, paintDatasetIcon, paintFeature, usesX2 } from "./sketches.js";
import { datasetInfo, SPEEDS, validCosts, validOutputs } from "./state.js";

const SAMPLE_SIZES = [50, 100, 200, 300, 500, 1000, 2000, 5000];
const ICON_SIZE = 44;
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

function buildDatasetPicker(options, change) {
  const picker = byId("dataset-picker");
  const buttons = options.datasets.map(({ name, kind, description }) => {
    const canvas = element("canvas", { width: ICON_SIZE, height: ICON_SIZE, "aria-hidden": "true" });
    paintDatasetIcon(canvas, name);
    const button = element(
      "button",
      {
        type: "button",
        class: "dataset",
        role: "radio",
        "data-testid": `dataset-${name}`,
        "aria-label": `${name}: ${description}`,
        title: `${name} (${kind}): ${description}`,
      },
      [canvas, element("span", { text: name.replace("_", " ") })],
    );
    button.dataset.name = name;
    button.addEventListener("click", () => change("dataset", name));
    picker.append(button);
    return button;
  });
  picker.after(errorSlot("dataset"));
  return buttons;
}

function buildDataFields(controls, limits, actions) {
  const data = byId("data-controls");
  const change = actions.change;
  const ratio = { ...percent, show: (v) => `${Math.round(v * 100)}%` };
  controls.train_fraction = sliderField(
    data,
    "train_fraction",
    "Ratio of training to test data",
    [10, 90, 10],
    ratio,
    change,
  );
  const noise = { ...percent, show: (v) => String(Math.round(v * 100)) };
  controls.noise = sliderField(data, "noise", "Noise", [0, 50, 5], noise, change);

  const row = element("div", { class: "field-row" });
  const [fewest, most] = limits.n_samples;
  const sizes = SAMPLE_SIZES.filter((n) => n >= fewest && n <= most);
  controls.n_samples = selectField(row, "n_samples", "Samples", numbers(sizes), change);
  controls.batch_size = numberField(row, "batch_size", "Batch size", limits.batch_size, change);
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
        "aria-label": `feature ${feature}`,
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
  const controls = { actions, limits: options.limits, featureShape: null };
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
  byId("add-layer").addEventListener("click", actions.addLayer);
  byId("remove-layer").addEventListener("click", actions.removeLayer);
  for (const radio of document.querySelectorAll("input[name=direction]")) {
    radio.addEventListener("change", () => change("direction", radio.value));
  }
  for (const [id, field] of [
    ["show-test", "showTest"],
    ["discretize", "discretize"],
    ["log-scale", "logScale"],
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
function renderLayerControls(controls, hidden) {
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
    element("div", { class: "layer-cell edge-cell", text: "Features" }),
    ...cells,
    element("div", { class: "layer-cell edge-cell", text: "Output" }),
  );
}

/** Show `state` in every control. */
export function syncControls(controls, state, options) {
  const info = datasetInfo(state, options);
  const oneD = info.n_inputs === 1;
  for (const [field] of TOP_BAR) setSelectValue(controls[field], state[field]);
  setSelectValue(controls.n_samples, state.n_samples);
  setSelectValue(controls.n_classes, state.n_classes);

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
  controls.n_classes.disabled = info.kind !== "multiclass";
  controls.n_classes.title = info.kind === "multiclass" ? "" : "multi-class datasets only";
  for (const field of ["batch_size", "seed"]) {
    if (document.activeElement !== controls[field]) controls[field].value = String(state[field]);
  }
  for (const field of ["train_fraction", "noise"]) {
    controls[field].value = String(controls[field].fromValue(state[field]));
    controls[field].show(state[field]);
  }

  for (const button of controls.datasets) {
    button.setAttribute("aria-checked", String(button.dataset.name === state.dataset));
  }
  byId("dataset-description").textContent = `${info.description} (${info.kind})`;

  const shape = oneD ? "1d" : "2d";
  for (const button of controls.features) {
    const feature = button.dataset.feature;
    const on = state.features.includes(feature);
    const needsX2 = oneD && usesX2(feature);
    button.setAttribute("aria-pressed", String(on));
    button.disabled = needsX2 || (on && state.features.length === 1);
    button.title = needsX2 ? `${feature}: ${state.dataset} has one input, x1` : `feature ${feature}`;
    if (controls.featureShape !== shape)
      paintFeature(button.canvas, feature, FEATURE_ICON_SIDE, [-6, 6], oneD);
  }
  controls.featureShape = shape;

  for (const field of ["showTest", "discretize", "logScale"]) controls[field].checked = state[field];
  for (const radio of document.querySelectorAll("input[name=direction]")) {
    radio.checked = radio.value === state.direction;
  }

  const hidden = state.hidden_layers;
  byId("layer-count").textContent = String(hidden.length);
  byId("network-heading").lastChild.textContent = hidden.length === 1 ? " hidden layer" : " hidden layers";
  byId("add-layer").disabled = hidden.length >= controls.limits.hidden_layers[1];
  byId("remove-layer").disabled = hidden.length <= controls.limits.hidden_layers[0];
  renderLayerControls(controls, hidden);
}

/** Whether the session is training: the play button shows pause while it is. */
export function showPlaying(running) {
  const button = byId("play-pause");
  button.classList.toggle("playing", running);
  button.setAttribute("aria-label", running ? "Pause" : "Play");
}
