// Human values: numbers, rates, percentages, times and durations, and axis ticks in the
// same units.

import { dayText, hmsText } from './chart/time.js';

export function isNum(v) { return typeof v === 'number' && Number.isFinite(v); }

export function num(x) {
  const a = Math.abs(x);
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

/** A limit as people write it: 50, 12.5 (no trailing zeros). */
export function short(x) { return String(Math.round(x * 100) / 100); }

const BPS_UNITS = [['Gbps', 1e9], ['Mbps', 1e6], ['kbps', 1e3], ['bps', 1]];

/** The unit [name, divisor] a bit rate reads best in. */
function bpsUnit(v) {
  return BPS_UNITS.find(([, div]) => Math.abs(v) >= div) || BPS_UNITS[BPS_UNITS.length - 1];
}

export function fmtBps(v) {
  if (!isNum(v)) return '—';
  const [name, div] = bpsUnit(v);
  return `${num(v / div)} ${name}`;
}

export function fmtPct(v) { return isNum(v) ? `${v.toFixed(1)} %` : '—'; }
export function fmtMs(v) { return isNum(v) ? `${v < 10 ? v.toFixed(2) : v.toFixed(1)} ms` : '—'; }

/** A value in its human unit, chosen from the metric's catalogue unit. */
export function fmtUnit(unit, v) {
  if (!isNum(v)) return '—';
  switch (unit) {
    case 'bits_per_second': return fmtBps(v);
    case 'percent': return fmtPct(v);
    case 'seconds': return fmtMs(v * 1000);
    default: return num(v);
  }
}

/** How many decimals tell ticks `step` apart (2.5 needs one, 20 none), at most 3. */
function decimals(step) {
  const s = String(Number(Math.abs(step).toPrecision(6)));
  const dot = s.indexOf('.');
  return dot < 0 || s.includes('e') ? 0 : Math.min(3, s.length - dot - 1);
}

/** `x` with `d` decimals at most and no trailing zeros (12.5, 3, 0.25). */
function trim(x, d) { return String(Number(x.toFixed(d))); }

/** An axis tick in the unit's human form, with no more digits than ticks `step` apart need
 *  ("0", "500 kbps", "1.25 Mbps", "25 %", "4 ms"). */
export function fmtTick(unit, v, step) {
  if (!isNum(v)) return '';
  if (v === 0) return '0';
  switch (unit) {
    case 'bits_per_second': {
      const [name, div] = bpsUnit(v);
      return `${trim(v / div, decimals(step / div))} ${name}`;
    }
    case 'percent': return `${trim(v, decimals(step))} %`;
    case 'seconds': return `${trim(v * 1000, decimals(step * 1000))} ms`;
    default: return trim(v, decimals(step));
  }
}

/** A local time, "14:05:30" today, else "Dec 6, 14:05:30" (written out, not by Intl: see
 *  chart/time.js). */
export function fmtTime(ms) {
  if (!isNum(ms)) return '—';
  const d = new Date(ms);
  const n = new Date();
  const today = d.getDate() === n.getDate() && d.getMonth() === n.getMonth() && d.getFullYear() === n.getFullYear();
  return today ? hmsText(d) : `${dayText(d)}, ${hmsText(d)}`;
}

export function fmtDuration(ms) {
  if (!isNum(ms) || ms < 0) return '';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
}

/** Epoch ms shifted so that its UTC reading is the viewer's local time (for inputs that take
 *  local date-times, like datetime-local). */
export function loc(ms) { return ms - new Date(ms).getTimezoneOffset() * 60000; }

/** ok, warn (from three quarters of the limit) or crit (at the limit). */
export function level(value, limit) {
  if (!isNum(value) || !isNum(limit) || limit <= 0) return 'ok';
  if (value >= limit) return 'crit';
  if (value >= 0.75 * limit) return 'warn';
  return 'ok';
}

/** The metric name of a series text like `name{a="b"}`. */
export function metricOf(seriesText) {
  const s = String(seriesText || '');
  const i = s.indexOf('{');
  return i < 0 ? s : s.slice(0, i);
}
