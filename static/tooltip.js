/** The page's one tooltip: exact values under the pointer, kept inside the window. */

const OFFSET = 14;

function tooltipElement() {
  return document.getElementById("tooltip");
}

/** Show `html` near the viewport point (x, y). */
export function showTooltip(html, x, y) {
  const tip = tooltipElement();
  tip.innerHTML = html;
  tip.hidden = false;
  const { width, height } = tip.getBoundingClientRect();
  const left = x + OFFSET + width > window.innerWidth ? x - OFFSET - width : x + OFFSET;
  const top = Math.min(y + OFFSET, window.innerHeight - height - 4);
  tip.style.left = `${Math.max(4, left)}px`;
  tip.style.top = `${Math.max(4, top)}px`;
}

export function hideTooltip() {
  tooltipElement().hidden = true;
}

/** A number for a tooltip: four significant digits, exponent form when tiny or huge. */
export function formatValue(value) {
  if (value === null || value === undefined || Number.isNaN(value)) return "–";
  if (!Number.isFinite(value)) return value > 0 ? "∞" : "−∞";
  const magnitude = Math.abs(value);
  if (magnitude !== 0 && (magnitude < 1e-3 || magnitude >= 1e4)) return value.toExponential(3);
  const text = value.toPrecision(4);
  return text.includes(".") ? text.replace(/\.?0+$/, "") : text;
}

/**
 * A number for a readout or an axis: at most `digits` significant digits and no trailing
 * zeros ("0.5", "1e-5", "1.74e+272"), so a loss that blew up stays one short word.
 */
export function formatCompact(value, digits = 3) {
  if (value === null || value === undefined || Number.isNaN(value)) return "–";
  if (!Number.isFinite(value)) return value > 0 ? "∞" : "−∞";
  const magnitude = Math.abs(value);
  if (magnitude !== 0 && (magnitude < 1e-3 || magnitude >= 1e5)) {
    const [mantissa, exponent] = value.toExponential(digits - 1).split("e");
    return `${mantissa.includes(".") ? mantissa.replace(/\.?0+$/, "") : mantissa}e${exponent}`;
  }
  if (magnitude >= 10 ** digits) return Math.round(value).toLocaleString("en-US");
  const text = value.toPrecision(digits);
  return text.includes(".") ? text.replace(/\.?0+$/, "") : text;
}
