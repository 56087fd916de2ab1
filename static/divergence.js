/**
 * The panel over the plot when training diverged: what happened, in words, and what to try.
 *
 * The server stops a run whose weights or loss overflowed and says so in a `status` of state
 * "diverged"; its message is small text in the status bar, while the eye is on the plot. The
 * panel says it there, suggests a learning rate ten times smaller (from the menu's rates) and,
 * for an unbounded activation, a bounded one, and offers to start again with the smaller rate.
 *
 * A classifier's loss rarely overflows: its output is squashed, so a learning rate far too large
 * makes the loss jump around above where it started instead, and the run goes on as noise. The
 * page sees that in the loss curve it draws (`unstableLoss`) and shows the same panel, without
 * stopping the run.
 */

import { formatCompact } from "./tooltip.js";

const UNBOUNDED = new Set(["relu", "leaky_relu", "linear"]);
const byId = (id) => document.getElementById(id);

/** The menu's largest learning rate at most a tenth of `rate` (else the next smaller one). */
function smallerRate(rate, rates) {
  const lower = [...rates].sort((a, b) => b - a).filter((r) => r < rate);
  return lower.find((r) => r <= rate / 10) ?? lower[0] ?? null;
}

/** Epochs a run trains before its loss is judged, and the stretch judged: its last epochs
 * (at least `UNSTABLE_POINTS` of the curve's points, which summarise a fast run's frames). */
const UNSTABLE_AFTER = 100;
const UNSTABLE_POINTS = 20;

function quantile(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/**
 * Whether the loss curve `history` (charts.js's LossHistory: its first point is where the run
 * began) has stopped falling and oscillates above its start: over the last 100 epochs the
 * training loss's median is above the starting loss and its spread (10th to 90th percentile)
 * is more than a tenth of that median. Healthy runs fall below their start within a few
 * epochs, and a run that cannot learn (a line on circle) stays flat, so neither trips it; on
 * circle, spiral and xor at learning rate 10 it trips within the first 200 epochs. Returns the
 * start and the median, or null.
 */
export function unstableLoss(history) {
  const n = history.length;
  if (n < 2 || history.epochs[n - 1] - history.epochs[0] < UNSTABLE_AFTER) return null;
  const since = history.epochs[n - 1] - UNSTABLE_AFTER;
  let first = n - 1;
  while (first > 1 && (history.epochs[first - 1] > since || n - first < UNSTABLE_POINTS)) first--;
  const losses = Array.from(history.train.subarray(first, n)).filter(Number.isFinite);
  const start = history.train[0];
  if (losses.length < 2 || !Number.isFinite(start)) return null;
  losses.sort((a, b) => a - b);
  const median = quantile(losses, 0.5);
  const spread = quantile(losses, 0.9) - quantile(losses, 0.1);
  return median > start && spread > 0.1 * median ? { start, median } : null;
}

/**
 * Show the panel; `reason` is the server's message; `actions.retry(rate)` resets the run
 * (with learning rate `rate`, or the same one when null). With `unstable` (from
 * `unstableLoss`) the run did not overflow and goes on: the panel says what the curve shows and
 * `actions.dismiss()` lets the user keep watching.
 */
export function showDivergence(reason, state, options, actions, unstable = null) {
  const panel = byId("divergence");
  const rate = smallerRate(state.learning_rate, options.learning_rates);
  const tips = [];
  if (rate !== null) {
    tips.push(
      `Lower the learning rate: at ${formatCompact(state.learning_rate)} each step overshoots ` +
        `the minimum further than it started, so the weights grow. Try ${formatCompact(rate)}.`,
    );
  }
  if (UNBOUNDED.has(state.activation)) {
    tips.push(`Try tanh or sigmoid: ${state.activation}'s outputs have no upper bound, so large weights feed larger ones.`);
  }
  if (state.optimizer === "sgd") tips.push("Or Adam: its steps stay about the size of the learning rate.");
  const epoch = /epoch (\d+)/.exec(reason)?.[1];
  panel.querySelector("h3").textContent = unstable ? "Training is unstable" : "Training diverged";
  panel.querySelector(".divergence-reason").textContent = unstable
    ? `The loss stopped falling: over the last ${UNSTABLE_AFTER} epochs it has jumped up and down ` +
      `around ${formatCompact(unstable.median)}, above the ${formatCompact(unstable.start)} ` +
      "it started from. The steps are too large to settle into a minimum. What to try:"
    : `${epoch ? `At epoch ${epoch} the` : "The"} loss grew until it overflowed, so the server ` +
      "stopped the run (the status bar has its message). What to try:";
  panel.querySelector(".divergence-tips").replaceChildren(
    ...tips.map((text) => Object.assign(document.createElement("li"), { textContent: text })),
  );
  const retry = byId("divergence-retry");
  retry.textContent = rate === null ? "Start again" : `Start again at learning rate ${formatCompact(rate)}`;
  retry.onclick = () => actions.retry(rate);
  const dismiss = byId("divergence-dismiss");
  dismiss.hidden = !unstable;
  dismiss.onclick = () => actions.dismiss();
  panel.hidden = false;
}

export function hideDivergence() {
  byId("divergence").hidden = true;
}
