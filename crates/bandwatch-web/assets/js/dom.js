// DOM helpers. Text from the API reaches the page only through textContent or attributes.

/** The first element matching `sel`. */
export const $ = (sel) => document.querySelector(sel);

/** A new element with a class and text (set as textContent, never as HTML). */
export function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}

/** Inserts `node` among `parent`'s children ordered by their `data-<key>` value. */
export function insertSorted(parent, node, name, key) {
  const next = [...parent.children].find((c) => c.dataset[key] !== undefined && c.dataset[key] > name);
  parent.insertBefore(node, next || null);
}

/** A small box coloured by a CSS variable (`--rx`) or a colour, for legends and tooltips. */
export function swatch(color, cls = 'sw') {
  const s = el('span', cls);
  s.style.background = color && color.startsWith('--') ? `var(${color})` : color;
  return s;
}
