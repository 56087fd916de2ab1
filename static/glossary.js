/**
 * The page's jargon, each word explained where it stands: hovering or focusing an element
 * marked `data-term="probe"` shows the term's explanation in the page's one tooltip (and gives
 * it to screen readers as the element's description). The words follow the paper's names.
 */

import { escapeHtml } from "./markup.js";
import { hideTooltip, showTooltip } from "./tooltip.js";

export const GLOSSARY = {
  epoch: "Epoch: one pass over all the training samples, in mini-batches.",
  batch:
    "Batch size: how many samples each gradient step averages over. The weights change once per " +
    "mini-batch, so an epoch has (training samples / batch size) steps.",
  probe:
    "Probe: the one training sample the network graph and the delta strip follow (the ringed " +
    "point). Click a point, or press N / P, to choose another.",
  a: "a: a neuron's activation, its output φ(z) for the probe sample (eq. 33).",
  z: "z: a neuron's weighted input, W·a of the layer before plus its bias b (eq. 32).",
  w: "w: a weight, how strongly one neuron's output feeds the next one's input.",
  delta:
    "δ (delta): how much the cost would change per unit change of a neuron's z, for the probe " +
    "(eqs. 12-13). Backpropagation computes it from the output back to the input; small δ in " +
    "early layers means they learn slowly (vanishing gradients).",
  gradient:
    "∂C/∂w: how much the cost C changes when the weight w changes, averaged over the training " +
    "set (eq. 14). Gradient descent moves each w against it: w − η ∂C/∂w.",
  loss: "Loss (cost): how far the network's outputs are from the targets; training lowers it.",
};

/** Mark the elements with `data-term` as explained: focusable, with their explanation. */
export function wireGlossary(root = document) {
  for (const element of root.querySelectorAll("[data-term]")) explain(element);
}

/** Give `element` its term's explanation on hover and focus. */
export function explain(element) {
  const text = GLOSSARY[element.dataset.term];
  if (!text || element.dataset.explained) return;
  element.dataset.explained = "true";
  element.classList.add("jargon");
  if (!element.matches("button, input, select, a[href], [tabindex]")) element.tabIndex = 0;
  element.setAttribute("aria-description", text);
  const show = () => {
    const box = element.getBoundingClientRect();
    showTooltip(escapeHtml(text), box.left, box.bottom);
  };
  element.addEventListener("mouseenter", show);
  element.addEventListener("focus", show);
  element.addEventListener("mouseleave", hideTooltip);
  element.addEventListener("blur", hideTooltip);
}
