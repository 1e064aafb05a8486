// The time axis: ticks at round local times (every second … every few months) and their
// labels, one short line each in local time ("14:05:30", "14:05", "Dec 6", "Jan 2027"): a
// tick at local midnight is labelled with its date, so a range over several days says which
// day is which. Labels are written out here rather than by Intl.DateTimeFormat: the first
// Intl formatter of a page loads the browser's locale data, which cost 20-80 ms on the way
// to the first chart of a first visit.

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;
/** Steps under a month, in ms. */
const STEPS = [
  S, 2 * S, 5 * S, 10 * S, 15 * S, 30 * S,
  M, 2 * M, 5 * M, 10 * M, 15 * M, 30 * M,
  H, 2 * H, 3 * H, 6 * H, 12 * H,
  D, 2 * D, 7 * D, 14 * D,
];
const MONTH_STEPS = [1, 2, 3, 6, 12];

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n) => String(n).padStart(2, '0');

/** "Dec 6" */
export const dayText = (d) => `${MONTHS[d.getMonth()]} ${d.getDate()}`;
/** "14:05" */
export const hmText = (d) => `${two(d.getHours())}:${two(d.getMinutes())}`;
/** "14:05:30" */
export const hmsText = (d) => `${hmText(d)}:${two(d.getSeconds())}`;

/** Local midnight of the day `t` falls in. */
function midnight(t) {
  const d = new Date(t);
  return new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
}

/** Ticks every `step` ms (under a day), aligned to the local clock (…:00, …:15). */
function clockTicks(t0, t1, step) {
  const base = midnight(t0);
  const out = [];
  for (let t = base + Math.ceil((t0 - base) / step) * step; t <= t1; t += step) out.push(t);
  return out;
}

/** Ticks at local midnights, every `days` days. */
function dayTicks(t0, t1, days) {
  const d = new Date(midnight(t0));
  if (d.getTime() < t0) d.setDate(d.getDate() + 1);
  const out = [];
  for (; d.getTime() <= t1; d.setDate(d.getDate() + days)) out.push(d.getTime());
  return out;
}

/** Ticks on the first of every `months`-th month. */
function monthTicks(t0, t1, months) {
  const s = new Date(t0);
  const d = new Date(s.getFullYear(), Math.floor(s.getMonth() / months) * months, 1);
  if (d.getTime() < t0) d.setMonth(d.getMonth() + months);
  const out = [];
  for (; d.getTime() <= t1; d.setMonth(d.getMonth() + months)) out.push(d.getTime());
  return out;
}

/** At most `max` ticks between `t0` and `t1` (epoch ms): {step, ticks: [{t, label}]}. */
export function timeTicks(t0, t1, max) {
  const span = Math.max(1, t1 - t0);
  const limit = Math.max(1, max);
  const step = STEPS.find((s) => span / s <= limit);
  let ticks;
  if (step === undefined) {
    const months = MONTH_STEPS.find((m) => span / (m * 30 * D) <= limit) || 12 * Math.ceil(span / (365 * D * limit));
    ticks = monthTicks(t0, t1, months);
    return { step: months * 30 * D, ticks: ticks.map((t) => ({ t, label: monthLabel(t) })) };
  }
  ticks = step < D ? clockTicks(t0, t1, step) : dayTicks(t0, t1, step / D);
  return { step, ticks: ticks.map((t) => ({ t, label: timeLabel(t, step) })) };
}

function monthLabel(t) {
  const d = new Date(t);
  return d.getMonth() === 0 ? `${MONTHS[0]} ${d.getFullYear()}` : MONTHS[d.getMonth()];
}

/** A tick's label: the time of day, or the date at midnight and for day steps. */
function timeLabel(t, step) {
  const d = new Date(t);
  if (step >= D || (d.getHours() === 0 && d.getMinutes() === 0 && d.getSeconds() === 0)) return dayText(d);
  return step < M ? hmsText(d) : hmText(d);
}
