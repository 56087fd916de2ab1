/**
 * The user's own data: points drawn on the input plane, or a CSV file (issue 6).
 *
 * Either becomes the session's `custom` data set: the page sends `draw` or `upload_csv` and, on
 * the server's `data` answer, chooses dataset "custom", which sends `configure`. A `bad_data`
 * error (it names the row and column) shows beside the control that sent it and changes
 * nothing. The drawn points and the file's text stay in the page, so that a reconnection sends
 * them again before configuring.
 *
 * Draw mode (`draw-mode`, on the decision-boundary view): a click on the plane adds a point
 * of the chosen class (or target), a shift-click or the remove tool deletes the nearest point,
 * `clear-data` removes them all. It starts from the points of the generated data set on show
 * (to edit circle or xor), else from the points drawn before (none at first). A set too small
 * to split into training and test samples is kept in the page until it is big enough.
 */

import { classColor, css } from "./colors.js";
import { clearFieldErrors, errorSlot, errorText, showFieldError } from "./errors.js";
import { element } from "./fields.js";
import { CUSTOM, drawingToLink, roundDrawn, trainCount } from "./state.js";
import { planeInputs } from "./sketches.js";

/** The draw mode's kinds of data: [value, text, kind, number of classes]. */
const DRAW_KINDS = [
  ["2", "2 classes", "binary", 2],
  ["3", "3 classes", "multiclass", 3],
  ["4", "4 classes", "multiclass", 4],
  ["5", "5 classes", "multiclass", 5],
  ["regression", "regression", "regression", 0],
];
const TARGET_RANGE = [-1, 1];
/** Where the server reads a CSV's columns (server/csv_preview.py), for the label choice. */
const CSV_PREVIEW = "/api/csv/preview";

const byId = (id) => document.getElementById(id);
const plural = (n, word, many = `${word}s`) => `${n.toLocaleString("en")} ${n === 1 ? word : many}`;

function megabytes(bytes) {
  return `${(bytes / 1e6).toFixed(bytes < 1e6 ? 2 : 1)} MB`;
}

/**
 * The server's reading of a CSV's text (server/csv_preview.py): {columns, label, problem...};
 * no columns when it cannot read them, and the problem says why. The page asks before the
 * upload because the upload's answer (`data`) comes only for a file the server took: a file
 * refused for its label column must still offer the others.
 */
async function previewCsv(text) {
  const unread = (message) => ({ columns: [], problem: { message } });
  try {
    const answer = await fetch(CSV_PREVIEW, { method: "POST", headers: { "Content-Type": "text/csv" }, body: text });
    const body = await answer.json();
    return answer.ok ? body : unread(body.message);
  } catch {
    return unread("the file could not be read: the server did not answer");
  }
}

/** The page's description of the custom data set, from the server's `data` answer. */
function describe(info) {
  const classes = plural(info.classes.length, "class", "classes");
  if (info.source === "drawn") return `${plural(info.n_rows, "drawn point")}, ${info.kind === "regression" ? "with targets" : classes}`;
  const label = info.kind === "regression" ? `target ${info.target}` : `${classes} of ${info.target}`;
  return `${info.name}: ${plural(info.n_rows, "row")}, ${plural(info.n_inputs, "input")}, ${label}`;
}

/** The options' `custom` entry for a drawing (a `draw` message) the server has not described
 * yet: the one a link brings, until the server's `data` answer replaces it. */
export function linkedDrawingEntry(message) {
  const nClasses = message.kind === "regression" ? 0 : message.n_classes;
  const n = message.x.length;
  const info = { source: "drawn", n_rows: n, kind: message.kind, classes: Array(nClasses) };
  return {
    name: CUSTOM,
    source: CUSTOM,
    kind: message.kind,
    n_inputs: 2,
    n_samples: n,
    plane: true,
    description: `${describe(info)} (from the link)`,
    points: message.x.map(([x1, x2], i) => [x1, x2, message.y[i]]),
  };
}

/**
 * The user's data and its controls. `hooks`: send(message) (false while disconnected),
 * useData(entry, choose) (make `entry` the options' custom dataset and, if `choose`, the
 * chosen one, which configures a run), redraw() (the views need drawing again),
 * linkChanged() (state.drawn, the drawing's link form, changed), linkRefused() (the server
 * refused the drawing a link brought: the page holds no data of its own).
 */
export class UserData {
  constructor(options, state, hooks) {
    this.limits = options.upload_limits;
    this.range = options.input_range; // the plane points are drawn on, [low, high] on both axes
    this.state = state;
    this.hooks = hooks;
    this.drawing = { points: [], labels: [], kind: "binary", nClasses: 2 };
    this.file = null; // the chosen CSV: {name, text, label, kind, problem}
    this.chosen = null; // the file being read, until its preview is back
    this.held = null; // the last drawing or upload the server took: its custom data
    this.fromLink = null; // the drawing a link brought, until the server refuses it
    this.tooLargeForLink = false; // the drawing the server holds is over the link's budget
    this.waiting = []; // sent, not answered yet, oldest first: {message, choose}
    this.run = null;
    this.mode = false;
    this.removing = false;
    this.drawClass = 0;
    this.target = 1;
    this.version = 0;
    this.buildUpload(byId("your-data-tools"));
    this.buildDrawTools(byId("boundary-panel"));
    this.syncTools();
  }

  // -- the CSV upload, beside the "Your data" dataset button ------------------------------
  buildUpload(container) {
    const { max_rows: rows, max_columns: columns, max_bytes: bytes } = this.limits;
    const input = element("input", {
      type: "file",
      accept: ".csv,text/csv",
      class: "visually-hidden",
      "data-testid": "upload-csv",
      "aria-describedby": "upload-limits",
    });
    const button = element("label", { class: "text-button upload-button" }, ["Upload CSV…", input]);
    const limits = element("p", {
      id: "upload-limits",
      class: "hint upload-limits",
      "data-testid": "upload-limits",
      title: `At most ${rows.toLocaleString("en")} data rows, ${columns} columns counting the label, ${megabytes(bytes)}`,
      text: `≤ ${rows.toLocaleString("en")} rows × ${columns} columns, ${megabytes(bytes)}; or ✎ Draw on the plot`,
    });
    this.label = element("select", { id: "upload-label", "data-testid": "upload-label" });
    this.kind = element("select", { id: "upload-kind", "data-testid": "upload-kind" });
    for (const [value, text] of [
      ["", "auto"],
      ["classification", "classification"],
      ["regression", "regression"],
    ]) {
      this.kind.append(element("option", { value, text }));
    }
    this.fileName = element("span", { class: "upload-name", "data-testid": "upload-name" });
    this.fileOptions = element("div", { class: "upload-options" }, [
      this.fileName,
      element("label", { for: "upload-label", text: "Label" }),
      this.label,
      element("label", { for: "upload-kind", text: "Kind" }),
      this.kind,
    ]);
    this.fileOptions.hidden = true;
    container.append(button, limits);
    container.parentElement.after(this.fileOptions, errorSlot("upload"));

    input.addEventListener("change", () => {
      const file = input.files[0];
      input.value = ""; // choosing the same file again is a change too
      if (file) this.chooseFile(file);
    });
    this.label.addEventListener("change", () => {
      this.file.label = Number(this.label.value);
      this.sendFile();
    });
    this.kind.addEventListener("change", () => {
      this.file.kind = this.kind.value || null;
      this.sendFile();
    });
  }

  async chooseFile(file) {
    clearFieldErrors(["upload"]);
    if (file.size > this.limits.max_bytes) {
      const limit = megabytes(this.limits.max_bytes);
      showFieldError("upload", `${file.name} is ${megabytes(file.size)}, over the limit of ${limit}`);
      return;
    }
    const chosen = (this.chosen = {}); // a file chosen since, read by then, wins
    const text = await file.text();
    const preview = await previewCsv(text);
    if (this.chosen !== chosen) return;
    if (preview.columns.length === 0) {
      this.file = null;
      this.fileOptions.hidden = true;
      showFieldError("upload", preview.problem.message);
      return;
    }
    const columns = preview.columns.map((column) => column.name);
    this.file = { name: file.name, text, label: preview.label, kind: null, problem: preview.problem };
    this.fileName.textContent = file.name;
    this.fileName.title = file.name;
    this.label.replaceChildren(...columns.map((name, j) => element("option", { value: String(j), text: name })));
    this.label.value = String(preview.label);
    this.kind.value = "";
    this.fileOptions.hidden = false;
    this.sendFile();
  }

  /** Send the chosen file with its label and kind; a file that no label choice can make
   * usable (the preview's problem: a row of another width, too many rows) is not sent. */
  sendFile() {
    const { name, text, label, kind, problem } = this.file;
    clearFieldErrors(["upload"]);
    if (problem) {
      showFieldError("upload", problem.message);
      return;
    }
    const message = { type: "upload_csv", name, csv: text, label, header: null, kind };
    this.submit(message, true);
  }

  // -- messages -----------------------------------------------------------------------------
  /** Send a drawing or an upload; `choose`: train on it once the server has it. */
  submit(message, choose) {
    if (this.hooks.send(message)) this.waiting.push({ message, choose });
  }

  /** The socket is open (again): send the data the server held before; true if the run's
   * configure must wait for the answer (the chosen dataset is the custom one). */
  resend() {
    this.waiting = [];
    if (!this.held) return false;
    const choose = this.state.dataset === CUSTOM;
    this.submit(this.held, choose);
    return choose && this.waiting.length > 0;
  }

  /** The server's `data` answer: the custom data set it now holds. */
  received(info) {
    const sent = this.waiting.shift();
    if (sent) {
      this.held = sent.message;
      this.linkHeld();
    }
    const drawn = sent?.message.type === "draw" ? sent.message : null;
    const entry = {
      name: CUSTOM,
      source: CUSTOM,
      kind: info.kind,
      n_inputs: info.n_inputs,
      n_samples: info.n_rows,
      plane: info.source === "drawn",
      description: describe(info),
      points: drawn && drawn.x.map(([x1, x2], i) => [x1, x2, drawn.y[i]]),
    };
    // A newer drawing or upload is on its way: only its answer starts a run.
    this.hooks.useData(entry, Boolean(sent?.choose) && this.waiting.length === 0);
  }

  /** Put the drawing the server holds in the link (state.drawn), if it fits the budget; an
   * upload never goes in a link. Compressing takes a moment: a newer answer wins. */
  async linkHeld() {
    const held = this.held;
    this.state.drawn = "";
    this.hooks.linkChanged();
    const link = held.type === "draw" ? await drawingToLink(held) : null;
    if (this.held !== held) return;
    this.tooLargeForLink = held.type === "draw" && !link;
    this.syncTools();
    if (link) {
      this.state.drawn = link;
      this.hooks.linkChanged();
    }
  }

  /** Make a link's drawing (a `draw` message) the page's and send it, to train on once the
   * server has it; before the connection opens, `resend` sends it. */
  restore(message) {
    this.drawing = {
      points: message.x.map((point) => [...point]),
      labels: [...message.y],
      kind: message.kind,
      nClasses: message.kind === "regression" ? 0 : message.n_classes,
    };
    this.held = message;
    this.fromLink = message;
    this.version += 1;
    this.syncTools();
    this.submit(message, true);
  }

  /** Show a server error about a drawing or an upload beside its control; false if it is
   * about something else. */
  failed(error) {
    const about = error.details?.[0]?.loc?.[0];
    if (error.code !== "bad_data" && !["draw", "upload_csv"].includes(about)) return false;
    const sent = this.waiting.shift();
    if (sent && sent.message === this.fromLink) {
      this.held = null;
      this.fromLink = null;
      this.hooks.linkRefused();
    }
    const field = (sent?.message.type ?? about) === "draw" ? "draw" : "upload";
    showFieldError(field, errorText(error, null));
    return true;
  }

  /** A new run: whether its data are the plane the drawing is on decides the background.
   * Choosing another data set than your own leaves draw mode. */
  ready(run) {
    const dataset = run.config.dataset;
    if (this.mode && dataset !== CUSTOM && dataset !== this.run?.config.dataset) this.setMode(false);
    this.run = run;
    this.hooks.redraw();
  }

  // -- draw mode ----------------------------------------------------------------------------
  buildDrawTools(panel) {
    const toggles = panel.querySelector(".toggles");
    this.toggle = element("button", {
      type: "button",
      class: "text-button draw-toggle",
      "data-testid": "draw-mode",
      "aria-pressed": "false",
      "aria-label": "Draw mode",
      title: "Draw your own data on the plane",
      text: "✎ Draw",
    });
    toggles.append(this.toggle);
    this.toggle.addEventListener("click", () => this.setMode(!this.mode));

    this.kindSelect = element("select", { id: "draw-kind", "data-testid": "draw-kind" });
    for (const [value, text] of DRAW_KINDS) this.kindSelect.append(element("option", { value, text }));
    this.kindSelect.addEventListener("change", () => this.setKind(this.kindSelect.value));
    this.classPicker = element("div", {
      class: "class-picker",
      role: "radiogroup",
      "aria-label": "Class of new points",
    });
    this.targetInput = element("input", {
      id: "draw-target",
      type: "number",
      min: TARGET_RANGE[0],
      max: TARGET_RANGE[1],
      step: 0.1,
      value: this.target,
      "data-testid": "draw-target",
    });
    this.targetInput.addEventListener("change", () => {
      const value = Number(this.targetInput.value);
      if (this.targetInput.value.trim() === "" || !Number.isFinite(value)) return;
      this.target = roundDrawn(Math.max(TARGET_RANGE[0], Math.min(TARGET_RANGE[1], value)));
      this.targetInput.value = String(this.target);
    });
    this.targetField = element("span", { class: "draw-target" }, [
      element("label", { for: "draw-target", text: "Target" }),
      this.targetInput,
    ]);
    this.removeButton = element("button", {
      type: "button",
      class: "text-button",
      "data-testid": "draw-remove",
      "aria-pressed": "false",
      "aria-label": "Remove tool",
      title: "Remove tool: a click deletes the nearest point (shift-click does too)",
      text: "Remove",
    });
    this.removeButton.addEventListener("click", () => {
      this.removing = !this.removing;
      this.syncTools();
    });
    const clear = element("button", {
      type: "button",
      class: "text-button",
      "data-testid": "clear-data",
      "aria-label": "Clear the drawn points",
      title: "Remove every drawn point",
      text: "Clear",
    });
    clear.addEventListener("click", () => this.edit(() => {
      this.drawing.points = [];
      this.drawing.labels = [];
    }));
    this.count = element("output", { class: "draw-count", "data-testid": "draw-count", "aria-live": "polite" });
    this.tools = element("div", { class: "draw-tools", "data-testid": "draw-tools" }, [
      element("label", { class: "visually-hidden", for: "draw-kind", text: "Kind of data to draw" }),
      this.kindSelect,
      this.classPicker,
      this.targetField,
      this.removeButton,
      clear,
      this.count,
    ]);
    this.tools.hidden = true;
    panel.querySelector(".boundary-wrap").before(this.tools);
    panel.querySelector(".boundary-wrap").after(errorSlot("draw"));
  }

  setMode(on) {
    this.mode = on;
    if (on) this.startDrawing();
    else clearFieldErrors(["draw"]);
    this.syncTools();
    this.hooks.redraw();
  }

  /** Draw mode starts from the generated data on show, else from the points drawn before. */
  startDrawing() {
    const run = this.run;
    if (!run || run.source !== "generated" || run.view !== "plane") return;
    // In thousandths, as clicks add them, so that a link brings back the very same points.
    const regression = run.kind === "regression";
    this.drawing = {
      points: [...run.train.x, ...run.test.x].map(([x1, x2]) => [roundDrawn(x1), roundDrawn(x2)]),
      labels: [...run.train.y, ...run.test.y].map((label) => (regression ? roundDrawn(label) : label)),
      kind: run.kind,
      nClasses: run.kind === "regression" ? 0 : run.classes.length,
    };
    this.drawClass = Math.min(this.drawClass, Math.max(0, this.drawing.nClasses - 1));
    this.version += 1;
  }

  setKind(value) {
    const [, , kind, nClasses] = DRAW_KINDS.find(([v]) => v === value);
    this.edit(() => Object.assign(this.drawing, { kind, nClasses }));
    this.drawClass = Math.min(this.drawClass, Math.max(0, nClasses - 1));
    this.syncTools();
  }

  /** Why a kind cannot be chosen with the points drawn so far ("" if it can). */
  kindProblem(kind, nClasses) {
    const { labels, kind: current } = this.drawing;
    if (labels.length === 0) return "";
    if ((kind === "regression") !== (current === "regression"))
      return "Clear the points first: they have " + (current === "regression" ? "targets" : "classes");
    const highest = Math.max(...labels);
    if (kind !== "regression" && highest >= nClasses) return `Remove the points of class ${highest} first`;
    return "";
  }

  syncTools() {
    const { kind, nClasses, points } = this.drawing;
    this.toggle.setAttribute("aria-pressed", String(this.mode));
    this.tools.hidden = !this.mode;
    byId("boundary-hint").hidden = this.mode;
    this.kindSelect.value = kind === "regression" ? "regression" : String(nClasses);
    DRAW_KINDS.forEach(([, , k, n], i) => {
      const problem = this.kindProblem(k, n);
      this.kindSelect.options[i].disabled = problem !== "";
      this.kindSelect.options[i].title = problem;
    });
    this.targetField.hidden = kind !== "regression";
    this.classPicker.hidden = kind === "regression";
    if (this.classPicker.childElementCount !== nClasses) {
      this.classPicker.replaceChildren(
        ...Array.from({ length: nClasses }, (_, k) => {
          const button = element("button", {
            type: "button",
            role: "radio",
            class: "class-swatch",
            "data-testid": `draw-class-${k}`,
            "aria-label": `class ${k}`,
            title: `Add points of class ${k}`,
            style: `background:${css(classColor(k))}`,
            text: String(k),
          });
          button.addEventListener("click", () => {
            this.drawClass = k;
            this.syncTools();
          });
          return button;
        }),
      );
    }
    [...this.classPicker.children].forEach((button, k) =>
      button.setAttribute("aria-checked", String(k === this.drawClass)),
    );
    this.removeButton.setAttribute("aria-pressed", String(this.removing));
    this.count.textContent = plural(points.length, "point");
    this.count.title = this.tooLargeForLink
      ? "Too many points for a link: a copied link opens without them"
      : "";
  }

  /** How many more points the drawing needs to split into training and test samples. */
  missingPoints() {
    const n = this.drawing.points.length;
    for (let more = 0; more < 100; more++) {
      const nTrain = trainCount(this.state.train_fraction, n + more);
      if (n + more >= 2 && nTrain >= 1 && nTrain < n + more) return more;
    }
    return 0;
  }

  /** Change the drawing, show it, and send it if it can be trained on. */
  edit(change) {
    change();
    this.version += 1;
    clearFieldErrors(["draw"]);
    this.syncTools();
    this.hooks.redraw();
    if (this.missingPoints() === 0) this.submit(this.drawMessage(), true);
  }

  drawMessage() {
    const { points, labels, kind, nClasses } = this.drawing;
    return { type: "draw", x: points.map((p) => [...p]), y: [...labels], kind, n_classes: Math.max(2, nClasses) };
  }

  /** A click on the plane at (x1, x2): add a point, or remove the nearest one. */
  clickPlane(x1, x2, remove) {
    const [low, high] = this.range;
    if (x1 < low || x1 > high || x2 < low || x2 > high) return;
    if (remove || this.removing) {
      const { points } = this.drawing;
      if (points.length === 0) return;
      const distance = ([a, b]) => Math.hypot(a - x1, b - x2);
      const nearest = points.reduce((best, p, i) => (distance(p) < distance(points[best]) ? i : best), 0);
      this.edit(() => {
        points.splice(nearest, 1);
        this.drawing.labels.splice(nearest, 1);
      });
      return;
    }
    const label = this.drawing.kind === "regression" ? this.target : this.drawClass;
    this.edit(() => {
      this.drawing.points.push([roundDrawn(x1), roundDrawn(x2)]);
      this.drawing.labels.push(label);
    });
  }

  /** What the decision-boundary view needs in draw mode, or null when it is off. */
  boundaryContext() {
    if (!this.mode) return null;
    const run = this.run;
    const what = this.drawing.kind === "regression" ? `target ${this.target}` : `class ${this.drawClass}`;
    const missing = this.missingPoints();
    return {
      ...this.drawing,
      range: this.range,
      version: this.version,
      title:
        missing > 0
          ? `Add ${plural(missing, "more point")} to train; shift-click removes one`
          : "Click adds a point, shift-click removes the nearest",
      // The network's output shows only when it is over the plane drawn on, for enough points.
      background: Boolean(run?.view === "plane" && planeInputs(run) && this.missingPoints() === 0),
      clickHint: this.removing ? "click to remove the nearest point" : `click to add a point of ${what}`,
      onPlane: (x1, x2, remove) => this.clickPlane(x1, x2, remove),
    };
  }
}
