/**
 * The page's keyboard: shortcuts, and choosing the probe sample without a mouse.
 *
 * Space plays or pauses, the right arrow steps one epoch, N and P make the next or previous
 * training point the probe, Escape leaves Inspect mode. A shortcut never takes a key from a
 * control that has the keyboard's focus: Space and Enter on a focused button press that
 * button (the browser's own behaviour), keys in a field or menu edit it. A button the mouse
 * clicked keeps the focus in Chromium without showing it; it is not the keyboard's, so the
 * shortcuts still act there: a click on Step followed by space plays, as before.
 */

import { className } from "./sketches.js";
import { formatCompact } from "./tooltip.js";

const EDITING = "input, select, textarea, [contenteditable]";
const CONTROL = "button, a[href], summary, [tabindex], [role=button], [role=tab], [role=radio]";

const controlOf = (target) => (target instanceof Element ? target.closest(CONTROL) : null);
let pressed = null; // the control under the last pointer press, until focus moves
let focusedByPointer = false; // whether the focused control got its focus from that press


/** Whether a key pressed on `target` belongs to it rather than to the page's shortcuts. */
function keyBelongsToControl(target) {
  if (!(target instanceof Element)) return false;
  if (target.closest(EDITING)) return true;
  return controlOf(target) !== null && !focusedByPointer;
}

/** Listen for the shortcuts; `actions`: playPause(), step(), probeBy(±1), escape(). */
export function wireKeyboard(actions) {
  document.addEventListener("pointerdown", (event) => (pressed = controlOf(event.target)), true);
  document.addEventListener(
    "focusin",
    (event) => {
      focusedByPointer = pressed !== null && controlOf(event.target) === pressed;
      pressed = null;
    },
    true,
  );
  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "Escape") {
      if (!event.target.closest?.(EDITING)) actions.escape();
      return;
    }
    if (keyBelongsToControl(event.target)) return;
    const shortcut = {
      " ": actions.playPause,
      ArrowRight: actions.step,
      n: () => actions.probeBy(1),
      N: () => actions.probeBy(1),
      p: () => actions.probeBy(-1),
      P: () => actions.probeBy(-1),
    }[event.key];
    if (!shortcut) return;
    event.preventDefault();
    shortcut();
  });
  document.addEventListener("keyup", (event) => {
    if (event.key === " " && !keyBelongsToControl(event.target)) event.preventDefault();
  });
}

/** The training point `index` in words, for the screen reader's announcement. */
export function describeTrainingPoint(run, index) {
  const count = run.train.y.length;
  const label = run.train.y[index];
  const what =
    run.kind === "regression" ? `target ${formatCompact(label)}` : className(run, label);
  const where = run.train.x[index].map((v) => formatCompact(v)).join(", ");
  return `Probe: training point ${index + 1} of ${count}, ${what}, at (${where}).`;
}
