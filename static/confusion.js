/**
 * The confusion matrix of a classification run: how many samples of each true class (row)
 * the network predicts as each class (column), from the frame's `confusion_test` or
 * `confusion_train` counts, with each class's recall (diagonal / row sum) and the accuracy
 * (diagonal / all).
 *
 * A table rather than a Plotly heatmap: the counts are the point, and a Plotly update per
 * frame costs 15-30 ms here (see charts.js) where rewriting k^2 cells costs well under one.
 * Each cell is tinted by its share of the row: blue on the diagonal (right), red off it
 * (wrong). The table is built once per run and its cells rewritten per frame.
 */

import { BLUE, classColor, css, ERROR } from "./colors.js";
import { frameArray } from "./connection.js";
import { element } from "./fields.js";

const RIGHT = BLUE;
const WRONG = ERROR;
const DARK_TEXT_BELOW = 0.55;
// Beyond this many classes the cells shrink and recalls drop their decimal (digits has ten).
const COMPACT_FROM = 6;

const views = new WeakMap();

const percent = (value, digits = 1) => (Number.isFinite(value) ? `${(100 * value).toFixed(digits)}%` : "–");

function splitToggle(onSplit) {
  const radios = ["test", "train"].map((split) => {
    const input = element("input", {
      type: "radio",
      name: "confusion-split",
      value: split,
      "data-testid": `confusion-${split}`,
    });
    input.addEventListener("change", () => onSplit(split));
    return input;
  });
  const labels = radios.map((radio) => element("label", {}, [radio, ` ${radio.value}`]));
  const group = element(
    "div",
    { class: "confusion-split", role: "radiogroup", "aria-label": "Count the test or the training samples" },
    labels,
  );
  return { group, radios };
}

function classHeader(tag, name, index, scope) {
  const swatch = element("span", {
    class: "confusion-swatch",
    style: `background:${css(classColor(index))}`,
  });
  return element(tag, { scope, title: `class ${index}: ${name}` }, [swatch, element("span", { text: name })]);
}

function buildTable(classes) {
  const k = classes.length;
  const corner = element("th", {
    class: "corner",
    scope: "col",
    title: "Rows: the true class; columns: the predicted class",
    html: "true&darr; pred.&rarr;",
  });
  const head = element("tr", {}, [
    corner,
    ...classes.map((name, j) => classHeader("th", name, j, "col")),
    element("th", {
      scope: "col",
      class: "recall",
      title: "Recall: the share of the class predicted right",
      text: "recall",
    }),
  ]);
  const cells = [];
  const recalls = [];
  const rows = classes.map((name, i) => {
    const row = [];
    for (let j = 0; j < k; j++) {
      const cell = element("td", { class: i === j ? "count diagonal" : "count" });
      cell.dataset.row = String(i);
      cell.dataset.col = String(j);
      row.push(cell);
    }
    cells.push(row);
    const recall = element("td", { class: "recall" });
    recall.dataset.row = String(i);
    recalls.push(recall);
    return element("tr", {}, [classHeader("th", name, i, "row"), ...row, recall]);
  });
  const compact = k >= COMPACT_FROM ? " compact" : "";
  const table = element("table", { class: `confusion-table${compact}` }, [
    element("thead", {}, [head]),
    element("tbody", {}, rows),
  ]);
  return { table, cells, recalls };
}

function createView(container) {
  const view = { key: null, table: null, onSplit: null };
  const { group, radios } = splitToggle((split) => view.onSplit(split));
  view.radios = radios;
  view.summary = element("output", { class: "confusion-summary", "data-testid": "confusion-accuracy" });
  view.body = element("div", { class: "confusion-body" });
  view.note = element("p", { class: "hint confusion-note" });
  const head = element("div", { class: "confusion-head" }, [group, view.summary]);
  container.replaceChildren(head, view.body, view.note);
  return view;
}

function showCounts(view, counts, classes) {
  const k = classes.length;
  let total = 0;
  let correct = 0;
  for (let i = 0; i < k; i++) {
    let rowSum = 0;
    for (let j = 0; j < k; j++) rowSum += counts[i * k + j];
    total += rowSum;
    correct += counts[i * k + i];
    for (let j = 0; j < k; j++) {
      const count = counts[i * k + j];
      const share = rowSum > 0 ? count / rowSum : 0;
      const cell = view.table.cells[i][j];
      const text = String(count);
      if (cell.textContent !== text) cell.textContent = text;
      cell.dataset.value = text;
      cell.style.background = count > 0 ? css(i === j ? RIGHT : WRONG, 0.08 + 0.82 * share) : "";
      cell.classList.toggle("light-text", share >= DARK_TEXT_BELOW);
      const [truth, predicted] = [classes[i], classes[j]];
      cell.title = `true ${truth}, predicted ${predicted}: ${count} (${percent(share)} of ${truth})`;
    }
    const recall = rowSum > 0 ? counts[i * k + i] / rowSum : NaN;
    const cell = view.table.recalls[i];
    cell.textContent = percent(recall, k >= COMPACT_FROM ? 0 : 1);
    cell.dataset.value = Number.isFinite(recall) ? String(recall) : "";
  }
  const accuracy = total > 0 ? correct / total : NaN;
  view.summary.textContent = `accuracy ${percent(accuracy)} (${correct} of ${total})`;
  view.summary.dataset.value = Number.isFinite(accuracy) ? String(accuracy) : "";
  return { total, correct };
}

/**
 * Draw the frame's confusion matrix of `split` ("test" or "train") into `container`; `run` is
 * the run's `ready` (its `classes` name the rows and columns); `onSplit(split)` is called
 * when the user picks the other split.
 */
export function renderConfusion(container, frame, { run, split, onSplit }) {
  let view = views.get(container);
  if (!view) {
    view = createView(container);
    views.set(container, view);
  }
  view.onSplit = onSplit;
  for (const radio of view.radios) radio.checked = radio.value === split;
  const matrix = frameArray(frame, `confusion_${split}`);
  const classes = run.classes;
  const key = `${run.run}|${classes.join("\u0000")}`;
  if (view.key !== key) {
    view.key = key;
    view.table = matrix ? buildTable(classes) : null;
    view.body.replaceChildren(...(view.table ? [view.table.table] : []));
    view.note.textContent = matrix
      ? "Rows: the true class; columns: the class the network predicts. Recall: the diagonal over the row."
      : "A regression problem has no classes, so no confusion matrix.";
  }
  container.dataset.kind = run.kind;
  container.dataset.split = split;
  container.dataset.epoch = String(frame.epoch);
  if (!matrix || !view.table) {
    view.summary.textContent = "";
    container.dataset.total = "0";
    return;
  }
  const { total, correct } = showCounts(view, matrix.data, classes);
  container.dataset.total = String(total);
  container.dataset.correct = String(correct);
}
