/**
 * Files in and out: the model, the script and the data set come from the server (`export`),
 * the loss history and the pictures of the loss chart and the decision boundary from the
 * page itself; a model file goes to the server (`import_model`).
 *
 * Nothing here talks to the server: `wireModelFiles` calls back with what to send, and a
 * file the server sends is saved with `saveFile`.
 */

/** Hand `blob` to the browser as a download named `filename`. */
function saveBlob(blob, filename) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  // The download has started from the click; the URL is only needed until then.
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

/** Save text the server sent (an `export` message) under its file name. */
export function saveFile({ filename, media_type: mediaType, content }) {
  saveBlob(new Blob([content], { type: mediaType }), filename);
}

/** The loss history as CSV: epoch,train_loss,test_loss, an empty field where unknown. */
export function lossHistoryCsv(history) {
  const field = (value) => (Number.isFinite(value) ? String(value) : "");
  const lines = ["epoch,train_loss,test_loss"];
  for (let i = 0; i < history.length; i++) {
    lines.push(`${history.epochs[i]},${field(history.train[i])},${field(history.test[i])}`);
  }
  return `${lines.join("\n")}\n`;
}

/** Save a canvas as PNG on white (a chart's canvas is transparent where nothing is drawn). */
export function saveCanvasPng(canvas, filename) {
  const copy = document.createElement("canvas");
  copy.width = canvas.width;
  copy.height = canvas.height;
  const context = copy.getContext("2d");
  context.fillStyle = "#fff";
  context.fillRect(0, 0, copy.width, copy.height);
  context.drawImage(canvas, 0, 0);
  copy.toBlob((blob) => saveBlob(blob, filename), "image/png");
}

/** A file's text as JSON, or an error saying why it is not. */
async function readJson(file) {
  const text = await file.text();
  try {
    return { model: JSON.parse(text) };
  } catch (error) {
    return { error: `${file.name} is not JSON: ${error.message}` };
  }
}

/**
 * Wire the Model group's buttons: `requestExport(what)` for the server's files ("model",
 * "script", "data"), `saveLossHistory()`, `saveLossPng()` and `saveBoundaryPng()` for the
 * page's own,
 * `importModel(model, fileName)` with the parsed JSON of a chosen file, and `showError(text)`
 * for a file that cannot be read.
 */
export function wireModelFiles({
  requestExport,
  saveLossHistory,
  saveLossPng,
  saveBoundaryPng,
  importModel,
  showError,
}) {
  const byId = (id) => document.getElementById(id);
  for (const what of ["model", "script", "data"]) {
    byId(`export-${what}`).addEventListener("click", () => requestExport(what));
  }
  byId("export-loss-history").addEventListener("click", saveLossHistory);
  byId("download-loss-png").addEventListener("click", saveLossPng);
  byId("download-boundary-png").addEventListener("click", saveBoundaryPng);
  const input = byId("import-model");
  input.addEventListener("change", async () => {
    const [file] = input.files;
    // Cleared, so that choosing the same file again (after editing it) is a change too.
    input.value = "";
    if (!file) return;
    const { model, error } = await readJson(file);
    if (error) showError(error);
    else if (model === null || typeof model !== "object" || Array.isArray(model)) {
      showError(`${file.name} holds JSON but not a model (an object with "format", "config", "layers")`);
    } else importModel(model, file.name);
  });
}
