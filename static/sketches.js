/**
 * Pictures that need no server: the dataset picker's icons and the input features' maps.
 *
 * The icons are fixed sketches of each dataset's shape (the geometry of
 * mlp_engine/datasets.py, drawn from a small seeded generator), not the data itself. The
 * feature maps are the features' own formulas over the input plane.
 */

import { BLUE, CLASS_COLORS, css, NEUTRAL, paintCurve, paintMap, symmetricDomain } from "./colors.js";

/** The input features as functions of the plane's coordinates (mlp_engine FEATURES). */
const FEATURES = {
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

export const usesX2 = (feature) => feature.includes("x2");

/** A feature's values on a side x side grid over [low, high]^2 (row 0 at x2 = low). */
export function featureGrid(feature, side, [low, high]) {
  const values = new Float32Array(side * side);
  const at = (i) => low + ((high - low) * i) / (side - 1);
  for (let row = 0; row < side; row++) {
    for (let col = 0; col < side; col++) values[row * side + col] = FEATURES[feature](at(col), at(row));
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
export function paintFeature(canvas, feature, side, range, oneD) {
  if (oneD) {
    const values = featureLine(feature, side, range);
    paintCurve(canvas, values, symmetricDomain(values));
  } else {
    const values = featureGrid(feature, side, range);
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

/** Draw the picker's icon for `dataset` on a square canvas. */
export function paintDatasetIcon(canvas, dataset) {
  const size = canvas.width;
  const context = canvas.getContext("2d");
  const toPixel = (v) => ((v + 6) / 12) * size;
  context.fillStyle = "#fff";
  context.fillRect(0, 0, size, size);
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
  const points = POINT_SKETCHES[dataset]?.(generator(11)) ?? [];
  for (const [x, y, label] of points) {
    context.fillStyle = css(CLASS_COLORS[label]);
    context.beginPath();
    context.arc(toPixel(x), size - toPixel(y), size / 36, 0, 2 * Math.PI);
    context.fill();
  }
}
