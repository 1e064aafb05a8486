// The charts: every chart's series (history plus live points), the registry that redraws
// only what changed (at most every RENDER_GAP_MS), the shared spec pieces (see
// chart/chart.js), the bandwidth and system charts, and zoom that applies to every time chart.
// Values are kept in their catalogue units (bits/s, %, seconds), times in epoch ms.

import { isNum, metricOf, short, fmtBps } from './format.js';
import { thresholds } from './config.js';
import { sameSourceAs, unitOf } from './catalog.js';
import { showNote } from './banner.js';
import { createChart } from './chart/chart.js';
import { win, stepMs, setZoomed, zoomed } from './range.js';

/** Series colours: CSS variables of app.css. */
export const COLOR = {
  rx: '--rx', tx: '--tx', cpu: '--cpu', memory: '--memory', disk: '--disk',
  rtt: '--rtt', loss: '--loss',
  low: '--sev-low', medium: '--sev-medium', high: '--sev-high', critical: '--sev-critical',
};
const DISK_COLORS = ['--disk', '--disk-2', '--disk-3', '--disk-4'];
const RENDER_GAP_MS = 700;

let series = new Map(); // key -> {x: [], y: [], lastBucket, n}
let seriesErrors = new Map(); // chart id -> message
const charts = new Map(); // element id -> {el, build, chart (made on the first draw)}
const dirty = new Set();
let renderTimer = null;
let lastRender = 0;
let firstChartMarked = false;
let zoomView = null; // [t0, t1] while zoomed
let historyLoaded = false;
let alerts = [];
let zoomChanged = () => {};

/** What to do when the user zooms in or back out (the live button follows it). */
export function whenZoomChanges(f) { zoomChanged = f; }

/** The alerts the charts mark. */
export function setAlerts(list) { alerts = list; }

// ---------------------------------------------------------------- series
/** Starts over with no points (a new range is being loaded). */
export function resetSeries() {
  series = new Map();
  seriesErrors = new Map();
}

export function seriesFor(key) {
  let s = series.get(key);
  if (!s) {
    s = { x: [], y: [], lastBucket: -Infinity, n: 0 };
    series.set(key, s);
  }
  return s;
}

/** The series keys that start with `prefix`, sorted. */
export function seriesKeys(prefix) {
  return [...series.keys()].filter((k) => k.startsWith(prefix)).sort();
}

/** Notes that a chart's history could not be loaded. */
export function setSeriesError(id, message) { seriesErrors.set(id, message); }

/** Adds a live value, averaging into the current bucket when the step spans several ticks. */
export function appendPoint(key, ts, value) {
  if (!isNum(ts) || !isNum(value)) return;
  const s = seriesFor(key);
  const step = stepMs;
  const bucket = Math.floor(ts / step) * step;
  if (bucket === s.lastBucket && s.y.length) {
    s.n += 1;
    s.y[s.y.length - 1] += (value - s.y[s.y.length - 1]) / s.n;
  } else if (bucket > s.lastBucket) {
    s.x.push(bucket);
    s.y.push(value);
    s.lastBucket = bucket;
    s.n = 1;
  }
}

/** Drops points left of the window. */
export function trimSeries() {
  const min = win.start;
  for (const s of series.values()) {
    let i = 0;
    while (i < s.x.length && s.x[i] < min) i += 1;
    if (i > 0) { s.x.splice(0, i); s.y.splice(0, i); }
  }
}

// ---------------------------------------------------------------- registry and drawing
export function registerChart(elem, build) {
  // the chart is made on its first draw: until then the element shows "loading…"
  charts.set(elem.id, { el: elem, build, chart: null });
  dirty.add(elem.id);
  scheduleRender();
}

export function markAllDirty() {
  for (const id of charts.keys()) dirty.add(id);
  scheduleRender();
}

/** History is in: from now on changes are drawn. */
export function setHistoryLoaded() { historyLoaded = true; }

function scheduleRender() {
  // until the history is in, there is nothing worth drawing (the first load draws everything)
  if (renderTimer || !historyLoaded) return;
  const wait = Math.max(0, RENDER_GAP_MS - (performance.now() - lastRender));
  renderTimer = setTimeout(() => {
    renderTimer = null;
    requestAnimationFrame(() => { renderDirty(); });
  }, wait);
}

/** Draws every chart now (after a load or a zoom). */
export function renderAll() {
  for (const id of charts.keys()) dirty.add(id);
  renderDirty();
}

function renderDirty() {
  lastRender = performance.now();
  const ids = [...dirty];
  dirty.clear();
  for (const id of ids) drawChart(id);
}

function drawChart(id) {
  const c = charts.get(id);
  if (!c || !c.el.isConnected) return;
  try {
    if (!c.chart) c.chart = createChart(c.el, { onZoom: zoomTo, onReset: unzoom });
    const painted = c.chart.draw(c.build());
    if (painted && !firstChartMarked) {
      firstChartMarked = true;
      performance.mark('bandwatch:first-chart');
    }
  } catch (e) {
    showNote(`A chart could not be drawn: ${e && e.message ? e.message : e}`);
  }
}

/** Zooming one chart pauses following and zooms every time chart the same way. */
function zoomTo(xr) {
  zoomView = xr;
  if (!zoomed) {
    setZoomed(true);
    zoomChanged();
  }
  renderAll();
}

/** Double-click or "Reset zoom": back to the chosen range. */
function unzoom() {
  if (!zoomed) return;
  setZoomed(false);
  zoomChanged();
  renderAll();
}

// ---------------------------------------------------------------- spec pieces
/** An empty chart spec over the shown range (the zoom, or the chosen window). */
export function baseSpec(label, axes) {
  const z = zoomed && zoomView;
  return {
    label,
    x: z ? zoomView.slice() : [win.start, win.end],
    stepMs,
    zoomed: Boolean(z),
    legend: true,
    axes,
    series: [],
    lines: [],
    marks: [],
    note: null,
  };
}

/** The series `key` as a line of the chart. */
export function line(key, name, color, meta, extra) {
  const s = series.get(key) || { x: [], y: [] };
  return {
    id: key, name, color, meta, x: s.x, y: s.y, axis: 'y', fill: false, width: 1.6, ...(extra || {}),
  };
}

/** A limit as a dashed line, labelled at `at` (0–1) of the width. */
export function hline(spec, y, color, label, at = 1) {
  if (isNum(y)) spec.lines.push({ y, color, label, at, axis: 'y' });
}

/** A mark at each alert start `filter` picks, at the value `yOf` gives (null: at the top). */
export function alertMarkers(spec, filter, yOf) {
  const [lo, hi] = spec.x;
  for (const a of alerts) {
    if (!isNum(a.started) || !filter(a)) continue;
    if (a.started < lo || a.started > hi) continue;
    const y = yOf(a);
    spec.marks.push({
      x: a.started,
      y: isNum(y) ? y : null,
      color: COLOR[a.severity] || COLOR.low,
      title: `${a.rule} · ${a.severity} · ${a.state}`,
      text: String(a.message || '').slice(0, 160),
    });
  }
}

/** "no data in this range", or the error that kept the history away. */
export function emptyNote(spec, id) {
  const err = seriesErrors.get(id);
  const [lo, hi] = spec.x;
  const hasData = spec.series.some((s) => s.x.some((x) => x >= lo && x <= hi));
  if (hasData && !err) return;
  spec.note = { text: err ? `could not load: ${err}` : 'no data in this range', error: Boolean(err) };
}

// ---------------------------------------------------------------- the charts
/** The download and upload chart of one interface, with its limits and alerts. */
export function buildBandwidth(iface, ifaceLabel) {
  const th = thresholds();
  const spec = baseSpec(`${iface}: download and upload`, { y: { unit: 'bits_per_second', min: 0, span: 1e6 } });
  spec.series.push(
    line(`rx|${iface}`, 'download', COLOR.rx, { iface, dir: 'rx' }, { fill: true }),
    line(`tx|${iface}`, 'upload', COLOR.tx, { iface, dir: 'tx' }, { fill: true }),
  );
  if (isNum(th.download_bps)) hline(spec, th.download_bps, COLOR.rx, `download limit ${fmtBps(th.download_bps)}`);
  if (isNum(th.upload_bps)) hline(spec, th.upload_bps, COLOR.tx, `upload limit ${fmtBps(th.upload_bps)}`, 0.6);
  alertMarkers(
    spec,
    (a) => sameSourceAs(metricOf(a.series), 'rxRate')
      && (!a.labels || !a.labels[ifaceLabel] || a.labels[ifaceLabel] === iface),
    (a) => (unitOf(metricOf(a.series)) === 'bits_per_second' ? a.value : null),
  );
  emptyNote(spec, `chart-bandwidth-${iface}`);
  return spec;
}

/** CPU, memory and every disk in percent, with their limits and alerts. */
export function buildSystem() {
  const th = thresholds();
  const spec = baseSpec('CPU, memory and disk use', { y: { unit: 'percent', min: 0, max: 100 } });
  spec.series.push(
    line('cpu', 'CPU', COLOR.cpu, { kind: 'cpu' }),
    line('memory', 'memory', COLOR.memory, { kind: 'memory' }),
  );
  const mounts = seriesKeys('disk|');
  mounts.forEach((k, i) => {
    const mount = k.slice(5);
    spec.series.push(line(k, mounts.length > 1 || mount ? `disk ${mount}` : 'disk',
      DISK_COLORS[i % DISK_COLORS.length], { kind: 'disk', mount }));
  });
  // the three limits are often close together: stagger their labels along the line
  const limits = [['CPU', th.cpu_percent, COLOR.cpu], ['memory', th.memory_percent, COLOR.memory], ['disk', th.disk_percent, COLOR.disk]]
    .filter(([, v]) => isNum(v));
  limits.forEach(([what, v, color], i) => hline(spec, v, color, `${what} limit ${short(v)} %`, 1 - i * 0.25));
  alertMarkers(
    spec,
    (a) => sameSourceAs(metricOf(a.series), 'cpuPercent'),
    (a) => (unitOf(metricOf(a.series)) === 'percent' ? a.value : null),
  );
  emptyNote(spec, 'chart-system');
  return spec;
}
