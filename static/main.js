/**
 * The page's wiring: options -> state -> controls; controls -> messages; frames -> views.
 *
 * Frames are kept as they arrive (their loss history appended at once, so the curve has no
 * gaps) and drawn at most once per animation frame, in order, each once forward-worker.js has
 * computed its pictures (so the main thread only paints). Inspect mode shows
 * the server's `inspection` of one training step beside the graph, which lights up what each
 * stage touches; whatever changes the network meanwhile (a step, a new probe, an edited
 * weight, a new run) asks for a new inspection.
 *
 * What the page knows and how each event changes it is pagestate.js's; here each message,
 * control and key is wired to its transition and to the views that show it.
 */

import { Connection } from "./connection.js";
import { buildControls, showPlaying, syncControls } from "./controls.js";
import { describeTrainingPoint, wireKeyboard } from "./keyboard.js";
import { wireGlossary } from "./glossary.js";
import { buildLessons, lessonById, withLesson } from "./lessonpanel.js";
import { hideDivergence, showDivergence } from "./divergence.js";
import {
  clearFieldErrors,
  errorField,
  errorText,
  routeError,
  showFieldError,
} from "./errors.js";
import {
  CUSTOM,
  drawingFromLink,
  fromHash,
  setCustomDataset,
  toHash,
  trainConfig,
} from "./state.js";
import { PageState } from "./pagestate.js";
import { enableTab, selectTab, tabDisabled, wireTabs } from "./outputtabs.js";
import { renderLossChart, renderReadouts } from "./charts.js";
import { renderConfusion } from "./confusion.js";
import { renderCompare } from "./compare.js";
import { lossHistoryCsv, saveCanvasPng, saveFile, wireModelFiles } from "./exports.js";
import { NETWORK_LEGEND, renderNetwork } from "./network.js";
import { renderDeltas } from "./deltas.js";
import { boundaryPicture, renderBoundary } from "./boundary.js";
import { renderGradcheck, renderInspector } from "./inspector.js";
import { fitSelection, renderLayerSpace } from "./layerspace.js";
import { onResize } from "./size.js";
import { setColorVariables } from "./colors.js";
import { linkedDrawingEntry, UserData } from "./userdata.js";
import { KeptRun } from "./resume.js";

const RENDER_SAMPLES = 600;
const RATE_INTERVAL_MS = 1000;

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
  const page = new PageState(options, state, lessonById(state.lesson)?.open ?? null);
  const configFields = options.config_fields;
  /**
   * The output column's tabs, the one list of them: name (the button is `tab-<name>`) -> the
   * panel it shows, the view's name in stats.viewMs, and how the view draws a frame.
   */
  const outputTabs = {
    boundary: { panel: "boundary-panel", view: "boundary", draw: drawBoundary },
    "layer-space": { panel: "layer-space", view: "layerSpace", draw: drawLayerSpace },
    confusion: { panel: "confusion-matrix", view: "confusion", draw: drawConfusion },
    compare: { panel: "compare-runs", view: "compare", draw: drawCompare },
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

  /** Train a run of the compare tab again: its config, as a copied link would bring it. */
  function restoreRun(run) {
    if (page.adoptConfig(run.config, run.ready.kind)) {
      stateChanged({ reconfigure: true, resets: run.ready.resets });
    } else setStatus(`Run ${run.number}'s data set (${run.ready.data_name}) is not in this page`, "error");
  }

  function updateHighlight() {
    inspect.updateHighlight();
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
    inspect.requested(send({ type: "inspect" }));
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
      page.pausedForInspection();
      showPlaying(false);
      requestInspection();
    }
    showInspector();
  }

  function showStage(stage) {
    inspect.showStage(stage);
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
    selectTab(outputTabs, tab);
    if (!page.run) return;
    if (tab === "layer-space") sendLayerSpace(fitSelection(page.layerSpace, page.run));
    else send({ type: "layer_space", layer: null });
    page.redraw = true;
  }

  /** Make the training point `delta` after the probe the probe, and say which it is. */
  function probeBy(delta) {
    if (!page.run || !page.frame) return;
    const index = page.probeAfter(delta);
    clearFieldErrors(["probe"]);
    if (!send({ type: "probe", index })) return;
    page.pendingProbe = index;
    requestInspection();
    byId("probe-announcement").textContent = describeTrainingPoint(page.run, index);
  }

  const actions = {
    change(field, value) {
      const kind = page.change(field, value);
      if (kind === "live") {
        clearFieldErrors([field]);
        send({ type: "set", [field]: value });
      }
      if (field === "dataset") byId("link-notice").hidden = true;
      stateChanged({ reconfigure: kind === "config" });
    },
    toggleFeature(feature) {
      if (page.toggleFeature(feature)) stateChanged({ reconfigure: true });
    },
    addLayer() {
      if (page.addLayer()) stateChanged({ reconfigure: true });
    },
    removeLayer() {
      if (page.removeLayer()) stateChanged({ reconfigure: true });
    },
    resizeLayer(i, change) {
      page.resizeLayer(i, change);
      stateChanged({ reconfigure: true });
    },
    regenerate() {
      actions.change("seed", Math.floor(Math.random() * 100000));
    },
    playPause() {
      const running = !page.running;
      if (running) setInspecting(false);
      showPlaying(running);
      page.playPressed(running, send({ type: running ? "play" : "pause" }));
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
      else page.selectDataset(CUSTOM, entry);
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
      page.startRun(message, kept, resumed);
      window.playground.run = message;
      state.resets = message.resets; // a Reset's run: the link opens these weights too
      writeHash();
      userData.ready(message);
      window.playground.resumed = resumed ? { run: message.run, epoch: kept.state.epoch } : null;
      if (resumed) send({ type: "set", speed: state.speed });
      clearFieldErrors([...configFields, "model"]);
      if (page.importing || resumed) {
        // A file trained on its own data sent them first (a `data` message): custom is known.
        page.importing = null;
        page.adoptConfig(message.config, message.kind);
        stateChanged({ reconfigure: false });
      }
      syncControls(controls, state, options, message); // the data's real sizes
      // Discretizing paints the plane's background in two tones: the line and principal
      // components views have no background to paint.
      byId("discretize").closest("label").hidden = message.view !== "plane";
      enableTab("confusion", message.kind !== "regression", "needs a classification problem");
      enableTab("layer-space", message.view !== "pca", "needs data with one or two inputs");
      if (tabDisabled(page.outputTab)) showOutputTab("boundary");
      else if (page.outputTab === "layer-space") sendLayerSpace(fitSelection(page.layerSpace, message));
      requestInspection();
      showInspector();
      hideDivergence();
      if (page.openOnReady) openLessonView(page.openOnReady);
      page.openOnReady = null;
      setStatus(`Run ${message.run}: ${message.config.dataset}, layers ${message.layer_sizes.join("-")}`);
    },
    frame(frame) {
      if (!page.receive(frame)) return;
      stats.framesReceived += 1;
      stats.epoch = frame.epoch;
      const unstable = page.newlyUnstable();
      if (unstable) showDivergence("", state, options, divergenceActions, unstable);
      if (inspect.outdatedBy(frame)) requestInspection();
      if (!page.awaitingStatus) showPlaying(page.running);
    },
    status(message) {
      page.statusReceived(message);
      showPlaying(page.running);
      setStatus(message.message, message.state === "diverged" ? "error" : "info");
      if (message.state === "diverged") {
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
      routeError(error, errorDestinations);
    },
  };

  /** Where each kind of server error is shown (errors.js's ERROR_ROUTES names them). */
  const errorDestinations = {
    resume: {
      waiting: () => kept.pending,
      show(error) {
        kept.refuse();
        showResumeRefused(error.message);
        startAfresh();
      },
    },
    data: { show: (error) => userData.failed(error) },
    model: {
      waiting: () => Boolean(page.importing),
      show(error) {
        const file = page.importing ? `${page.importing}: ` : "";
        page.importing = null;
        showFieldError("model", `${file}${errorText(error, null)}`);
      },
    },
    layer_space: {
      show(error) {
        showFieldError("layer_space", errorText(error, null));
      },
    },
    inspector: {
      waiting: () => inspect.waiting,
      show(error) {
        inspect.failed();
        showInspector();
        showFieldError("inspector", errorText(error, null));
      },
    },
    field: {
      show(error) {
        const field = errorField(error, [...configFields, "speed"]);
        if (configFields.includes(field)) clearFieldErrors(configFields);
        const text =
          field === "weight" ? `Could not set the weight: ${error.message}` : errorText(error, field);
        if (!(field && showFieldError(field, text))) setStatus(text, "error");
      },
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
  wireTabs(outputTabs, showOutputTab);

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
    loss: byId("loss-chart"),
    networkLegend: byId("network-legend"),
  };

  function drawBoundary(frame, run) {
    renderBoundary(byId("decision-boundary"), frame, {
      run,
      showTest: state.showTest,
      discretize: state.discretize,
      hover: page.hover,
      draw: userData.boundaryContext(),
      title: byId("boundary-title"),
      readout: byId("boundary-readout"),
      legend: byId("boundary-legend"),
      onProbe(index) {
        clearFieldErrors(["probe"]);
        if (send({ type: "probe", index })) page.pendingProbe = index;
        requestInspection();
      },
    });
  }

  function drawLayerSpace(frame, run) {
    renderLayerSpace(byId("layer-space"), frame, {
      run,
      selection: page.layerSpace,
      probe: frame.probe,
      onSelect: sendLayerSpace,
    });
  }

  function drawConfusion(frame, run) {
    renderConfusion(byId("confusion-matrix"), frame, {
      run,
      split: page.confusionSplit,
      onSplit(split) {
        page.confusionSplit = split;
        page.redraw = true;
      },
    });
  }

  function drawCompare() {
    renderCompare(byId("compare-runs"), page.runs, { logScale: state.logScale, onRestore: restoreRun });
  }

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
    const tab = outputTabs[page.outputTab];
    for (const { view } of Object.values(outputTabs)) {
      if (view !== tab.view) delete stats.viewMs[view];
    }
    timed(tab.view, () => tab.draw(frame, run));
    checkLesson();
    timed("loss", () =>
      renderLossChart(views.loss, page.history, { logScale: state.logScale, logEpochs: state.logEpochs }),
    );
    if (views.networkLegend.dataset.direction !== state.direction) {
      views.networkLegend.dataset.direction = state.direction;
      views.networkLegend.innerHTML = NETWORK_LEGEND[state.direction];
    }
  }

  function animate() {
    requestAnimationFrame(animate);
    const frame = page.nextFrame();
    if (!frame) return;
    const started = performance.now();
    render(frame);
    page.markDrawn(frame);
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
