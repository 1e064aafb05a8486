// The hover tooltip: the time, then every series' value at it in the page's units, then any
// alert that starts there. Built from elements with textContent only (names and messages come
// from the network), placed beside the pointer inside the chart.

import { el, swatch } from '../dom.js';
import { fmtTime } from '../format.js';

/** A hidden tooltip element for a chart. */
export function createTooltip() {
  const tip = el('div', 'chart-tip');
  tip.hidden = true;
  tip.setAttribute('aria-hidden', 'true');
  return tip;
}

/** Fills `tip` with time `t`, `rows` [{name, color, text}] and `alerts` [{title, text, color}]. */
export function fillTooltip(tip, t, rows, alerts) {
  const parts = [el('div', 'tip-time', fmtTime(t))];
  for (const r of rows) {
    const row = el('div', 'tip-row');
    row.append(swatch(r.color), el('span', 'tip-name', r.name), el('span', 'tip-value', r.text));
    parts.push(row);
  }
  for (const a of alerts) {
    const box = el('div', 'tip-alert');
    const head = el('div', 'tip-alert-head');
    head.append(swatch(a.color), el('b', null, a.title));
    box.append(head);
    if (a.text) box.append(el('div', 'tip-alert-msg', a.text));
    parts.push(box);
  }
  tip.replaceChildren(...parts);
}

/** Shows `tip` beside point `p` (CSS px in a box of `w` × `h`): right of it, or left when
 *  there is no room, and never past the box's sides. */
export function placeTooltip(tip, p, w, h) {
  tip.hidden = false;
  const tw = tip.offsetWidth;
  const th = tip.offsetHeight;
  let left = p.x + 14;
  if (left + tw > w) left = p.x - 14 - tw;
  left = Math.max(0, Math.min(left, w - tw));
  const top = Math.max(0, Math.min(p.y - th / 2, h - th));
  tip.style.left = `${Math.round(left)}px`;
  tip.style.top = `${Math.round(top)}px`;
}

/** Hides `tip`. */
export function hideTooltip(tip) { tip.hidden = true; }
