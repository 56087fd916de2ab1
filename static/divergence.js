/**
 * The panel over the plot when training diverged: what happened, in words, and what to try.
 *
 * The server stops a run whose weights or loss overflowed and says so in a `status` of state
 * "diverged"; its message is small text in the status bar, while the eye is on the plot. The
 * panel says it there, suggests a learning rate ten times smaller (from the menu's rates) and,
 * for an unbounded activation, a bounded one, and offers to start again with the smaller rate.
 */

import { formatCompact } from "./tooltip.js";

const UNBOUNDED = new Set(["relu", "leaky_relu", "linear"]);
const byId = (id) => document.getElementById(id);

/** The menu's largest learning rate at most a tenth of `rate` (else the next smaller one). */
function smallerRate(rate, rates) {
  const lower = [...rates].sort((a, b) => b - a).filter((r) => r < rate);
  return lower.find((r) => r <= rate / 10) ?? lower[0] ?? null;
}

/**
 * Show the panel; `reason` is the server's message; `actions.retry(rate)` resets the run
 * (with learning rate `rate`, or the same one when null).
 */
export function showDivergence(reason, state, options, actions) {
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
  panel.querySelector(".divergence-reason").textContent =
    `${epoch ? `At epoch ${epoch} the` : "The"} loss grew until it overflowed, so the server ` +
    "stopped the run (the status bar has its message). What to try:";
  panel.querySelector(".divergence-tips").replaceChildren(
    ...tips.map((text) => Object.assign(document.createElement("li"), { textContent: text })),
  );
  const retry = byId("divergence-retry");
  retry.textContent = rate === null ? "Start again" : `Start again at learning rate ${formatCompact(rate)}`;
  retry.onclick = () => actions.retry(rate);
  panel.hidden = false;
}

export function hideDivergence() {
  byId("divergence").hidden = true;
}
