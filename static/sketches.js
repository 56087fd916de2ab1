/**
 * Pictures that need no server: the dataset picker's icons and the input features' maps.
 *
 * The icons are fixed sketches of each dataset's shape (the geometry of
 * mlp_engine/datasets.py, drawn from a small seeded generator), not the data itself. The
 * feature maps are the features' own formulas over the input plane.
 */

import {
  BLUE,
  classColor,
  css,
  NEUTRAL,
  paintCurve,
  paintMap,
  scaleColor,
  symmetricDomain,
} from "./colors.js";
import { escapeHtml } from "./markup.js";

/**
 * The input features as functions of the plane's coordinates: mlp_engine's FEATURES, written
 * again because the page runs the network's forward pass over the plane itself (forward.js,
 * from each frame's weights). The menu's names come from /api/options; every formula is held
 * to the engine's by tests/browser/test_forward_parity.py.
 */
export const FEATURES = {
  x1: (x1) => x1,
  x2: (x1, x2) => x2,
  "x1^2": (x1) => x1 * x1,
  "x2^2": (x1, x2) => x2 * x2,
  "x1*x2": (x1, x2) => x1 * x2,
  "sin x1": (x1) => Math.sin(x1),
  "sin x2": (x1, x2) => Math.sin(x2),
};

/** How a feature is written in labels. */
export const FEATURE_LABELS = {
  x1: "x₁",
  x2: "x₂",
  "x1^2": "x₁²",
  "x2^2": "x₂²",
  "x1*x2": "x₁x₂",
  "sin x1": "sin(x₁)",
  "sin x2": "sin(x₂)",
};

/**
 * Whether a run (its `ready` message) takes points of the plane through the input features
 * (generated and drawn data) rather than the data's own columns (real and uploaded data).
 */
export const planeInputs = (run) => run.plane;

/**
 * The network's input nodes of a run: {name, html (its label), feature}, `feature` the map of
 * the plane the node computes: the input features of plane data, x1 and x2 for the columns of
 * tabular data shown on a plane or line, null on principal components (no plane to map).
 */
export function inputNodes(run) {
  if (planeInputs(run)) {
    return run.config.features.map((feature) => ({ name: feature, html: FEATURE_LABELS[feature], feature }));
  }
  return run.columns.map((name, j) => ({
    name,
    html: escapeHtml(name),
    feature: run.view === "pca" ? null : ["x1", "x2"][j],
  }));
}

/** Class k's name in a run: the data's own (e.g. setosa) when it has them. */
export const className = (run, k) => {
  const name = run.classes?.[k];
  return name === undefined || name === String(k) ? `class ${k}` : name;
};

/** A feature's values on a side x side grid over xRange x yRange (row 0 at x2 = yRange[0]). */
export function featureGrid(feature, side, xRange, yRange = xRange) {
  const values = new Float32Array(side * side);
  const at = ([low, high], i) => low + ((high - low) * i) / (side - 1);
  for (let row = 0; row < side; row++) {
    for (let col = 0; col < side; col++)
      values[row * side + col] = FEATURES[feature](at(xRange, col), at(yRange, row));
  }
  return values;
}

/** A feature's values along x1 alone (1-D data). */
export function featureLine(feature, side, [low, high]) {
  return Float32Array.from({ length: side }, (_, i) =>
    FEATURES[feature](low + ((high - low) * i) / (side - 1), 0),
  );
}

/** Draw a feature's picture: a map over the plane, or a curve for 1-D data. */
export function paintFeature(canvas, feature, side, range, oneD, yRange = range) {
  if (oneD) {
    const values = featureLine(feature, side, range);
    paintCurve(canvas, values, symmetricDomain(values));
  } else {
    const values = featureGrid(feature, side, range, yRange);
    paintMap(canvas, values, side, symmetricDomain(values));
  }
}

/** Mulberry32: a tiny seeded generator, so that the icons look the same on every visit. */
function generator(seed) {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const between = (low, high) => low + (high - low) * uniform();
  const normal = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  return { between, normal };
}

const N_POINTS = 140;

/** Points [x1, x2, label] in [-6, 6]^2 sketching each classification dataset. */
const POINT_SKETCHES = {
  circle(rng) {
    return Array.from({ length: N_POINTS }, (_, i) => {
      const inside = i % 2 === 0;
      const r = inside ? rng.between(0, 2.5) : rng.between(3.5, 5);
      const angle = rng.between(0, 2 * Math.PI);
      return [r * Math.sin(angle), r * Math.cos(angle), inside ? 1 : 0];
    });
  },
  xor(rng) {
    return Array.from({ length: N_POINTS }, () => {
      const push = (v) => v + (v > 0 ? 0.3 : -0.3);
      const x = push(rng.between(-5, 5));
      const y = push(rng.between(-5, 5));
      return [x, y, x * y >= 0 ? 1 : 0];
    });
  },
  gaussian(rng) {
    return Array.from({ length: N_POINTS }, (_, i) => {
      const c = i % 2 === 0 ? 2 : -2;
      return [c + 0.8 * rng.normal(), c + 0.8 * rng.normal(), i % 2 === 0 ? 1 : 0];
    });
  },
  spiral: (rng) => spiralArms(rng, 2).map(([x, y, k]) => [x, y, 1 - k]),
  moons(rng) {
    return Array.from({ length: N_POINTS }, (_, i) => {
      const t = rng.between(0, Math.PI);
      const [x, y] = i % 2 === 0 ? [Math.cos(t), Math.sin(t)] : [1 - Math.cos(t), 0.5 - Math.sin(t)];
      return [(x - 0.5) * (10 / 3), (y - 0.25) * 6, i % 2 === 0 ? 1 : 0];
    });
  },
  multi_blobs(rng) {
    return Array.from({ length: N_POINTS }, (_, i) => {
      const k = i % 3;
      const angle = Math.PI / 2 + (2 * Math.PI * k) / 3;
      return [4 * Math.cos(angle) + 0.8 * rng.normal(), 4 * Math.sin(angle) + 0.8 * rng.normal(), k];
    });
  },
  multi_spiral: (rng) => spiralArms(rng, 3),
};

function spiralArms(rng, k) {
  return Array.from({ length: N_POINTS }, (_, i) => {
    const arm = i % k;
    const s = Math.floor(i / k) / (N_POINTS / k);
    const t = 1.75 * 2 * Math.PI * s + (2 * Math.PI * arm) / k;
    return [5 * s * Math.sin(t) + rng.between(-0.2, 0.2), 5 * s * Math.cos(t) + rng.between(-0.2, 0.2), arm];
  });
}

/** Regression targets as functions of the plane, drawn as a map behind no points. */
const SURFACE_SKETCHES = {
  plane: (x1, x2) => (x1 + x2) / 10,
  multi_gaussian(x1, x2) {
    const bumps = [
      [-4, 2.5, 1],
      [0, 2.5, -1],
      [4, 2.5, 1],
      [-4, -2.5, -1],
      [0, -2.5, 1],
      [4, -2.5, -1],
    ];
    let best = 0;
    for (const [cx, cy, sign] of bumps) {
      const v = sign * Math.max(0, 1 - Math.hypot(x1 - cx, x2 - cy) / 2);
      if (Math.abs(v) > Math.abs(best)) best = v;
    }
    return best;
  },
};

/** Points [x1, x2, label] sketching each real data set on its first two principal components. */
const REAL_SKETCHES = {
  iris: (rng) => blobs(rng, [[-4, 0, 0.7], [1.2, -0.8, 1], [3.2, 0.8, 1]]),
  wine: (rng) => blobs(rng, [[-3.5, -1.5, 1], [0, 3, 1], [3.5, -1.5, 1]]),
  breast_cancer: (rng) => blobs(rng, [[-2.2, 0.5, 1.1], [2.5, -0.5, 1.8]]),
};

function blobs(rng, centres) {
  return Array.from({ length: 90 }, (_, i) => {
    const k = i % centres.length;
    const [cx, cy, spread] = centres[k];
    return [cx + spread * rng.normal(), cy + spread * 0.8 * rng.normal(), k];
  });
}

/** An 8 x 8 handwritten-looking 3, as in scikit-learn's digits. */
const DIGIT = ["..####..", ".#....#.", "......#.", "...###..", "......#.", "......#.", ".#....#.", "..####.."];

function paintPoints(context, points, size, kind) {
  const toPixel = (v) => ((v + 6) / 12) * size;
  for (const [x, y, label] of points) {
    context.fillStyle =
      kind === "regression" ? scaleColor(label, [-1, 1]) : css(classColor(label));
    context.beginPath();
    context.arc(toPixel(x), size - toPixel(y), size / 36, 0, 2 * Math.PI);
    context.fill();
  }
}

/** The icon of the user's own data: the drawn points, a table for a file, a plus for none. */
function paintCustomIcon(context, entry, size) {
  if (entry.points) {
    paintPoints(context, entry.points, size, entry.kind);
    return;
  }
  context.strokeStyle = css(NEUTRAL.map((c) => c - 80));
  context.lineWidth = Math.max(1, size / 30);
  if (!entry.source) {
    context.setLineDash([3, 3]);
    context.strokeRect(size * 0.12, size * 0.12, size * 0.76, size * 0.76);
    context.setLineDash([]);
    context.beginPath();
    context.moveTo(size / 2, size * 0.3);
    context.lineTo(size / 2, size * 0.7);
    context.moveTo(size * 0.3, size / 2);
    context.lineTo(size * 0.7, size / 2);
    context.stroke();
    return;
  }
  const [left, top, width, height] = [size * 0.15, size * 0.2, size * 0.7, size * 0.6];
  context.fillStyle = css(NEUTRAL);
  context.fillRect(left, top, width, height / 4);
  context.strokeRect(left, top, width, height);
  context.beginPath();
  for (let row = 1; row < 4; row++) {
    context.moveTo(left, top + (row * height) / 4);
    context.lineTo(left + width, top + (row * height) / 4);
  }
  for (let col = 1; col < 3; col++) {
    context.moveTo(left + (col * width) / 3, top);
    context.lineTo(left + (col * width) / 3, top + height);
  }
  context.stroke();
}

/**
 * Draw the picker's icon for a dataset (its /api/options entry) on a square canvas. The custom
 * entry may carry `points` ([x1, x2, label or target] of drawn data) to draw them.
 */
export function paintDatasetIcon(canvas, entry) {
  const dataset = entry.name;
  const size = canvas.width;
  const context = canvas.getContext("2d");
  const toPixel = (v) => ((v + 6) / 12) * size;
  context.fillStyle = "#fff";
  context.fillRect(0, 0, size, size);
  if (dataset === "custom") {
    paintCustomIcon(context, entry, size);
    return;
  }
  if (dataset === "digits") {
    const cell = size / 10;
    context.fillStyle = css(NEUTRAL.map((c) => c - 150));
    DIGIT.forEach((row, r) =>
      [...row].forEach((on, c) => {
        if (on === "#") context.fillRect(cell * (c + 1), cell * (r + 1), cell, cell);
      }),
    );
    return;
  }
  if (dataset === "diabetes") {
    const rng = generator(5);
    const points = Array.from({ length: 70 }, () => {
      const x = rng.between(-5, 5);
      const y = 0.7 * x + 1.4 * rng.normal();
      return [x, y, y / 5];
    });
    paintPoints(context, points, size, "regression");
    return;
  }
  if (dataset in SURFACE_SKETCHES) {
    const side = 24;
    const values = new Float32Array(side * side);
    const at = (i) => -6 + (12 * i) / (side - 1);
    for (let row = 0; row < side; row++) {
      for (let col = 0; col < side; col++)
        values[row * side + col] = SURFACE_SKETCHES[dataset](at(col), at(row));
    }
    const map = document.createElement("canvas");
    paintMap(map, values, side, [-1, 1]);
    context.imageSmoothingEnabled = true;
    context.drawImage(map, 0, 0, size, size);
    return;
  }
  if (dataset === "sine") {
    context.fillStyle = css(NEUTRAL);
    context.fillRect(0, 0, size, size);
    const rng = generator(7);
    context.fillStyle = css(BLUE);
    for (let i = 0; i < 60; i++) {
      const x = rng.between(-6, 6);
      const y = (x * Math.sin(x) + 1.5) / 3.3;
      context.fillRect(toPixel(x) - 1, size / 2 - y * size * 0.38 - 1, 2.2, 2.2);
    }
    return;
  }
  const sketch = POINT_SKETCHES[dataset] ?? REAL_SKETCHES[dataset];
  paintPoints(context, sketch?.(generator(11)) ?? [], size, "classification");
}
