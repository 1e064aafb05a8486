// Reading a series (x ascending, epoch ms; y numbers): the points inside a time range, where
// the line has a gap (the agent was not sampling), and the point nearest a time.

const isNum = (v) => typeof v === 'number' && Number.isFinite(v);

/** The index of the first x at or after `t` (xs.length when none). */
export function lowerBound(xs, t) {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] < t) lo = mid + 1; else hi = mid;
  }
  return lo;
}

/** [from, to) of the points between `t0` and `t1`, plus one on each side so a line runs on
 *  to the edge of the chart. */
export function visibleSpan(xs, t0, t1) {
  return [Math.max(0, lowerBound(xs, t0) - 1), Math.min(xs.length, lowerBound(xs, t1) + 1)];
}

/** The y values of the points between `t0` and `t1`. */
export function* visibleValues(s, t0, t1) {
  for (let i = lowerBound(s.x, t0); i < s.x.length && s.x[i] <= t1; i += 1) yield s.y[i];
}

/** Points farther apart than this are not joined: several buckets, or several of the
 *  series' usual spacing (a probe every 10 s is not a gap). */
export function gapMs(xs, stepMs) {
  const n = Math.min(xs.length - 1, 256);
  const diffs = [];
  for (let i = xs.length - n; i < xs.length; i += 1) diffs.push(xs[i] - xs[i - 1]);
  diffs.sort((a, b) => a - b);
  const usual = diffs.length ? diffs[diffs.length >> 1] : 0;
  return Math.max(3 * (stepMs || 0), 3 * usual, 1);
}

/** The index of the point nearest `t`, or -1 for an empty series. */
export function nearestIndex(xs, t) {
  if (!xs.length) return -1;
  const i = lowerBound(xs, t);
  if (i === 0) return 0;
  if (i === xs.length) return xs.length - 1;
  return t - xs[i - 1] <= xs[i] - t ? i - 1 : i;
}

/** The time of the point nearest `t` among `series` (inside [t0, t1]), or null. */
export function nearestTime(series, t, t0, t1) {
  let best = null;
  for (const s of series) {
    const i = nearestIndex(s.x, t);
    if (i < 0 || s.x[i] < t0 || s.x[i] > t1 || !isNum(s.y[i])) continue;
    if (best === null || Math.abs(s.x[i] - t) < Math.abs(best - t)) best = s.x[i];
  }
  return best;
}

/** The value of `s` at time `t`: its nearest point when that is within half a gap of `t`. */
export function valueAt(s, t, stepMs) {
  const i = nearestIndex(s.x, t);
  if (i < 0 || !isNum(s.y[i]) || Math.abs(s.x[i] - t) > gapMs(s.x, stepMs) / 2) return null;
  return s.y[i];
}
