// Value axes: the range a y-axis shows (from zero up to a round number above the data, or a
// fixed range like 0–100 %) and its ticks at round steps (1, 2, 2.5, 5 × 10^n).

const isNum = (v) => typeof v === 'number' && Number.isFinite(v);

/** The round step (1, 2, 2.5 or 5 × 10^n) nearest above `raw`. */
export function niceStep(raw) {
  if (!(raw > 0) || !Number.isFinite(raw)) return 1;
  const p = 10 ** Math.floor(Math.log10(raw));
  const f = raw / p;
  let m = 10;
  if (f <= 1) m = 1;
  else if (f <= 2) m = 2;
  else if (f <= 2.5) m = 2.5;
  else if (f <= 5) m = 5;
  return m * p;
}

/** The smallest and largest of `values` (numbers only), or null when there is none. */
export function extent(values) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (!isNum(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo <= hi ? [lo, hi] : null;
}

/** The y-axis over data `ext` ([lo, hi] or null): `axis.min`/`axis.max` fix an end, otherwise
 *  the range starts at zero (or below, for negative data) and ends on a round tick a little
 *  above the data, so nothing is drawn on the frame. `count` ticks are aimed for. Returns
 *  {lo, hi, step, ticks}. */
export function valueAxis(axis, ext, count) {
  const fixedLo = isNum(axis.min) ? axis.min : null;
  const fixedHi = isNum(axis.max) ? axis.max : null;
  let lo = fixedLo ?? Math.min(0, ext ? ext[0] : 0);
  let hi = fixedHi ?? (ext ? ext[1] : 0);
  if (fixedHi === null && hi > lo) hi += (hi - lo) * 0.06; // headroom for the top line and labels
  if (!(hi > lo)) hi = lo + (isNum(axis.span) && axis.span > 0 ? axis.span : 1);
  const step = niceStep((hi - lo) / Math.max(1, count));
  if (fixedLo === null) lo = Math.floor(lo / step) * step;
  if (fixedHi === null) hi = Math.ceil(hi / step - 1e-9) * step;
  const ticks = [];
  const first = Math.ceil(lo / step - 1e-9) * step;
  for (let i = 0; first + i * step <= hi + step * 1e-9; i += 1) {
    const v = first + i * step;
    ticks.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  }
  return { lo, hi, step, ticks };
}
