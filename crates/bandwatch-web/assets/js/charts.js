// The charts: every chart's series (history plus live points), the registry that redraws
// only what changed (at most every RENDER_GAP_MS), the shared Plotly layout pieces, the
// bandwidth and system charts, and zoom that applies to every time chart.

import { esc, isNum, loc, metricOf, short } from './format.js';
import { thresholds } from './config.js';
import { sameSourceAs, unitOf } from './catalog.js';
import { showNote } from './banner.js';
import { win, stepMs, setZoomed, zoomed } from './range.js';

export const COLOR = {
  rx: '#4c9aff', tx: '#ff9f43', cpu: '#b877d9', memory: '#36c5b4', disk: '#e0c341',
  rtt: '#4c9aff', loss: '#f85149', grid: '#252b33', axis: '#2f3640', text: '#aeb7c2',
  low: '#8a9bb3', medium: '#d29922', high: '#f0883e', critical: '#f85149',
};
const DISK_COLORS = ['#e0c341', '#c9a227', '#f2dc7c', '#a8901c'];
const RENDER_GAP_MS = 700;

let series = new Map(); // key -> {x: [], y: [], lastBucket, n}
let seriesErrors = new Map(); // chart id -> message
const charts = new Map(); // element id -> {el, build, drawn}
const dirty = new Set();
let renderTimer = null;
let lastRender = 0;
let firstChartMarked = false;
let syncing = false;
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
    s.x.push(loc(bucket));
    s.y.push(value);
    s.lastBucket = bucket;
    s.n = 1;
  }
}

/** Drops points left of the window. */
export function trimSeries() {
  const min = loc(win.start);
  for (const s of series.values()) {
    let i = 0;
    while (i < s.x.length && s.x[i] < min) i += 1;
    if (i > 0) { s.x.splice(0, i); s.y.splice(0, i); }
  }
}

// ---------------------------------------------------------------- registry and drawing
export function registerChart(elem, build) {
  charts.set(elem.id, { el: elem, build, drawn: false });
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

/** Draws every chart now (after a load), resolving when all are drawn. */
export function renderAll() {
  for (const id of charts.keys()) dirty.add(id);
  return renderDirty();
}

function renderDirty() {
  lastRender = performance.now();
  const ids = [...dirty];
  dirty.clear();
  return Promise.all(ids.map((id) => drawChart(id)));
}

const PLOT_CONFIG = {
  displaylogo: false,
  responsive: true,
  displayModeBar: 'hover',
  modeBarButtonsToRemove: ['select2d', 'lasso2d', 'autoScale2d', 'toggleSpikelines', 'hoverClosestCartesian', 'hoverCompareCartesian'],
  scrollZoom: false,
};

/** Draws one chart; a request while it is drawing is run once after, with the newest data. */
function drawChart(id) {
  const c = charts.get(id);
  if (!c) return Promise.resolve();
  if (c.busy) {
    const next = () => { c.again = null; return drawChart(id); };
    if (!c.again) c.again = c.busy.then(next, next);
    return c.again;
  }
  c.busy = drawNow(id, c).finally(() => { c.busy = null; });
  return c.busy;
}

async function drawNow(id, c) {
  if (!c.el.isConnected || !window.Plotly) return;
  try {
    const { traces, layout } = c.build();
    if (!c.drawn) {
      await window.Plotly.newPlot(c.el, traces, layout, PLOT_CONFIG);
      c.drawn = true;
      c.el.on('plotly_relayout', (ev) => onUserRelayout(id, ev));
      if (!firstChartMarked) {
        firstChartMarked = true;
        performance.mark('bandwatch:first-chart');
      }
    } else {
      await window.Plotly.react(c.el, traces, layout, PLOT_CONFIG);
    }
  } catch (e) {
    showNote(`A chart could not be drawn: ${e && e.message ? e.message : e}`);
  }
}

/** Zooming one chart pauses following and zooms the other time charts the same way. */
function onUserRelayout(id, ev) {
  if (syncing || !ev) return;
  const a = ev['xaxis.range[0]'];
  const b = ev['xaxis.range[1]'];
  const r = ev['xaxis.range'];
  if (ev['xaxis.autorange']) {
    // double-click: back to the chosen range
    setZoomed(false);
    zoomChanged();
    markAllDirty();
    return;
  }
  let xr = null;
  if (a !== undefined && b !== undefined) xr = [a, b];
  else if (Array.isArray(r)) xr = r;
  if (!xr) return;
  if (!zoomed) {
    setZoomed(true);
    zoomChanged();
  }
  syncing = true;
  const others = [...charts.values()].filter((c) => c.drawn && c.el.id !== id);
  Promise.all(others.map((c) => window.Plotly.relayout(c.el, { 'xaxis.range': xr.slice() })))
    .catch(() => {})
    .finally(() => { syncing = false; });
}

// ---------------------------------------------------------------- layout pieces
const narrow = () => window.matchMedia('(max-width: 600px)').matches;

export function baseLayout(extra) {
  const xr = [loc(win.start), loc(win.end)];
  const layout = {
    paper_bgcolor: 'rgba(0,0,0,0)',
    plot_bgcolor: 'rgba(0,0,0,0)',
    font: { family: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif', size: 11, color: COLOR.text },
    margin: { l: 46, r: 14, t: 26, b: 30 },
    xaxis: {
      type: 'date', range: xr, autorange: false, gridcolor: COLOR.grid, linecolor: COLOR.axis,
      zeroline: false, hoverformat: '%Y-%m-%d %H:%M:%S', nticks: narrow() ? 4 : 8,
    },
    yaxis: { gridcolor: COLOR.grid, linecolor: COLOR.axis, zeroline: false, rangemode: 'tozero', fixedrange: true, automargin: true },
    showlegend: true,
    legend: { orientation: 'h', x: 0, xanchor: 'left', y: 1, yanchor: 'bottom', bgcolor: 'rgba(0,0,0,0)', font: { size: 11 } },
    hovermode: 'x unified',
    hoverlabel: { bgcolor: '#1d222a', bordercolor: '#3a414c', font: { color: '#d6dce4', size: 11 } },
    dragmode: narrow() ? false : 'zoom',
    shapes: [],
    annotations: [],
    datarevision: Date.now(),
  };
  return Object.assign(layout, extra || {});
}

export function line(key, name, color, meta, extra) {
  const s = series.get(key) || { x: [], y: [] };
  return Object.assign({
    type: 'scatter', mode: 'lines', name, meta,
    x: s.x.slice(), y: s.y.slice(),
    line: { color, width: 1.6 },
    connectgaps: false,
  }, extra || {});
}

export function hline(y, color, label, layout, labelX = 1) {
  if (!isNum(y)) return;
  const yref = 'y';
  layout.shapes.push({
    type: 'line', xref: 'paper', x0: 0, x1: 1, yref, y0: y, y1: y,
    line: { color, width: 1, dash: 'dash' }, layer: 'below',
  });
  layout.annotations.push({
    xref: 'paper', x: labelX, xanchor: 'right', yref, y, yanchor: 'bottom',
    text: esc(label), showarrow: false, font: { size: 10, color },
  });
}

/** Vertical lines at alert starts plus a hoverable marker trace. */
export function alertMarkers(filter, yOf, layout) {
  const lo = loc(win.start);
  const hi = loc(win.end);
  const xs = []; const ys = []; const texts = []; const colors = [];
  for (const a of alerts) {
    if (!isNum(a.started) || !filter(a)) continue;
    const x = loc(a.started);
    if (x < lo || x > hi) continue;
    const color = COLOR[a.severity] || COLOR.low;
    layout.shapes.push({
      type: 'line', xref: 'x', x0: x, x1: x, yref: 'paper', y0: 0, y1: 1,
      line: { color, width: 1, dash: 'dot' }, layer: 'below',
    });
    const y = yOf(a);
    if (isNum(y)) {
      xs.push(x); ys.push(y); colors.push(color);
      const msg = String(a.message || '').slice(0, 160);
      texts.push(`${esc(a.rule)} · ${esc(a.severity)} · ${esc(a.state)}<br>${esc(msg)}`);
    }
  }
  if (!xs.length) return null;
  return {
    type: 'scatter', mode: 'markers', name: 'alerts', meta: { kind: 'alerts' }, showlegend: false,
    x: xs, y: ys, hovertext: texts, hoverinfo: 'text',
    marker: { symbol: 'triangle-down', size: 11, color: colors, line: { color: '#0f1216', width: 1 } },
  };
}

export function emptyNote(layout, traces, id) {
  const err = seriesErrors.get(id);
  const hasData = traces.some((t) => t.x && t.x.length && !(t.meta && t.meta.kind === 'alerts'));
  if (hasData && !err) return;
  layout.annotations.push({
    xref: 'paper', yref: 'paper', x: 0.5, y: 0.5, showarrow: false,
    text: esc(err ? `could not load: ${err}` : 'no data in this range'),
    font: { size: 12, color: err ? COLOR.critical : COLOR.text },
  });
}

// ---------------------------------------------------------------- the charts
/** The download and upload chart of one interface, with its limits and alerts. */
export function buildBandwidth(iface, ifaceLabel) {
  const th = thresholds();
  const layout = baseLayout();
  layout.yaxis.ticksuffix = '';
  layout.yaxis.title = { text: 'Mbit/s', font: { size: 10 }, standoff: 4 };
  const traces = [
    line(`rx|${iface}`, 'download', COLOR.rx, { iface, dir: 'rx' },
      { fill: 'tozeroy', fillcolor: 'rgba(76,154,255,0.12)', hovertemplate: '%{y:.3~f} Mbit/s' }),
    line(`tx|${iface}`, 'upload', COLOR.tx, { iface, dir: 'tx' },
      { fill: 'tozeroy', fillcolor: 'rgba(255,159,67,0.10)', hovertemplate: '%{y:.3~f} Mbit/s' }),
  ];
  if (isNum(th.download_bps)) hline(th.download_bps / 1e6, COLOR.rx, `download limit ${short(th.download_bps / 1e6)} Mbit/s`, layout);
  if (isNum(th.upload_bps)) hline(th.upload_bps / 1e6, COLOR.tx, `upload limit ${short(th.upload_bps / 1e6)} Mbit/s`, layout);
  const markers = alertMarkers(
    (a) => sameSourceAs(metricOf(a.series), 'rxRate')
      && (!a.labels || !a.labels[ifaceLabel] || a.labels[ifaceLabel] === iface),
    (a) => (unitOf(metricOf(a.series)) === 'bits_per_second' && isNum(a.value) ? a.value / 1e6 : null),
    layout,
  );
  if (markers) traces.push(markers);
  emptyNote(layout, traces, `chart-bandwidth-${iface}`);
  return { traces, layout };
}

/** CPU, memory and every disk in percent, with their limits and alerts. */
export function buildSystem() {
  const th = thresholds();
  const layout = baseLayout();
  layout.yaxis.range = [0, 100];
  layout.yaxis.rangemode = undefined;
  layout.yaxis.ticksuffix = ' %';
  const pct = { hovertemplate: '%{y:.1f} %' };
  const traces = [
    line('cpu', 'CPU', COLOR.cpu, { kind: 'cpu' }, pct),
    line('memory', 'memory', COLOR.memory, { kind: 'memory' }, pct),
  ];
  const mounts = seriesKeys('disk|');
  mounts.forEach((k, i) => {
    const mount = k.slice(5);
    traces.push(line(k, esc(mounts.length > 1 || mount ? `disk ${mount}` : 'disk'),
      DISK_COLORS[i % DISK_COLORS.length], { kind: 'disk', mount }, pct));
  });
  // the three limits are often close together: stagger their labels along the line
  const limits = [['CPU', th.cpu_percent, COLOR.cpu], ['memory', th.memory_percent, COLOR.memory], ['disk', th.disk_percent, COLOR.disk]]
    .filter(([, v]) => isNum(v));
  limits.forEach(([what, v, color], i) => hline(v, color, `${what} limit ${short(v)} %`, layout, 1 - i * 0.2));
  const markers = alertMarkers(
    (a) => sameSourceAs(metricOf(a.series), 'cpuPercent'),
    (a) => (unitOf(metricOf(a.series)) === 'percent' && isNum(a.value) ? a.value : null),
    layout,
  );
  if (markers) traces.push(markers);
  emptyNote(layout, traces, 'chart-system');
  return { traces, layout };
}
