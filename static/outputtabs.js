/**
 * The output column's tabs (`tab-<name>` buttons over a panel each): which one is shown,
 * which can be chosen. The tabs themselves are listed once, by main.js (`outputTabs`: name ->
 * {panel, view, draw}); this module only works the buttons and panels of that list.
 */

const byId = (id) => document.getElementById(id);

/** Call `onSelect(name)` when tab `name`'s button is clicked, for every tab of `tabs`. */
export function wireTabs(tabs, onSelect) {
  for (const name of Object.keys(tabs)) {
    byId(`tab-${name}`).addEventListener("click", () => onSelect(name));
  }
}

/** Show tab `shown`'s panel and mark its button selected; hide the others. */
export function selectTab(tabs, shown) {
  for (const [name, { panel }] of Object.entries(tabs)) {
    byId(`tab-${name}`).setAttribute("aria-selected", String(name === shown));
    byId(panel).hidden = name !== shown;
  }
}

/** Enable tab `name`, or disable it with a title that says why (`reason`). */
export function enableTab(name, enabled, reason) {
  const button = byId(`tab-${name}`);
  button.dataset.title ??= button.title;
  button.disabled = !enabled;
  button.title = enabled ? button.dataset.title : `${button.textContent.trim()}: ${reason}`;
}

export const tabDisabled = (name) => byId(`tab-${name}`).disabled;
