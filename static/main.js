/**
 * The page's wiring: options -> state -> controls; controls -> messages; frames -> views.
 *
 * Frames are kept as they arrive (their loss history appended at once, so the curve has no
 * gaps) and drawn at most once per animation frame, in order, each once forward-worker.js has
 * computed its pictures (so the main thread only paints). Inspect mode shows
 * the server's `inspection` of one training step beside the graph, which lights up what each
 * stage touches; whatever changes the network meanwhile (a step, a new probe, an edited
 * weight, a new run) asks for a new inspection.
 */

import { Connection } from "./connection.js";
import { buildControls, showPlaying, syncControls } from "./controls.js";
import { describeTrainingPoint, wireKeyboard } from "./keyboard.js";
import { wireGlossary } from "./glossary.js";
import { buildLessons, lessonById, withLesson } from "./lessonpanel.js";
import { hideDivergence, showDivergence, unstableLoss } from "./divergence.js";
import { clearFieldErrors, errorField, errorText, showFieldError } from "./errors.js";
import {
  CONFIG_FIELDS,
  CUSTOM,
  datasetInfo,
  DEFAULT_SPEED,
  drawingFromLink,
  effectiveOutput,
  fitDataset,
  fromHash,
  LIVE_FIELDS,
  setCustomDataset,
  toHash,
  trainConfig,
  validOutputs,
} from "./state.js";
import { LossHistory, renderLossChart, renderReadouts } from "./charts.js";
import { renderConfusion } from "./confusion.js";
import { renderCompare, RunLog } from "./compare.js";
import { lossHistoryCsv, saveCanvasPng, saveFile, wireModelFiles } from "./exports.js";
import { NETWORK_LEGEND, renderNetwork } from "./network.js";
import { renderDeltas } from "./deltas.js";
import { boundaryPicture, renderBoundary } from "./boundary.js";
import { renderGradcheck, renderInspector, STAGES, stageHighlight } from "./inspector.js";
import { fitSelection, renderLayerSpace } from "./layerspace.js";
import { planePicturesComputing, planePicturesReady, preparePlanePictures } from "./forward.js";
import { usesX2 } from "./sketches.js";
import { onResize } from "./size.js";
import { setColorVariables } from "./colors.js";
import { linkedDrawingEntry, UserData } from "./userdata.js";
import { historyRows, KeptRun, lossHistory } from "./resume.js";

const RENDER_SAMPLES = 600;
const RATE_INTERVAL_MS = 1000;
// Frames waiting to be drawn, one per animation frame. Frames arrive about 30 times a second
// but not evenly (each takes the server a varying time to build), so two can land in one
// 16 ms display refresh; keeping the second for the next refresh shows every frame, 16 ms
// late at worst, where drawing only the newest dropped about one in eight. A third waits while
// the worker computes the pictures of the first two (forward.js's MAX_IN_FLIGHT): on a busy
// machine its answers can take longer than a frame's interval.
const FRAME_QUEUE = 3;
const ERROR_FIELDS = [...CONFIG_FIELDS, "speed"];
// The output column's tabs: tab name -> the view's name in stats.viewMs.
const TAB_VIEWS = {
  boundary: "boundary",
  "layer-space": "layerSpace",
  confusion: "confusion",
  compare: "compare",
};

const stats = {
  framesReceived: 0,
  framesRendered: 0,
  lastRenderMs: 0,
  epoch: 0,
  drawnEpoch: null, // the epoch of the frame drawn last
  renderMs: [],
  viewMs: {},
};
window.playground = { stats };

const byId = (id) => document.getElementById(id);

function setStatus(text, kind = "info") {
  const status = byId("status-message");
  status.textContent = text;
  status.title = text; // the bar may cut a long message short
  status.dataset.kind = kind;
}

/** The drawing a link carries (a `draw` message), or null. */
async function linkedDrawing(hash) {
  const params = new URLSearchParams(hash.replace(/^#/, ""));
  return params.get("dataset") === CUSTOM ? drawingFromLink(params.get("drawn")) : null;
}

async function start() {
  setColorVariables();
  const options = await (await fetch("/api/options")).json();
  // Until the server describes a link's drawing, it is the custom data set, so that the
  // link's `dataset=custom` reads (the picker, built from the served data sets, adds it later).
  const drawing = await linkedDrawing(window.location.hash);
  const linkOptions = drawing
    ? { ...options, datasets: [...options.datasets, linkedDrawingEntry(drawing)] }
    : options;
  const { state, ignored } = fromHash(withLesson(window.location.hash), linkOptions);
  if (!drawing) state.drawn = ""; // a link form that did not decode
  const linkedDataset = new URLSearchParams(window.location.hash.slice(1)).get("dataset");
  const page = {
    options,
    state,
    run: null,
    frame: null, // the newest frame received
    queued: [], // frames received but not drawn yet, oldest first (see animate)
    drawn: null,
    redraw: false,
    hover: null,
    running: false,
    awaitingStatus: false,
    history: new LossHistory(),
    runs: new RunLog(), // this session's runs, for the compare tab; holds each run's history
    importing: null, // the file whose import_model was sent: its `ready` brings the config to show
    confusionSplit: "test",
    writtenHash: "",
    pacedSpeed: state.speed ?? DEFAULT_SPEED, // the speed the fast-forward button goes back to
    pendingProbe: null, // the probe asked for (a click, N or P) until a frame shows it
    diverged: false, // the run stopped on a divergence (status "diverged")
    unstableSeen: false, // this run's loss was found oscillating above its start (shown once)
    restarting: false, // the server said it stops: the run is kept, and resumes on reconnecting
    openOnReady: lessonById(state.lesson)?.open ?? null, // a lesson's view, once its run is ready
    outputTab: "boundary",
    layerSpace: null,
    inspect: {
      active: false,
      stage: 1,
      inspection: null,
      pending: false,
      gradcheck: null,
      gradcheckPending: false,
      focus: null,
      highlight: null,
    },
  };
  const { inspect } = page;
  window.playground.state = state;
  const kept = new KeptRun();
  window.playground.kept = kept;
  window.playground.lossHistory = () => page.history;

  const send = (message) => connection.send(message);

  function writeHash() {
    const hash = `#${toHash(state)}`;
    if (hash !== window.location.hash) window.history.replaceState(null, "", hash);
    page.writtenHash = window.location.hash;
  }

  function configure() {
    send({ type: "configure", config: trainConfig(state, options), resets: state.resets });
  }

  /** A new run on a new connection (or after a refused resume), at the page's speed. */
  function startAfresh() {
    if (!userData.resend()) configure(); // else configured on the data's answer
    send({ type: "set", speed: state.speed });
  }

  /** `reconfigure`: a new run, its weights drawn from the seed [seed, resets] (a changed
   * config begins with its first draw; a compare-tab run restored with its own). */
  function stateChanged({ reconfigure, resets = 0 }) {
    if (reconfigure) state.resets = resets;
    syncControls(controls, state, options, page.run);
    writeHash();
    page.redraw = true;
    if (reconfigure) configure();
  }

  /**
   * Make a run's config (`ready.config`: output and cost filled in) the page's state; false,
   * and nothing changed, if the page has no entry for its data set (custom data the server
   * did not describe with a `data` message).
   */
  function adoptConfig(config, kind) {
    if (!options.datasets.some((d) => d.name === config.dataset)) return false;
    for (const field of CONFIG_FIELDS) state[field] = structuredClone(config[field]);
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

  /** Train a run of the compare tab again: its config, as a copied link would bring it. */
  function restoreRun(run) {
    if (adoptConfig(run.config, run.ready.kind)) {
      stateChanged({ reconfigure: true, resets: run.ready.resets });
    } else setStatus(`Run ${run.number}'s data set (${run.ready.data_name}) is not in this page`, "error");
  }

  /** Keep output activation and cost a valid pair after either changes. */
  function fixOutputPairing() {
    const valid = validOutputs(state, options);
    if (valid.length > 0 && !valid.includes(effectiveOutput(state, options).output)) {
      state.output_activation = valid[0];
    }
  }

  /** Choose dataset `name`; `customEntry`: the user's data set, new from the server. */
  function selectDataset(name, customEntry = null) {
    const before = datasetInfo(state, options);
    if (customEntry) setCustomDataset(options, customEntry);
    state.dataset = name;
    const after = datasetInfo(state, options);
    if (after.kind !== before.kind) {
      state.output_activation = null;
      state.cost = null;
    }
    fitDataset(state, options);
    if (after.n_inputs === 2 && before.n_inputs === 1 && !state.features.some(usesX2)) {
      state.features = [...state.features, "x2"];
    }
  }

  function updateHighlight() {
    inspect.highlight =
      inspect.active && inspect.inspection
        ? stageHighlight(inspect.inspection, inspect.stage, inspect.focus)
        : null;
    page.redraw = true;
  }

  function showInspector() {
    inspect.focus = null;
    renderInspector(byId("inspector"), inspect.inspection, {
      stage: inspect.stage,
      run: page.run,
      onFocus(focus) {
        inspect.focus = focus;
        updateHighlight();
      },
    });
    renderGradcheck(byId("gradcheck-result"), inspect.gradcheck, inspect.gradcheckPending);
    byId("gradcheck").disabled = !inspect.inspection || inspect.gradcheckPending;
    updateHighlight();
  }

  /** Ask for an inspection of the network as it is now (the last gradient check is void). */
  function requestInspection() {
    if (!inspect.active) return;
    inspect.gradcheck = null;
    inspect.gradcheckPending = false;
    inspect.pending = send({ type: "inspect" });
    clearFieldErrors(["inspector"]);
  }

  function setInspecting(on) {
    if (inspect.active === on) return;
    inspect.active = on;
    inspect.inspection = null;
    byId("inspect").setAttribute("aria-pressed", String(on));
    byId("inspector").hidden = !on;
    document.querySelector(".columns").classList.toggle("inspecting", on);
    if (on) {
      page.awaitingStatus = page.running; // the server says "paused" if it was training
      page.running = false;
      showPlaying(false);
      requestInspection();
    }
    showInspector();
  }

  function showStage(stage) {
    inspect.stage = Math.max(1, Math.min(STAGES.length, stage));
    showInspector();
    checkLesson();
  }

  /** Check the lesson's goal against what the page shows now. */
  function checkLesson() {
    lessons.check({
      frame: page.frame,
      state,
      diverged: page.diverged,
      inspectorStage: inspect.active && inspect.inspection ? inspect.stage : 0,
    });
  }

  /** Open the view a lesson looks at: Inspect mode or an output tab (else the boundary). */
  function openLessonView(view) {
    setInspecting(view === "inspect");
    if (view !== "inspect") showOutputTab(view ?? "boundary");
  }

  function sendLayerSpace(selection) {
    page.layerSpace = selection;
    clearFieldErrors(["layer_space"]);
    if (selection) send({ type: "layer_space", layer: selection.layer, neurons: selection.neurons });
    page.redraw = true;
  }

  function showOutputTab(tab) {
    page.outputTab = tab;
    for (const [id, name] of [
      ["tab-boundary", "boundary"],
      ["tab-layer-space", "layer-space"],
      ["tab-confusion", "confusion"],
      ["tab-compare", "compare"],
    ]) {
      byId(id).setAttribute("aria-selected", String(tab === name));
    }
    byId("boundary-panel").hidden = tab !== "boundary";
    byId("layer-space").hidden = tab !== "layer-space";
    byId("confusion-matrix").hidden = tab !== "confusion";
    byId("compare-runs").hidden = tab !== "compare";
    if (!page.run) return;
    if (tab === "layer-space") sendLayerSpace(fitSelection(page.layerSpace, page.run));
    else send({ type: "layer_space", layer: null });
    page.redraw = true;
  }

  /** Make the training point `delta` after the probe the probe, and say which it is. */
  function probeBy(delta) {
    if (!page.run || !page.frame) return;
    const count = page.run.train.y.length;
    const from = page.pendingProbe ?? page.frame.probe;
    const index = (((from + delta) % count) + count) % count;
    clearFieldErrors(["probe"]);
    if (!send({ type: "probe", index })) return;
    page.pendingProbe = index;
    requestInspection();
    byId("probe-announcement").textContent = describeTrainingPoint(page.run, index);
  }

  /** Enable an output tab, or disable it with a title that says why (`reason`). */
  function enableTab(tab, enabled, reason) {
    const button = byId(`tab-${tab}`);
    button.dataset.title ??= button.title;
    button.disabled = !enabled;
    button.title = enabled ? button.dataset.title : `${button.textContent.trim()}: ${reason}`;
  }

  const actions = {
    change(field, value) {
      if (LIVE_FIELDS.includes(field)) {
        state[field] = value;
        if (field === "speed" && value !== null) page.pacedSpeed = value;
        page.runs.changeLive(field, value);
        clearFieldErrors([field]);
        send({ type: "set", [field]: value });
        stateChanged({ reconfigure: false });
        return;
      }
      if (!CONFIG_FIELDS.includes(field)) {
        state[field] = value;
        stateChanged({ reconfigure: false });
        return;
      }
      if (field === "dataset") {
        selectDataset(value);
        byId("link-notice").hidden = true;
      } else {
        state[field] = value;
      }
      if (field === "cost" || field === "output_activation") fixOutputPairing();
      stateChanged({ reconfigure: true });
    },
    toggleFeature(feature) {
      const on = state.features.includes(feature);
      if (on && state.features.length === 1) return;
      state.features = on
        ? state.features.filter((f) => f !== feature)
        : options.features.filter((f) => f === feature || state.features.includes(f));
      stateChanged({ reconfigure: true });
    },
    addLayer() {
      if (state.hidden_layers.length >= options.limits.hidden_layers[1]) return;
      state.hidden_layers = [...state.hidden_layers, state.hidden_layers.at(-1) ?? 4];
      stateChanged({ reconfigure: true });
    },
    removeLayer() {
      if (state.hidden_layers.length <= options.limits.hidden_layers[0]) return;
      state.hidden_layers = state.hidden_layers.slice(0, -1);
      stateChanged({ reconfigure: true });
    },
    resizeLayer(i, change) {
      const [low, high] = options.limits.neurons;
      const width = Math.min(high, Math.max(low, state.hidden_layers[i] + change));
      state.hidden_layers = state.hidden_layers.map((n, j) => (j === i ? width : n));
      stateChanged({ reconfigure: true });
    },
    regenerate() {
      actions.change("seed", Math.floor(Math.random() * 100000));
    },
    playPause() {
      page.running = !page.running;
      if (page.running) setInspecting(false);
      showPlaying(page.running);
      // Frames already on their way still carry the old state; the `status` answer settles it.
      page.awaitingStatus = send({ type: page.running ? "play" : "pause" });
    },
    step() {
      send({ type: "step", epochs: 1 });
    },
    /** Between "max" and the last paced speed: the player's fast-forward button. */
    toggleMaxSpeed() {
      actions.change("speed", state.speed === null ? page.pacedSpeed : null);
    },
    reset() {
      send({ type: "reset" });
    },
    useCustomData(entry, choose) {
      if (!choose) setCustomDataset(options, entry);
      else selectDataset(CUSTOM, entry);
      stateChanged({ reconfigure: choose });
    },
  };

  const handlers = {
    open() {
      byId("connection-banner").hidden = true;
      byId("connection-state").textContent = "connected";
      page.restarting = false;
      // The run this tab kept carries on (its history: the page's, or a reloaded tab's stored
      // one), and gets the speed once it is back (`ready`); else a new run, configured on the
      // data's answer if the data go first.
      const history = page.run && page.run.run === kept.state?.run ? page.history : null;
      send({ type: "keep_state" });
      if (!kept.resume(send, history)) startAfresh();
    },
    close(retryMs) {
      page.running = false;
      showPlaying(false);
      const banner = byId("connection-banner");
      const seconds = (retryMs / 1000).toFixed(1);
      banner.textContent = page.restarting
        ? `Server restarting, your run is kept. Reconnecting in ${seconds} s…`
        : `Connection to the server lost. Reconnecting in ${seconds} s…`;
      banner.hidden = false;
      byId("connection-state").textContent = "disconnected";
    },
    restarting() {
      page.restarting = true;
      connection.expectRestart();
      const banner = byId("connection-banner");
      banner.textContent = "Server restarting, your run is kept.";
      banner.hidden = false;
    },
    run_state(message) {
      kept.keep(message, page.history);
    },
    ready(message) {
      const resumed = kept.resumedBy(message);
      const sameRun = resumed && page.run?.run === message.run && page.runs.current;
      page.run = message;
      window.playground.run = message;
      state.resets = message.resets; // a Reset's run: the link opens these weights too
      writeHash();
      userData.ready(message);
      page.frame = null;
      page.queued = [];
      page.drawn = null;
      page.hover = null;
      page.pendingProbe = null;
      page.awaitingStatus = false;
      if (sameRun) {
        // The run goes on in this page's compare tab, its curve cut back to the kept epoch.
        const { current } = page.runs;
        current.history = lossHistory(historyRows(page.history, kept.state.epoch, Infinity));
        current.ready = message;
        page.runs.version += 1;
        page.history = current.history;
      } else {
        page.history = page.runs.start(message);
        if (resumed) page.history = page.runs.current.history = lossHistory(kept.storedHistory);
      }
      window.playground.resumed = resumed ? { run: message.run, epoch: kept.state.epoch } : null;
      if (resumed) send({ type: "set", speed: state.speed });
      clearFieldErrors([...CONFIG_FIELDS, "model"]);
      if (page.importing || resumed) {
        // A file trained on its own data sent them first (a `data` message): custom is known.
        page.importing = null;
        adoptConfig(message.config, message.kind);
        stateChanged({ reconfigure: false });
      }
      syncControls(controls, state, options, message); // the data's real sizes
      // Discretizing paints the plane's background in two tones: the line and principal
      // components views have no background to paint.
      byId("discretize").closest("label").hidden = message.view !== "plane";
      enableTab("confusion", message.kind !== "regression", "needs a classification problem");
      enableTab("layer-space", message.view !== "pca", "needs data with one or two inputs");
      if (byId(`tab-${page.outputTab}`).disabled) showOutputTab("boundary");
      else if (page.outputTab === "layer-space") sendLayerSpace(fitSelection(page.layerSpace, message));
      inspect.inspection = null;
      requestInspection();
      showInspector();
      hideDivergence();
      page.diverged = false;
      page.unstableSeen = false;
      if (page.openOnReady) openLessonView(page.openOnReady);
      page.openOnReady = null;
      setStatus(`Run ${message.run}: ${message.config.dataset}, layers ${message.layer_sizes.join("-")}`);
    },
    frame(frame) {
      if (!page.run || frame.run !== page.run.run) return;
      stats.framesReceived += 1;
      stats.epoch = frame.epoch;
      page.history.append(frame);
      page.runs.update(frame);
      if (!page.unstableSeen && !page.diverged) {
        const unstable = unstableLoss(page.history);
        if (unstable) {
          page.unstableSeen = true;
          showDivergence("", state, options, divergenceActions, unstable);
        }
      }
      page.frame = frame;
      if (frame.probe === page.pendingProbe) page.pendingProbe = null;
      page.queued.push(frame);
      if (page.queued.length > FRAME_QUEUE) dropQueuedFrame();
      preparePlanePictures(frame, page.run);
      const shown = inspect.inspection;
      if (inspect.active && !inspect.pending && shown && frame.epoch > shown.epoch) requestInspection();
      if (!page.awaitingStatus) {
        page.running = frame.state === "running";
        showPlaying(page.running);
      }
    },
    status(message) {
      page.awaitingStatus = false;
      page.running = message.state === "running";
      showPlaying(page.running);
      setStatus(message.message, message.state === "diverged" ? "error" : "info");
      if (message.state === "diverged") {
        page.diverged = true;
        showDivergence(message.message, state, options, divergenceActions);
        checkLesson();
      }
    },
    inspection(message) {
      if (!inspect.active || message.run !== page.run?.run) return;
      inspect.pending = false;
      inspect.inspection = message;
      showInspector();
    },
    gradcheck(message) {
      if (!inspect.active || message.run !== page.run?.run) return;
      inspect.gradcheckPending = false;
      inspect.gradcheck = message;
      showInspector();
    },
    export(file) {
      saveFile(file);
    },
    data(message) {
      userData.received(message);
    },
    error(error) {
      if (error.code === "bad_resume" || (kept.pending && error.code === "message_too_large")) {
        kept.refuse();
        showResumeRefused(error.message);
        startAfresh();
        return;
      }
      if (userData.failed(error)) return;
      const about = error.details?.[0]?.loc?.[0];
      const importFailed = page.importing && error.code === "message_too_large";
      if (error.code === "bad_model" || ["export", "import_model"].includes(about) || importFailed) {
        const file = page.importing ? `${page.importing}: ` : "";
        page.importing = null;
        showFieldError("model", `${file}${errorText(error, null)}`);
        return;
      }
      if (error.code === "bad_layer_space" || about === "layer_space") {
        showFieldError("layer_space", errorText(error, null));
        return;
      }
      const waiting = inspect.pending || inspect.gradcheckPending;
      if (
        error.code === "gradcheck_too_large" ||
        ["inspect", "gradcheck"].includes(about) ||
        (waiting && error.code === "internal")
      ) {
        inspect.pending = false;
        inspect.gradcheckPending = false;
        showInspector();
        showFieldError("inspector", errorText(error, null));
        return;
      }
      const field = errorField(error, ERROR_FIELDS);
      if (CONFIG_FIELDS.includes(field)) clearFieldErrors(CONFIG_FIELDS);
      const text =
        field === "weight" ? `Could not set the weight: ${error.message}` : errorText(error, field);
      if (!(field && showFieldError(field, text))) setStatus(text, "error");
    },
  };

  const divergenceActions = {
    retry(learningRate) {
      if (learningRate !== null) actions.change("learning_rate", learningRate);
      actions.reset();
    },
    dismiss() {
      hideDivergence();
    },
  };

  const lessons = buildLessons({
    start(lesson) {
      Object.assign(state, fromHash(`${lesson.hash}&lesson=${lesson.id}`, options).state);
      lessons.show(lesson);
      page.openOnReady = lesson.open ?? "boundary";
      stateChanged({ reconfigure: true });
      send({ type: "set", speed: state.speed });
    },
    close() {
      state.lesson = "";
      lessons.show(null);
      writeHash();
    },
  });
  lessons.show(lessonById(state.lesson) ?? null);

  const controls = buildControls(options, actions);
  const userData = new UserData(options, state, {
    send,
    useData: actions.useCustomData,
    redraw() {
      page.redraw = true;
    },
    linkChanged() {
      stateChanged({ reconfigure: false }); // the hash, and what the page says of the link
    },
    linkRefused() {
      if (state.dataset === CUSTOM) actions.change("dataset", options.defaults.dataset);
      setCustomDataset(options, null);
      syncControls(controls, state, options, page.run);
      showLinkNotice("This link's drawn points could not be used (see beside the plot)");
    },
  });
  if (drawing) setCustomDataset(options, linkedDrawingEntry(drawing));
  const scheme = window.location.protocol === "https:" ? "wss" : "ws";
  const connection = new Connection(`${scheme}://${window.location.host}/ws/train`, handlers);
  syncControls(controls, state, options);
  wireGlossary();
  writeHash();
  if (ignored.length) {
    setStatus(`Ignored unreadable settings in the link: ${ignored.join(", ")}`, "error");
  }
  // The status bar's next message replaces that at once; a link made on your own data needs
  // saying where the data are chosen, until another data set is.
  function showLinkNotice(what) {
    const notice = byId("link-notice");
    notice.textContent =
      `${what}: it opens ${state.dataset} instead. Ask for the data file (Export data) or ` +
      `the model file (Export model).`;
    notice.hidden = false;
  }
  /** Say in words why the kept run did not resume, and offer it as a file. */
  function showResumeRefused(reason) {
    byId("resume-notice-text").textContent =
      `Your run could not be resumed on this server (${reason}). It is kept: save it as a ` +
      "model file, which Import model reads once the server allows it.";
    byId("resume-notice").hidden = false;
  }
  byId("resume-save").addEventListener("click", () => saveFile(kept.refusedFile()));
  byId("resume-dismiss").addEventListener("click", () => {
    byId("resume-notice").hidden = true;
  });

  if (drawing) userData.restore(drawing);
  else if (linkedDataset === CUSTOM) {
    showLinkNotice(
      "This link was made with uploaded data, or more drawn points than a link holds, which " +
        "links do not carry",
    );
  }

  byId("inspect").addEventListener("click", () => setInspecting(!inspect.active));
  byId("inspect-close").addEventListener("click", () => setInspecting(false));
  byId("inspect-prev").addEventListener("click", () => showStage(inspect.stage - 1));
  byId("inspect-next").addEventListener("click", () => showStage(inspect.stage + 1));
  byId("inspect-stepper").addEventListener("click", (event) => {
    const stage = event.target.closest("button")?.dataset.stage;
    if (stage) showStage(Number(stage));
  });
  byId("gradcheck").addEventListener("click", () => {
    inspect.gradcheckPending = send({ type: "gradcheck" });
    clearFieldErrors(["inspector"]);
    showInspector();
  });
  byId("tab-boundary").addEventListener("click", () => showOutputTab("boundary"));
  byId("tab-layer-space").addEventListener("click", () => showOutputTab("layer-space"));
  byId("tab-confusion").addEventListener("click", () => showOutputTab("confusion"));
  byId("tab-compare").addEventListener("click", () => showOutputTab("compare"));

  const fileStem = () => `mlp-${page.run?.config.dataset ?? state.dataset}-run${page.run?.run ?? 0}`;
  const NOT_CONNECTED = "Not connected to the server: try again once it is.";
  wireModelFiles({
    requestExport(what) {
      clearFieldErrors(["model"]);
      if (!send({ type: "export", what })) showFieldError("model", NOT_CONNECTED);
    },
    saveLossHistory() {
      const content = lossHistoryCsv(page.history);
      saveFile({ filename: `${fileStem()}-loss-history.csv`, media_type: "text/csv", content });
    },
    saveLossPng() {
      saveCanvasPng(byId("loss-chart").querySelector("canvas"), `${fileStem()}-loss.png`);
    },
    async saveBoundaryPng() {
      const picture = await boundaryPicture(byId("decision-boundary"));
      if (picture) saveCanvasPng(picture.canvas, `boundary-run${picture.run}-epoch${picture.epoch}.png`);
    },
    importModel(model, fileName) {
      clearFieldErrors(["model"]);
      page.importing = send({ type: "import_model", model }) ? fileName : null;
      if (!page.importing) showFieldError("model", NOT_CONNECTED);
    },
    showError(text) {
      showFieldError("model", text);
    },
  });

  window.addEventListener("hashchange", async () => {
    if (window.location.hash === page.writtenHash) return;
    const hash = window.location.hash;
    const drawn = new URLSearchParams(hash.slice(1)).get("drawn");
    // A new drawing is sent first; its `data` answer starts the run.
    const newDrawing = drawn !== state.drawn ? await linkedDrawing(hash) : null;
    if (newDrawing) setCustomDataset(options, linkedDrawingEntry(newDrawing));
    const heldLink = state.drawn; // the data's, unless the hash brings a new drawing
    Object.assign(state, fromHash(withLesson(hash), options).state);
    if (!newDrawing) state.drawn = heldLink;
    lessons.show(lessonById(state.lesson) ?? null);
    if (newDrawing) userData.restore(newDrawing);
    stateChanged({ reconfigure: !newDrawing, resets: state.resets }); // the hash's own resets
    send({ type: "set", speed: state.speed });
  });
  onResize(() => {
    page.redraw = true;
  });

  wireKeyboard({
    playPause: actions.playPause,
    step: actions.step,
    probeBy,
    escape() {
      if (inspect.active) setInspecting(false);
    },
  });

  const views = {
    network: byId("network"),
    deltas: byId("deltas"),
    boundary: byId("decision-boundary"),
    layerSpace: byId("layer-space"),
    confusion: byId("confusion-matrix"),
    compare: byId("compare-runs"),
    loss: byId("loss-chart"),
    networkLegend: byId("network-legend"),
    title: byId("boundary-title"),
    readout: byId("boundary-readout"),
    boundaryLegend: byId("boundary-legend"),
  };

  /** Run one view, adding its duration to stats.viewMs[name]. */
  function timed(name, draw) {
    const started = performance.now();
    draw();
    stats.viewMs[name] = performance.now() - started;
  }

  function render(frame) {
    const { run } = page;
    timed("readouts", () => renderReadouts(frame));
    timed("network", () =>
      renderNetwork(views.network, frame, {
        run,
        direction: state.direction,
        onHoverNode(node) {
          page.hover = node;
          page.redraw = true;
        },
        weightRange: options.limits.weight,
        highlight: inspect.highlight,
        onEditWeight(layer, row, col, value) {
          clearFieldErrors(["weight"]);
          send({ type: "set_weight", layer, row, col, value });
          requestInspection();
        },
      }),
    );
    timed("deltas", () =>
      renderDeltas(views.deltas, frame, {
        logScale: state.logDeltas,
        onLogScale: (on) => actions.change("logDeltas", on),
      }),
    );
    for (const name of Object.values(TAB_VIEWS)) {
      if (name !== TAB_VIEWS[page.outputTab]) delete stats.viewMs[name];
    }
    if (page.outputTab === "confusion") {
      timed("confusion", () =>
        renderConfusion(views.confusion, frame, {
          run,
          split: page.confusionSplit,
          onSplit(split) {
            page.confusionSplit = split;
            page.redraw = true;
          },
        }),
      );
    } else if (page.outputTab === "compare") {
      timed("compare", () =>
        renderCompare(views.compare, page.runs, { logScale: state.logScale, onRestore: restoreRun }),
      );
    } else if (page.outputTab === "layer-space") {
      timed("layerSpace", () =>
        renderLayerSpace(views.layerSpace, frame, {
          run,
          selection: page.layerSpace,
          probe: frame.probe,
          onSelect: sendLayerSpace,
        }),
      );
    } else {
      timed("boundary", () =>
        renderBoundary(views.boundary, frame, {
          run,
          showTest: state.showTest,
          discretize: state.discretize,
          hover: page.hover,
          draw: userData.boundaryContext(),
          title: views.title,
          readout: views.readout,
          legend: views.boundaryLegend,
          onProbe(index) {
            clearFieldErrors(["probe"]);
            if (send({ type: "probe", index })) page.pendingProbe = index;
            requestInspection();
          },
        }),
      );
    }
    checkLesson();
    timed("loss", () =>
      renderLossChart(views.loss, page.history, { logScale: state.logScale, logEpochs: state.logEpochs }),
    );
    if (views.networkLegend.dataset.direction !== state.direction) {
      views.networkLegend.dataset.direction = state.direction;
      views.networkLegend.innerHTML = NETWORK_LEGEND[state.direction];
    }
  }

  /** One frame fewer waiting: the oldest whose pictures are neither computed nor being
   * computed, so that no work is thrown away when the worker is slower than the frames come;
   * else the oldest. */
  function dropQueuedFrame() {
    const unstarted = page.queued.findIndex(
      (frame) => !planePicturesComputing(frame) && !planePicturesReady(frame, page.run),
    );
    page.queued.splice(Math.max(unstarted, 0), 1);
  }

  /** The frame to draw now: the oldest queued once its pictures are computed (frames are
   * drawn in order, never without their pictures), else the drawn one again if asked. */
  function nextFrame() {
    const [oldest] = page.queued;
    if (!oldest) return page.redraw ? page.drawn : null;
    page.queued.forEach((frame) => preparePlanePictures(frame, page.run));
    return planePicturesReady(oldest, page.run) ? page.queued.shift() : null;
  }

  function animate() {
    requestAnimationFrame(animate);
    const frame = nextFrame();
    if (!frame) return;
    const started = performance.now();
    render(frame);
    page.drawn = frame;
    page.redraw = false;
    stats.drawnEpoch = frame.epoch;
    stats.lastRenderMs = performance.now() - started;
    stats.framesRendered += 1;
    stats.renderMs.push(stats.lastRenderMs);
    if (stats.renderMs.length > RENDER_SAMPLES) stats.renderMs.shift();
  }

  let lastCount = 0;
  setInterval(() => {
    const framesPerSecond = ((stats.framesRendered - lastCount) * 1000) / RATE_INTERVAL_MS;
    lastCount = stats.framesRendered;
    // Epochs per second are the header's to show: one reading, not two of different frames.
    byId("rate-line").textContent =
      `${Math.round(framesPerSecond)} frames/s · render ${stats.lastRenderMs.toFixed(1)} ms`;
  }, RATE_INTERVAL_MS);

  connection.connect();
  requestAnimationFrame(animate);
}

start();
