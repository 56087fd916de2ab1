/**
 * The backprop inspector: one mini-batch step of the paper's section 3.3, stage by stage, with
 * the numbers the server's `inspection` message holds for the probe sample.
 *
 *   1. forward pass, eqs. 32-33: z^l = W^l a^(l-1) + b^l, a^l = phi(z^l)
 *   2. output error, eq. 12: delta^L = nabla_a C o phi'(z^L)
 *   3. backpropagated errors, eq. 13: delta^l = ((W^(l+1))^T delta^(l+1)) o phi'(z^l)
 *   4. gradients, eqs. 14-15: dC/db^l = delta^l, dC/dW^l = delta^l (a^(l-1))^T, and their
 *      mean over the mini-batch
 *   5. the update, eqs. 30-31: W^l <- W^l - (eta/m) sum_x delta^(x,l) (a^(x,l-1))^T
 *
 * Layers are numbered as in the paper on screen (l = 1 .. L) and as in the protocol in the
 * DOM: every number has `data-value` (its full value) and either `data-key`
 * ("name:layer:row[:col]", layer 0 the first weight layer, unique on the page) or, where a
 * stage repeats a value it has already shown as a result, `data-ref` with the same form.
 * `stageHighlight` says which nodes and edges of the network graph a stage touches.
 */

import { scaleColor, symmetricDomain } from "./colors.js";
import { escapeHtml } from "./markup.js";
import { formatValue } from "./tooltip.js";

export const STAGES = ["Forward pass", "Output error", "Backpropagated errors", "Gradients", "Update"];

/** Larger matrices show their first rows and columns, and say so. */
const MAX_ROWS = 12;
const MAX_COLUMNS = 8;
const CELL_ALPHA = 0.3;

const COST_NAMES = {
  mse: "mean squared error",
  binary_crossentropy: "binary cross-entropy",
  categorical_crossentropy: "categorical cross-entropy",
};

/** nabla_a C_x of each cost as the engine computes it (eqs. 22-24 for the squared error). */
const COST_GRADIENT_TEX = {
  mse: "\\nabla_{a^{L}} C = \\tfrac{2}{n_y}\\,(a^{L} - y)",
  binary_crossentropy: "\\nabla_{a^{L}} C = \\frac{a^{L} - y}{n_y\\, a^{L} \\circ (1 - a^{L})}",
  categorical_crossentropy: "\\nabla_{a^{L}} C = -\\,y \\oslash a^{L}",
};

const OPTIMIZER_NAMES = { sgd: "SGD", momentum: "momentum", adam: "Adam" };

/** TeX as KaTeX HTML (its source as code if KaTeX failed to load). */
function tex(source, display = false) {
  if (!window.katex) return `<code>${escapeHtml(source)}</code>`;
  return window.katex.renderToString(source, { displayMode: display, throwOnError: false });
}

/** One number: four significant digits shown, the full value in data-value and the title. */
function numberCell(value, key, domain) {
  const attribute = key.ref ? "data-ref" : "data-key";
  if (value === null || !Number.isFinite(value)) {
    return `<td class="num" ${attribute}="${key.name}" data-value="" title="not a finite number">—</td>`;
  }
  const color = scaleColor(value, domain, CELL_ALPHA);
  return (
    `<td class="num" ${attribute}="${key.name}" data-value="${value}" title="${value}" ` +
    `style="background:${color}">${formatValue(value)}</td>`
  );
}

/**
 * A bracketed matrix with a TeX label above it. `rows` is a list of rows; `key(i, j)` names
 * cell (i, j) as {name, ref}.
 */
function matrix(label, rows, key) {
  const nRows = rows.length;
  const nColumns = rows[0]?.length ?? 0;
  const shownRows = Math.min(nRows, MAX_ROWS);
  const shownColumns = Math.min(nColumns, MAX_COLUMNS);
  const domain = symmetricDomain(rows.flat().filter((v) => v !== null && Number.isFinite(v)));
  const lines = [];
  for (let i = 0; i < shownRows; i++) {
    const cells = [];
    for (let j = 0; j < shownColumns; j++) cells.push(numberCell(rows[i][j], key(i, j), domain));
    if (shownColumns < nColumns) cells.push('<td class="more">⋯</td>');
    lines.push(`<tr>${cells.join("")}</tr>`);
  }
  if (shownRows < nRows) lines.push(`<tr><td class="more" colspan="${shownColumns + 1}">⋮</td></tr>`);
  const cut =
    shownRows < nRows || shownColumns < nColumns
      ? `<span class="cut">first ${shownRows} × ${shownColumns} of ${nRows} × ${nColumns}</span>`
      : "";
  return (
    `<figure class="term"><figcaption>${tex(label)}</figcaption>` +
    `<span class="bracket"><table class="matrix"><tbody>${lines.join("")}</tbody></table></span>${cut}</figure>`
  );
}

/** A column vector: `key(i)` names entry i (a vector's keys have one index, not two). */
const column = (label, values, key) =>
  matrix(
    label,
    values.map((v) => [v]),
    (i) => key(i),
  );

/** A row vector (a transposed column). */
const row = (label, values, key) => matrix(label, [values], (_, j) => key(j));

const transpose = (rows) => rows[0].map((_, j) => rows.map((r) => r[j]));

const operator = (symbol) => `<span class="op">${tex(symbol)}</span>`;

const equationRow = (...parts) => `<div class="eq-row">${parts.join("")}</div>`;

const keyed = (name, l) => (i, j) => ({
  name: j === undefined ? `${name}:${l}:${i}` : `${name}:${l}:${i}:${j}`,
});
const referenced = (name, l) => (i, j) => ({ ...keyed(name, l)(i, j), ref: true });

/** phi'(z) as shown: a vector, or softmax's Jacobian as a matrix. */
function phiPrime(layer, l, label) {
  if (layer.phi_prime_kind === "jacobian") {
    return matrix(`J_{\\phi}(z^{${l + 1}})`, layer.phi_prime, keyed("phi_prime", l));
  }
  return column(label, layer.phi_prime, keyed("phi_prime", l));
}

function card(inspection, l, title, body) {
  const L = inspection.layers.length;
  const layer = inspection.layers[l];
  const role = l === L - 1 ? `output layer, L = ${L}` : "hidden layer";
  return (
    `<section class="layer-card" data-layer="${l}" tabindex="0">` +
    `<h3>Layer ${l + 1} <span class="hint">${role} · ${layer.activation} · ${layer.a.length} ` +
    `neuron${layer.a.length === 1 ? "" : "s"}</span>${title ? ` — ${title}` : ""}</h3>${body}</section>`
  );
}

const formulaBlock = (...sources) =>
  `<div class="formula">${sources.map((source) => tex(source, true)).join("")}</div>`;

/**
 * Why eq. 12 collapses to a^L - y, typeset as the rest of the stage is; the server's own words
 * (`fused_note`, plain text) stay in the title. A cost the page has no formula for shows them.
 */
const FUSED_TEX = {
  binary_crossentropy: [
    "sigmoid + binary cross-entropy: ",
    String.raw`\sigma'(z) = a(1-a)`,
    " cancels the cost's ",
    String.raw`\frac{1}{a(1-a)}`,
    ", so ",
    String.raw`\delta^L = (a^L - y)/n_y`,
  ],
  categorical_crossentropy: [
    "softmax + categorical cross-entropy: the softmax Jacobian applied to ",
    String.raw`-y/a`,
    " collapses to ",
    String.raw`\delta^L = a^L - y`,
  ],
};

function fusedNote(layer, costName) {
  const parts = FUSED_TEX[costName];
  const why = parts
    ? parts.map((part, i) => (i % 2 ? tex(part) : escapeHtml(part))).join("")
    : escapeHtml(layer.fused_note);
  return `<p class="fused-note" title="${escapeHtml(layer.fused_note)}">Why: ${why}.</p>`;
}

const readBlock = (html) => `<p class="how-to-read"><b>How to read this.</b> ${html}</p>`;

const noteBlock = (html) => (html ? `<p class="inspector-note">${html}</p>` : "");

function forwardStage(inspection) {
  const cards = inspection.layers.map((layer, l) => {
    const n = l + 1;
    const previous = l === 0 ? keyed("a_prev", 0) : referenced("a", l - 1);
    return card(
      inspection,
      l,
      "",
      equationRow(
        matrix(`W^{${n}}`, layer.W, keyed("W", l)),
        operator("\\cdot"),
        column(`a^{${n - 1}}`, layer.a_prev, previous),
        operator("+"),
        column(`b^{${n}}`, layer.b, keyed("b", l)),
        operator("="),
        column(`z^{${n}}`, layer.z, keyed("z", l)),
        operator("\\xrightarrow{\\;\\phi\\;}"),
        column(`a^{${n}}`, layer.a, keyed("a", l)),
      ),
    );
  });
  return {
    formula: formulaBlock("z^{l} = W^{l}\\,a^{l-1} + b^{l} \\tag{32}", "a^{l} = \\phi(z^{l}) \\tag{33}"),
    read: readBlock(
      "The probe sample enters as a<sup>0</sup> = x. Each layer multiplies the previous " +
        "activations by its weights (row j of W<sup>l</sup> holds the weights into neuron j), " +
        "adds its biases and applies its activation φ (named in each layer's title). The paper " +
        "writes eq. 32 for a whole " +
        "batch, Z = XW<sup>⊤</sup> + b; one sample is one row of it. Blue cells are " +
        "positive, orange negative. Hover a layer to find it in the graph.",
    ),
    cards: cards.join(""),
  };
}

function fusedFormula(inspection) {
  if (inspection.cost === "binary_crossentropy") return "\\delta^{L} = \\tfrac{1}{n_y}\\,(a^{L} - y)";
  return "\\delta^{L} = a^{L} - y";
}

function outputStage(inspection) {
  const l = inspection.layers.length - 1;
  const layer = inspection.layers[l];
  const L = l + 1;
  const cost = COST_NAMES[inspection.cost] ?? inspection.cost;
  const jacobian = layer.phi_prime_kind === "jacobian";
  const generic = equationRow(
    column(`\\nabla_{a^{${L}}} C`, layer.grad_a, keyed("grad_a", l)),
    operator(jacobian ? "\\text{with}" : "\\circ"),
    phiPrime(layer, l, `\\tfrac{\\partial\\phi}{\\partial z}(z^{${L}})`),
    ...(layer.fused ? [] : [operator("="), column(`\\delta^{${L}}`, layer.delta, keyed("delta", l))]),
  );
  const prediction = [
    column(`a^{${L}}`, layer.a, referenced("a", l)),
    operator("\\quad"),
    column("y", layer.y, keyed("y", l)),
  ];
  let body;
  let read;
  if (layer.fused) {
    body =
      equationRow(
        column(`a^{${L}}`, layer.a, referenced("a", l)),
        operator("-"),
        column("y", layer.y, keyed("y", l)),
        operator("\\Rightarrow"),
        column(`\\delta^{${L}}`, layer.delta, keyed("delta", l)),
      ) +
      fusedNote(layer, inspection.cost) +
      `<p class="hint">The two factors of eq. 12 on their own, for comparison:</p>` +
      generic;
    read =
      `With ${layer.activation} outputs and ${cost}, the product of eq. 12 simplifies: the ` +
      "network's error is just how far its output lies from the target. The engine uses " +
      "this closed form, which stays exact where a<sup>L</sup> saturates.";
  } else {
    body = equationRow(...prediction) + generic;
    read =
      `∇<sub>a</sub>C is how the cost (${cost}) changes with each output; φ′(z<sup>L</sup>) how ` +
      "each output changes with its weighted input. Their element-wise product ∘ is " +
      "δ<sup>L</sup>, the error of the output layer." +
      (jacobian
        ? " Softmax outputs depend on every z<sub>j</sub>, so φ′ is a full Jacobian J and " +
          "eq. 12 becomes δ<sup>L</sup> = J<sup>⊤</sup> ∇<sub>a</sub>C."
        : "");
  }
  const eq12 = "\\delta^{L} = \\nabla_{a^{L}} C \\circ \\frac{\\partial \\phi}{\\partial z}(z^{L}) \\tag{12}";
  return {
    formula: formulaBlock(
      eq12,
      `\\text{here: } ${layer.fused ? fusedFormula(inspection) : COST_GRADIENT_TEX[inspection.cost]}`,
    ),
    read: readBlock(read),
    cards: card(inspection, l, "", body),
  };
}

function backpropStage(inspection) {
  const L = inspection.layers.length;
  if (L === 1) {
    return {
      formula: formulaBlock(
        "\\delta^{l} = \\big((W^{l+1})^{\\top} \\delta^{l+1}\\big) \\circ \\frac{\\partial \\phi}{\\partial z}(z^{l}) \\tag{13}",
      ),
      read: readBlock("This network has no hidden layer: δ<sup>L</sup> is the only error."),
      cards: "",
    };
  }
  const cards = [];
  for (let l = L - 2; l >= 0; l--) {
    const layer = inspection.layers[l];
    const next = inspection.layers[l + 1];
    const n = l + 1;
    const jacobian = layer.phi_prime_kind === "jacobian";
    const weights = transpose(next.W);
    const body =
      equationRow(
        matrix(`(W^{${n + 1}})^{\\top}`, weights, (i, j) => ({ name: `W:${l + 1}:${j}:${i}` })),
        operator("\\cdot"),
        column(`\\delta^{${n + 1}}`, next.delta, referenced("delta", l + 1)),
        operator("="),
        column(`(W^{${n + 1}})^{\\top}\\delta^{${n + 1}}`, layer.backprop, keyed("backprop", l)),
        operator(jacobian ? "\\text{with}" : "\\circ"),
        phiPrime(layer, l, `\\tfrac{\\partial\\phi}{\\partial z}(z^{${n}})`),
        operator("="),
        column(`\\delta^{${n}}`, layer.delta, keyed("delta", l)),
      ) +
      (jacobian
        ? `<p class="fused-note">Softmax in a hidden layer: each a<sub>j</sub> depends on every ` +
          `z<sub>k</sub>, so φ′ is a Jacobian J and eq. 13's ∘ becomes δ<sup>${n}</sup> = ` +
          "J<sup>⊤</sup> ((W<sup>l+1</sup>)<sup>⊤</sup>δ<sup>l+1</sup>).</p>"
        : "");
    cards.push(card(inspection, l, "", body));
  }
  return {
    formula: formulaBlock(
      "\\delta^{l} = \\big((W^{l+1})^{\\top} \\delta^{l+1}\\big) \\circ \\frac{\\partial \\phi}{\\partial z}(z^{l}) \\tag{13}",
    ),
    read: readBlock(
      "The error flows backwards along the same weights: row j of (W<sup>l+1</sup>)<sup>⊤</sup> " +
        "collects what neuron j contributed to each error of the next layer. Multiplying by " +
        "φ′(z<sup>l</sup>) scales it by how much the neuron responds at this input; a " +
        "saturated neuron (φ′ near 0) passes almost nothing back. Layers are listed from the " +
        "output towards the input.",
    ),
    cards: cards.join(""),
  };
}

/** The mini-batch's sample indices, shortened when long: "#7, #8, #9, …, #16". */
function batchText(batch) {
  const shown = batch.length <= 6 ? batch : [...batch.slice(0, 4), "…", batch.at(-1)];
  return shown.map((i) => (i === "…" ? i : `#${i}`)).join(", ");
}

function gradientStage(inspection) {
  const m = inspection.batch_size;
  const cards = inspection.layers.map((layer, l) => {
    const n = l + 1;
    return card(
      inspection,
      l,
      "",
      `<p class="hint">This sample (eqs. 14-15):</p>` +
        equationRow(
          column(`\\delta^{${n}}`, layer.delta, keyed("delta", l)),
          operator("\\cdot"),
          row(`(a^{${n - 1}})^{\\top}`, layer.a_prev, keyed("a_prev", l)),
          operator("="),
          matrix(`\\partial C_x/\\partial W^{${n}}`, layer.dW_sample, keyed("dW_sample", l)),
          operator("\\quad"),
          column(`\\partial C_x/\\partial b^{${n}}`, layer.db_sample, keyed("db_sample", l)),
        ) +
        `<p class="hint">Mean over the mini-batch of m = ${m}:</p>` +
        equationRow(
          matrix(
            `\\partial C/\\partial W^{${n}} = (1/m)\\textstyle\\sum_x \\delta^{x,${n}}(a^{x,${n - 1}})^{\\top}`,
            layer.dW_batch,
            keyed("dW_batch", l),
          ),
          operator("\\quad"),
          column(`\\partial C/\\partial b^{${n}}`, layer.db_batch, keyed("db_batch", l)),
        ),
    );
  });
  return {
    formula: formulaBlock(
      "\\frac{\\partial C}{\\partial b^{l}_j} = \\delta^{l}_j \\tag{14}",
      "\\frac{\\partial C}{\\partial W^{l}} = \\delta^{l}\\,(a^{l-1})^{\\top} \\tag{15}",
    ),
    read: readBlock(
      "A weight's gradient is the error of the neuron it feeds times the activation it " +
        "carries: entry (j, k) of δ<sup>l</sup>(a<sup>l−1</sup>)<sup>⊤</sup> is " +
        "δ<sub>j</sub> a<sub>k</sub>, so an input of 0 leaves its weights unchanged. The " +
        `update uses the mean over the mini-batch of m = ${m}: the probe and the training ` +
        `samples after it (${batchText(inspection.batch)}).`,
    ),
    cards: cards.join(""),
  };
}

function updateStage(inspection) {
  const eta = inspection.learning_rate;
  const etaTex = `\\eta = ${formatValue(eta)}`;
  const cards = inspection.layers.map((layer, l) => {
    const n = l + 1;
    return card(
      inspection,
      l,
      "",
      equationRow(
        matrix(`W^{${n}}`, layer.W, keyed("W", l)),
        operator("-\\eta"),
        matrix(`\\partial C/\\partial W^{${n}}`, layer.dW_batch, keyed("dW_batch", l)),
        operator("="),
        matrix(`W^{${n}}_{\\text{after}}`, layer.W_after, keyed("W_after", l)),
      ) +
        equationRow(
          column(`b^{${n}}`, layer.b, keyed("b", l)),
          operator("-\\eta"),
          column(`\\partial C/\\partial b^{${n}}`, layer.db_batch, keyed("db_batch", l)),
          operator("="),
          column(`b^{${n}}_{\\text{after}}`, layer.b_after, keyed("b_after", l)),
        ),
    );
  });
  const optimizer = OPTIMIZER_NAMES[inspection.optimizer] ?? inspection.optimizer;
  return {
    formula:
      formulaBlock(
        "W^{l} \\leftarrow W^{l} - \\frac{\\eta}{m} \\sum_{x} \\delta^{x,l}\\,(a^{x,l-1})^{\\top} \\tag{30}",
        "b^{l} \\leftarrow b^{l} - \\frac{\\eta}{m} \\sum_{x} \\delta^{x,l} \\tag{31}",
      ) + `<p class="constants">${tex(`${etaTex},\\quad m = ${inspection.batch_size}`)}</p>`,
    read: readBlock(
      "Every weight takes a step of η times its mean gradient against the gradient's sign, " +
        "downhill on the cost. Compare before and after: the largest gradients move their " +
        "weights most." +
        (inspection.optimizer === "sgd"
          ? ""
          : ` Training here uses ${optimizer}, which scales each step by its own running ` +
            "averages; the numbers show the plain gradient-descent step of eqs. 30-31."),
    ),
    cards: cards.join(""),
  };
}

const STAGE_VIEWS = [forwardStage, outputStage, backpropStage, gradientStage, updateStage];

/** The probe, the batch and the network the inspection is about, as one line of HTML. */
function contextLine(inspection, run) {
  const point = run?.train.x[inspection.probe];
  const label = run?.train.y[inspection.probe];
  const where = point ? ` at (${point.map((v) => formatValue(v)).join(", ")})` : "";
  const target =
    label === undefined
      ? ""
      : run.kind === "regression"
        ? `, target ${formatValue(label)}`
        : `, class ${label}`;
  return (
    `Epoch ${inspection.epoch} · probe #${inspection.probe}${where}${target} · ` +
    `mini-batch of m = ${inspection.batch_size} · its cost C = ${formatValue(inspection.loss)}`
  );
}

/**
 * Draw stage `context.stage` (1-5) of `inspection` (null while it is on its way) into the
 * inspector `panel`: its body, the "n/5 — name" line, the context line, the stepper and the
 * prev/next buttons. `context`: stage, run (the ready message), onFocus(focus), told which layer
 * card ({layer}) or number ({key}) the pointer is over, null when none.
 */
export function renderInspector(panel, inspection, context) {
  const { stage, run } = context;
  const part = (testId) => panel.querySelector(`[data-testid="${testId}"]`);
  const body = part("inspector-body");
  part("inspect-stage").textContent = `${stage}/${STAGES.length} — ${STAGES[stage - 1]}`;
  part("inspect-prev").disabled = stage === 1;
  part("inspect-next").disabled = stage === STAGES.length;
  panel.querySelectorAll(".stepper button").forEach((button, i) => {
    if (i + 1 === stage) button.setAttribute("aria-current", "step");
    else button.removeAttribute("aria-current");
  });
  if (!inspection) {
    part("inspector-context").textContent = "Reading the network…";
    body.innerHTML = '<p class="hint waiting">Waiting for the server’s inspection…</p>';
    return;
  }
  part("inspector-context").innerHTML = contextLine(inspection, run);
  const view = STAGE_VIEWS[stage - 1](inspection);
  const note = stage >= 4 ? noteBlock(inspection.note && `Note: ${escapeHtml(inspection.note)}.`) : "";
  body.innerHTML = view.formula + view.read + note + `<div class="layer-cards">${view.cards}</div>`;
  body.dataset.stage = String(stage);
  body.scrollTop = 0;
  let focus = null;
  const tell = (next) => {
    if (next?.key === focus?.key && next?.layer === focus?.layer) return;
    focus = next;
    context.onFocus(next);
  };
  const focusOf = (target) => {
    const cell = target.closest?.("[data-key], [data-ref]");
    if (cell) return { key: cell.dataset.key ?? cell.dataset.ref };
    const layerCard = target.closest?.(".layer-card");
    return layerCard ? { layer: Number(layerCard.dataset.layer) } : null;
  };
  body.onmouseover = (event) => tell(focusOf(event.target));
  body.onmouseleave = () => tell(null);
  body.onfocusin = (event) => tell(focusOf(event.target));
  body.onfocusout = () => tell(null);
}

/** The network's layer sizes [n_x, ..., n_y] as the inspection reports them. */
function sizesOf(inspection) {
  return [inspection.layers[0].a_prev.length, ...inspection.layers.map((layer) => layer.a.length)];
}

/** Where a number of the inspector sits in the graph: a node "c:j" or an edge "l:j:k". */
function placeOf(key, nLayers) {
  const [name, layerText, i, j] = key.split(":");
  const l = Number(layerText);
  if (name === "a_prev") return { node: `${l}:${i}` };
  const isMatrix = j !== undefined && name !== "phi_prime";
  if (isMatrix) return { edge: `${l}:${i}:${j}` };
  const c = name === "y" || name === "grad_a" ? nLayers : l + 1;
  return { node: `${c}:${i}` };
}

/**
 * The nodes ("column:index") and edges ("layer:row:col") stage `stage` touches, as
 * {nodes, edges} Sets for the graph's highlight; `focus` ({layer} or {key}) narrows them to one
 * layer card or one number.
 */
export function stageHighlight(inspection, stage, focus) {
  const sizes = sizesOf(inspection);
  const nLayers = sizes.length - 1;
  const nodes = new Set();
  const edges = new Set();
  const addNodes = (c) => {
    for (let j = 0; j < sizes[c]; j++) nodes.add(`${c}:${j}`);
  };
  const addEdges = (l) => {
    for (let j = 0; j < sizes[l + 1]; j++) for (let k = 0; k < sizes[l]; k++) edges.add(`${l}:${j}:${k}`);
  };
  if (focus?.key) {
    const place = placeOf(focus.key, nLayers);
    if (place.node) nodes.add(place.node);
    else edges.add(place.edge);
    return { nodes, edges };
  }
  const all = Array.from({ length: nLayers }, (_, l) => l);
  const hidden = all.slice(0, -1);
  const layers = focus?.layer === undefined || focus === null ? null : [focus.layer];
  switch (stage) {
    case 1:
      for (const l of layers ?? all) {
        addEdges(l);
        addNodes(l + 1);
        if (layers || l === 0) addNodes(l);
      }
      break;
    case 2:
      addNodes(nLayers);
      break;
    case 3:
      for (const l of layers ?? hidden) {
        addNodes(l + 1);
        addEdges(l + 1);
        if (layers) addNodes(l + 2);
      }
      if (hidden.length === 0) addNodes(nLayers);
      break;
    case 4:
      for (const l of layers ?? all) {
        addEdges(l);
        if (layers) {
          addNodes(l);
          addNodes(l + 1);
        }
      }
      break;
    default:
      for (const l of layers ?? all) {
        addEdges(l);
        if (layers) addNodes(l + 1);
      }
  }
  return { nodes, edges };
}

/**
 * The gradient check's answer in `element`: "pass" or "fail", the worst relative error and a
 * row per layer. `result` null clears it; `pending` says a check is under way.
 */
export function renderGradcheck(element, result, pending) {
  if (pending) {
    element.dataset.passed = "";
    element.innerHTML = '<span class="hint">Checking every parameter by finite differences…</span>';
    return;
  }
  if (!result) {
    element.dataset.passed = "";
    element.innerHTML =
      '<span class="hint">Compares eqs. 12-15 with (C(θ+ε) − C(θ−ε)) / 2ε for every weight and bias of the mini-batch.</span>';
    return;
  }
  element.dataset.passed = String(result.passed);
  const verdict = result.passed ? "pass" : "fail";
  const rows = result.layers
    .map(
      (layer) =>
        `<tr><td>${layer.layer + 1}</td>` +
        `<td data-value="${layer.rel_error_W ?? ""}">${formatValue(layer.rel_error_W)}</td>` +
        `<td data-value="${layer.rel_error_b ?? ""}">${formatValue(layer.rel_error_b)}</td>` +
        `<td data-value="${layer.max_abs_error ?? ""}">${formatValue(layer.max_abs_error)}</td></tr>`,
    )
    .join("");
  element.innerHTML =
    `<p><strong class="verdict ${verdict}" data-testid="gradcheck-verdict">${verdict}</strong> ` +
    `worst relative error <b data-value="${result.worst ?? ""}">${formatValue(result.worst)}</b> ` +
    `<span class="hint">(threshold ${result.threshold.toExponential()}, ε = ${result.eps.toExponential()}, ` +
    `epoch ${result.epoch})</span></p>` +
    `<table class="gradcheck-table"><thead><tr><th>layer</th><th>rel. error W</th>` +
    `<th>rel. error b</th><th>max |error|</th></tr></thead><tbody>${rows}</tbody></table>`;
}
