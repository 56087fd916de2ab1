/**
 * Server errors shown where they belong: beside the control of the field they name.
 *
 * Every control has an error slot (`error-<field>`); an `error` message names its field in
 * `details[0].loc` (["configure", "config", "hidden_layers", "1"], ["set", "learning_rate"]) or,
 * for checks of the whole config, in its text ("config: Value error, batch_size: ...").
 */

/** An empty, hidden error slot for `field`, to put beside its control. */
export function errorSlot(field) {
  const slot = document.createElement("p");
  slot.className = "field-error";
  slot.dataset.errorFor = field;
  slot.dataset.testid = `error-${field}`;
  slot.setAttribute("role", "alert");
  slot.hidden = true;
  return slot;
}

/** The field an `error` message is about (one of `fields`, "probe", "weight"), or null. */
export function errorField(error, fields) {
  if (error.code === "bad_probe") return "probe";
  if (error.code === "bad_weight" || error.details?.[0]?.loc?.[0] === "set_weight") return "weight";
  for (const part of error.details?.[0]?.loc ?? []) if (fields.includes(part)) return part;
  for (const match of error.message.matchAll(/([a-z_]+)(?:\.\d+)*:/g)) {
    if (fields.includes(match[1])) return match[1];
  }
  return null;
}

/** The message without the validator's prefixes ("config: Value error, <field>: "). */
export function errorText(error, field) {
  const text = error.message
    .replace(/^config:\s*/, "")
    .replace(/^Value error,\s*/, "")
    .replace(/^config\./, "");
  return field && text.startsWith(`${field}: `) ? text.slice(field.length + 2) : text;
}

/** Show `message` in the slot of `field`; false if the page has no slot of that name. */
export function showFieldError(field, message) {
  const slot = document.querySelector(`.field-error[data-error-for="${field}"]`);
  if (!slot) return false;
  slot.textContent = message;
  slot.hidden = false;
  slot.closest(".field")?.classList.add("invalid");
  return true;
}

/** Hide the errors of these fields (all of them by default). */
export function clearFieldErrors(fields = null) {
  for (const slot of document.querySelectorAll(".field-error")) {
    if (fields && !fields.includes(slot.dataset.errorFor)) continue;
    slot.hidden = true;
    slot.textContent = "";
    slot.closest(".field")?.classList.remove("invalid");
  }
}
