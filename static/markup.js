/**
 * Text made safe for the two markups the page writes: HTML, and the pseudo-HTML Plotly reads
 * in every text it draws. Column, class and file names come from uploaded CSVs and model
 * files, so any of them may be written to look like markup; both functions make it show as
 * the characters it is.
 */

const HTML_ENTITIES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Text made safe to put in HTML, in an element or a quoted attribute. */
export const escapeHtml = (text) => String(text).replace(/[&<>"']/g, (c) => HTML_ENTITIES[c]);

const PLOTLY_ENTITIES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", "%": "&#37;" };

/**
 * Text Plotly draws as written: in titles, tick labels, trace names, hover text and the
 * values a hovertemplate takes in (customdata, meta). Plotly turns <a href>, <b>, <i>, <em>,
 * <s>, <u>, <sup>, <sub>, <span style> and <br> into SVG (a link that navigates the page, a
 * style the name chose) and decodes &entities;, so `<` and `&` must reach it encoded; it
 * decodes only &amp; &lt; &gt;, a few named and the numeric entities, so escapeHtml's &quot;
 * would show as written. Once a figure has `meta`, its titles, trace names and annotations
 * are templates too (`%{meta[0]}`; an unknown `%{...}` is dropped), so the `%` of a `%{`
 * goes encoded as well: Plotly fills templates before it decodes entities. In a
 * hovertemplate, user text goes in as one of the values it takes in, never as part of the
 * template.
 */
export const plotlyText = (text) =>
  String(text).replace(/[&<>]|%(?={)/g, (c) => PLOTLY_ENTITIES[c]);
