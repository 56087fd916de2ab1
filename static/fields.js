/**
 * Labelled form fields, each with its error slot: selects, sliders and number inputs.
 *
 * A field reports the user's choice as `change(field, value)` with the value in the state's
 * terms (a select's choices are [value, text] pairs, so a value may be null or a number).
 */

import { errorSlot } from "./errors.js";

/** An element with attributes (`text` and `html` set its content) and children. */
export function element(tag, attributes = {}, children = []) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key === "text") node.textContent = value;
    else if (key === "html") node.innerHTML = value;
    else node.setAttribute(key, value);
  }
  node.append(...children);
  return node;
}

/** data-testid of a field's control: the field's name with dashes (batch_size -> batch-size). */
const testId = (field) => field.replaceAll("_", "-");

function labelled(container, field, label, control, extraClass = "") {
  const title = typeof label === "string" ? element("label", { for: control.id, text: label }) : label;
  container.append(element("div", { class: `field ${extraClass}` }, [title, control, errorSlot(field)]));
}

/** A select whose choices are [value, text] pairs. */
export function selectField(container, field, label, choices, change, extraClass = "") {
  const select = element("select", { id: `control-${testId(field)}`, "data-testid": testId(field) });
  select.choices = choices;
  for (const [, text] of choices) select.append(element("option", { text }));
  select.addEventListener("change", () => change(field, select.choices[select.selectedIndex][0]));
  labelled(container, field, label, select, extraClass);
  return select;
}

/** Select the choice whose value is `value`, adding it if a link asked for one off the menu. */
export function setSelectValue(select, value) {
  select.selectedIndex = choiceIndex(select, value, {});
}

/**
 * Show `value` in a greyed-out menu that does not offer it (a data set's own number of classes,
 * such as a binary set's 2): an option added for it is disabled, so that it cannot be picked
 * once the menu is enabled again for data whose value may be chosen.
 */
export function showSelectValue(select, value) {
  select.selectedIndex = choiceIndex(select, value, { disabled: "" });
}

function choiceIndex(select, value, attributes) {
  const index = select.choices.findIndex(([v]) => v === value);
  if (index >= 0) return index;
  select.choices.push([value, String(value)]);
  select.append(element("option", { text: String(value), ...attributes }));
  return select.choices.length - 1;
}

/**
 * A range input over integer positions [min, max] by `step`; `scale` maps a position to the
 * value (toValue), back (fromValue) and to the text shown in the label (show).
 */
export function sliderField(container, field, label, [min, max, step], scale, change) {
  const id = `control-${testId(field)}`;
  const input = element("input", { id, type: "range", min, max, step, "data-testid": testId(field) });
  const output = element("output", { for: id });
  input.show = (value) => {
    output.textContent = scale.show(value);
  };
  input.fromValue = scale.fromValue;
  input.addEventListener("input", () => input.show(scale.toValue(Number(input.value))));
  input.addEventListener("change", () => change(field, scale.toValue(Number(input.value))));
  // The label carries the value: it wraps rather than cut it off in a narrow panel.
  labelled(container, field, element("label", { for: id, class: "with-value" }, [`${label}: `, output]), input);
  return input;
}

/** An integer input; the value goes out when the user commits it (Enter or leaving the field). */
export function numberField(container, field, label, [min, max], change) {
  const input = element("input", {
    id: `control-${testId(field)}`,
    type: "number",
    min,
    max,
    step: 1,
    "data-testid": testId(field),
  });
  input.addEventListener("change", () => {
    const value = Number(input.value);
    if (input.value.trim() !== "" && Number.isInteger(value)) change(field, value);
  });
  labelled(container, field, label, input);
  return input;
}
