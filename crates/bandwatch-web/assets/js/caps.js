// Data caps: one bar per [[caps]] entry from GET /api/v1/caps, the used share filled and the
// forecast at the period's end marked, with the bytes and the day the cap will be reached.
// The section stays hidden when no cap is configured. Loaded after the history (app.js), so
// it never delays the first chart.

import { $, el } from './dom.js';
import { api } from './api.js';
import { isNum } from './format.js';

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];

/** Bytes in binary units, as the rest of bandwatch shows them ("931.32 GiB"). */
function fmtBytes(v) {
  if (!isNum(v)) return '—';
  let x = v;
  let i = 0;
  while (x >= 1024 && i < UNITS.length - 1) { x /= 1024; i += 1; }
  return i === 0 ? `${Math.round(x)} B` : `${x.toFixed(2)} ${UNITS[i]}`;
}

const dayFmt = new Intl.DateTimeFormat(undefined, { weekday: 'short', month: 'short', day: 'numeric' });

/** The bar's level: ok below 80 %, warn below 100 %, crit from there. */
function levelOf(ratio) {
  if (!isNum(ratio)) return 'none';
  if (ratio >= 1) return 'crit';
  return ratio >= 0.8 ? 'warn' : 'ok';
}

/** A share of the bar, clamped to it (a forecast of 300 % sits at the end). */
function width(ratio) {
  return `${Math.max(0, Math.min(1, isNum(ratio) ? ratio : 0)) * 100}%`;
}

function capBlock(c) {
  const block = el('div', 'cap');
  block.dataset.cap = c.name;
  block.dataset.level = levelOf(c.used_ratio);
  const head = el('div', 'cap-head');
  head.append(el('span', 'name', c.name), el('span', 'pct', isNum(c.used_ratio) ? `${(c.used_ratio * 100).toFixed(1)} %` : '—'));
  const bar = el('div', 'cap-bar');
  bar.setAttribute('role', 'meter');
  bar.setAttribute('aria-label', `${c.name} used`);
  bar.setAttribute('aria-valuemin', '0');
  bar.setAttribute('aria-valuemax', '100');
  if (isNum(c.used_ratio)) bar.setAttribute('aria-valuenow', String(Math.round(c.used_ratio * 100)));
  const fill = el('div', 'cap-fill');
  fill.style.width = width(c.used_ratio);
  const mark = el('div', 'cap-forecast');
  mark.style.left = width(c.forecast_ratio);
  mark.dataset.level = levelOf(c.forecast_ratio);
  mark.title = `forecast at the period's end: ${fmtBytes(c.forecast_bytes)}`;
  bar.append(fill, mark);
  const reach = isNum(c.reach) ? `reaches the cap ${dayFmt.format(new Date(c.reach))}` : 'not reached this period';
  const detail = el('div', 'cap-detail',
    `${fmtBytes(c.used_bytes)} of ${fmtBytes(c.limit_bytes)} · forecast ${fmtBytes(c.forecast_bytes)}`
    + (isNum(c.forecast_ratio) ? ` (${(c.forecast_ratio * 100).toFixed(0)} %)` : '')
    + ` · ${reach}`
    + (isNum(c.period_end) ? ` · period ends ${dayFmt.format(new Date(c.period_end))}` : ''));
  block.append(head, bar, detail);
  return block;
}

/** Fetches the caps and draws their bars; a failure only leaves the section as it was. */
export async function loadCaps() {
  let answer;
  try {
    answer = await api('/caps');
  } catch {
    return;
  }
  const caps = answer && Array.isArray(answer.caps) ? answer.caps.filter((c) => c && typeof c.name === 'string') : [];
  const list = $('#caps-list');
  list.replaceChildren(...caps.map(capBlock));
  $('#caps').hidden = caps.length === 0;
}
