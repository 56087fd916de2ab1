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

/**
 * Where a server `error` goes: the first route that claims it, else beside the control of the
 * field it names (`errorField`) or in the status bar. A route claims an error by its `codes`,
 * by the client message it answers (`messages`: details[0].loc[0]), or, for the codes any
 * request can meet (`whileWaiting`: a message too large, an internal failure), while its part
 * of the page awaits an answer. `data`'s rule is userdata.js's own (`UserData.failed`).
 */
export const ERROR_ROUTES = [
  { to: "resume", codes: ["bad_resume"], whileWaiting: ["message_too_large"] },
  { to: "data", decidedBy: "destination" },
  {
    to: "model",
    codes: ["bad_model"],
    messages: ["export", "import_model"],
    whileWaiting: ["message_too_large"],
  },
  { to: "layer_space", codes: ["bad_layer_space"], messages: ["layer_space"] },
  {
    to: "inspector",
    codes: ["gradcheck_too_large"],
    messages: ["inspect", "gradcheck"],
    whileWaiting: ["internal"],
  },
];

/**
 * Show `error` where ERROR_ROUTES sends it. `destinations`: route name -> {waiting() (whether
 * it awaits an answer), show(error)}, `data`'s show(error) saying whether it took the error;
 * `field`: show(error), for the errors no route claims.
 */
export function routeError(error, destinations) {
  const about = error.details?.[0]?.loc?.[0];
  for (const route of ERROR_ROUTES) {
    const destination = destinations[route.to];
    if (route.decidedBy === "destination") {
      if (destination.show(error)) return;
      continue;
    }
    const claimed =
      route.codes.includes(error.code) ||
      (route.messages ?? []).includes(about) ||
      ((route.whileWaiting ?? []).includes(error.code) && destination.waiting());
    if (claimed) {
      destination.show(error);
      return;
    }
  }
  destinations.field.show(error);
}
