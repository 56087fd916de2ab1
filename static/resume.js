/**
 * The run as this tab keeps it, so that it survives the server: the server's latest
 * `run_state` (its weights, optimiser and generator state, config, custom data and changes),
 * held in memory and in the tab's sessionStorage. When the connection opens again (the server
 * restarted, or a load balancer sent the tab to another backend) or the tab reloads, the page
 * sends it back in a `resume`, with the loss history it shows, and the run carries on where it
 * was. A copy the server refuses is kept for the user to save as a model file. A link opened
 * in the tab (not a reload) starts afresh, as links do.
 */

import { LossHistory } from "./charts.js";

const STORAGE_KEY = "mlp-playground.kept-run";
// The tab's storage holds a few MB: a long history is thinned to this many rows there (the
// page's own history, kept in memory, goes back whole up to the server's `history_rows`).
const STORED_HISTORY_ROWS = 8192;

/** History rows [epoch, train, test] up to `epoch`, at most `limit` of them: beyond that each
 * stretch keeps its lowest and highest training loss and its last row, as frames do. */
export function historyRows(history, epoch, limit) {
  const rows = [];
  for (let i = 0; i < history.length && history.epochs[i] <= epoch; i++) {
    rows.push([history.epochs[i], history.train[i], history.test[i]]);
  }
  if (rows.length <= limit) return rows;
  const stretch = Math.ceil((3 * rows.length) / limit);
  const kept = [];
  for (let start = 0; start < rows.length; start += stretch) {
    const part = rows.slice(start, start + stretch);
    const finite = part.filter((row) => Number.isFinite(row[1]));
    const picks = new Set([part.at(-1)]);
    if (finite.length) {
      picks.add(finite.reduce((a, b) => (b[1] < a[1] ? b : a)));
      picks.add(finite.reduce((a, b) => (b[1] > a[1] ? b : a)));
    }
    kept.push(...part.filter((row) => picks.has(row)));
  }
  return kept;
}

/** A `LossHistory` of `rows` ([epoch, train, test]). */
export function lossHistory(rows) {
  const history = new LossHistory();
  for (const [epoch, train, test] of rows) history.push(epoch, train, test);
  return history;
}

const finiteOrNull = (value) => (Number.isFinite(value) ? value : null);

/** Whether this document is the tab's page again (a reload, back or forward), not a link the
 * tab was sent to: only then is the run the tab kept the one to go on with. */
function reloaded() {
  const type = performance.getEntriesByType("navigation")[0]?.type;
  return type === "reload" || type === "back_forward";
}

export class KeptRun {
  constructor(storage = window.sessionStorage) {
    this.storage = storage;
    this.state = null; // the latest run_state, its custom data filled in
    this.historyRows = 0; // the most history rows a resume may bring (the server says)
    this.storedHistory = []; // the history saved with it: a reloaded tab's
    this.pending = false; // a resume is on its way: its answer is a `ready` or a `bad_resume`
    this.refused = null; // a copy the server would not resume, kept for the user to save
    if (!reloaded()) {
      storage.removeItem(STORAGE_KEY); // a link opened in this tab starts its own run
      return;
    }
    try {
      const saved = JSON.parse(storage.getItem(STORAGE_KEY));
      if (saved?.state) Object.assign(this, saved);
    } catch {
      // nothing readable kept: the tab starts afresh
    }
  }

  /** The server's `run_state`: the copy to keep; `history` is the loss history shown. */
  keep(message, history) {
    const { type, history_rows: rows, ...state } = message;
    if (state.custom === null && this.state?.run === state.run) state.custom = this.state.custom;
    this.state = state;
    this.historyRows = rows;
    const stored = historyRows(history, state.epoch, Math.min(rows, STORED_HISTORY_ROWS));
    try {
      this.storage.setItem(
        STORAGE_KEY,
        JSON.stringify({ state, historyRows: rows, storedHistory: stored }),
      );
    } catch {
      // over the tab's storage quota (a large upload): the copy in memory still serves
    }
  }

  /** Send a `resume` of the kept run, if any; `history`: the page's history of it, or null
   * (a reloaded tab: the stored one goes). True if sent. */
  resume(send, history) {
    if (!this.state) return false;
    const rows = history
      ? historyRows(history, this.state.epoch, this.historyRows)
      : this.storedHistory;
    const columns = {
      epoch: rows.map((row) => row[0]),
      train_loss: rows.map((row) => finiteOrNull(row[1])),
      test_loss: rows.map((row) => finiteOrNull(row[2])),
    };
    this.pending = send({ type: "resume", state: { ...this.state, history: columns } });
    return this.pending;
  }

  /** Whether `ready` answers the resume sent (the kept run, with its number). */
  resumedBy(ready) {
    const resumed = this.pending && ready.run === this.state?.run;
    this.pending = false;
    return resumed;
  }

  /** The server refused the resume: the copy is kept for saving, not sent again. */
  refuse() {
    this.pending = false;
    this.refused = this.state;
    this.state = null;
    this.storage.removeItem(STORAGE_KEY);
  }

  /** The refused copy as a model file (`export` "model"'s form), for `import_model`. */
  refusedFile() {
    const { run, epoch, model, custom } = this.refused;
    const words = model.rng_state.state;
    const file = {
      ...model,
      rng_state: { ...model.rng_state, state: { state: Number(words.state), inc: Number(words.inc) } },
      playground: { ...model.playground, data: { ...model.playground.data, custom: custom ?? undefined } },
    };
    return {
      filename: `mlp-run${run}-epoch${epoch}-kept.json`,
      media_type: "application/json",
      content: JSON.stringify(file),
    };
  }
}
