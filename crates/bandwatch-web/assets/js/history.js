// The charts' history for the chosen range: one /series query per charted role, filled into
// the chart series (in the metric's own unit); the window and step follow the server's answer.

import { api, AuthError } from './api.js';
import { isNum } from './format.js';
import { metric } from './catalog.js';
import {
  renderAll, resetSeries, seriesFor, setHistoryLoaded, setSeriesError,
} from './charts.js';
import { ensureIface, ifaceChartIds } from './cards.js';
import { deviceChartIds, ensureDevice } from './devices.js';
import { DEVICE_CHART, rateKey, selectedDevice } from './lan.js';
import { chartMatches, isKnown, labelNames } from './samples.js';
import {
  range, rangeParams, rangeSpanMs, setStepMs, setWindow, setZoomed, stepSeconds,
} from './range.js';

let loadGen = 0;

async function fetchSeries(name, matches) {
  const p = rangeParams();
  p.set('metric', name);
  for (const m of matches || []) p.append('match', m);
  return api(`/series?${p.toString()}`);
}

function fill(resp, keyOf, stepMs) {
  if (!resp || !Array.isArray(resp.series)) return;
  const step = isNum(resp.step_ms) ? resp.step_ms : stepMs;
  for (const s of resp.series) {
    const key = keyOf(s.labels || {});
    if (!key) continue;
    const out = seriesFor(key);
    for (const p of s.points || []) {
      if (!Array.isArray(p) || !isNum(p[0]) || !isNum(p[1])) continue;
      out.x.push(p[0]);
      out.y.push(p[1]);
      out.lastBucket = Math.floor(p[0] / step) * step;
      out.n = 1;
    }
  }
}

/** The queries: [role, series key of a label set, which charts]. */
function jobs() {
  const L = labelNames();
  const ifaceKey = (dir) => (l) => {
    if (typeof l[L.iface] !== 'string') return null;
    ensureIface(l[L.iface]);
    return `${dir}|${l[L.iface]}`;
  };
  const deviceKey = (kind) => (l) => (typeof l[L.target] === 'string' ? `${kind}|${ensureDevice(l[L.target]).name}` : null);
  // bandwidth always (it is what bandwatch is for); the rest once a source has reported it,
  // since /series answers 400 for a metric nobody has seen
  const always = [
    ['rxRate', ifaceKey('rx'), 'bw'],
    ['txRate', ifaceKey('tx'), 'bw'],
  ];
  const optional = [
    ['cpuPercent', () => 'cpu', 'chart-system'],
    ['memoryPercent', () => 'memory', 'chart-system'],
    ['diskPercent', (l) => `disk|${typeof l[L.mount] === 'string' ? l[L.mount] : ''}`, 'chart-system'],
    ['probeRtt', deviceKey('rtt'), 'dev'],
    ['probeLoss', deviceKey('loss'), 'dev'],
  ];
  // the chosen row of the device table
  const sel = selectedDevice();
  const lanKey = (dir) => (l) => (l[L.device] === sel ? rateKey(dir, sel) : null);
  if (sel !== null) optional.push(['deviceRxRate', lanKey('rx'), DEVICE_CHART], ['deviceTxRate', lanKey('tx'), DEVICE_CHART]);
  return [...always, ...optional.filter(([role]) => isKnown(metric(role)))]
    .filter(([role]) => metric(role));
}

/** Re-queries every chart's history for the current range and redraws; false when a newer
 *  load won or the token is missing. */
export async function loadHistory() {
  const gen = ++loadGen;
  const now = Date.now();
  let win = range.key === 'custom'
    ? { start: range.start, end: range.end }
    : { start: now - rangeSpanMs(), end: now };
  let stepMs = stepSeconds() * 1000;
  const list = jobs();
  const results = await Promise.all(list.map(([role]) => fetchSeries(metric(role), chartMatches(role))
    .then((r) => ({ ok: r }), (e) => ({ err: e }))));
  if (gen !== loadGen) return false; // a newer range won
  if (results.some((r) => r.err instanceof AuthError)) return false;

  // the server may widen the step (rollup tiers); live points then go into its buckets
  const first = results.find((r) => r.ok && isNum(r.ok.step_ms));
  if (first) stepMs = first.ok.step_ms;
  setStepMs(stepMs);
  resetSeries();
  let windowFromServer = false;
  results.forEach((r, i) => {
    const [role, keyOf, target] = list[i];
    if (r.err) {
      const ids = target === 'bw' ? ifaceChartIds() : target === 'dev' ? deviceChartIds() : [target];
      for (const id of ids) setSeriesError(id, `${metric(role)}: ${r.err.message}`);
      return;
    }
    fill(r.ok, keyOf, stepMs);
    if (!windowFromServer && range.key !== 'custom' && isNum(r.ok.end)) {
      // the server's "now" is the right edge, so live frames line up with history
      windowFromServer = true;
      win = { start: r.ok.end - rangeSpanMs(), end: r.ok.end };
    }
  });
  setWindow(win.start, win.end);
  setZoomed(false);
  setHistoryLoaded();
  renderAll();
  return true;
}
