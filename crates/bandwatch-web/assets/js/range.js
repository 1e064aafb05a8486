// The time range the charts show: the choice (5m … 30d or custom), the window in epoch ms,
// the bucket step, zooming, and the URL fragment (#r=5m) that keeps it across reloads.

import { $ } from './dom.js';
import { intervalS } from './config.js';
import { isNum, loc } from './format.js';

export const RANGES = { '5m': 300, '15m': 900, '1h': 3600, '6h': 21600, '24h': 86400, '7d': 604800, '30d': 2592000 };
const DEFAULT_RANGE = '15m';
const MAX_POINTS_TARGET = 600;

/** The chosen range: a key of RANGES, or 'custom' with start/end in epoch ms. */
export let range = { key: DEFAULT_RANGE, start: null, end: null };
/** The window the charts show, epoch ms. */
export const win = { start: 0, end: 0 };
/** The width of one chart bucket, ms (the server may widen it for the rollup tiers). */
export let stepMs = 1000;
/** True while the user has zoomed a chart (the charts then stop following live data). */
export let zoomed = false;

export function setRange(r) { range = r; }
export function setWindow(start, end) { win.start = start; win.end = end; }
export function setStepMs(ms) { stepMs = ms; }
export function setZoomed(z) { zoomed = z; }

export function rangeSpanMs() {
  if (range.key === 'custom') return range.end - range.start;
  return RANGES[range.key] * 1000;
}

export function stepSeconds() {
  return Math.max(1, Math.ceil(intervalS()), Math.round(rangeSpanMs() / 1000 / MAX_POINTS_TARGET));
}

/** Query parameters (start, end, step) for the current range. */
export function rangeParams() {
  const p = new URLSearchParams();
  if (range.key === 'custom') {
    p.set('start', String(range.start));
    p.set('end', String(range.end));
  } else {
    p.set('start', `-${range.key}`);
    p.set('end', 'now');
  }
  p.set('step', `${stepSeconds()}s`);
  return p;
}

export function readHash() {
  const h = new URLSearchParams(location.hash.replace(/^#/, ''));
  const r = h.get('r');
  if (r && RANGES[r]) {
    range = { key: r, start: null, end: null };
  } else if (r === 'custom') {
    const a = Number(h.get('from'));
    const b = Number(h.get('to'));
    if (isNum(a) && isNum(b) && b > a) range = { key: 'custom', start: a, end: b };
  }
}

export function writeHash() {
  const h = new URLSearchParams();
  h.set('r', range.key);
  if (range.key === 'custom') {
    h.set('from', String(range.start));
    h.set('to', String(range.end));
  }
  history.replaceState(null, '', `${location.pathname}${location.search}#${h.toString()}`);
}

export function toLocalInput(ms) {
  const d = new Date(loc(ms));
  return d.toISOString().slice(0, 16);
}

export function syncRangeControls() {
  $('#range').value = range.key;
  const custom = range.key === 'custom';
  $('#custom-range').hidden = !custom;
  if (custom && range.start) {
    $('#custom-start').value = toLocalInput(range.start);
    $('#custom-end').value = toLocalInput(range.end);
  }
}
