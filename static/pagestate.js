/**
 * What the page knows beyond its configuration (state.js), and how each event changes it: the
 * run (its `ready`), the frames received and waiting to be drawn, the player, the loss
 * history and the session's runs, the probe asked for, Inspect mode's inspection; and the
 * configuration's own transitions (a changed field, data set, feature or layer).
 *
 * Nothing here touches the DOM or the connection: main.js wires these transitions to the
 * messages and the views.
 */

import { LossHistory } from "./charts.js";
import { RunLog } from "./compare.js";
import { planePicturesComputing, planePicturesReady, preparePlanePictures } from "./forward.js";
import { stageHighlight, STAGES } from "./inspector.js";
import { historyRows, lossHistory } from "./resume.js";
import {
  datasetInfo,
  DEFAULT_SPEED,
  effectiveOutput,
  fitDataset,
  isConfigField,
  isLiveField,
  setCustomDataset,
  usesX2,
  validOutputs,
} from "./state.js";
import { unstableLoss } from "./divergence.js";

// Frames waiting to be drawn, one per animation frame. Frames arrive about 30 times a second
// but not evenly (each takes the server a varying time to build), so two can land in one
// 16 ms display refresh; keeping the second for the next refresh shows every frame, 16 ms
// late at worst, where drawing only the newest dropped about one in eight. A third waits while
// the worker computes the pictures of the first two (forward.js's MAX_IN_FLIGHT): on a busy
// machine its answers can take longer than a frame's interval.
const FRAME_QUEUE = 3;

/** Inspect mode: the server's `inspection` of one training step, and the stage shown. */
class InspectState {
  active = false;
  stage = 1;
  inspection = null;
  pending = false; // an `inspect` sent, not answered yet
  gradcheck = null;
  gradcheckPending = false;
  focus = null; // the value the pointer is on in the inspector, which the graph lights up
  highlight = null; // what the graph lights up: the stage's parts, or the focused value's

  /** Whether an answer (inspection or gradient check) is awaited. */
  get waiting() {
    return this.pending || this.gradcheckPending;
  }

  /** A new inspection is asked for: the last gradient check is void. */
  requested(sent) {
    this.gradcheck = null;
    this.gradcheckPending = false;
    this.pending = sent;
  }

  /** Whether `frame` trained past the inspection shown, which then needs asking again. */
  outdatedBy(frame) {
    return this.active && !this.pending && this.inspection && frame.epoch > this.inspection.epoch;
  }

  showStage(stage) {
    this.stage = Math.max(1, Math.min(STAGES.length, stage));
  }

  /** An answer that is not coming (the server refused the request). */
  failed() {
    this.pending = false;
    this.gradcheckPending = false;
  }

  updateHighlight() {
    this.highlight =
      this.active && this.inspection ? stageHighlight(this.inspection, this.stage, this.focus) : null;
  }
}

/** What a run starts with: no frames yet, nothing hovered or asked for, no divergence seen. */
const freshRun = () => ({
  frame: null, // the newest frame received
  queued: [], // frames received but not drawn yet, oldest first (see nextFrame)
  drawn: null, // the frame drawn last
  hover: null, // the graph node under the pointer
  pendingProbe: null, // the probe asked for (a click, N or P) until a frame shows it
  awaitingStatus: false, // frames on their way carry the old player state until `status`
  diverged: false, // the run stopped on a divergence (status "diverged")
  unstableSeen: false, // this run's loss was found oscillating above its start (shown once)
});

export class PageState {
  constructor(options, state, openOnReady) {
    this.options = options;
    this.state = state;
    this.run = null; // the current run's `ready`
    Object.assign(this, freshRun());
    this.redraw = false; // draw the drawn frame again (a display setting or the size changed)
    this.running = false;
    this.history = new LossHistory();
    this.runs = new RunLog(); // this session's runs, for the compare tab; holds each run's history
    this.importing = null; // the file whose import_model was sent: its `ready` brings the config to show
    this.confusionSplit = "test";
    this.writtenHash = "";
    this.pacedSpeed = state.speed ?? DEFAULT_SPEED; // the speed the fast-forward button goes back to
    this.restarting = false; // the server said it stops: the run is kept, and resumes on reconnecting
    this.openOnReady = openOnReady; // a lesson's view, once its run is ready
    this.outputTab = "boundary";
    this.layerSpace = null; // the layer and neurons the layer space shows
    this.inspect = new InspectState();
  }

  // -- the run and its frames -----------------------------------------------------------------

  /**
   * A run begins (`ready`); `kept`: the run this tab keeps (resume.js), which `resumed` it.
   * A resumed run of this page goes on in its compare tab, its curve cut back to the kept
   * epoch; a resumed run of a reloaded tab takes the stored history.
   */
  startRun(message, kept, resumed) {
    const sameRun = resumed && this.run?.run === message.run && this.runs.current;
    this.run = message;
    Object.assign(this, freshRun());
    this.inspect.inspection = null;
    if (sameRun) {
      const { current } = this.runs;
      current.history = lossHistory(historyRows(this.history, kept.state.epoch, Infinity));
      current.ready = message;
      this.runs.version += 1;
      this.history = current.history;
    } else {
      this.history = this.runs.start(message);
      if (resumed) this.history = this.runs.current.history = lossHistory(kept.storedHistory);
    }
  }

  /** A frame arrives: false if it is of another run. It joins the history and the queue. */
  receive(frame) {
    if (!this.run || frame.run !== this.run.run) return false;
    this.history.append(frame);
    this.runs.update(frame);
    this.frame = frame;
    if (frame.probe === this.pendingProbe) this.pendingProbe = null;
    this.queued.push(frame);
    if (this.queued.length > FRAME_QUEUE) this.dropQueuedFrame();
    preparePlanePictures(frame, this.run);
    if (!this.awaitingStatus) this.running = frame.state === "running";
    return true;
  }

  /** The loss's oscillation (divergence.js's `unstableLoss`) the first time it is seen in a
   * run that has not diverged, else null. */
  newlyUnstable() {
    if (this.unstableSeen || this.diverged) return null;
    const unstable = unstableLoss(this.history);
    if (unstable) this.unstableSeen = true;
    return unstable;
  }

  /** One frame fewer waiting: the oldest whose pictures are neither computed nor being
   * computed, so that no work is thrown away when the worker is slower than the frames come;
   * else the oldest. */
  dropQueuedFrame() {
    const unstarted = this.queued.findIndex(
      (frame) => !planePicturesComputing(frame) && !planePicturesReady(frame, this.run),
    );
    this.queued.splice(Math.max(unstarted, 0), 1);
  }

  /** The frame to draw now: the oldest queued once its pictures are computed (frames are
   * drawn in order, never without their pictures), else the drawn one again if asked. */
  nextFrame() {
    const [oldest] = this.queued;
    if (!oldest) return this.redraw ? this.drawn : null;
    this.queued.forEach((frame) => preparePlanePictures(frame, this.run));
    return planePicturesReady(oldest, this.run) ? this.queued.shift() : null;
  }

  markDrawn(frame) {
    this.drawn = frame;
    this.redraw = false;
  }

  /** The play button: the page shows `running` at once; frames already on their way still
   * carry the old state, so they are not believed until the `status` answer to the play or
   * pause (if it was `sent`). */
  playPressed(running, sent) {
    this.running = running;
    this.awaitingStatus = sent;
  }

  /** Inspect mode pauses the run: the server says "paused" if it was training. */
  pausedForInspection() {
    this.awaitingStatus = this.running;
    this.running = false;
  }

  /** The player's state as the server's `status` says it. */
  statusReceived(message) {
    this.awaitingStatus = false;
    this.running = message.state === "running";
    if (message.state === "diverged") this.diverged = true;
  }

  /** The training point `delta` after the probe (or the one asked for), wrapping around. */
  probeAfter(delta) {
    const count = this.run.train.y.length;
    const from = this.pendingProbe ?? this.frame.probe;
    return (((from + delta) % count) + count) % count;
  }

  // -- the configuration's transitions ----------------------------------------------------------

  /**
   * Set `field` to `value`: "live" (the server changes it with `set`), "config" (a new run) or
   * "display" (the page's own setting).
   */
  change(field, value) {
    const { state, options } = this;
    if (isLiveField(field, options)) {
      state[field] = value;
      if (field === "speed" && value !== null) this.pacedSpeed = value;
      this.runs.changeLive(field, value);
      return "live";
    }
    if (!isConfigField(field, options)) {
      state[field] = value;
      return "display";
    }
    if (field === "dataset") this.selectDataset(value);
    else state[field] = value;
    if (field === "cost" || field === "output_activation") this.fixOutputPairing();
    return "config";
  }

  /** Choose dataset `name`; `customEntry`: the user's data set, new from the server. */
  selectDataset(name, customEntry = null) {
    const { state, options } = this;
    const before = datasetInfo(state, options);
    if (customEntry) setCustomDataset(options, customEntry);
    state.dataset = name;
    const after = datasetInfo(state, options);
    if (after.kind !== before.kind) {
      state.output_activation = null;
      state.cost = null;
    }
    fitDataset(state, options);
    if (
      after.n_inputs === 2 &&
      before.n_inputs === 1 &&
      !state.features.some((f) => usesX2(f, options))
    ) {
      state.features = [...state.features, "x2"];
    }
  }

  /** Keep output activation and cost a valid pair after either changes. */
  fixOutputPairing() {
    const { state, options } = this;
    const valid = validOutputs(state, options);
    if (valid.length > 0 && !valid.includes(effectiveOutput(state, options).output)) {
      state.output_activation = valid[0];
    }
  }

  /**
   * Make a run's config (`ready.config`: output and cost filled in) the page's state; false,
   * and nothing changed, if the page has no entry for its data set (custom data the server
   * did not describe with a `data` message).
   */
  adoptConfig(config, kind) {
    const { state, options } = this;
    if (!options.datasets.some((d) => d.name === config.dataset)) return false;
    for (const field of options.config_fields) state[field] = structuredClone(config[field]);
    const [output, cost] = options.output_defaults[kind];
    // A run of custom data may come back to other custom data, of another kind: its defaults.
    const otherKind = datasetInfo(state, options).kind !== kind;
    if (otherKind || (state.output_activation === output && state.cost === cost)) {
      state.output_activation = null;
      state.cost = null;
    }
    fitDataset(state, options);
    return true;
  }

  /** Turn a feature on or off (the last one stays on); false if nothing changed. */
  toggleFeature(feature) {
    const { state, options } = this;
    const on = state.features.includes(feature);
    if (on && state.features.length === 1) return false;
    state.features = on
      ? state.features.filter((f) => f !== feature)
      : options.features.filter((f) => f === feature || state.features.includes(f));
    return true;
  }

  /** Add a hidden layer as wide as the last (within the limits); false if none can be added. */
  addLayer() {
    const { state, options } = this;
    if (state.hidden_layers.length >= options.limits.hidden_layers[1]) return false;
    state.hidden_layers = [...state.hidden_layers, state.hidden_layers.at(-1) ?? 4];
    return true;
  }

  /** Remove the last hidden layer; false if none can be removed. */
  removeLayer() {
    const { state, options } = this;
    if (state.hidden_layers.length <= options.limits.hidden_layers[0]) return false;
    state.hidden_layers = state.hidden_layers.slice(0, -1);
    return true;
  }

  /** Widen (or narrow) hidden layer `i` by `change` neurons, within the limits. */
  resizeLayer(i, change) {
    const { state, options } = this;
    const [low, high] = options.limits.neurons;
    const width = Math.min(high, Math.max(low, state.hidden_layers[i] + change));
    state.hidden_layers = state.hidden_layers.map((n, j) => (j === i ? width : n));
  }
}
