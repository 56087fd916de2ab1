/**
 * TF Playground's colours, and the scales that put values on them.
 *
 * Negative values and class 0 are orange, positive values and class 1 blue, zero a light grey;
 * classes 2 to 4 of multi-class data get green, purple and red.
 */

export const ORANGE = [245, 147, 34];
export const BLUE = [8, 119, 189];
export const NEUTRAL = [232, 234, 235];
/** What went wrong: error text, a diverged run, a confusion matrix's wrong answers. */
export const ERROR = [179, 38, 30];
const CLASS_COLORS = [ORANGE, BLUE, [44, 160, 44], [148, 103, 189], [214, 39, 40]];
/** Classes 5 to 9 (digits has ten): the rest of Plotly's default palette. */
const MORE_CLASS_COLORS = [[140, 86, 75], [227, 119, 194], [127, 127, 127], [188, 189, 34], [23, 190, 207]];

/** Class k's colour: CLASS_COLORS, then five more; beyond ten they repeat. */
export const classColor = (k) => [...CLASS_COLORS, ...MORE_CLASS_COLORS][k % 10];

export const css = ([r, g, b], alpha = 1) =>
  alpha === 1 ? `rgb(${r},${g},${b})` : `rgba(${r},${g},${b},${alpha})`;

/** The test data's ink (the test loss curve, the test points' outline, the fitted line) and the
 * training loss curve's, which the legends beside them repeat. */
export const TEST_INK = "#222";
export const TRAIN_INK = "#8c8c8c";
/** The plots' axis lines (boundary, loss chart, layer space). */
export const AXIS_LINE = "#c9cfd3";

/** Give the stylesheet these colours as `--orange`, `--blue`, `--error`, `--test-ink` and
 * `--train-ink` on `root`: the stylesheets (static/css/) read them there and have no copy of
 * their own. */
export function setColorVariables(root = document.documentElement) {
  root.style.setProperty("--orange", css(ORANGE));
  root.style.setProperty("--blue", css(BLUE));
  root.style.setProperty("--error", css(ERROR));
  root.style.setProperty("--test-ink", TEST_INK);
  root.style.setProperty("--train-ink", TRAIN_INK);
}

/** The scale as a Plotly colorscale over [min, max]. */
export const COLORSCALE = [
  [0, css(ORANGE)],
  [0.5, css(NEUTRAL)],
  [1, css(BLUE)],
];

const mix = (from, to, t) => from.map((c, i) => Math.round(c + (to[i] - c) * t));

/** 256 RGB entries from orange (index 0) through grey (128) to blue (255). */
const LUT = (() => {
  const table = new Uint8ClampedArray(256 * 3);
  for (let i = 0; i < 256; i++) {
    const t = i / 255;
    const rgb = t < 0.5 ? mix(ORANGE, NEUTRAL, t * 2) : mix(NEUTRAL, BLUE, t * 2 - 1);
    table.set(rgb, 3 * i);
  }
  return table;
})();

const lutIndex = (value, [low, high]) => {
  const t = (value - low) / (high - low || 1);
  return Math.max(0, Math.min(255, Math.round(t * 255))) || 0;
};

/** The colour of `value` on the orange-grey-blue scale spanning `domain` [low, high]. */
export function scaleColor(value, domain, alpha = 1) {
  const i = 3 * lutIndex(value, domain);
  return css([LUT[i], LUT[i + 1], LUT[i + 2]], alpha);
}

const maxAbs = (values) => {
  let m = 0;
  for (const v of values) if (Math.abs(v) > m) m = Math.abs(v);
  return m;
};

/** [-m, m] for the largest magnitude m among `values` (at least `floor`). */
export function symmetricDomain(values, floor = 1e-12) {
  const m = Math.max(maxAbs(values), floor);
  return [-m, m];
}

/**
 * The range an activation's output is shown over: its own for bounded ones, else [-m, m] for
 * the largest magnitude m among `arrays` (values that share one scale).
 */
export function activationDomain(activation, arrays) {
  if (activation === "sigmoid" || activation === "softmax") return [0, 1];
  if (activation === "tanh") return [-1, 1];
  const m = Math.max(1e-12, ...arrays.map(maxAbs));
  return [-m, m];
}

const surfaces = new WeakMap();

/** A canvas sized side x side, with its 2-D context and a reusable ImageData. */
function surface(canvas, side) {
  let cached = surfaces.get(canvas);
  if (!cached || cached.side !== side) {
    canvas.width = side;
    canvas.height = side;
    const context = canvas.getContext("2d");
    cached = { side, context, image: context.createImageData(side, side) };
    surfaces.set(canvas, cached);
  }
  return cached;
}

/**
 * Paint a side x side map (row 0 = the bottom of the plane, as the server sends it) onto a
 * canvas of that size, top row first; `discrete` shows only which half of the domain a value
 * falls in.
 */
export function paintMap(canvas, values, side, domain, discrete = false) {
  const middle = (domain[0] + domain[1]) / 2;
  const { context, image } = surface(canvas, side);
  const pixels = image.data;
  for (let row = 0; row < side; row++) {
    const target = (side - 1 - row) * side;
    for (let col = 0; col < side; col++) {
      const value = values[row * side + col];
      const i = discrete ? (value >= middle ? 765 : 0) : 3 * lutIndex(value, domain);
      const p = 4 * (target + col);
      pixels[p] = LUT[i];
      pixels[p + 1] = LUT[i + 1];
      pixels[p + 2] = LUT[i + 2];
      pixels[p + 3] = 255;
    }
  }
  context.putImageData(image, 0, 0);
}

/** Paint a 1-D function of x1 as a curve over a grey background, its values within `domain`. */
export function paintCurve(canvas, values, domain, size = 40) {
  if (canvas.width !== size) canvas.width = size;
  if (canvas.height !== size) canvas.height = size;
  const context = canvas.getContext("2d");
  context.fillStyle = css(NEUTRAL);
  context.fillRect(0, 0, size, size);
  const [low, high] = domain;
  const y = (v) => size - 3 - ((v - low) / (high - low || 1)) * (size - 6);
  context.strokeStyle = "rgba(0,0,0,0.25)";
  context.lineWidth = 1;
  context.beginPath();
  context.moveTo(0, y(0));
  context.lineTo(size, y(0));
  context.stroke();
  context.strokeStyle = css(BLUE);
  context.lineWidth = 2;
  context.beginPath();
  values.forEach((v, i) => {
    const x = (i / (values.length - 1)) * size;
    if (i === 0) context.moveTo(x, y(v));
    else context.lineTo(x, y(v));
  });
  context.stroke();
}

/**
 * One class's probability over the plane (row 0 at the bottom): white at 0, the class's colour
 * at 1; `discrete` shows only whether it passes one half.
 */
export function paintProbability(canvas, values, side, color, discrete = false) {
  const { context, image } = surface(canvas, side);
  const pixels = image.data;
  for (let row = 0; row < side; row++) {
    const target = (side - 1 - row) * side;
    for (let col = 0; col < side; col++) {
      const value = values[row * side + col];
      const strength = discrete ? (value >= 0.5 ? 1 : 0) : Math.max(0, Math.min(1, value));
      const p = 4 * (target + col);
      for (let c = 0; c < 3; c++) pixels[p + c] = 255 + (color[c] - 255) * strength;
      pixels[p + 3] = 255;
    }
  }
  context.putImageData(image, 0, 0);
}

/**
 * The multi-class picture: each grid point in its most probable class's colour, faded towards
 * white as that probability falls to chance (1 / n_classes); `discrete` drops the fading.
 * `probabilities` is (side, side, n_classes), row 0 at the bottom; painted top row first.
 */
export function paintClasses(canvas, probabilities, side, nClasses, discrete) {
  const { context, image } = surface(canvas, side);
  const pixels = image.data;
  const chance = 1 / nClasses;
  for (let row = 0; row < side; row++) {
    const target = (side - 1 - row) * side;
    for (let col = 0; col < side; col++) {
      const base = (row * side + col) * nClasses;
      let best = 0;
      for (let k = 1; k < nClasses; k++) {
        if (probabilities[base + k] > probabilities[base + best]) best = k;
      }
      const confidence = discrete ? 1 : Math.max(0, (probabilities[base + best] - chance) / (1 - chance));
      const strength = 0.15 + 0.6 * confidence;
      const color = classColor(best);
      const p = 4 * (target + col);
      for (let c = 0; c < 3; c++) pixels[p + c] = 255 + (color[c] - 255) * strength;
      pixels[p + 3] = 255;
    }
  }
  context.putImageData(image, 0, 0);
}
